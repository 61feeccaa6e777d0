/* model/hooks.c: webhooks, their bots and the delivery queue. Each hook
 * gets its own bot account in the statement that makes the hook, so a
 * hook's posts can never carry a person's identity. */
#include "model/hooks.h"
#include "model/rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A new bot account: unique name "hook-" + 12 hex digits, no password. */
#define NEW_BOT(name, owner) \
	"bot AS (INSERT INTO users (username, display_name, role, is_bot, bot_owner_id)" \
	" VALUES ('hook-' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 12)," \
	" " name ", 'member', true, " owner ") RETURNING id, username)"

#define IN_JSON(h) \
	"json_build_object('id', " h ".id, 'channel_id', " h ".channel_id, 'name', " h ".name," \
	" 'created_at', " h ".created_at, 'last_used_at', " h ".last_used_at," \
	" 'bot', px_user_json(" h ".bot_id))"

enum px_err px_m_hooks_in_create(struct px_db *db, long long channel, long long creator,
				 const char *name, const char *token_hash,
				 struct px_buf *out)
{
	char c[PX_M_LL], u[PX_M_LL];
	const char *p[4] = { px_m_ll(c, channel), px_m_ll(u, creator), name, token_hash };

	return px_m_json_row(db, "hook_in_create",
		"WITH " NEW_BOT("$3", "$2::bigint") ", h AS (INSERT INTO incoming_hooks"
		" (channel_id, creator_id, bot_id, name, token_hash)"
		" SELECT $1, $2, bot.id, $3, $4 FROM bot RETURNING *)"
		" SELECT json_build_object('id', h.id, 'channel_id', h.channel_id, 'name', h.name,"
		" 'created_at', h.created_at, 'last_used_at', h.last_used_at,"
		" 'bot', json_build_object('id', h.bot_id, 'username', bot.username::text,"
		" 'display_name', $3::text)) FROM h JOIN bot ON bot.id = h.bot_id",
		4, p, out);
}

enum px_err px_m_hooks_in_list(struct px_db *db, long long channel, struct px_buf *out)
{
	char c[PX_M_LL];
	const char *p[1] = { px_m_ll(c, channel) };

	return px_m_json_row(db, "hook_in_list",
		"SELECT json_build_object('hooks', coalesce(json_agg(" IN_JSON("h")
		" ORDER BY h.id), '[]')) FROM incoming_hooks h"
		" WHERE h.channel_id = $1 AND h.revoked_at IS NULL", 1, p, out);
}

enum px_err px_m_hooks_in_revoke(struct px_db *db, long long channel, long long id)
{
	char c[PX_M_LL], i[PX_M_LL];
	const char *p[2] = { px_m_ll(c, channel), px_m_ll(i, id) };
	long n = 0;
	enum px_err e = px_m_exec_rows(db, "hook_in_revoke",
		"UPDATE incoming_hooks SET revoked_at = now()"
		" WHERE channel_id = $1 AND id = $2 AND revoked_at IS NULL", 2, p, &n);

	return e == PX_OK && n == 0 ? PX_E_VALIDATION_NOT_FOUND : e;
}

enum px_err px_m_hooks_post(struct px_db *db, const struct px_m_bot_post *m,
			    struct px_buf *out)
{
	char c[PX_M_LL], b[PX_M_LL];
	const char *p[9] = { px_m_ll(c, m->channel), m->kind, px_m_ll(b, m->bot), m->body,
			     m->html, m->lang, m->mentions, m->props, m->preview ? m->preview : "" };

	return px_m_json_row(db, "hook_post",
		"SELECT message::text FROM px_hook_post($1, $2, $3, $4, $5, $6::regconfig,"
		" string_to_array(nullif($7, ''), E'\\n'), $8::jsonb, $9) WHERE status = 'created'",
		9, p, out);
}

