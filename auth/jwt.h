/* jwt.h: verification of compact JWS tokens (OpenID Connect ID tokens)
 * signed with RS256 or ES256 against a JWKS, and the standard claim checks.
 * Other algorithms ("none", HS256, ...) are always refused. */
#ifndef PX_JWT_H
#define PX_JWT_H

#include <time.h>

#include "core/err.h"

struct json_object;

#define PX_JWT_SKEW 60 /* seconds of clock difference tolerated */

/* Verifies the signature of token with the key of jwks ({"keys": [...]})
 * whose kid matches the header's (or the only key of the right type when
 * the header has no kid). On PX_OK *payload is the parsed claims object
 * (the caller puts it with json_object_put). Errors: AUTH_TOKEN_INVALID
 * (malformed, algorithm not allowed, bad signature), VALIDATION_NOT_FOUND
 * (no key with that kid, so the caller may refresh the JWKS and retry). */
enum px_err px_jwt_verify(const char *token, struct json_object *jwks,
			  struct json_object **payload)
	__attribute__((nonnull(1, 3), warn_unused_result));

/* Checks iss equals issuer, aud is or contains audience, exp is in the
 * future, iat not in the future, and nonce (when non-NULL) equals the
 * claim, allowing PX_JWT_SKEW. AUTH_TOKEN_INVALID otherwise. */
enum px_err px_jwt_check_claims(struct json_object *payload, const char *issuer,
				const char *audience, const char *nonce, time_t now)
	__attribute__((nonnull(2, 3), warn_unused_result));

/* The string claim name of payload, or NULL; owned by payload. */
const char *px_jwt_claim_str(struct json_object *payload, const char *name)
	__attribute__((nonnull(2)));

#endif
