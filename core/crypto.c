/* crypto.c: tokens, digests, codecs and AES-256-GCM field encryption on
 * OpenSSL 3. Keys derived here live on the stack and are wiped. */
#include "core/crypto.h"
#include "core/cfg.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <string.h>

#define GCM_NONCE 12
#define GCM_TAG 16

static const char b64u[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int px_crypto_random(void *p, size_t n)
{
	return RAND_bytes(p, (int)n) == 1 ? 0 : -1;
}

int px_crypto_token(const char *prefix, char *out, size_t cap)
{
	unsigned char raw[PX_TOKEN_BYTES];
	struct px_buf b = PX_BUF_INIT;
	int rc = -1;

	if (px_crypto_random(raw, sizeof(raw)) != 0)
		goto out;
	px_buf_puts(&b, prefix);
	px_crypto_b64url(&b, raw, sizeof(raw));
	if (b.failed || b.len >= cap)
		goto out;
	memcpy(out, b.data, b.len + 1);
	rc = 0;
out:
	px_crypto_wipe(raw, sizeof(raw));
	if (b.data)
		px_crypto_wipe(b.data, b.len);
	px_buf_free(&b);
	return rc;
}

/* SHA-256 fetched once: OpenSSL 3 otherwise looks the algorithm up (under
 * a lock shared by all threads) on every one-shot call, and every request
 * hashes its token. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void px_crypto_sha256(const void *p, size_t n, unsigned char out[PX_SHA256_LEN])
{
	pthread_once(&sha256_once, sha256_fetch);
	if (!sha256_md || !EVP_Digest(p, n, out, NULL, sha256_md, NULL))
		SHA256(p, n, out);
}

void px_crypto_sha256_hex(const void *p, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[PX_SHA256_LEN];
	int i;

	px_crypto_sha256(p, n, d);
	for (i = 0; i < PX_SHA256_LEN; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

void px_crypto_hmac_sha256(const void *key, size_t klen, const void *p,
			   size_t n, unsigned char out[PX_SHA256_LEN])
{
	unsigned int len = PX_SHA256_LEN;

	if (!HMAC(EVP_sha256(), key, (int)klen, p, n, out, &len))
		memset(out, 0, PX_SHA256_LEN);
}

int px_crypto_memeq(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int px_crypto_streq(const char *a, const char *b)
{
	size_t n;

	if (!a || !b)
		return 0;
	n = strlen(a);
	return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

void px_crypto_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}

void px_crypto_b64url(struct px_buf *out, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;
	char q[4];

	for (i = 0; i + 2 < n; i += 3) {
		q[0] = b64u[s[i] >> 2];
		q[1] = b64u[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		q[2] = b64u[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
		q[3] = b64u[s[i + 2] & 63];
		px_buf_append(out, q, 4);
	}
	if (n - i == 1) {
		q[0] = b64u[s[i] >> 2];
		q[1] = b64u[(s[i] & 3) << 4];
		px_buf_append(out, q, 2);
	} else if (n - i == 2) {
		q[0] = b64u[s[i] >> 2];
		q[1] = b64u[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		q[2] = b64u[(s[i + 1] & 15) << 2];
		px_buf_append(out, q, 3);
	}
	if (!out->data)
		px_buf_puts(out, "");
}

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '+')
		return 62;
	if (c == '_' || c == '/')
		return 63;
	return -1;
}

int px_crypto_b64url_decode(const char *s, size_t n, struct px_buf *out)
{
	unsigned acc = 0;
	int bits = 0, v;
	size_t i;
	char c;

	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((v = b64_val(s[i])) < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
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

void px_crypto_hex_str(const void *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[s[i] >> 4];
		out[2 * i + 1] = hex[s[i] & 15];
	}
	out[2 * n] = '\0';
}

void px_crypto_hex(struct px_buf *out, const void *p, size_t n)
{
	if (px_buf_reserve(out, 2 * n) != 0)
		return;
	px_crypto_hex_str(p, n, out->data + out->len);
	out->len += 2 * n;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int px_crypto_hex_decode(const char *s, unsigned char *out, size_t n)
{
	size_t i;
	int hi, lo;

	if (!s || strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		hi = hexval(s[2 * i]);
		lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

enum px_err px_crypto_subkey(const struct px_cfg *cfg, const char *purpose,
			     unsigned char key[32])
{
	unsigned char master[32];

	if (px_crypto_hex_decode(px_cfg_str(cfg, "secret_key"), master, 32) != 0)
		return PX_E_SYSTEM_INTERNAL;
	px_crypto_hmac_sha256(master, sizeof(master), purpose, strlen(purpose), key);
	px_crypto_wipe(master, sizeof(master));
	return PX_OK;
}

/* One AES-256-GCM pass; enc 1 seals, 0 opens (tag checked). 0 or -1. */
static int gcm(int enc, const unsigned char key[32], const unsigned char *nonce,
	       const char *aad, const unsigned char *in, int n,
	       unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, rc = -1;

	if (!c || EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc) != 1)
		goto out;
	if (EVP_CipherUpdate(c, NULL, &len, (const unsigned char *)aad,
			     (int)strlen(aad)) != 1 ||
	    EVP_CipherUpdate(c, out, &len, in, n) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + len, &len) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG, tag) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

enum px_err px_crypto_seal(const struct px_cfg *cfg, const char *context,
			   const void *plain, size_t n, struct px_buf *out)
{
	unsigned char key[32], *blob = NULL;
	enum px_err e;

	if ((e = px_crypto_subkey(cfg, "field:v1", key)) != PX_OK)
		return e;
	e = PX_E_SYSTEM_INTERNAL;
	if (n > 1 << 20 || !(blob = OPENSSL_malloc(GCM_NONCE + n + GCM_TAG)))
		goto out;
	if (px_crypto_random(blob, GCM_NONCE) != 0 ||
	    gcm(1, key, blob, context, plain, (int)n, blob + GCM_NONCE,
		blob + GCM_NONCE + n) != 0)
		goto out;
	px_buf_puts(out, "v1.");
	px_crypto_b64url(out, blob, GCM_NONCE + n + GCM_TAG);
	e = out->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
out:
	px_crypto_wipe(key, sizeof(key));
	OPENSSL_free(blob);
	return e;
}

enum px_err px_crypto_open(const struct px_cfg *cfg, const char *context,
			   const char *sealed, struct px_buf *out)
{
	struct px_buf raw = PX_BUF_INIT;
	unsigned char key[32], *plain = NULL;
	enum px_err e;
	size_t n;

	if ((e = px_crypto_subkey(cfg, "field:v1", key)) != PX_OK)
		return e;
	e = PX_E_AUTH_TOKEN_INVALID;
	if (!sealed || strncmp(sealed, "v1.", 3) != 0 ||
	    px_crypto_b64url_decode(sealed + 3, strlen(sealed + 3), &raw) != 0 ||
	    raw.len < GCM_NONCE + GCM_TAG)
		goto out;
	n = raw.len - GCM_NONCE - GCM_TAG;
	if (!(plain = OPENSSL_malloc(n + 1))) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	if (gcm(0, key, (unsigned char *)raw.data, context,
		(unsigned char *)raw.data + GCM_NONCE, (int)n, plain,
		(unsigned char *)raw.data + GCM_NONCE + n) != 0)
		goto out;
	px_buf_append(out, plain, n);
	e = out->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
out:
	px_crypto_wipe(key, sizeof(key));
	if (plain) {
		px_crypto_wipe(plain, n);
		OPENSSL_free(plain);
	}
	px_buf_free(&raw);
	return e;
}
