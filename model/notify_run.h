/* model/notify_run.h: one pass of the notification sender: e-mail digests
 * of mentions and DMs left unread, then Web Push for those that arrive
 * while the user has no tab open. Run by plexichat.fcgi's notifier thread
 * (notify_interval_seconds) and by `plexichat-admin notify` (cron). Lives
 * in model/ as model/files_gc.c does: it orders SQL steps around work done
 * outside the database (SMTP, push services). */
#ifndef PX_M_NOTIFY_RUN_H
#define PX_M_NOTIFY_RUN_H

#include "core/buf.h"
#include "core/db.h"
#include "core/err.h"

struct px_cfg;

struct px_m_notify_stats {
	int ran;          /* 0: another process held the pass lock */
	int digests;      /* mails sent */
	int mailed;       /* notifications in them */
	int mail_failed;  /* digests whose mail failed (kept for the next pass) */
	int pushed;       /* push messages accepted by a push service */
	int push_failed;  /* refused or unreachable */
};

/* One pass. Only one process runs a pass at a time (a PostgreSQL advisory
 * lock; the others return PX_OK with st->ran 0). Mail is sent inside the
 * transaction that marks its items, so a failed send leaves them for the
 * next pass (at least once: a crash between the SMTP answer and the commit
 * can mail them again). Errors: SYSTEM_DB_UNAVAILABLE and the like. */
enum px_err px_m_notify_run(struct px_db *db, const struct px_cfg *cfg,
			    struct px_m_notify_stats *st) __attribute__((nonnull, warn_unused_result));

/* Appends the server's VAPID public key (base64url, for the browser's
 * applicationServerKey), making the key pair on first use. */
enum px_err px_m_notify_vapid_public(struct px_db *db, const struct px_cfg *cfg,
				     struct px_buf *out) __attribute__((nonnull, warn_unused_result));

/* The signed one-click unsubscribe token of user (base64url of an HMAC
 * under the "notify-unsubscribe" subkey) into out. SYSTEM_INTERNAL
 * without a secret_key. */
#define PX_M_UNSUB_TOKEN_MAX 48
enum px_err px_m_notify_unsub_token(const struct px_cfg *cfg, long long user,
				    char out[PX_M_UNSUB_TOKEN_MAX])
	__attribute__((nonnull, warn_unused_result));
/* 1 when token is user's unsubscribe token (constant-time compare). */
int px_m_notify_unsub_valid(const struct px_cfg *cfg, long long user, const char *token)
	__attribute__((nonnull(1)));

#endif
