/* oidc.h: the relying-party side of OpenID Connect: provider settings from
 * the oidc_providers_file, discovery documents and JWKS fetched with
 * libcurl and cached per issuer (refreshed when a token names an unknown
 * key), the authorization-code exchange and ID-token verification.
 *
 * Provider file (JSON):
 *   {"providers": [{"name": "corp", "label": "Corp SSO",
 *     "issuer": "https://sso.example.org", "client_id": "...",
 *     "client_secret": "...", "scopes": "openid email profile",
 *     "redirect_uri": "(optional; default public_url/api/v1/auth/oidc/NAME/callback)",
 *     "trust_email": false, "auto_register": true}]} */
#ifndef PX_OIDC_H
#define PX_OIDC_H

#include "core/buf.h"
#include "core/err.h"

struct px_cfg;
struct json_object;

struct px_oidc_provider {
	char name[64];
	char label[128];
	char issuer[512];
	char client_id[256];
	char client_secret[256];
	char scopes[256];
	char redirect_uri[600];
	int trust_email;   /* treat the provider's e-mail as verified */
	int auto_register; /* create accounts for unknown subjects */
};

struct px_oidc_meta {
	char authorization_endpoint[600];
	char token_endpoint[600];
	char jwks_uri[600];
};

/* Loads provider `name` from the file. VALIDATION_NOT_FOUND when OIDC is
 * off or there is no such provider; SYSTEM_INTERNAL when the file is bad. */
enum px_err px_oidc_provider(const struct px_cfg *cfg, const char *name,
			     struct px_oidc_provider *p)
	__attribute__((nonnull, warn_unused_result));
/* Appends [{"name":..,"label":..}, ...] for every provider; [] when off. */
void px_oidc_list_json(const struct px_cfg *cfg, struct px_buf *out);

/* The provider's endpoints from its discovery document (cached for an
 * hour). NETWORK_* when it cannot be fetched; NETWORK_BAD_RESPONSE when
 * the document is invalid or names another issuer. */
enum px_err px_oidc_discover(const struct px_oidc_provider *p, struct px_oidc_meta *m)
	__attribute__((nonnull, warn_unused_result));

/* Appends the authorization URL (code flow, PKCE S256) to out. */
void px_oidc_auth_url(const struct px_oidc_provider *p, const struct px_oidc_meta *m,
		      const char *state, const char *nonce, const char *challenge,
		      struct px_buf *out) __attribute__((nonnull));
/* The S256 code challenge of verifier (base64url of SHA-256). */
void px_oidc_challenge(const char *verifier, struct px_buf *out) __attribute__((nonnull));

/* Exchanges code (with the PKCE verifier) for tokens and verifies the ID
 * token: signature against the provider JWKS (refetched once when the kid
 * is unknown), iss, aud, exp, iat and nonce (NULL: not checked). On PX_OK
 * *claims is the ID token's payload (the caller puts it with
 * json_object_put). Errors: AUTH_OIDC_FAILED (refused by
 * the provider), AUTH_TOKEN_INVALID (bad ID token), NETWORK_*. */
enum px_err px_oidc_finish(const struct px_oidc_provider *p, const struct px_oidc_meta *m,
			   const char *code, const char *verifier, const char *nonce,
			   struct json_object **claims)
	__attribute__((nonnull(1, 2, 3, 4, 6), warn_unused_result));

#endif
