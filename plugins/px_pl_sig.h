/* px_pl_sig.h: Ed25519 (RFC 8032, through OpenSSL) for plugin packages
 * and catalogues. Keys and signatures travel as base64 text (32 and 64
 * bytes); a signature covers the whole file it is next to. */
#ifndef PX_PL_SIG_H
#define PX_PL_SIG_H

#include <stddef.h>

#define PX_PL_KEY_LEN 32
#define PX_PL_SIG_LEN 64

/* Decodes base64 text (standard alphabet, padding optional, surrounding
 * whitespace ignored) of exactly n bytes into out. 0, or -1. */
int px_pl_sig_decode(const char *text, unsigned char *out, size_t n)
	__attribute__((nonnull, warn_unused_result));

/* Whether sig (64 bytes) is pub's (32 bytes) Ed25519 signature of
 * msg[0..len): 1 yes, 0 no (also for a malformed key). */
int px_pl_sig_verify(const unsigned char *pub, const void *msg, size_t len,
		     const unsigned char *sig) __attribute__((nonnull(1, 4)));

/* Signs msg[0..len) with the 32-byte private key seed into sig (64
 * bytes). 0, or -1. For `plexichat-admin plugin sign` and tests. */
int px_pl_sig_sign(const unsigned char *seed, const void *msg, size_t len, unsigned char *sig)
	__attribute__((nonnull(1, 4), warn_unused_result));

/* A new key pair: seed (private, 32 bytes) and pub (32 bytes). 0, or -1. */
int px_pl_sig_keygen(unsigned char *seed, unsigned char *pub)
	__attribute__((nonnull, warn_unused_result));

/* The public key of a private seed. 0, or -1. */
int px_pl_sig_public(const unsigned char *seed, unsigned char *pub)
	__attribute__((nonnull, warn_unused_result));

#endif
