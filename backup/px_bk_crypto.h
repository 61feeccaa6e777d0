/* px_bk_crypto.h: the backup's cryptographic primitives (OpenSSL 3):
 * random bytes, SHA-256, HMAC-SHA-256, HKDF-SHA-256, AES-256-GCM, hex,
 * constant-time comparison and wiping. Stateless and thread-safe. */
#ifndef PX_BK_CRYPTO_H
#define PX_BK_CRYPTO_H

#include <stddef.h>

#define PX_BK_KEY_LEN 32
#define PX_BK_NONCE_LEN 12
#define PX_BK_TAG_LEN 16
#define PX_BK_HASH_LEN 32

/* Fills p with n bytes from the OpenSSL CSPRNG; 0 or -1. */
int px_bk_random(void *p, size_t n) __attribute__((warn_unused_result));
void px_bk_sha256(const void *p, size_t n, unsigned char out[PX_BK_HASH_LEN]);
/* HMAC-SHA-256 of p under a 32-byte key; 0 or -1. */
int px_bk_hmac(const unsigned char key[PX_BK_KEY_LEN], const void *p, size_t n,
	       unsigned char out[PX_BK_HASH_LEN]) __attribute__((warn_unused_result));
/* HKDF-SHA-256 (RFC 5869, empty salt) of ikm with the label as info,
 * writing outlen bytes; 0 or -1. */
int px_bk_hkdf(const void *ikm, size_t ikmlen, const char *label,
	       unsigned char *out, size_t outlen) __attribute__((warn_unused_result));

/* AES-256-GCM. seal writes n bytes of ciphertext then the 16-byte tag
 * into out (room for n + 16) under nonce, which the caller must have
 * freshly drawn with px_bk_random (never reuse one under a key); pt may
 * be out itself (sealed in place). open reverses it: ct holds n bytes of ciphertext followed by the
 * tag; returns 0, or -1 when authentication fails (out is then wiped). */
int px_bk_seal(const unsigned char key[PX_BK_KEY_LEN],
	       const unsigned char nonce[PX_BK_NONCE_LEN], const void *aad,
	       size_t aadlen, const void *pt, size_t n, unsigned char *out)
	__attribute__((warn_unused_result));
int px_bk_open(const unsigned char key[PX_BK_KEY_LEN],
	       const unsigned char nonce[PX_BK_NONCE_LEN], const void *aad,
	       size_t aadlen, const unsigned char *ct, size_t n,
	       unsigned char *out) __attribute__((warn_unused_result));

/* Hex, constant-time comparison and wiping come from core/crypto.h. */
#include "core/crypto.h"

#endif
