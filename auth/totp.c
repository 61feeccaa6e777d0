/* totp.c: HOTP/TOTP codes, base32, otpauth URIs and QR SVGs. */
#include "auth/totp.h"
#include "core/codec.h"
#include "core/crypto.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <qrencode.h>
#include <stdio.h>
#include <string.h>

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int px_totp_code(enum px_totp_alg alg, const unsigned char *key, size_t klen,
		 uint64_t counter, int digits, char out[9])
{
	const EVP_MD *md = alg == PX_TOTP_SHA256 ? EVP_sha256()
			   : alg == PX_TOTP_SHA512 ? EVP_sha512() : EVP_sha1();
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int len = 0, off, i;
	uint32_t bin, mod = 1;

	if (digits < 6 || digits > 8)
		return -1;
	for (i = 0; i < 8; i++)
		msg[i] = (unsigned char)(counter >> (56 - 8 * i));
	if (!HMAC(md, key, (int)klen, msg, sizeof(msg), mac, &len) || len < 20)
		return -1;
	/* RFC 4226 5.3 dynamic truncation */
	off = mac[len - 1] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	      ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	for (i = 0; i < (unsigned)digits; i++)
		mod *= 10;
	bin %= mod;
	for (i = (unsigned)digits; i-- > 0; bin /= 10)
		out[i] = (char)('0' + bin % 10);
	out[digits] = '\0';
	return 0;
}

long long px_totp_verify(const unsigned char *key, size_t klen, const char *code,
			 time_t now, long long last_step)
{
	long long step = (long long)now / PX_TOTP_STEP, s, hit = -1;
	char want[9];

	if (!code || strlen(code) != PX_TOTP_DIGITS)
		return -1;
	/* every candidate is computed and compared, whether or not one matched */
	for (s = step - PX_TOTP_WINDOW; s <= step + PX_TOTP_WINDOW; s++) {
		if (px_totp_code(PX_TOTP_SHA1, key, klen, (uint64_t)s, PX_TOTP_DIGITS,
				 want) != 0)
			return -1;
		if (px_crypto_memeq(want, code, PX_TOTP_DIGITS) && s > last_step && hit < 0)
			hit = s;
	}
	return hit;
}

void px_base32_encode(struct px_buf *out, const unsigned char *p, size_t n)
{
	unsigned acc = 0;
	int bits = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 5) {
			px_buf_putc(out, b32[(acc >> (bits - 5)) & 31]);
			bits -= 5;
		}
	}
	if (bits > 0)
		px_buf_putc(out, b32[(acc << (5 - bits)) & 31]);
	if (!out->data)
		px_buf_puts(out, "");
}

int px_base32_decode(const char *s, struct px_buf *out)
{
	unsigned acc = 0;
	int bits = 0;
	const char *q;
	char c;

	for (; *s; s++) {
		if (*s == '=' || *s == ' ')
			continue;
		if (!(q = strchr(b32, toupper((unsigned char)*s))) || !*q)
			return -1;
		acc = (acc << 5) | (unsigned)(q - b32);
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			c = (char)((acc >> bits) & 0xff);
			px_buf_append(out, &c, 1);
		}
	}
	if (!out->data)
		px_buf_puts(out, "");
	return out->failed ? -1 : 0;
}

void px_totp_uri(struct px_buf *out, const char *issuer, const char *account,
		 const char *secret_b32)
{
	px_buf_puts(out, "otpauth://totp/");
	px_codec_pct_encode(out, issuer, strlen(issuer), 0);
	px_buf_putc(out, ':');
	px_codec_pct_encode(out, account, strlen(account), 0);
	px_buf_printf(out, "?secret=%s&issuer=", secret_b32);
	px_codec_pct_encode(out, issuer, strlen(issuer), 0);
	px_buf_printf(out, "&algorithm=SHA1&digits=%d&period=%d", PX_TOTP_DIGITS,
		      PX_TOTP_STEP);
}

int px_totp_qr_svg(const char *text, struct px_buf *out)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	int x, y, w, quiet = 4;

	if (!qr)
		return -1;
	w = qr->width + 2 * quiet;
	px_buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\""
			   " width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\">"
			   "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
		      w, w, w * 6, w * 6);
	for (y = 0; y < qr->width; y++)
		for (x = 0; x < qr->width; x++)
			if (qr->data[y * qr->width + x] & 1)
				px_buf_printf(out, "M%d %dh1v1h-1z", x + quiet, y + quiet);
	px_buf_puts(out, "\"/></svg>");
	QRcode_free(qr);
	return out->failed ? -1 : 0;
}
