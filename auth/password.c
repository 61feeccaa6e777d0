/* password.c: Argon2id hashing and verification. */
#include "auth/password.h"

#include <argon2.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#define SALT_LEN 16
#define HASH_LEN 32

int px_password_hash(const char *pw, size_t n, struct px_buf *out)
{
	unsigned char salt[SALT_LEN];
	char enc[256];
	int rc;

	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return -1;
	rc = argon2id_hash_encoded(PX_PASSWORD_T, PX_PASSWORD_M_KIB, PX_PASSWORD_P,
				   pw, n, salt, sizeof(salt), HASH_LEN, enc,
				   sizeof(enc));
	if (rc != ARGON2_OK)
		return -1;
	px_buf_puts(out, enc);
	return out->failed ? -1 : 0;
}

int px_password_verify(const char *phc, const char *pw, size_t n)
{
	if (!phc || strncmp(phc, "$argon2id$", 10) != 0)
		return 0;
	return argon2id_verify(phc, pw, n) == ARGON2_OK;
}

int px_password_needs_rehash(const char *phc)
{
	char want[64];

	snprintf(want, sizeof(want), "$argon2id$v=19$m=%d,t=%d,p=%d$",
		 PX_PASSWORD_M_KIB, PX_PASSWORD_T, PX_PASSWORD_P);
	return !phc || strncmp(phc, want, strlen(want)) != 0;
}

int px_password_generate(char *out, size_t n)
{
	static const char alphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char r;
	size_t i = 0;

	while (i < n) {
		if (RAND_bytes(&r, 1) != 1)
			return -1;
		/* rejection sampling keeps the distribution uniform */
		if (r >= 256 - 256 % (sizeof(alphabet) - 1))
			continue;
		out[i++] = alphabet[r % (sizeof(alphabet) - 1)];
	}
	out[n] = '\0';
	return 0;
}
