/* model/auth_mfa.h: SQL for TOTP secrets (sealed), recovery codes and
 * trusted devices (hashes only). */
#ifndef PX_M_AUTH_MFA_H
#define PX_M_AUTH_MFA_H

#include "core/db.h"

struct px_m_totp {
	char secret_enc[256];
	int confirmed;
	long long last_step;
	/* the database's clock (Unix seconds): codes are checked against it,
	 * not the node's, so that a node whose clock is off still takes them */
	long long now;
};

/* The database's clock in Unix seconds, for the expiry of sign-in steps
 * that another node may check (its own clock may be off). */
enum px_err px_m_mfa_clock(struct px_db *db, long long *now)
	__attribute__((nonnull(1, 2), warn_unused_result));
/* VALIDATION_NOT_FOUND when the user has no TOTP record. */
enum px_err px_m_mfa_get(struct px_db *db, long long uid, struct px_m_totp *t)
	__attribute__((nonnull(1), warn_unused_result));
/* Stores an unconfirmed secret, replacing an earlier unconfirmed one;
 * VALIDATION_CONFLICT when MFA is already confirmed. */
enum px_err px_m_mfa_put_pending(struct px_db *db, long long uid,
				 const char *secret_enc)
	__attribute__((nonnull(1), warn_unused_result));
/* Records step as used when it is later than the last used one, and
 * marks the secret confirmed. AUTH_MFA_INVALID when the step was already
 * used (replay), also across processes. */
enum px_err px_m_mfa_use_step(struct px_db *db, long long uid, long long step)
	__attribute__((nonnull(1), warn_unused_result));
/* Removes the secret, the recovery codes and the trusted devices. */
enum px_err px_m_mfa_delete(struct px_db *db, long long uid)
	__attribute__((nonnull(1), warn_unused_result));

/* Replaces the recovery codes with n new hashes. */
enum px_err px_m_mfa_codes_replace(struct px_db *db, long long uid,
				   char hashes[][65], int n)
	__attribute__((nonnull(1), warn_unused_result));
/* Uses an unused recovery code; AUTH_MFA_INVALID when there is none. */
enum px_err px_m_mfa_code_use(struct px_db *db, long long uid, const char *hash)
	__attribute__((nonnull(1), warn_unused_result));
/* Number of unused recovery codes, or -1 on error. */
int px_m_mfa_codes_left(struct px_db *db, long long uid)
	__attribute__((nonnull(1)));

enum px_err px_m_devices_create(struct px_db *db, long long uid, const char *hash,
				const char *user_agent, const char *ip, int days)
	__attribute__((nonnull(1), warn_unused_result));
/* 1 when hash is a live trusted device of uid, 0 when not, -1 on error. */
int px_m_devices_check(struct px_db *db, long long uid, const char *hash)
	__attribute__((nonnull(1)));
enum px_err px_m_devices_revoke(struct px_db *db, long long id, long long uid)
	__attribute__((nonnull(1), warn_unused_result));

struct px_m_device {
	long long id;
	char created_at[40];
	char expires_at[40];
	char user_agent[256];
	char ip[64];
};
enum px_err px_m_devices_list(struct px_db *db, long long uid,
			      void (*fn)(const struct px_m_device *d, void *arg),
			      void *arg) __attribute__((nonnull(1), warn_unused_result));

#endif
