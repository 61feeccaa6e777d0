/* codec.h: the one implementation of the byte <-> text codecs the project
 * uses: hex, base64 and base64url (RFC 4648) and percent-encoding
 * (RFC 3986).
 *
 * Encoders append to a px_buf and fail only through its sticky `failed`
 * flag; after any call here that succeeds, out->data is allocated and
 * NUL-terminated even when nothing was appended. Decoders append too
 * (the caller resets first when it wants only the result), never read
 * past the n bytes they are given, and return 0, or -1 for malformed
 * input or a failed buffer (out->failed tells which); on -1 out may hold
 * part of the result. All functions are thread-safe and keep no state. */
#ifndef PX_CODEC_H
#define PX_CODEC_H

#include <stddef.h>

#include "core/buf.h"

/* --- hex --------------------------------------------------------------- */

/* The value 0..15 of the hex digit c (either case), or -1. */
int px_codec_hex_val(int c);
/* Reads exactly `digits` hex digits (1..8) from s[0..n) as a number into
 * *v: for escapes such as %41, \u00e9 or &#x3c; whose length is fixed.
 * -1 when n < digits or one of them is not a hex digit. */
int px_codec_hex_num(const char *s, size_t n, size_t digits, unsigned long *v)
	__attribute__((warn_unused_result));
/* Appends the 2n lower-case hex digits of p[0..n) to out. */
void px_codec_hex_encode(struct px_buf *out, const void *p, size_t n);
/* Writes the 2n lower-case hex digits of p[0..n) and a NUL into out,
 * which holds 2n + 1 bytes: for fixed-size ids and digests. */
void px_codec_hex_str(char *out, const void *p, size_t n);
/* Whether s is exactly `digits` lower-case hex digits and nothing else
 * (a SHA-256 as PlexiChat writes it: 64). */
int px_codec_hex_lower_is(const char *s, size_t digits) __attribute__((nonnull));
/* Appends the bytes of the hex text s[0..n) (either case) to out.
 * -1 for an odd length or a character that is not a hex digit. */
int px_codec_hex_decode(const char *s, size_t n, struct px_buf *out)
	__attribute__((warn_unused_result));
/* Decodes the NUL-terminated s, which must be exactly 2n hex digits, into
 * out[0..n). -1 when s is NULL, has another length or a non-hex digit
 * (out is then undefined and may hold secrets: wipe it if it matters). */
int px_codec_hex_decode_fixed(const char *s, void *out, size_t n)
	__attribute__((warn_unused_result));

/* --- base64 -------------------------------------------------------------- */

enum {
	PX_CODEC_B64 = 0,             /* RFC 4648 section 4: '+' and '/' */
	PX_CODEC_B64_URL = 1 << 0,    /* RFC 4648 section 5: '-' and '_' */
	PX_CODEC_B64_PAD = 1 << 1,    /* encode: pad with '=' to a multiple of 4 */
	/* decode only: for inspecting what an attacker sent, never for input
	 * that is trusted once decoded. Either alphabet; '=' and line breaks
	 * (CR, LF, as MIME wraps base64) are skipped wherever they stand; a
	 * trailing partial byte is dropped. Fails only on another character. */
	PX_CODEC_B64_LENIENT = 1 << 2,
};

/* Appends base64 of p[0..n) to out: the alphabet of PX_CODEC_B64_URL or
 * the standard one, '=' padding only with PX_CODEC_B64_PAD. */
void px_codec_b64_encode(struct px_buf *out, const void *p, size_t n,
			 unsigned flags);
/* Appends the bytes of the base64 text s[0..n) to out. Strict unless
 * PX_CODEC_B64_LENIENT: only the flags' alphabet, no whitespace, padding
 * optional but when present exactly what completes the last group, no
 * dangling character (n % 4 == 1) and the unused low bits of the last
 * character zero, so that each byte string has one accepted text. */
int px_codec_b64_decode(const char *s, size_t n, unsigned flags,
			struct px_buf *out) __attribute__((warn_unused_result));

/* --- percent-encoding ---------------------------------------------------- */

enum {
	PX_CODEC_PCT_PLUS = 1 << 0,   /* decode: '+' is a space (form encoding) */
	PX_CODEC_PCT_SLASH = 1 << 1,  /* encode: keep '/' (a path, not a segment) */
};

/* Appends s[0..n) with every byte outside RFC 3986's unreserved set
 * (ALPHA DIGIT - . _ ~, and '/' with PX_CODEC_PCT_SLASH) written as %XX in
 * upper-case hex: safe in a path segment, query value or fragment. */
void px_codec_pct_encode(struct px_buf *out, const char *s, size_t n,
			 unsigned flags);
/* Appends s[0..n) with %XX decoded (and '+' as a space with
 * PX_CODEC_PCT_PLUS) to out. -1 for a '%' not followed by two hex digits.
 * Any byte may result, NUL included: checking the text (UTF-8, NUL) is
 * the caller's policy. */
int px_codec_pct_decode(const char *s, size_t n, unsigned flags,
			struct px_buf *out) __attribute__((warn_unused_result));

#endif
