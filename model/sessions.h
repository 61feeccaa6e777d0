/* model/sessions.h: SQL for login sessions and personal access tokens.
 * Tokens are never stored; callers pass the SHA-256 hex of the token. */
#ifndef PX_M_SESSIONS_H
#define PX_M_SESSIONS_H

#include "core/ctx.h"
#include "core/db.h"

/* The principal behind a token, as the middleware needs it. */
struct px_m_auth {
	long long user_id;
	long long session_id;   /* sessions: the session; tokens: the token id */
	char role[16];
	char username[64];
	int deactivated;
	int expired;            /* past absolute or idle expiry */
	int stale;              /* last use recorded over a minute ago */
	unsigned scopes;        /* tokens only */
	struct px_chan_access chan; /* the user's standing in the channel asked
				     * about (sys unset); channel_id 0: none */
};

struct px_m_session {
	long long id;
	char created_at[40];
	char last_used_at[40];
	char expires_at[40];
	char user_agent[256];
	char ip[64];
};

/* Creates a session for user_id expiring after max_age seconds; *id gets
 * the session id. */
enum px_err px_m_sessions_create(struct px_db *db, long long user_id,
				 const char *token_hash, long long max_age,
				 const char *user_agent, const char *ip,
				 long long *id)
	__attribute__((nonnull(1), warn_unused_result));
/* Looks up a live (not revoked) session by token hash, and the user's
 * standing in channel (0: none) in the same query. idle is the idle
 * timeout in seconds. VALIDATION_NOT_FOUND when there is none. */
enum px_err px_m_sessions_lookup(struct px_db *db, const char *token_hash,
				 long long idle, long long channel, struct px_m_auth *a)
	__attribute__((nonnull(1), warn_unused_result));
/* Records a use now from ip. */
enum px_err px_m_sessions_touch(struct px_db *db, long long id, const char *ip)
	__attribute__((nonnull(1), warn_unused_result));
/* Revokes one session of user_id (user_id 0: of anyone).
 * VALIDATION_NOT_FOUND when it is not live. */
enum px_err px_m_sessions_revoke(struct px_db *db, long long id, long long user_id)
	__attribute__((nonnull(1), warn_unused_result));
/* Revokes every live session of user_id except keep (0: none); *n gets
 * the count (may be NULL). */
enum px_err px_m_sessions_revoke_all(struct px_db *db, long long user_id,
				     long long keep, int *n)
	__attribute__((nonnull(1), warn_unused_result));
/* Calls fn for each live session of user_id, newest use first. */
enum px_err px_m_sessions_list(struct px_db *db, long long user_id, long long idle,
			       void (*fn)(const struct px_m_session *s, void *arg),
			       void *arg) __attribute__((nonnull(1), warn_unused_result));

/* Personal access tokens. expires_days 0: no expiry. */
enum px_err px_m_tokens_create(struct px_db *db, long long user_id,
			       const char *name, const char *token_hash,
			       unsigned scopes, int expires_days, long long *id)
	__attribute__((nonnull(1), warn_unused_result));
/* The same for a personal access token. */
enum px_err px_m_tokens_lookup(struct px_db *db, const char *token_hash, long long channel,
			       struct px_m_auth *a)
	__attribute__((nonnull(1), warn_unused_result));
enum px_err px_m_tokens_touch(struct px_db *db, long long id)
	__attribute__((nonnull(1), warn_unused_result));
enum px_err px_m_tokens_revoke(struct px_db *db, long long id, long long user_id)
	__attribute__((nonnull(1), warn_unused_result));

struct px_m_token {
	long long id;
	char name[128];
	unsigned scopes;
	char created_at[40];
	char last_used_at[40];
	char expires_at[40];
};
enum px_err px_m_tokens_list(struct px_db *db, long long user_id,
			     void (*fn)(const struct px_m_token *t, void *arg),
			     void *arg) __attribute__((nonnull(1), warn_unused_result));

#endif
