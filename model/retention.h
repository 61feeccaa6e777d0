/* model/retention.h: retention policies and legal holds
 * (sql/163_retention.sql): what is due for deletion, deleting it in
 * batches with the events that carried it, per-channel policies, holds. */
#ifndef PX_M_RETENTION_H
#define PX_M_RETENTION_H

#include "core/buf.h"
#include "core/db.h"
#include "core/err.h"

/* {"due": N, "channels": [{"channel_id", "name", "due"}]}: what a run with
 * the instance's default_days would delete now. */
enum px_err px_m_retention_due(struct px_db *db, int default_days, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));

/* Deletes up to batch due messages (with their reactions, edits, files'
 * links and the events that carried them) in one transaction; *deleted
 * gets how many. Call until it is 0. */
enum px_err px_m_retention_delete(struct px_db *db, int default_days, int batch, long *deleted)
	__attribute__((nonnull, warn_unused_result));

/* Sets the policy of channel (an id or a name): days >= 0, or -1 for the
 * instance's. VALIDATION_NOT_FOUND when there is no such channel. */
enum px_err px_m_retention_channel(struct px_db *db, const char *channel, int days)
	__attribute__((nonnull, warn_unused_result));

/* A hold on channel (id or name) or on user (a username); *id gets its
 * id. VALIDATION_NOT_FOUND when the channel or user does not exist. */
enum px_err px_m_legal_hold_add(struct px_db *db, const char *channel, const char *user,
				const char *reason, long long *id)
	__attribute__((nonnull(1, 4, 5), warn_unused_result));
/* Releases hold id; VALIDATION_NOT_FOUND when no such active hold. */
enum px_err px_m_legal_hold_release(struct px_db *db, long long id)
	__attribute__((nonnull, warn_unused_result));

/* {"channels": [{"channel_id", "name", "retention_days"}] with a policy of
 * their own, "holds": [{"id", "channel", "user", "reason", "created_at"}]
 * active ones}. */
enum px_err px_m_retention_status(struct px_db *db, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));

#endif
