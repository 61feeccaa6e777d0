/* px_pl_sig.c: Ed25519 through OpenSSL's EVP interface (PureEdDSA: the
 * message is passed whole, no digest). Private seeds are wiped after use. */
#include "plugins/px_pl_sig.h"

#include "core/buf.h"
#include "core/codec.h"
#include "core/crypto.h"

#include <ctype.h>
#include <string.h>
#include <openssl/evp.h>

int px_pl_sig_decode(const char *text, unsigned char *out, size_t n)
{
	struct px_buf b = PX_BUF_INIT;
	size_t len = strlen(text);
	int rc = -1;

	while (len && isspace((unsigned char)text[len - 1]))
		len--;
	while (len && isspace((unsigned char)*text)) {
		text++;
		len--;
	}
	if (px_codec_b64_decode(text, len, PX_CODEC_B64, &b) == 0 && !b.failed && b.len == n) {
		memcpy(out, b.data, n);
		rc = 0;
	}
	if (b.data)
		px_crypto_wipe(b.data, b.len);
	px_buf_free(&b);
	return rc;
}

int px_pl_sig_verify(const unsigned char *pub, const void *msg, size_t len,
		     const unsigned char *sig)
{
	EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, PX_PL_KEY_LEN);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = 0;

	if (k && c && EVP_DigestVerifyInit(c, NULL, NULL, NULL, k) == 1)
		ok = EVP_DigestVerify(c, sig, PX_PL_SIG_LEN, msg ? msg : (const void *)"", len) == 1;
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(k);
	return ok;
}

int px_pl_sig_sign(const unsigned char *seed, const void *msg, size_t len, unsigned char *sig)
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, PX_PL_KEY_LEN);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t n = PX_PL_SIG_LEN;
	int rc = -1;

	if (k && c && EVP_DigestSignInit(c, NULL, NULL, NULL, k) == 1 &&
	    EVP_DigestSign(c, sig, &n, msg ? msg : (const void *)"", len) == 1 && n == PX_PL_SIG_LEN)
		rc = 0;
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(k);
	return rc;
}

int px_pl_sig_public(const unsigned char *seed, unsigned char *pub)
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, PX_PL_KEY_LEN);
	size_t n = PX_PL_KEY_LEN;
	int rc = k && EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == PX_PL_KEY_LEN ? 0 : -1;

	EVP_PKEY_free(k);
	return rc;
}

int px_pl_sig_keygen(unsigned char *seed, unsigned char *pub)
{
	if (px_crypto_random(seed, PX_PL_KEY_LEN) != 0 || px_pl_sig_public(seed, pub) != 0) {
		px_crypto_wipe(seed, PX_PL_KEY_LEN);
		return -1;
	}
	return 0;
}
