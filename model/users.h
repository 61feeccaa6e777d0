/* model/users.h: SQL for accounts. */
#ifndef PX_M_USERS_H
#define PX_M_USERS_H

#include "core/db.h"

/* Inserts an account; *id gets its id. VALIDATION_CONFLICT when the
 * username or e-mail is taken. email may be NULL. */
enum px_err px_m_users_create(struct px_db *db, const char *username,
			      const char *email, const char *display_name,
			      const char *password_hash, const char *role,
			      long long *id) __attribute__((warn_unused_result));
/* Replaces the password hash; VALIDATION_NOT_FOUND when no such user. */
enum px_err px_m_users_set_password(struct px_db *db, const char *username,
				    const char *password_hash)
	__attribute__((warn_unused_result));
/* 1 when the username exists, 0 when not; -1 on database error. */
int px_m_users_exists(struct px_db *db, const char *username);

#endif
