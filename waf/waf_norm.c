/* waf_norm.c: decoding and folding of request values into the canonical,
 * lower-case, NUL-free views the WAF rules match against. Linear time. */
#include "waf/waf_norm.h"
#include "core/codec.h"

#include <string.h>
#include <strings.h>

/* The hot path appends byte by byte; skip px_buf's checks when room is
 * already reserved (never for a bounded buffer). */
static inline void putb(struct px_buf *b, char c)
{
	if (b->data && b->max == 0 && b->len + 1 < b->cap) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
	} else {
		px_buf_putc(b, c);
	}
}

void px_waf_utf8_put(struct px_buf *b, long cp)
{
	char t[4];

	if (cp < 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		putb(b, (char)cp);
	} else if (cp < 0x800) {
		t[0] = (char)(0xC0 | (cp >> 6));
		t[1] = (char)(0x80 | (cp & 0x3F));
		px_buf_append(b, t, 2);
	} else if (cp < 0x10000) {
		t[0] = (char)(0xE0 | (cp >> 12));
		t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		t[2] = (char)(0x80 | (cp & 0x3F));
		px_buf_append(b, t, 3);
	} else {
		t[0] = (char)(0xF0 | (cp >> 18));
		t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		t[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		t[3] = (char)(0x80 | (cp & 0x3F));
		px_buf_append(b, t, 4);
	}
}

size_t px_waf_utf8_decode(const unsigned char *s, size_t n, long *cp,
			  int *overlong)
{
	unsigned b = s[0];
	size_t len, i;
	long v, min;

	*overlong = 0;
	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xC0 && b <= 0xDF) {
		len = 2, v = b & 0x1F, min = 0x80;
	} else if (b >= 0xE0 && b <= 0xEF) {
		len = 3, v = b & 0x0F, min = 0x800;
	} else if (b >= 0xF0 && b <= 0xF7) {
		len = 4, v = b & 0x07, min = 0x10000;
	} else {
		*cp = -1;
		return 1;
	}
	if (n < len) {
		*cp = -1;
		return 1;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = -1;
			return 1;
		}
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
		*cp = -1;
		return 1;
	}
	*overlong = v < min;
	*cp = v;
	return len;
}

/* Decodes one pass; returns how many escapes were decoded. */
static size_t url_pass(const char *s, size_t n, int plus_space,
		       struct px_buf *out, unsigned *flags)
{
	size_t i, decoded = 0;

	px_buf_reserve(out, n + 16);
	for (i = 0; i < n; i++) {
		unsigned long v;

		if (s[i] == '%' && px_codec_hex_num(s + i + 1, n - i - 1, 2, &v) == 0) {
			if (v == 0)
				*flags |= PX_WAF_N_NUL;
			putb(out, (char)v);
			i += 2;
			decoded++;
		} else if (s[i] == '%' && i + 1 < n && (s[i + 1] == 'u' || s[i + 1] == 'U') &&
			   px_codec_hex_num(s + i + 2, n - i - 2, 4, &v) == 0) {
			*flags |= PX_WAF_N_PCT_U;
			if (v == 0)
				*flags |= PX_WAF_N_NUL;
			px_waf_utf8_put(out, (long)v);
			i += 5;
			decoded++;
		} else if (s[i] == '%') {
			*flags |= PX_WAF_N_BAD_ESCAPE;
			putb(out, '%');
		} else if (s[i] == '+' && plus_space) {
			putb(out, ' ');
		} else {
			if (s[i] == '\0')
				*flags |= PX_WAF_N_NUL;
			putb(out, s[i]);
		}
	}
	return decoded;
}

unsigned px_waf_url_decode(const char *s, size_t n, int plus_space,
			   struct px_buf *out)
{
	unsigned flags = 0;

	url_pass(s, n, plus_space, out, &flags);
	return flags;
}

struct named_entity {
	const char *name;
	char ch;
};

