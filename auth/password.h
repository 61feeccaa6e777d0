/* password.h: password hashing with Argon2id (libargon2), PHC strings.
 * Parameters are at least OWASP's: 19 MiB, 2 iterations, 1 lane. */
#ifndef PX_PASSWORD_H
#define PX_PASSWORD_H

#include <stddef.h>

#include "core/buf.h"

#define PX_PASSWORD_M_KIB 19456
#define PX_PASSWORD_T 2
#define PX_PASSWORD_P 1

/* Hashes pw with a fresh random salt into out as a PHC string
 * ($argon2id$v=19$m=...,t=...,p=...$salt$hash). Returns 0 or -1. */
int px_password_hash(const char *pw, size_t n, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));
/* 1 when pw matches the PHC string, 0 when not or malformed (phc NULL: an
 * account without a password, never a match). The hash is compared in
 * constant time by libargon2. */
int px_password_verify(const char *phc, const char *pw, size_t n)
	__attribute__((nonnull(2)));
/* 1 when phc (NULL: none) was made with parameters other than the current
 * ones. */
int px_password_needs_rehash(const char *phc);
/* Writes a random password of n characters from an unambiguous alphabet;
 * out must hold n + 1 bytes. Returns 0 or -1. */
int px_password_generate(char *out, size_t n) __attribute__((nonnull, warn_unused_result));

#endif