enum px_err px_m_hooks_in_post(struct px_db *db, const char *token_hash, const char *body,
			       const char *html, const char *lang, const char *mentions,
			       const char *props, const char *preview, struct px_buf *out)
{
	const char *p[7] = { token_hash, body, html, lang, mentions, props,
			     preview ? preview : "" };
	PGresult *r = NULL;
	const char *status;
	enum px_err e;

	e = px_db_exec_prepared(db, "hook_in_post",
		"SELECT status, message::text FROM px_hook_incoming_post($1, $2, $3, $4::regconfig,"
		" string_to_array(nullif($5, ''), E'\\n'), $6::jsonb, $7)", 7, p, &r);
	if (e != PX_OK)
		return e;
	status = PQgetvalue(r, 0, 0);
	if (strcmp(status, "no_hook") == 0)
		e = PX_E_HOOK_NOT_FOUND;
	else if (strcmp(status, "archived") == 0)
		e = PX_E_VALIDATION_CHANNEL_ARCHIVED;
	else if (strcmp(status, "created") != 0)
		e = PX_E_SYSTEM_INTERNAL;
	else if (out)
		px_buf_append(out, PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1));
	PQclear(r);
	return e == PX_OK && out && out->failed ? PX_E_SYSTEM_INTERNAL : e;
}

/* --- outgoing ------------------------------------------------------------- */

#define OUT_JSON(h) \
	"json_build_object('id', " h ".id, 'channel_id', " h ".channel_id, 'name', " h ".name," \
	" 'url', " h ".url, 'trigger_words', " h ".trigger_words, 'events', " h ".events," \
	" 'created_at', " h ".created_at, 'bot', px_user_json(" h ".bot_id))"

enum px_err px_m_hooks_out_create(struct px_db *db, const struct px_m_hook_out_new *h,
				  struct px_buf *out)
{
	char c[PX_M_LL], u[PX_M_LL];
	const char *p[7] = { px_m_ll(c, h->channel), px_m_ll(u, h->creator), h->name, h->url,
			     h->sealed_secret, h->triggers, h->events };

	return px_m_json_row(db, "hook_out_create",
		"WITH " NEW_BOT("$3", "$2::bigint") ", h AS (INSERT INTO outgoing_hooks"
		" (channel_id, creator_id, bot_id, name, url, secret_sealed, trigger_words, events)"
		" SELECT $1, $2, bot.id, $3, $4, $5,"
		" coalesce(string_to_array(nullif($6, ''), E'\\n'), '{}'),"
		" coalesce(string_to_array(nullif($7, ''), E'\\n'), '{}') FROM bot RETURNING *)"
		" SELECT json_build_object('id', h.id, 'channel_id', h.channel_id, 'name', h.name,"
		" 'url', h.url, 'trigger_words', h.trigger_words, 'events', h.events,"
		" 'created_at', h.created_at, 'bot', json_build_object('id', h.bot_id,"
		" 'username', bot.username::text, 'display_name', $3::text))"
		" FROM h JOIN bot ON bot.id = h.bot_id", 7, p, out);
}

enum px_err px_m_hooks_out_list(struct px_db *db, long long channel, struct px_buf *out)
{
	char c[PX_M_LL];
	const char *p[1] = { px_m_ll(c, channel) };

	return px_m_json_row(db, "hook_out_list",
		"SELECT json_build_object('hooks', coalesce(json_agg(" OUT_JSON("h")
		" ORDER BY h.id), '[]')) FROM outgoing_hooks h"
		" WHERE h.channel_id = $1 AND h.revoked_at IS NULL", 1, p, out);
}

enum px_err px_m_hooks_out_revoke(struct px_db *db, long long channel, long long id)
{
	char c[PX_M_LL], i[PX_M_LL];
	const char *p[2] = { px_m_ll(c, channel), px_m_ll(i, id) };
	long n = 0;
	enum px_err e = px_m_exec_rows(db, "hook_out_revoke",
		"WITH h AS (UPDATE outgoing_hooks SET revoked_at = now()"
		" WHERE channel_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING id),"
		" d AS (UPDATE hook_deliveries SET state = 'failed', done_at = now(),"
		" last_error = 'hook revoked' WHERE hook_id IN (SELECT id FROM h)"
		" AND state = 'pending') SELECT id FROM h", 2, p, &n);

	return e == PX_OK && n == 0 ? PX_E_VALIDATION_NOT_FOUND : e;
}

