/* model/users.h: SQL for accounts. */
#ifndef PX_M_USERS_H
#define PX_M_USERS_H

#include "core/db.h"

/* One account as the auth code needs it. Strings are NUL-terminated
 * copies; password_hash is empty for accounts without a password. */
struct px_m_user {
	long long id;
	char username[64];
	char email[256];
	char display_name[256];
	char bio[1024];
	char role[16];
	char password_hash[256];
	char created_at[40];
	int deactivated;
	int email_verified;
	int mfa_enabled;
	char avatar[17];   /* version of the avatar (sql/106), "" when none */
};

/* What a new account is made of; email and skeleton may be NULL. */
struct px_m_user_new {
	const char *username;
	const char *skeleton;     /* UTS #39 skeleton (auth/ident.h) */
	const char *email;
	const char *display_name;
	const char *password_hash; /* NULL: no password (OIDC-only) */
	const char *role;
	int email_verified;
};

/* Inserts an account, with the look-alike key of its username
 * (px_ident_fold); *id gets its id. VALIDATION_CONFLICT when the
 * username, its skeleton or the e-mail is taken; SYSTEM_INTERNAL when the
 * key cannot be computed. */
enum px_err px_m_users_create(struct px_db *db, const struct px_m_user_new *n,
			      long long *id)
	__attribute__((nonnull(1), warn_unused_result));
/* Replaces the password hash; VALIDATION_NOT_FOUND when no such user. */
enum px_err px_m_users_set_password(struct px_db *db, const char *username,
				    const char *password_hash)
	__attribute__((nonnull(1), warn_unused_result));
enum px_err px_m_users_set_password_id(struct px_db *db, long long id,
				       const char *password_hash)
	__attribute__((nonnull(1), warn_unused_result));
/* 1 when the username exists, 0 when not; -1 on database error. */
int px_m_users_exists(struct px_db *db, const char *username)
	__attribute__((nonnull(1)));

/* Sets *which to "username", "skeleton" or "email" when an account
 * (other than except_id) already holds that value, else NULL; "skeleton"
 * also when the username's look-alike key (px_ident_fold: "zoe" for
 * "Zoë", "admin" for "adm1n") is an existing account's. username, skeleton
 * and email may be NULL or "" to skip them. */
enum px_err px_m_users_clash(struct px_db *db, const char *username,
			     const char *skeleton, const char *email,
			     long long except_id, const char **which)
	__attribute__((nonnull(1), warn_unused_result));

/* Loads by id, or by username or e-mail (case-insensitive).
 * VALIDATION_NOT_FOUND when there is none. */
enum px_err px_m_users_get(struct px_db *db, long long id, struct px_m_user *u)
	__attribute__((nonnull(1), warn_unused_result));
enum px_err px_m_users_find_login(struct px_db *db, const char *name_or_email,
				  struct px_m_user *u)
	__attribute__((nonnull(1), warn_unused_result));
enum px_err px_m_users_find_email(struct px_db *db, const char *email,
				  struct px_m_user *u)
	__attribute__((nonnull(1), warn_unused_result));

/* Updates display name and bio (NULL keeps the old value). */
enum px_err px_m_users_update_profile(struct px_db *db, long long id,
				      const char *display_name, const char *bio)
	__attribute__((nonnull(1), warn_unused_result));
enum px_err px_m_users_set_email(struct px_db *db, long long id,
				 const char *email, int verified)
	__attribute__((nonnull(1), warn_unused_result));
/* Deactivates (active 0: sets deactivated_at and revokes every session in
 * the same statement) or reactivates an account. */
enum px_err px_m_users_set_active(struct px_db *db, long long id, int active)
	__attribute__((nonnull(1), warn_unused_result));
enum px_err px_m_users_set_role(struct px_db *db, long long id, const char *role)
	__attribute__((nonnull(1), warn_unused_result));

/* Lists active accounts whose username or display name contains q (NULL:
 * all), ordered by username, at most limit from offset. Each row is
 * passed to fn. admin includes deactivated accounts. */
enum px_err px_m_users_list(struct px_db *db, const char *q, int admin,
			    int limit, int offset,
			    void (*fn)(const struct px_m_user *u, void *arg),
			    void *arg) __attribute__((nonnull(1), warn_unused_result));

#endif
