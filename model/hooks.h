/* model/hooks.h: SQL for incoming and outgoing webhooks, their bot
 * accounts, bot posts and the durable delivery queue (sql/125_hooks.sql).
 * The caller has checked the channel permission first. */
#ifndef PX_M_HOOKS_H
#define PX_M_HOOKS_H

#include "core/buf.h"
#include "core/db.h"

/* --- incoming ------------------------------------------------------------ */

/* Makes the hook's bot account (display name = name) and the hook, whose
 * secret is known only by token_hash. out gets the hook's JSON
 * {"id","channel_id","name","created_at","last_used_at","bot":{user}}. */
enum px_err px_m_hooks_in_create(struct px_db *db, long long channel, long long creator,
				 const char *name, const char *token_hash,
				 struct px_buf *out)
	__attribute__((nonnull(1, 4, 5, 6), warn_unused_result));
/* {"hooks":[...]} of the channel's live incoming hooks, oldest first. */
enum px_err px_m_hooks_in_list(struct px_db *db, long long channel, struct px_buf *out)
	__attribute__((nonnull(1, 3), warn_unused_result));
/* Revokes hook id of the channel: VALIDATION_NOT_FOUND when there is no
 * such live hook. */
enum px_err px_m_hooks_in_revoke(struct px_db *db, long long channel, long long id)
	__attribute__((nonnull(1), warn_unused_result));

/* A bot's post: props is the JSON object shown beside the bot's name
 * ({"name","icon_url","via"}), or NULL. out gets the message JSON. */
struct px_m_bot_post {
	long long channel, bot;
	const char *kind, *body, *html, *lang, *mentions, *props;
	const char *preview; /* as px_m_post's (model/messages.h); NULL: as usual */
};
enum px_err px_m_hooks_post(struct px_db *db, const struct px_m_bot_post *p,
			    struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));

/* An incoming webhook's post in one round trip (sql/128): the live hook of
 * token_hash posts body/html as its bot with props plus "via". out (may
 * be NULL) gets the message; preview as px_m_post's (NULL: as usual).
 * HOOK_NOT_FOUND, VALIDATION_CHANNEL_ARCHIVED. */
enum px_err px_m_hooks_in_post(struct px_db *db, const char *token_hash, const char *body,
			       const char *html, const char *lang, const char *mentions,
			       const char *props, const char *preview, struct px_buf *out)
	__attribute__((nonnull(1, 2, 3, 4, 5, 6, 7), warn_unused_result));

/* --- outgoing ------------------------------------------------------------ */

struct px_m_hook_out_new {
	long long channel, creator;
	const char *name, *url, *sealed_secret;
	const char *triggers;  /* lower-case words, one per line, or "" */
	const char *events;    /* event kinds, one per line, or "" */
};
/* Makes the hook's bot account and the hook; out gets its JSON
 * {"id","channel_id","name","url","trigger_words","events","created_at",
 * "bot"} (never the secret). */
enum px_err px_m_hooks_out_create(struct px_db *db, const struct px_m_hook_out_new *h,
				  struct px_buf *out)
	__attribute__((nonnull, warn_unused_result));
enum px_err px_m_hooks_out_list(struct px_db *db, long long channel, struct px_buf *out)
	__attribute__((nonnull(1, 3), warn_unused_result));
/* Revokes hook id; its pending deliveries are given up. NOT_FOUND: none. */
enum px_err px_m_hooks_out_revoke(struct px_db *db, long long channel, long long id)
	__attribute__((nonnull(1), warn_unused_result));
/* {"deliveries":[...]} newest first, at most limit: of one hook of the
 * channel (hook > 0; VALIDATION_NOT_FOUND when it is not the channel's),
 * or of every hook (channel = hook = 0, for administrators). */
enum px_err px_m_hooks_deliveries(struct px_db *db, long long channel, long long hook,
				  int limit, struct px_buf *out)
	__attribute__((nonnull(1, 5), warn_unused_result));

/* Claims up to max due deliveries (reminders too: hook_id NULL, channel
 * and reminder bot filled in) for lease_s seconds (FOR UPDATE SKIP
 * LOCKED; attempts counted). *r gets rows of: id, delivery_id, hook_id,
 * channel_id, bot_id, url, secret_sealed, kind, body, attempts and the
 * channel's kind; the
 * caller PQclears it. */
enum px_err px_m_hooks_claim(struct px_db *db, int max, int lease_s, PGresult **r)
	__attribute__((nonnull, warn_unused_result));

/* Queues a reminder: posted into channel after seconds, mentioning user,
 * by the reminder bot (sql/127_reminders.sql). out gets {reminder_id,
 * due_at}. */
enum px_err px_m_hooks_remind(struct px_db *db, long long user, long long channel,
			      const char *text, long long seconds, struct px_buf *out)
	__attribute__((nonnull(1, 4, 6), warn_unused_result));

/* Records the outcomes of attempts: outcomes is a JSON array of
 * {"id", "state" (delivered, pending = retry, failed), "status" (HTTP
 * status or null), "error" (short reason or null), "delay_ms" (when a
 * retry is due)}. */
enum px_err px_m_hooks_finish(struct px_db *db, const char *outcomes)
	__attribute__((nonnull, warn_unused_result));

#endif
