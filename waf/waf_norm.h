/* waf_norm.h: the WAF normaliser, which turns one request value into the
 * canonical views that signature rules and detectors inspect.
 *
 * Views are byte strings, lower-case ASCII, NUL-free, suitable for PCRE2
 * without UTF mode. Every function runs in time linear in its input and
 * never fails loudly: output buffers carry their own sticky `failed`. */
#ifndef PX_WAF_NORM_H
#define PX_WAF_NORM_H

#include <stddef.h>

#include "core/buf.h"

/* What decoding found; several can be set at once. */
enum {
	PX_WAF_N_NUL = 1 << 0,          /* a NUL byte (raw, %00, \u0000, &#0;) */
	PX_WAF_N_BAD_ESCAPE = 1 << 1,   /* '%' not followed by two hex digits */
	PX_WAF_N_OVERLONG = 1 << 2,     /* overlong UTF-8 (e.g. %c0%ae) */
	PX_WAF_N_BAD_UTF8 = 1 << 3,     /* other invalid UTF-8 */
	PX_WAF_N_MULTI_DECODE = 1 << 4, /* percent-decoding changed the value twice or more */
	PX_WAF_N_PCT_U = 1 << 5,        /* IIS %uHHHH escape */
	PX_WAF_N_CTRL = 1 << 6,         /* control characters other than tab, CR, LF */
	PX_WAF_N_LOWBYTE_CRLF = 1 << 7, /* a code point whose low byte is CR or LF (U+560A) */
	PX_WAF_N_ENTITY = 1 << 8,       /* HTML entities were decoded */
	PX_WAF_N_CRLF = 1 << 9,         /* CR or LF present after decoding */
	PX_WAF_N_FOLDED = 1 << 10,      /* compatibility forms (full-width etc.) were folded */
};

/* Options for px_waf_norm_text(). */
enum {
	PX_WAF_NO_PLUS = 0,
	PX_WAF_PLUS_SPACE = 1 << 0, /* first percent-decoding round maps '+' to ' ' */
	PX_WAF_NO_URL = 1 << 1,     /* value is not URL-encoded: skip percent-decoding */
	PX_WAF_PRE_DECODED = 1 << 2, /* already percent-decoded once by the transport */
};

/* Maximum percent-decoding rounds (evasions nest two or three deep). */
#define PX_WAF_URL_ROUNDS 3

/* Writes the text view of s[0..n) into out (reset first): percent-decoded
 * up to PX_WAF_URL_ROUNDS times (including %uHHHH), HTML entities and
 * \uHHHH escapes decoded, overlong UTF-8 decoded, compatibility forms
 * (full-width, small forms, enclosed letters) folded to ASCII, zero-width
 * characters and NULs dropped, ASCII lower-cased. Returns PX_WAF_N_* flags.
 * `tmp` is scratch space owned by the caller (reset here). */
unsigned px_waf_norm_text(const char *s, size_t n, unsigned opts,
			  struct px_buf *out, struct px_buf *tmp);

/* Writes the SQL view of a text view: comments removed (the body of
 * MySQL version comments is kept), every whitespace run folded to one
 * space. */
void px_waf_norm_sql(const char *s, size_t n, struct px_buf *out);

/* Writes the shell view of a text view into out (reset first): what a
 * POSIX shell would read once quoting is resolved, so that a command word
 * split by quoting ("c'a't", "w\\ho\\am\\i", "w$@hoami") reads as the word.
 * Quote characters are dropped, a backslash yields the byte after it (a
 * backslash-newline pair nothing), the '$' of $'...' and $"..." is
 * dropped, expansions that are empty in a fresh shell ($@ $* ${@} ${*}
 * and positional parameters $0..$9) are dropped, and $IFS / ${IFS...}
 * become a space. Returns 1 when the view differs from the input, else 0. */
int px_waf_norm_shell(const char *s, size_t n, struct px_buf *out);

/* Percent-decodes once into out (appending), keeping malformed escapes
 * literally; '+' becomes ' ' when plus_space. Returns PX_WAF_N_* flags
 * (BAD_ESCAPE, NUL). NULs are kept in the output. */
unsigned px_waf_url_decode(const char *s, size_t n, int plus_space,
			   struct px_buf *out);

/* Decodes one code point at s (at most n bytes) leniently: valid UTF-8
 * and overlong forms are decoded (*overlong set for the latter). Returns
 * the sequence length (>= 1); *cp is -1 for an invalid byte. */
size_t px_waf_utf8_decode(const unsigned char *s, size_t n, long *cp,
			  int *overlong);

/* Appends code point cp as UTF-8. */
void px_waf_utf8_put(struct px_buf *b, long cp);

#endif
