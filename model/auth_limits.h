/* model/auth_limits.h: SQL for the shared abuse counters: token buckets of
 * the general rate limiter and failed-login back-off. Both live in
 * PostgreSQL so every process and node sees the same state. */
#ifndef PX_M_AUTH_LIMITS_H
#define PX_M_AUTH_LIMITS_H

#include "core/db.h"

/* Gives refund unspent tokens back to bucket (class, client), holding at
 * most capacity tokens and refilled at rate tokens per second, then takes
 * up to want whole tokens from it. *granted gets how many were taken (0
 * when refused); *tokens what is left. */
enum px_err px_m_rate_take(struct px_db *db, const char *class_name,
			   const char *client, double capacity, double rate,
			   int want, int refund, int *granted, double *tokens)
	__attribute__((nonnull(1), warn_unused_result));
/* Deletes buckets untouched for an hour (they are full again anyway). */
enum px_err px_m_rate_prune(struct px_db *db)
	__attribute__((nonnull(1), warn_unused_result));
/* Deletes every bucket and every login back-off record (admin "unlock"). */
enum px_err px_m_limits_reset(struct px_db *db)
	__attribute__((nonnull(1), warn_unused_result));

/* Failed-login back-off per key ("user:NAME" or "ip:ADDR"). */
/* *wait gets the seconds until key may try again (0: now). */
enum px_err px_m_login_wait(struct px_db *db, const char *key, long *wait)
	__attribute__((nonnull(1), warn_unused_result));
/* Records a failure: once failures reach free_tries, each further one
 * doubles the lock (base seconds, capped at max seconds). *failures gets
 * the new count and *lock the seconds now locked (0: none). */
enum px_err px_m_login_fail(struct px_db *db, const char *key, int free_tries,
			    long base, long max, int *failures, long *lock)
	__attribute__((nonnull(1), warn_unused_result));
/* Clears the record after a successful login. */
enum px_err px_m_login_clear(struct px_db *db, const char *key)
	__attribute__((nonnull(1), warn_unused_result));

#endif
