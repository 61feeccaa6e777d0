/* crypto.c: tokens, digests and AES-256-GCM field encryption on
 * OpenSSL 3. Keys derived here live on the stack and are wiped. */
#include "core/crypto.h"
#include "core/cfg.h"
#include "core/codec.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <string.h>

#define GCM_NONCE 12
#define GCM_TAG 16

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
	px_codec_b64_encode(&b, raw, sizeof(raw), PX_CODEC_B64_URL);
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
	unsigned char d[PX_SHA256_LEN];

	px_crypto_sha256(p, n, d);
	px_codec_hex_str(out, d, sizeof(d));
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

enum px_err px_crypto_subkey(const struct px_cfg *cfg, const char *purpose,
			     unsigned char key[32])
{
	unsigned char master[32];

	if (px_codec_hex_decode_fixed(px_cfg_str(cfg, "secret_key"), master, 32) != 0)
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
	px_codec_b64_encode(out, blob, GCM_NONCE + n + GCM_TAG, PX_CODEC_B64_URL);
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
	    px_codec_b64_decode(sealed + 3, strlen(sealed + 3), PX_CODEC_B64_URL, &raw) != 0 ||
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
