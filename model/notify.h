/* model/notify.h: SQL for notifications that leave the app: the per-user
 * delivery settings, e-mail digests (what is due, taking it, the hourly
 * bound), Web Push subscriptions and the server's VAPID key (135_notify). */
#ifndef PX_M_NOTIFY_H
#define PX_M_NOTIFY_H

#include "core/buf.h"
#include "core/db.h"
#include "core/err.h"

/* The delays (minutes) a digest may have; 0 is off. */
#define PX_M_NOTIFY_MAIL_DELAYS { 0, 5, 15, 60, 240, 1440 }

/* {"mail_minutes":n,"push":b,"desktop":b}: user's settings, the defaults
 * when unset (desktop: the web UI's desktop notifications, 116). */
enum px_err px_m_notify_prefs_get(struct px_db *db, long long user, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));
/* Sets what is given: mail_minutes, push or desktop < 0 keep the stored
 * value. VALIDATION_FIELD_FORMAT when mail_minutes is not one of the
 * delays. */
enum px_err px_m_notify_prefs_set(struct px_db *db, long long user, int mail_minutes, int push,
				  int desktop)
	__attribute__((nonnull, warn_unused_result));

/* [{"id","email","username","minutes","lang"}]: up to limit accounts with a
 * digest due: a mention or DM unread, unmailed, not muted and older than
 * the account's delay; no digest within the delay; fewer than per_hour in
 * the last hour; an e-mail address and an active account. */
enum px_err px_m_notify_mail_due(struct px_db *db, int per_hour, int limit, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));
/* Inside a transaction: marks the due items of user mailed and appends
 * them as [{"id","kind","channel_id","channel","channel_kind",
 * "message_id","root_id","author","text","created_at"}] (oldest first),
 * and logs the digest. VALIDATION_NOT_FOUND when nothing is due any more
 * (read meanwhile). A rollback (the mail was not sent) undoes both. */
enum px_err px_m_notify_mail_take(struct px_db *db, long long user, int minutes,
				  struct px_buf *out) __attribute__((nonnull, warn_unused_result));

/* Adds (or moves to user, when another account held the endpoint) a push
 * subscription; *id gets its id. */
enum px_err px_m_push_sub_add(struct px_db *db, long long user, const char *endpoint,
			      const char *p256dh, const char *auth, const char *ua, long long *id)
	__attribute__((nonnull, warn_unused_result));
/* {"subscriptions":[{"id","endpoint","user_agent","created_at","last_ok_at"}]} */
enum px_err px_m_push_sub_list(struct px_db *db, long long user, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));
/* Removes user's subscription id, or (id 0) the one with endpoint.
 * VALIDATION_NOT_FOUND when user has no such subscription. */
enum px_err px_m_push_sub_delete(struct px_db *db, long long user, long long id,
				 const char *endpoint) __attribute__((nonnull(1), warn_unused_result));
/* The push service's answer for subscription id: ok, gone (deleted) or
 * failed (counted; removed after many failures). */
enum px_err px_m_push_sub_result(struct px_db *db, long long id, const char *outcome)
	__attribute__((nonnull, warn_unused_result));
/* Marks up to limit unpushed mentions and DMs pushed and appends the ones
 * to send: [{"n": {an item as px_m_notify_mail_take's}, "lang": the UI
 * language or null, "subs": [{"id","endpoint","p256dh","auth"}]}].
 * Sent only when the user has subscriptions and push on, no open event
 * stream (no tab), the channel is not muted, the message not read, and it
 * is under an hour old; the rest are marked without sending. */
enum px_err px_m_push_take(struct px_db *db, int limit, struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));
/* The stored VAPID key: public (base64url) and sealed private key text.
 * VALIDATION_NOT_FOUND when none was made yet. */
enum px_err px_m_push_vapid_get(struct px_db *db, struct px_buf *pub, struct px_buf *sealed)
	__attribute__((nonnull, warn_unused_result));
/* Stores a key pair unless one exists (the first one made wins). */
enum px_err px_m_push_vapid_put(struct px_db *db, const char *pub, const char *sealed)
	__attribute__((nonnull, warn_unused_result));

#endif
