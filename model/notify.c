/* model/notify.c: statements behind e-mail digests and Web Push (see
 * notify.h). "Unread" means both: the notification is not marked read and
 * the channel was not read past its message (channel_members.last_read_id),
 * so reading a channel in any tab stops its mail and push. */
#include "model/notify.h"
#include "model/rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum px_err px_m_notify_prefs_get(struct px_db *db, long long user, struct px_buf *out)
{
	char u[PX_M_LL];
	const char *p[1] = { px_m_ll(u, user) };

	return px_m_json_row(db, "notify_prefs_get",
		"SELECT json_build_object('mail_minutes', coalesce(p.mail_minutes, 0),"
		" 'push', coalesce(p.push, true), 'desktop', coalesce(d.enabled, true))"
		" FROM (SELECT $1::bigint AS id) x"
		" LEFT JOIN notify_prefs p ON p.user_id = x.id"
		" LEFT JOIN notify_desktop d ON d.user_id = x.id", 1, p, out);
}

enum px_err px_m_notify_prefs_set(struct px_db *db, long long user, int mail_minutes, int push,
				  int desktop)
{
	static const int delays[] = PX_M_NOTIFY_MAIL_DELAYS;
	char u[PX_M_LL], m[PX_M_LL], b[PX_M_LL], d[PX_M_LL];
	const char *p[4] = { px_m_ll(u, user), NULL, NULL, NULL };
	size_t i;
	int ok = mail_minutes < 0;

	for (i = 0; i < sizeof(delays) / sizeof(delays[0]); i++)
		ok |= delays[i] == mail_minutes;
	if (!ok)
		return PX_E_VALIDATION_FIELD_FORMAT;
	if (mail_minutes >= 0)
		p[1] = px_m_ll(m, mail_minutes);
	if (push >= 0)
		p[2] = px_m_ll(b, push);
	if (desktop >= 0)
		p[3] = px_m_ll(d, desktop);
	/* one statement: both tables change together or not at all */
	return px_m_exec_rows(db, "notify_prefs_set",
		"WITH d AS (INSERT INTO notify_desktop (user_id, enabled)"
		" SELECT $1, $4::int = 1 WHERE $4::int IS NOT NULL ON CONFLICT (user_id)"
		" DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = now())"
		" INSERT INTO notify_prefs (user_id, mail_minutes, push) VALUES ($1,"
		" coalesce($2::int, 0), coalesce($3::int, 1) = 1) ON CONFLICT (user_id) DO UPDATE"
		" SET mail_minutes = coalesce($2::int, notify_prefs.mail_minutes),"
		" push = coalesce($3::int = 1, notify_prefs.push), updated_at = now()", 4, p, NULL);
}

/* A notification still worth telling about: unread, not muted, and its
 * message not deleted meanwhile. */
#define PENDING(n, cm) \
	" " n ".read_at IS NULL AND " n ".kind IN ('mention', 'dm')" \
	" AND " n ".message_id > " cm ".last_read_id AND NOT " cm ".muted" \
	" AND (SELECT dm.deleted_at FROM messages dm WHERE dm.id = " n ".message_id) IS NULL"

enum px_err px_m_notify_mail_due(struct px_db *db, int per_hour, int limit, struct px_buf *out)
{
	char h[PX_M_LL], l[PX_M_LL];
	const char *p[2] = { px_m_ll(h, per_hour), px_m_ll(l, limit) };
	enum px_err e;