enum px_err px_m_hooks_deliveries(struct px_db *db, long long channel, long long hook,
				  int limit, struct px_buf *out)
{
	char c[PX_M_LL], h[PX_M_LL], l[PX_M_LL];
	const char *p[3] = { px_m_ll(c, channel), px_m_ll(h, hook), px_m_ll(l, limit) };

	return px_m_json_row(db, "hook_deliveries",
		"SELECT json_build_object('deliveries', coalesce(json_agg(json_build_object("
		" 'id', d.id, 'delivery_id', d.delivery_id, 'hook_id', d.hook_id,"
		" 'channel_id', o.channel_id, 'event', d.kind, 'event_id', d.event_id,"
		" 'state', d.state, 'attempts', d.attempts, 'created_at', d.created_at,"
		" 'next_at', CASE WHEN d.state = 'pending' THEN d.next_at END,"
		" 'done_at', d.done_at, 'last_status', d.last_status, 'last_error', d.last_error)"
		" ORDER BY d.id DESC), '[]')) FROM (SELECT d.* FROM hook_deliveries d"
		" JOIN outgoing_hooks o ON o.id = d.hook_id"
		" WHERE ($2::bigint = 0 OR (d.hook_id = $2 AND o.channel_id = $1))"
		" ORDER BY d.id DESC LIMIT $3) d JOIN outgoing_hooks o ON o.id = d.hook_id"
		" HAVING $2::bigint = 0 OR EXISTS (SELECT 1 FROM outgoing_hooks"
		" WHERE id = $2 AND channel_id = $1)", 3, p, out);
}

enum px_err px_m_hooks_claim(struct px_db *db, int max, int lease_s, PGresult **r)
{
	char m[PX_M_LL], l[PX_M_LL];
	const char *p[2] = { px_m_ll(m, max), px_m_ll(l, lease_s) };

	/* a reminder has no hook: its channel is in its body, its poster is
	 * the reminder bot */
	return px_db_exec_prepared(db, "hook_claim",
		"WITH c AS (SELECT id FROM hook_deliveries WHERE state = 'pending'"
		" AND next_at <= now() ORDER BY next_at LIMIT $1 FOR UPDATE SKIP LOCKED),"
		" u AS (UPDATE hook_deliveries d SET attempts = d.attempts + 1,"
		" next_at = now() + make_interval(secs => $2::int) FROM c WHERE d.id = c.id"
		" RETURNING d.*)"
		" SELECT u.id, u.delivery_id, u.hook_id,"
		" coalesce(o.channel_id, (u.body::json->>'channel_id')::bigint),"
		" coalesce(o.bot_id, (SELECT bot_id FROM reminder_bot)), o.url,"
		" o.secret_sealed, u.kind, u.body, u.attempts, ch.kind FROM u"
		" LEFT JOIN outgoing_hooks o ON o.id = u.hook_id"
		" LEFT JOIN channels ch ON ch.id = coalesce(o.channel_id,"
		" (u.body::json->>'channel_id')::bigint)", 2, p, r);
}

enum px_err px_m_hooks_remind(struct px_db *db, long long user, long long channel,
			      const char *text, long long seconds, struct px_buf *out)
{
	char u[PX_M_LL], c[PX_M_LL], s[PX_M_LL];
	const char *p[4] = { px_m_ll(u, user), px_m_ll(c, channel), text, px_m_ll(s, seconds) };

	return px_m_json_row(db, "hook_remind",
		"WITH d AS (INSERT INTO hook_deliveries (kind, body, next_at)"
		" SELECT 'reminder', json_build_object('user_id', $1::bigint, 'username',"
		" u.username::text, 'channel_id', $2::bigint, 'text', $3::text)::text,"
		" now() + make_interval(secs => $4::bigint) FROM users u WHERE u.id = $1"
		" RETURNING id, next_at)"
		" SELECT json_build_object('reminder_id', d.id, 'due_at', d.next_at) FROM d",
		4, p, out);
}

enum px_err px_m_hooks_finish(struct px_db *db, const char *outcomes)
{
	const char *p[1] = { outcomes };

	/* one statement (one commit) for a whole batch */
	return px_m_exec_rows(db, "hook_finish",
		"UPDATE hook_deliveries d SET state = x.state, last_status = x.status,"
		" last_error = x.error,"
		" done_at = CASE WHEN x.state = 'pending' THEN NULL ELSE now() END,"
		" next_at = CASE WHEN x.state = 'pending'"
		" THEN now() + make_interval(secs => x.delay_ms / 1000.0) ELSE d.next_at END"
		" FROM json_to_recordset($1::json) AS x(id bigint, state text, status int,"
		" error text, delay_ms bigint) WHERE d.id = x.id", 1, p, NULL);
}
