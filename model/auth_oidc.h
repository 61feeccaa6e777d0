/* model/auth_oidc.h: SQL for OIDC login states and provider links. */
#ifndef PX_M_AUTH_OIDC_H
#define PX_M_AUTH_OIDC_H

#include "core/db.h"

struct px_m_oidc_state {
	char provider[64];
	char nonce[128];
	char verifier_enc[256];
	char next[512];
};

/* Stores a pending login valid for ten minutes (and sweeps old ones). */
enum px_err px_m_oidc_state_put(struct px_db *db, const char *state_hash,
				const char *provider, const char *nonce,
				const char *verifier_enc, const char *next)
	__attribute__((nonnull(1), warn_unused_result));
/* Takes (deletes and returns) a live pending login; VALIDATION_NOT_FOUND
 * when unknown, already used or expired. */
enum px_err px_m_oidc_state_take(struct px_db *db, const char *state_hash,
				 struct px_m_oidc_state *s)
	__attribute__((nonnull(1), warn_unused_result));
/* The account linked to (provider, subject): *user_id, 0 when none. */
enum px_err px_m_oidc_link_find(struct px_db *db, const char *provider,
				const char *subject, long long *user_id)
	__attribute__((nonnull(1), warn_unused_result));
enum px_err px_m_oidc_link_add(struct px_db *db, const char *provider,
			       const char *subject, long long user_id, const char *email)
	__attribute__((nonnull(1), warn_unused_result));

#endif