	/* the log only serves the last hour and the longest delay */
	e = px_m_exec_rows(db, "notify_mail_prune",
			   "DELETE FROM notify_mail_log WHERE sent_at < now() - interval '2 days'",
			   0, NULL, NULL);
	if (e != PX_OK)
		return e;
	return px_m_json_row(db, "notify_mail_due",
		"SELECT coalesce(json_agg(json_build_object('id', d.id, 'email', d.email,"
		" 'username', d.username, 'minutes', d.mail_minutes, 'lang', d.lang) ORDER BY d.id),"
		" '[]') FROM (SELECT u.id, u.email::text, u.username::text, p.mail_minutes,"
		" coalesce(w.lang, '') AS lang FROM notify_prefs p JOIN users u ON u.id = p.user_id"
		" LEFT JOIN web_prefs w ON w.user_id = u.id"
		" WHERE p.mail_minutes > 0 AND u.email IS NOT NULL AND u.email <> ''"
		" AND u.deactivated_at IS NULL"
		" AND EXISTS (SELECT 1 FROM notifications n JOIN channel_members cm"
		" ON cm.channel_id = n.channel_id AND cm.user_id = n.user_id"
		" WHERE n.user_id = u.id AND n.mailed_at IS NULL AND" PENDING("n", "cm")
		" AND n.created_at <= now() - make_interval(mins => p.mail_minutes))"
		" AND NOT EXISTS (SELECT 1 FROM notify_mail_log g WHERE g.user_id = u.id"
		" AND g.sent_at > now() - make_interval(mins => p.mail_minutes))"
		" AND (SELECT count(*) FROM notify_mail_log g WHERE g.user_id = u.id"
		" AND g.sent_at > now() - interval '1 hour') < $1::int"
		" ORDER BY u.id LIMIT $2::int) d", 2, p, out);
}

/* The JSON of one notification row n with its message m, channel c and
 * the author's name. */
#define ITEM_JSON \
	"json_build_object('id', n.id, 'kind', n.kind, 'channel_id', c.id," \
	" 'channel', coalesce(c.name::text, ''), 'channel_kind', c.kind," \
	" 'message_id', m.id, 'root_id', m.thread_root_id," \
	" 'author', coalesce(nullif(a.display_name, ''), a.username::text, '')," \
	" 'text', left(m.body, 280), 'created_at', n.created_at)"

enum px_err px_m_notify_mail_take(struct px_db *db, long long user, int minutes,
				  struct px_buf *out)
{
	char u[PX_M_LL], m[PX_M_LL];
	const char *p[2] = { px_m_ll(u, user), px_m_ll(m, minutes) };
	size_t before = out->len;
	enum px_err e;

	e = px_m_json_row(db, "notify_mail_take",
		"WITH t AS (UPDATE notifications n SET mailed_at = now()"
		" FROM channel_members cm WHERE cm.channel_id = n.channel_id"
		" AND cm.user_id = n.user_id AND n.user_id = $1 AND n.mailed_at IS NULL"
		" AND" PENDING("n", "cm") " AND n.created_at <= now() - make_interval(mins => $2::int)"
		" RETURNING n.*), g AS (INSERT INTO notify_mail_log (user_id, items)"
		" SELECT $1, count(*) FROM t HAVING count(*) > 0 RETURNING 1)"
		" SELECT json_agg(" ITEM_JSON " ORDER BY n.id) FROM t n"
		" JOIN messages m ON m.id = n.message_id JOIN channels c ON c.id = n.channel_id"
		" LEFT JOIN users a ON a.id = m.author_id WHERE (SELECT count(*) FROM g) > 0",
		2, p, out);
	if (e != PX_OK)
		px_buf_truncate(out, before);
	return e;
}

