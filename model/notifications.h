/* model/notifications.h: SQL for a user's notifications (mentions, DMs,
 * replies to followed threads) and their read state. */
#ifndef PX_M_NOTIFICATIONS_H
#define PX_M_NOTIFICATIONS_H

#include "core/buf.h"
#include "core/db.h"

/* {"notifications":[...newest first],"unread_count":n,"has_more":b}; only
 * notifications of channels user still belongs to. before = 0: newest. */
enum px_err px_m_notifications_list(struct px_db *db, long long user, int unread_only,
				    long long before, int limit, struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));
/* Marks the listed ids (ids_csv "1,2,3") or, when ids_csv is NULL, all of
 * user's notifications read; out gets {"marked":n,"unread_count":m}. */
enum px_err px_m_notifications_read(struct px_db *db, long long user,
				    const char *ids_csv, struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));
/* The same for one notification of user; VALIDATION_NOT_FOUND when user
 * has no notification id. */
enum px_err px_m_notifications_read_one(struct px_db *db, long long user, long long id,
					struct px_buf *out)
	__attribute__((nonnull(1), warn_unused_result));

#endif
