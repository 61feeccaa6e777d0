/* codec.c: hex, base64 and percent-encoding, one encoder and one decoder
 * each. Decoders look at each input byte once and bound every read by n,
 * so they run in linear time on any input. */
#include "core/codec.h"

#include <assert.h>
#include <string.h>

static const char hex_lower[] = "0123456789abcdef";
static const char hex_upper[] = "0123456789ABCDEF";
static const char b64_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Makes sure out->data exists, so that an empty result is "" not NULL. */
static int finish(struct px_buf *out)
{
	if (!out->data)
		px_buf_append(out, "", 0);
	return out->failed ? -1 : 0;
}

/* --- hex --------------------------------------------------------------- */

int px_codec_hex_val(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int px_codec_hex_num(const char *s, size_t n, size_t digits, unsigned long *v)
{
	unsigned long acc = 0;
	size_t i;

	assert(digits >= 1 && digits <= 8);
	if (n < digits)
		return -1;
	for (i = 0; i < digits; i++) {
		int h = px_codec_hex_val((unsigned char)s[i]);

		if (h < 0)
			return -1;
		acc = acc << 4 | (unsigned long)h;
	}
	*v = acc;
	return 0;
}

void px_codec_hex_str(char *out, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex_lower[s[i] >> 4];
		out[2 * i + 1] = hex_lower[s[i] & 15];
	}
	out[2 * n] = '\0';
}

int px_codec_hex_lower_is(const char *s, size_t digits)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!strchr(hex_lower, s[i]))
			return 0;
	return i == digits;
}

void px_codec_hex_encode(struct px_buf *out, const void *p, size_t n)
{
	if (px_buf_reserve(out, 2 * n) != 0)
		return;
	px_codec_hex_str(out->data + out->len, p, n);
	out->len += 2 * n;
}

/* The byte of the two hex digits at s, or -1. */
static int hex_byte(const char *s)
{
	int hi = px_codec_hex_val((unsigned char)s[0]);
	int lo = px_codec_hex_val((unsigned char)s[1]);

	return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
}

int px_codec_hex_decode(const char *s, size_t n, struct px_buf *out)
{
	size_t i;

	if (n % 2 != 0 || px_buf_reserve(out, n / 2) != 0)
		return -1;
	for (i = 0; i < n; i += 2) {
		int b = hex_byte(s + i);

		if (b < 0)
			return -1;
		px_buf_putc(out, (char)b);
	}
	return finish(out);
}

int px_codec_hex_decode_fixed(const char *s, void *out, size_t n)
{
	unsigned char *o = out;
	size_t i;

	if (!s || strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		int b = hex_byte(s + 2 * i);

		if (b < 0)
			return -1;
		o[i] = (unsigned char)b;
	}
	return 0;
}

/* --- base64 -------------------------------------------------------------- */

void px_codec_b64_encode(struct px_buf *out, const void *p, size_t n,
			 unsigned flags)
{
	const char *a = (flags & PX_CODEC_B64_URL) ? b64_url : b64_std;
	const unsigned char *s = p;
	size_t i, left;
	char q[4];

	for (i = 0; i + 2 < n; i += 3) {
		q[0] = a[s[i] >> 2];
		q[1] = a[(s[i] & 3) << 4 | s[i + 1] >> 4];
		q[2] = a[(s[i + 1] & 15) << 2 | s[i + 2] >> 6];
		q[3] = a[s[i + 2] & 63];
		px_buf_append(out, q, 4);
	}
	left = n - i;
	if (left > 0) {
		q[0] = a[s[i] >> 2];
		q[1] = a[(s[i] & 3) << 4 | (left == 2 ? s[i + 1] >> 4 : 0)];
		q[2] = left == 2 ? a[(s[i + 1] & 15) << 2] : '=';
		q[3] = '=';
		px_buf_append(out, q, (flags & PX_CODEC_B64_PAD) ? 4 : left + 1);
	}
	(void)finish(out);
}

/* The 6-bit value of c in the flags' alphabet (both when lenient), or -1. */
static int b64_val(int c, unsigned flags)
{
	int url = (flags & PX_CODEC_B64_URL) != 0;
	int any = (flags & PX_CODEC_B64_LENIENT) != 0;

	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if ((c == '-' && (url || any)) || (c == '+' && (!url || any)))
		return 62;
	if ((c == '_' && (url || any)) || (c == '/' && (!url || any)))
		return 63;
	return -1;
}

int px_codec_b64_decode(const char *s, size_t n, unsigned flags,
			struct px_buf *out)
{
	int lenient = (flags & PX_CODEC_B64_LENIENT) != 0;
	unsigned acc = 0;
	int bits = 0;
	size_t i;

	if (!lenient) {
		size_t pad = 0;

		while (pad < 2 && n > 0 && s[n - 1] == '=')
			n--, pad++;
		if ((pad && (n + pad) % 4 != 0) || n % 4 == 1)
			return -1;
	}
	for (i = 0; i < n; i++) {
		int v = b64_val((unsigned char)s[i], flags);

		if (v < 0) {
			if (lenient && (s[i] == '=' || s[i] == '\r' || s[i] == '\n'))
				continue;
			return -1;
		}
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			px_buf_putc(out, (char)(acc >> bits & 0xff));
		}
	}
	/* The bits of the last character that fill no byte must be zero:
	 * "Zg" and "Zh" must not both mean "f". */
	if (!lenient && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return finish(out);
}

/* --- percent-encoding ---------------------------------------------------- */

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

void px_codec_pct_encode(struct px_buf *out, const char *s, size_t n,
			 unsigned flags)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unreserved(c) || (c == '/' && (flags & PX_CODEC_PCT_SLASH))) {
			px_buf_putc(out, (char)c);
		} else {
			char e[3] = { '%', hex_upper[c >> 4], hex_upper[c & 15] };

			px_buf_append(out, e, sizeof(e));
		}
	}
	(void)finish(out);
}

int px_codec_pct_decode(const char *s, size_t n, unsigned flags,
			struct px_buf *out)
{
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (n - i < 3 || (b = hex_byte(s + i + 1)) < 0)
				return -1;
			px_buf_putc(out, (char)b);
			i += 2;
		} else if (s[i] == '+' && (flags & PX_CODEC_PCT_PLUS)) {
			px_buf_putc(out, ' ');
		} else {
			px_buf_putc(out, s[i]);
		}
	}
	return finish(out);
}