enum px_err px_m_push_sub_add(struct px_db *db, long long user, const char *endpoint,
			      const char *p256dh, const char *auth, const char *ua, long long *id)
{
	char u[PX_M_LL];
	const char *p[5] = { px_m_ll(u, user), endpoint, p256dh, auth, ua };
	PGresult *r = NULL;
	enum px_err e;

	e = px_m_one_row(db, "push_sub_add",
		"INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, user_agent)"
		" VALUES ($1, $2, $3, $4, $5) ON CONFLICT (endpoint) DO UPDATE SET"
		" user_id = $1, p256dh = $3, auth = $4, user_agent = $5, failures = 0,"
		" created_at = now() RETURNING id", 5, p, &r);
	if (e != PX_OK)
		return e;
	*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_push_sub_list(struct px_db *db, long long user, struct px_buf *out)
{
	char u[PX_M_LL];
	const char *p[1] = { px_m_ll(u, user) };

	return px_m_json_row(db, "push_sub_list",
		"SELECT json_build_object('subscriptions', coalesce(json_agg(json_build_object("
		"'id', id, 'endpoint', endpoint, 'user_agent', user_agent, 'created_at', created_at,"
		" 'last_ok_at', last_ok_at) ORDER BY id), '[]')) FROM push_subscriptions"
		" WHERE user_id = $1", 1, p, out);
}

enum px_err px_m_push_sub_delete(struct px_db *db, long long user, long long id,
				 const char *endpoint)
{
	char u[PX_M_LL], i[PX_M_LL];
	const char *p[3] = { px_m_ll(u, user), px_m_ll(i, id), endpoint };
	long rows = 0;
	enum px_err e;

	e = px_m_exec_rows(db, "push_sub_delete",
		"DELETE FROM push_subscriptions WHERE user_id = $1"
		" AND (id = $2::bigint OR ($2::bigint = 0 AND endpoint = $3))", 3, p, &rows);
	return e == PX_OK && rows == 0 ? PX_E_VALIDATION_NOT_FOUND : e;
}

enum px_err px_m_push_sub_result(struct px_db *db, long long id, const char *outcome)
{
	char i[PX_M_LL];
	const char *p[2] = { px_m_ll(i, id), outcome };

	return px_m_exec_rows(db, "push_sub_result",
		"WITH d AS (DELETE FROM push_subscriptions WHERE id = $1 AND ($2 = 'gone'"
		" OR ($2 = 'failed' AND failures >= 20)) RETURNING 1)"
		" UPDATE push_subscriptions SET last_ok_at = CASE WHEN $2 = 'ok' THEN now()"
		" ELSE last_ok_at END, failures = CASE WHEN $2 = 'ok' THEN 0 ELSE failures + 1 END"
		" WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM d)", 2, p, NULL);
}

enum px_err px_m_push_take(struct px_db *db, int limit, struct px_buf *out)
{
	char l[PX_M_LL];
	const char *p[1] = { px_m_ll(l, limit) };

	return px_m_json_row(db, "push_take",
		"WITH d AS (SELECT id FROM notifications WHERE read_at IS NULL AND pushed_at IS NULL"
		" ORDER BY id LIMIT $1::int FOR UPDATE SKIP LOCKED),"
		" t AS (UPDATE notifications n SET pushed_at = now() FROM d WHERE n.id = d.id"
		" RETURNING n.*)"
		" SELECT coalesce(json_agg(json_build_object('n', " ITEM_JSON ", 'lang',"
		" (SELECT w.lang FROM web_prefs w WHERE w.user_id = n.user_id), 'subs',"
		" (SELECT json_agg(json_build_object('id', s.id, 'endpoint', s.endpoint,"
		" 'p256dh', s.p256dh, 'auth', s.auth)) FROM push_subscriptions s"
		" WHERE s.user_id = n.user_id)) ORDER BY n.id), '[]')"
		" FROM t n JOIN channel_members cm ON cm.channel_id = n.channel_id"
		" AND cm.user_id = n.user_id JOIN messages m ON m.id = n.message_id"
		" JOIN channels c ON c.id = n.channel_id LEFT JOIN users a ON a.id = m.author_id"
		" LEFT JOIN notify_prefs pr ON pr.user_id = n.user_id"
		" WHERE" PENDING("n", "cm") " AND coalesce(pr.push, true)"
		" AND n.created_at > now() - interval '1 hour'"
		" AND EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.user_id = n.user_id)"
		" AND NOT EXISTS (SELECT 1 FROM event_streams es WHERE es.user_id = n.user_id"
		" AND es.lease_until > now())", 1, p, out);
}

enum px_err px_m_push_vapid_get(struct px_db *db, struct px_buf *pub, struct px_buf *sealed)
{
	PGresult *r = NULL;
	enum px_err e;

	e = px_m_one_row(db, "push_vapid_get",
			 "SELECT public_key, private_sealed FROM push_vapid", 0, NULL, &r);
	if (e != PX_OK)
		return e;
	px_buf_puts(pub, PQgetvalue(r, 0, 0));
	px_buf_puts(sealed, PQgetvalue(r, 0, 1));
	PQclear(r);
	return pub->failed || sealed->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}

enum px_err px_m_push_vapid_put(struct px_db *db, const char *pub, const char *sealed)
{
	const char *p[2] = { pub, sealed };

	return px_m_exec_rows(db, "push_vapid_put",
		"INSERT INTO push_vapid (public_key, private_sealed) VALUES ($1, $2)"
		" ON CONFLICT (one) DO NOTHING", 2, p, NULL);
}
