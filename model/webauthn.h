/* model/webauthn.h: SQL for passkeys: user handles, registered
 * credentials and the single-use challenges (sql/090_webauthn.sql).
 * Byte strings travel as base64url text; challenges as SHA-256 hex. */
#ifndef PX_M_WEBAUTHN_H
#define PX_M_WEBAUTHN_H

#include "core/db.h"

#define PX_M_WA_HANDLE_MAX 64  /* base64url of a 32-byte handle, NUL included */
#define PX_M_WA_ID_MAX 1368    /* base64url of 1023 bytes, NUL included */
#define PX_M_WA_KEY_MAX 1600   /* base64url DER of an RSA-8192 key, NUL included */

struct px_m_wa_cred {
	long long id;
	long long user_id;
	char credential_id[PX_M_WA_ID_MAX];
	char public_key[PX_M_WA_KEY_MAX];
	int alg;
	long long sign_count;
	char name[256];
	char aaguid[40];
	char fmt[8];
	char attestation[8];
	int uv_at_create;
	int backup_state;
	char created_at[40];
	char last_used_at[40]; /* "" when never used */
};

/* The account's user handle, creating it from candidate when it has none
 * (the stored one wins a race). out gets the handle. */
enum px_err px_m_wa_handle_ensure(struct px_db *db, long long uid, const char *candidate,
				  char out[PX_M_WA_HANDLE_MAX])
	__attribute__((nonnull(1), warn_unused_result));
/* The account of a user handle; VALIDATION_NOT_FOUND when unknown. */
enum px_err px_m_wa_handle_user(struct px_db *db, const char *handle, long long *uid)
	__attribute__((nonnull(1), warn_unused_result));

/* Stores a challenge (SHA-256 hex) for purpose ("register", "login",
 * "mfa") and uid (0: none) valid for ttl seconds; drops expired ones. */
enum px_err px_m_wa_challenge_put(struct px_db *db, const char *hash, const char *purpose,
				  long long uid, int ttl)
	__attribute__((nonnull(1), warn_unused_result));
/* Takes (deletes) a live challenge of purpose; *uid gets its account (0:
 * none). VALIDATION_NOT_FOUND when unknown, used, expired or of another
 * purpose. */
enum px_err px_m_wa_challenge_take(struct px_db *db, const char *hash, const char *purpose,
				   long long *uid)
	__attribute__((nonnull(1), warn_unused_result));

/* Stores a new credential of c->user_id and fills in c->id and
 * c->created_at. VALIDATION_CONFLICT when the credential id is registered
 * already. */
enum px_err px_m_wa_cred_add(struct px_db *db, struct px_m_wa_cred *c)
	__attribute__((nonnull, warn_unused_result));
/* The credential with this (base64url) credential id. */
enum px_err px_m_wa_cred_get(struct px_db *db, const char *credential_id,
			     struct px_m_wa_cred *c)
	__attribute__((nonnull(1), warn_unused_result));
/* Calls fn for each credential of uid, oldest first. */
enum px_err px_m_wa_cred_list(struct px_db *db, long long uid,
			      void (*fn)(const struct px_m_wa_cred *c, void *arg), void *arg)
	__attribute__((nonnull(1), warn_unused_result));
/* Number of credentials of uid into *n. */
enum px_err px_m_wa_cred_count(struct px_db *db, long long uid, int *n)
	__attribute__((nonnull(1), warn_unused_result));
/* Renames / removes credential id of uid: VALIDATION_NOT_FOUND when uid
 * has no such credential. */
enum px_err px_m_wa_cred_rename(struct px_db *db, long long id, long long uid,
				const char *name)
	__attribute__((nonnull(1), warn_unused_result));
enum px_err px_m_wa_cred_delete(struct px_db *db, long long id, long long uid)
	__attribute__((nonnull(1), warn_unused_result));
/* Removes every credential of uid (an admin's reset); *n gets the count. */
enum px_err px_m_wa_cred_delete_all(struct px_db *db, long long uid, int *n)
	__attribute__((nonnull(1), warn_unused_result));
/* Records a use: the counter moves from old to new only if it still is
 * old (VALIDATION_CONFLICT when another use came first). */
enum px_err px_m_wa_cred_used(struct px_db *db, long long id, long long old,
			      long long new_count)
	__attribute__((nonnull(1), warn_unused_result));

/* *yes = 1 when uid has a confirmed TOTP secret or a passkey. */
enum px_err px_m_wa_has_factor(struct px_db *db, long long uid, int *yes)
	__attribute__((nonnull(1), warn_unused_result));

#endif