/* The entities an evasion needs: syntax characters HTML can spell out. */
static const struct named_entity entities[] = {
	{"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''},
	{"colon", ':'}, {"tab", '\t'}, {"newline", '\n'}, {"lpar", '('},
	{"rpar", ')'}, {"sol", '/'}, {"bsol", '\\'}, {"period", '.'},
	{"comma", ','}, {"semi", ';'}, {"equals", '='}, {"excl", '!'},
	{"nbsp", ' '}, {"grave", '`'}, {"dollar", '$'}, {"lbrace", '{'},
	{"rbrace", '}'}, {"lcub", '{'}, {"rcub", '}'}, {"lsqb", '['},
	{"rsqb", ']'}, {"lbrack", '['}, {"rbrack", ']'}, {"num", '#'},
	{"percnt", '%'}, {"quest", '?'}, {"commat", '@'}, {"plus", '+'},
	{"ast", '*'}, {"vert", '|'}, {"verbar", '|'}, {"hat", '^'},
	{"lowbar", '_'}, {"midast", '*'}, {"hyphen", '-'},
};

/* Decodes an entity at s ('&' included). Returns bytes consumed, 0 when
 * it is not one; *cp receives the code point. */
static size_t entity(const char *s, size_t n, long *cp)
{
	size_t i = 1, start;
	long v = 0;

	if (n >= 3 && s[1] == '#') {
		int hex = (s[2] == 'x' || s[2] == 'X');

		i = hex ? 3 : 2;
		start = i;
		while (i < n && i - start < 10) {
			int h = hex ? px_codec_hex_val((unsigned char)s[i])
				    : (s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);
			if (h < 0)
				break;
			v = v * (hex ? 16 : 10) + h;
			i++;
		}
		if (i == start)
			return 0;
		while (i < n && i - start < 16 && px_codec_hex_val((unsigned char)s[i]) >= 0)
			i++, v = 0x110000; /* absurdly long: out of range */
		if (i < n && s[i] == ';')
			i++;
		*cp = v > 0x10FFFF ? 0xFFFD : v;
		return i;
	}
	for (start = 1; i < n && i < 10 &&
	     ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')); i++)
		;
	if (i == start)
		return 0;
	for (v = 0; v < (long)(sizeof(entities) / sizeof(entities[0])); v++) {
		size_t len = strlen(entities[v].name);

		if (len == i - start && strncasecmp(s + start, entities[v].name, len) == 0) {
			*cp = (unsigned char)entities[v].ch;
			return i + (i < n && s[i] == ';');
		}
	}
	return 0;
}

static const char small_forms[] = /* U+FE50 .. U+FE6B, 0 = unassigned */
	",,.\0;:?!\0()" "{}\0\0\0\0#&*+-<>=\0\\$%@";

/* Maps a non-ASCII code point to ASCII when NFKC (or a known
 * filter-evasion confusable) would; returns -2 to drop it, -1 to keep. */
static long fold_compat(long cp)
{
	if (cp >= 0xFF01 && cp <= 0xFF5E)
		return cp - 0xFEE0;
	if (cp >= 0xFE50 && cp <= 0xFE6B)
		return small_forms[cp - 0xFE50] ? (unsigned char)small_forms[cp - 0xFE50] : -1;
	if (cp >= 0x2460 && cp <= 0x2468)
		return '1' + (cp - 0x2460);
	if (cp >= 0x24B6 && cp <= 0x24CF)
		return 'a' + (cp - 0x24B6);
	if (cp >= 0x24D0 && cp <= 0x24E9)
		return 'a' + (cp - 0x24D0);
	if (cp >= 0x2074 && cp <= 0x2079)
		return '4' + (cp - 0x2074);
	if ((cp >= 0x2000 && cp <= 0x200A) || cp == 0x00A0 || cp == 0x3000 ||
	    cp == 0x202F || cp == 0x205F || cp == 0x1680)
		return ' ';
	if ((cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF ||
	    cp == 0x00AD || cp == 0x180E)
		return -2;
	switch (cp) {
	case 0x2024: case 0x3002: case 0xFF61: return '.';
	case 0x2215: case 0x2044: return '/';
	case 0x2216: return '\\';
	case 0x24EA: case 0x2070: return '0';
	case 0x00B9: return '1';
	case 0x00B2: return '2';
	case 0x00B3: return '3';
	case 0x2028: case 0x2029: return '\n';
	case 0x02BC: return '\'';
	default: return -1;
	}
}

static void put_folded(struct px_buf *out, long cp, unsigned *flags)
{
	if (cp >= 0x80) {
		long m = fold_compat(cp);

		if (m == -2) {
			*flags |= PX_WAF_N_FOLDED;
			return;
		}
		if (m == -1) {
			if (cp > 0xFF && ((cp & 0xFF) == 0x0A || (cp & 0xFF) == 0x0D))
				*flags |= PX_WAF_N_LOWBYTE_CRLF;
			px_waf_utf8_put(out, cp);
			return;
		}
		*flags |= PX_WAF_N_FOLDED;
		cp = m;
	}
	if (cp == 0) {
		*flags |= PX_WAF_N_NUL;
		return;
	}
	if (cp == '\r' || cp == '\n') {
		*flags |= PX_WAF_N_CRLF;
	} else if ((cp < 0x20 && cp != '\t') || cp == 0x7F) {
		*flags |= PX_WAF_N_CTRL;
		return;
	}
	if (cp >= 'A' && cp <= 'Z')
		cp += 'a' - 'A';
	putb(out, (char)cp);
}

/* \uHHHH (with surrogate pairs), \u{X..} and \xHH below 0x80. */
static size_t backslash_escape(const char *s, size_t n, long *cp)
{
	unsigned long v, lo;

	if (n >= 6 && s[1] == 'u' && px_codec_hex_num(s + 2, n - 2, 4, &v) == 0) {
		if (v >= 0xD800 && v <= 0xDBFF && n >= 12 && s[6] == '\\' &&
		    s[7] == 'u' && px_codec_hex_num(s + 8, n - 8, 4, &lo) == 0 &&
		    lo >= 0xDC00 && lo <= 0xDFFF) {
			*cp = (long)(0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00));
			return 12;
		}
		*cp = (long)v;
		return 6;
	}
	if (n >= 4 && s[1] == 'x' && px_codec_hex_num(s + 2, n - 2, 2, &v) == 0 && v < 0x80) {
		*cp = (long)v;
		return 4;
	}
	return 0;
}

/* One folding pass from s into out. */
static unsigned fold_pass(const char *s, size_t n, struct px_buf *out)
{
	unsigned flags = 0;
	size_t i = 0;

	px_buf_reserve(out, n + 16);
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		long cp;
		size_t k;
		int ol;

		if (c == '&' && (k = entity(s + i, n - i, &cp)) > 0) {
			flags |= PX_WAF_N_ENTITY;
			put_folded(out, cp, &flags);
			i += k;
		} else if (c == '\\' && (k = backslash_escape(s + i, n - i, &cp)) > 0) {
			put_folded(out, cp, &flags);
			i += k;
		} else if (c < 0x80) {
			put_folded(out, c, &flags);
			i++;
		} else {
			k = px_waf_utf8_decode((const unsigned char *)s + i, n - i, &cp, &ol);
			if (cp < 0) {
				flags |= PX_WAF_N_BAD_UTF8;
				putb(out, (char)c);
			} else {
				if (ol)
					flags |= PX_WAF_N_OVERLONG;
				put_folded(out, cp, &flags);
			}
			i += k;
		}
	}
	return flags;
}

unsigned px_waf_norm_text(const char *s, size_t n, unsigned opts,
			  struct px_buf *out, struct px_buf *tmp)
{
	struct px_buf *src = NULL, *dst = tmp, *other = out;
	unsigned flags = 0;
	int round;

	px_buf_reset(out);
	px_buf_reset(tmp);
	for (round = 0; !(opts & PX_WAF_NO_URL) && round < PX_WAF_URL_ROUNDS; round++) {
		const char *cur = src ? src->data : s;
		size_t len = src ? src->len : n;
		int plus = round == 0 && (opts & PX_WAF_PLUS_SPACE);
		unsigned rf = 0;
		size_t decoded;

		if (!memchr(cur, '%', len) && !(plus && memchr(cur, '+', len)))
			break;
		px_buf_reset(dst);
		decoded = url_pass(cur, len, plus, dst, &rf);
		/* After the transport's own decoding a '%' is just a character. */
		flags |= (round == 0 && !(opts & PX_WAF_PRE_DECODED)) ? rf
			: (rf & ~PX_WAF_N_BAD_ESCAPE);
		if ((round > 0 || (opts & PX_WAF_PRE_DECODED)) && decoded > 0)
			flags |= PX_WAF_N_MULTI_DECODE;
		src = dst;
		dst = other;
		other = src;
		if (decoded == 0)
			break;
	}
	/* Fold from src (or s) into whichever buffer is free, then into out. */
	{
		const char *cur = src ? src->data : s;
		size_t len = src ? src->len : n;
		struct px_buf *fd = (src == out) ? tmp : out;
		unsigned f;

		px_buf_reset(fd);
		f = fold_pass(cur ? cur : "", len, fd);
		flags |= f;
		if ((f & PX_WAF_N_ENTITY) && fd->len && memchr(fd->data, '&', fd->len)) {
			/* Double-encoded entities (&amp;lt;) need a second pass. */
			struct px_buf *fd2 = (fd == out) ? tmp : out;

			px_buf_reset(fd2);
			flags |= fold_pass(fd->data, fd->len, fd2);
			fd = fd2;
		}
		if (fd != out) {
			px_buf_reset(out);
			px_buf_append(out, fd->data ? fd->data : "", fd->len);
		}
	}
	if (!out->data)
		px_buf_append(out, "", 0);
	return flags;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

void px_waf_norm_sql(const char *s, size_t n, struct px_buf *out)
{
	size_t i = 0;
	int space = 1;

	px_buf_reset(out);
	px_buf_reserve(out, n + 16);
	while (i < n) {
		if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
			if (i + 2 < n && s[i + 2] == '!') {
				/* MySQL executes the body of a version comment. */
				i += 3;
				while (i < n && s[i] >= '0' && s[i] <= '9')
					i++;
			} else {
				const char *end = NULL;
				size_t j;

				for (j = i + 2; j + 1 < n; j++)
					if (s[j] == '*' && s[j + 1] == '/') {
						end = s + j;
						break;
					}
				i = end ? (size_t)(end - s) + 2 : n;
			}
			if (!space)
				putb(out, ' ');
			space = 1;
		} else if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
			i += 2;
			if (!space)
				putb(out, ' ');
			space = 1;
		} else if (is_ws(s[i])) {
			if (!space)
				putb(out, ' ');
			space = 1;
			i++;
		} else {
			putb(out, s[i]);
			space = 0;
			i++;
		}
	}
	if (!out->data)
		px_buf_append(out, "", 0);
}

