/* model/auth_invites.h: SQL for invites and password-reset tokens. Codes
 * are passed in as SHA-256 hex; the codes themselves are never stored. */
#ifndef PX_M_AUTH_INVITES_H
#define PX_M_AUTH_INVITES_H

#include "core/db.h"

/* Creates an invite valid for ttl seconds; email may be NULL (anyone). */
enum px_err px_m_invites_create(struct px_db *db, const char *code_hash,
				long long created_by, const char *email,
				const char *role, long long ttl, long long *id)
	__attribute__((nonnull(1), warn_unused_result));
/* Marks the invite used by user_id when it is unused, unexpired and (if it
 * names an e-mail) issued for email; role (16 bytes) gets its role.
 * AUTH_INVITE_INVALID otherwise. Run inside the registering transaction. */
enum px_err px_m_invites_consume(struct px_db *db, const char *code_hash,
				 const char *email, char role[16])
	__attribute__((nonnull(1), warn_unused_result));
enum px_err px_m_invites_mark_used(struct px_db *db, const char *code_hash,
				   long long user_id)
	__attribute__((nonnull(1), warn_unused_result));

/* Creates a reset token for user_id valid for ttl seconds. */
enum px_err px_m_resets_create(struct px_db *db, long long user_id,
			       const char *token_hash, long long ttl)
	__attribute__((nonnull(1), warn_unused_result));
/* Looks at a reset token without using it: PX_OK and *user_id for a live
 * one; AUTH_TOKEN_INVALID with *why "used", "expired" or "unknown" (no
 * such token) otherwise. *why is a static string ("" when live). */
enum px_err px_m_resets_peek(struct px_db *db, const char *token_hash,
			     long long *user_id, const char **why)
	__attribute__((nonnull, warn_unused_result));
/* Uses a live reset token: *user_id gets its account. AUTH_TOKEN_INVALID
 * when it is unknown, used or expired. Every other token of the account
 * is used up as well. */
enum px_err px_m_resets_consume(struct px_db *db, const char *token_hash,
				long long *user_id)
	__attribute__((nonnull(1), warn_unused_result));

#endif
