/* crypto.h: the one place PlexiChat does cryptography: random tokens,
 * SHA-256, HMAC, constant-time comparison and the AES-256-GCM
 * field-encryption helper keyed from the config secret_key (the text
 * codecs they use are in core/codec.h).
 * Every function is thread-safe and allocates only into caller buffers. */
#ifndef PX_CRYPTO_H
#define PX_CRYPTO_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

struct px_cfg;

#define PX_SHA256_LEN 32
#define PX_TOKEN_BYTES 32           /* 256-bit session and API tokens */
#define PX_TOKEN_MAX 64             /* "pxs_" + 43 base64url chars + NUL */

/* Fills p with n bytes from RAND_bytes. 0, or -1 when the RNG failed. */
int px_crypto_random(void *p, size_t n) __attribute__((nonnull, warn_unused_result));
/* Writes prefix + base64url(32 random bytes) into out (cap >= PX_TOKEN_MAX).
 * Returns 0 or -1. Example prefix: "pxs_" for sessions. */
int px_crypto_token(const char *prefix, char *out, size_t cap)
	__attribute__((nonnull, warn_unused_result));

void px_crypto_sha256(const void *p, size_t n, unsigned char out[PX_SHA256_LEN])
	__attribute__((nonnull(3)));
/* Lower-case hex of SHA-256(p), 65 bytes with the NUL. Used to store
 * token hashes, never the tokens themselves. */
void px_crypto_sha256_hex(const void *p, size_t n, char out[65])
	__attribute__((nonnull(3)));
void px_crypto_hmac_sha256(const void *key, size_t klen, const void *p,
			   size_t n, unsigned char out[PX_SHA256_LEN])
	__attribute__((nonnull(5)));
/* 1 when a[0..n) equals b[0..n), in time independent of the contents. */
int px_crypto_memeq(const void *a, const void *b, size_t n) __attribute__((nonnull));
/* Constant-time equality of two NUL-terminated strings (length leaks). */
int px_crypto_streq(const char *a, const char *b);
/* Zeroes p in a way the compiler may not drop. */
void px_crypto_wipe(void *p, size_t n);

/* Derives a 32-byte purpose key from the config's secret_key:
 * HMAC-SHA256(secret, purpose). SYSTEM_INTERNAL when secret_key is not
 * 64 hex characters. Distinct purposes never share a key. */
enum px_err px_crypto_subkey(const struct px_cfg *cfg, const char *purpose,
			     unsigned char key[32]) __attribute__((warn_unused_result));

/* Field encryption: AES-256-GCM under the "field:v1" subkey, 96-bit random
 * nonce, the context string bound as additional data (e.g. "totp:42" so a
 * value cannot be moved to another row). Appends "v1." + base64url(nonce |
 * ciphertext | tag) to out. Errors: SYSTEM_INTERNAL (no key, OpenSSL). */
enum px_err px_crypto_seal(const struct px_cfg *cfg, const char *context,
			   const void *plain, size_t n, struct px_buf *out)
	__attribute__((nonnull(1, 2, 5), warn_unused_result));
/* Reverses px_crypto_seal into out. AUTH_TOKEN_INVALID when the value was
 * tampered with, made under another key or another context. */
enum px_err px_crypto_open(const struct px_cfg *cfg, const char *context,
			   const char *sealed, struct px_buf *out)
	__attribute__((nonnull(1, 2, 4), warn_unused_result));

#endif
