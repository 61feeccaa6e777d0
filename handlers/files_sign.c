/* files_sign.c: signed download URLs (files_sign.h). Pure but for the
 * configuration it reads: no I/O, no state. */
#include "handlers/files_sign.h"
#include "core/cfg.h"
#include "core/codec.h"
#include "core/crypto.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define PREFIX "px-file-url:v1"
#define B64_MAX 4096 /* characters of t= or d=: a disposition with a long name */

int px_hf_sign_enabled(const struct px_cfg *cfg)
{
	const char *k = px_cfg_str(cfg, "files_url_key");
	size_t n = strlen(k), i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)k[i]) && k[i] != '-' && k[i] != '_')
			return 0;
	return n >= PX_HF_SIGN_KEY_MIN;
}

/* The lower-case hex MAC of the signed fields (t64 and d64 base64url). */
static void mac_hex(const struct px_cfg *cfg, long long fid, const char *hex, long long mtime,
		    long long expires, const char *t64, const char *d64, char out[65])
{
	const char *k = px_cfg_str(cfg, "files_url_key");
	unsigned char mac[PX_SHA256_LEN];
	struct px_buf msg = PX_BUF_INIT;

	px_buf_printf(&msg, PREFIX "\n%lld\n%s\n%lld\n%lld\n%s\n%s", fid, hex, mtime, expires, t64,
		      d64);
	if (msg.failed)
		memset(mac, 0, sizeof(mac)); /* matches no MAC a key makes */
	else
		px_crypto_hmac_sha256(k, strlen(k), msg.data, msg.len, mac);
	px_codec_hex_str(out, mac, sizeof(mac));
	px_buf_free(&msg);
}

int px_hf_sign_url(const struct px_cfg *cfg, long long fid, const char *hex, long long mtime,
		   const char *type, const char *disposition, long long expires,
		   struct px_buf *out)
{
	struct px_buf t = PX_BUF_INIT, d = PX_BUF_INIT;
	char mac[65];
	int rc = -1;

	if (!px_hf_sign_enabled(cfg) || fid <= 0 || !hex || !px_codec_hex_lower_is(hex, 64) ||
	    !type || !disposition || mtime < 0 || expires <= 0)
		return -1;
	px_codec_b64_encode(&t, type, strlen(type), PX_CODEC_B64_URL);
	px_codec_b64_encode(&d, disposition, strlen(disposition), PX_CODEC_B64_URL);
	if (t.failed || d.failed || t.len > B64_MAX || d.len > B64_MAX)
		goto out;
	mac_hex(cfg, fid, hex, mtime, expires, t.data, d.data, mac);
	px_buf_printf(out, "/api/v1/files/%lld/signed?o=%s&m=%lld&e=%lld&t=%s&d=%s&s=%s", fid, hex,
		      mtime, expires, t.data, d.data, mac);
	rc = out->failed ? -1 : 0;
out:
	px_buf_free(&t);
	px_buf_free(&d);
	return rc;
}

/* A decimal 0..10^18-1 without sign or leading junk; -1 otherwise. */
static long long number(const char *s)
{
	long long v = 0;
	size_t i;

	if (!s || !*s || strlen(s) > 18)
		return -1;
	for (i = 0; s[i]; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Decodes base64url s (no padding, at most B64_MAX characters) into out
 * as a header value: no control characters. */
static int header_value(const char *s, struct px_buf *out)
{
	size_t i;

	if (!s || strlen(s) > B64_MAX || strchr(s, '=') ||
	    px_codec_b64_decode(s, strlen(s), PX_CODEC_B64_URL, out) != 0 || out->len == 0)
		return -1;
	for (i = 0; i < out->len; i++)
		if ((unsigned char)out->data[i] < 0x20 || out->data[i] == 0x7f)
			return -1;
	return 0;
}

enum px_err px_hf_sign_check(const struct px_cfg *cfg, long long fid, const char *o,
			     const char *m, const char *e, const char *t, const char *d,
			     const char *s, long long now, struct px_hf_signed *out)
{
	long long mtime = number(m), expires = number(e);
	char want[65], got[65];
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!px_hf_sign_enabled(cfg) || fid <= 0 || !o || !px_codec_hex_lower_is(o, 64) ||
	    mtime < 0 || expires <= 0 || !s || strlen(s) != 64 || header_value(t, &out->type) != 0 ||
	    header_value(d, &out->disposition) != 0)
		return PX_E_FILES_URL_INVALID;
	mac_hex(cfg, fid, o, mtime, expires, t, d, want);
	/* hex of either case, as lighttpd's digest_eq takes it */
	for (i = 0; i < 64; i++)
		got[i] = (char)tolower((unsigned char)s[i]);
	got[64] = '\0';
	if (!px_crypto_memeq(got, want, 64))
		return PX_E_FILES_URL_INVALID;
	if (now > expires)
		return PX_E_FILES_URL_EXPIRED;
	out->fid = fid;
	out->mtime = mtime;
	out->expires = expires;
	memcpy(out->object, o, 65);
	return PX_OK;
}

void px_hf_signed_free(struct px_hf_signed *v)
{
	px_buf_free(&v->type);
	px_buf_free(&v->disposition);
}
