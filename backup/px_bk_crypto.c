/* px_bk_crypto.c: thin, checked wrappers over OpenSSL 3 for the backup. */
#include "backup/px_bk_crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <string.h>

int px_bk_random(void *p, size_t n)
{
	return RAND_bytes(p, (int)n) == 1 ? 0 : -1;
}

void px_bk_sha256(const void *p, size_t n, unsigned char out[PX_BK_HASH_LEN])
{
	unsigned int len = PX_BK_HASH_LEN;

	EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

int px_bk_hmac(const unsigned char key[PX_BK_KEY_LEN], const void *p, size_t n,
	       unsigned char out[PX_BK_HASH_LEN])
{
	unsigned int len = PX_BK_HASH_LEN;

	return HMAC(EVP_sha256(), key, PX_BK_KEY_LEN, p, n, out, &len) ? 0 : -1;
}

int px_bk_hkdf(const void *ikm, size_t ikmlen, const char *label,
	       unsigned char *out, size_t outlen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	int rc = -1;

	if (!ctx)
		return -1;
	if (EVP_PKEY_derive_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm, (int)ikmlen) <= 0 ||
	    EVP_PKEY_CTX_add1_hkdf_info(ctx, (const unsigned char *)label,
					(int)strlen(label)) <= 0 ||
	    EVP_PKEY_derive(ctx, out, &outlen) <= 0)
		goto out;
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* One GCM pass; enc selects sealing. The tag is read from or written to
 * tag. Returns 0, or -1 on any failure including a bad tag. */
static int gcm(int enc, const unsigned char *key, const unsigned char *nonce,
	       const void *aad, size_t aadlen, const unsigned char *in,
	       size_t n, unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len, rc = -1;
	size_t done = 0;

	if (!c)
		return -1;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc) != 1)
		goto out;
	if (aadlen && EVP_CipherUpdate(c, NULL, &len, aad, (int)aadlen) != 1)
		goto out;
	/* int lengths: feed large inputs in slices */
	while (done < n) {
		size_t step = n - done > (1u << 30) ? (1u << 30) : n - done;

		if (EVP_CipherUpdate(c, out + done, &len, in + done,
				     (int)step) != 1)
			goto out;
		done += step;
	}
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG,
					PX_BK_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + n, &len) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG,
				       PX_BK_TAG_LEN, tag) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

int px_bk_seal(const unsigned char key[PX_BK_KEY_LEN],
	       const unsigned char nonce[PX_BK_NONCE_LEN], const void *aad,
	       size_t aadlen, const void *pt, size_t n, unsigned char *out)
{
	return gcm(1, key, nonce, aad, aadlen, pt, n, out, out + n);
}

int px_bk_open(const unsigned char key[PX_BK_KEY_LEN],
	       const unsigned char nonce[PX_BK_NONCE_LEN], const void *aad,
	       size_t aadlen, const unsigned char *ct, size_t n,
	       unsigned char *out)
{
	unsigned char tag[PX_BK_TAG_LEN];

	memcpy(tag, ct + n, PX_BK_TAG_LEN);
	if (gcm(0, key, nonce, aad, aadlen, ct, n, out, tag) != 0) {
		px_crypto_wipe(out, n);
		return -1;
	}
	return 0;
}