/* Length of an expansion at s (on the '$') that a fresh, non-interactive
 * shell expands to nothing: $@ $* $0-$9 ${@} ${*} ${0}-${9}; else 0. */
static size_t empty_expansion(const char *s, size_t n)
{
	if (n >= 2 && (s[1] == '@' || s[1] == '*' || (s[1] >= '0' && s[1] <= '9')))
		return 2;
	if (n >= 4 && s[1] == '{' && s[3] == '}' &&
	    (s[2] == '@' || s[2] == '*' || (s[2] >= '0' && s[2] <= '9')))
		return 4;
	return 0;
}

/* Length of $IFS or ${IFS...} at s (lower-case in the text view); else 0. */
static size_t ifs_expansion(const char *s, size_t n)
{
	const char *end;

	if (n >= 4 && memcmp(s, "$ifs", 4) == 0 &&
	    (n == 4 || !((s[4] >= 'a' && s[4] <= 'z') || (s[4] >= '0' && s[4] <= '9') || s[4] == '_')))
		return 4;
	if (n >= 6 && memcmp(s, "${ifs", 5) == 0 &&
	    (end = memchr(s + 5, '}', n - 5 < 16 ? n - 5 : 16)) != NULL)
		return (size_t)(end - s) + 1;
	return 0;
}

int px_waf_norm_shell(const char *s, size_t n, struct px_buf *out)
{
	size_t i = 0, k;
	int changed = 0;

	px_buf_reset(out);
	px_buf_reserve(out, n + 16);
	while (i < n) {
		char c = s[i];

		if (c == '\'' || c == '"') {
			i++;
		} else if (c == '\\') {
			if (i + 1 < n && s[i + 1] != '\n')
				putb(out, s[i + 1]);
			i += 2;
		} else if (c == '$' && i + 1 < n && (s[i + 1] == '\'' || s[i + 1] == '"')) {
			i++;
		} else if (c == '$' && (k = empty_expansion(s + i, n - i)) > 0) {
			i += k;
		} else if (c == '$' && (k = ifs_expansion(s + i, n - i)) > 0) {
			putb(out, ' ');
			i += k;
		} else {
			putb(out, c);
			i++;
			continue;
		}
		changed = 1;
	}
	if (!out->data)
		px_buf_append(out, "", 0);
	return changed;
}
