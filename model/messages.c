/* model/messages.c: messages, history, threads, reactions and pins. A
 * change locks its message row, checks it, writes, and emits its event as
 * the last statement of the transaction. */
#include "model/messages.h"
#include "model/rows.h"

#include <stdlib.h>
#include <string.h>

enum px_err px_m_messages_post(struct px_db *db, const struct px_m_post *m,
			       int *replayed, struct px_buf *out)
{
	char c[PX_M_LL], a[PX_M_LL], r[PX_M_LL];
	const char *p[10] = { px_m_ll(c, m->channel), m->kind, px_m_ll(a, m->author),
			      m->thread_root ? px_m_ll(r, m->thread_root) : NULL,
			      m->body, m->html, m->lang, m->idem_key, m->mentions, m->preview };
	PGresult *res = NULL;
	const char *status;
	enum px_err e;

	if (m->preview && *m->preview)
		/* the poster's choice rides in a setting of the same statement
		 * (sql/132) */
		e = px_db_exec_prepared(db, "msg_post_preview",
			"SELECT status, message::text FROM px_message_post_preview($10, $1, $2, $3,"
			" $4, $5, $6, $7::regconfig, $8, string_to_array(nullif($9, ''), E'\\n'))",
			10, p, &res);
	else
		e = px_db_exec_prepared(db, "msg_post",
			"SELECT status, message::text FROM px_message_post($1, $2, $3, $4, $5, $6,"
			" $7::regconfig, $8, string_to_array(nullif($9, ''), E'\\n'))", 9, p, &res);
	if (e != PX_OK)
		return e;
	status = PQgetvalue(res, 0, 0);
	*replayed = strcmp(status, "replayed") == 0;
	if (strcmp(status, "no_root") == 0)
		e = PX_E_VALIDATION_NOT_FOUND;
	else if (strcmp(status, "mismatch") == 0)
		e = PX_E_VALIDATION_IDEMPOTENCY_MISMATCH;
	else
		px_buf_append(out, PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1));
	PQclear(res);
	return e == PX_OK && out->failed ? PX_E_SYSTEM_INTERNAL : e;
}

/* Pages are JSON text assembled by concatenation (see px_message_view),
 * fetched one row past the limit to tell whether more exist. The ids come
 * first from the (channel_id, id) index on their own, so that the planner
 * cannot walk the primary key backwards through other channels' rows; the
 * inner LIMIT 201 (the largest page plus one) bounds the generic plan's
 * estimate, so the prepared statement keeps its plan instead of being
 * planned again on every call. */
#define PAGE(more, order, more_this, more_other, cond) \
	"SELECT '{\"messages\":[' || coalesce(string_agg(x.t, ',' ORDER BY x.id)" \
	" FILTER (WHERE x.rn <= $3), '') || '],\"" more_this "\":'" \
	" || (count(*) > $3)::text || ',\"" more_other "\":' || (" more ")::text || '}'" \
	" FROM (SELECT v.id, v.t, row_number() OVER (ORDER BY v.id " order ") AS rn" \
	" FROM px_message_view v WHERE v.id IN (SELECT id FROM (SELECT id FROM messages" \
	" WHERE channel_id = $1 AND thread_root_id IS NULL AND " cond " ORDER BY id " order \
	" LIMIT 201) s LIMIT $3::int + 1)) x"

static const char SQL_PAGE_DESC[] =
	PAGE("$2::bigint < 9223372036854775807 AND EXISTS (SELECT 1 FROM messages"
	     " WHERE channel_id = $1 AND thread_root_id IS NULL AND id >= $2)",
	     "DESC", "has_more_before", "has_more_after", "id < $2");

static const char SQL_PAGE_ASC[] =
	PAGE("EXISTS (SELECT 1 FROM messages WHERE channel_id = $1"
	     " AND thread_root_id IS NULL AND id <= $2)",
	     "ASC", "has_more_after", "has_more_before", "id > $2");

/* Messages around an id: half the page before it, it, and the rest after. */
static const char SQL_PAGE_AROUND[] =
	"SELECT '{\"messages\":[' || string_agg(y.t, ',' ORDER BY y.id)"
	" || '],\"has_more_before\":' || EXISTS (SELECT 1 FROM messages WHERE channel_id = $1"
	" AND thread_root_id IS NULL AND id < min(y.id))::text"
	" || ',\"has_more_after\":' || EXISTS (SELECT 1 FROM messages WHERE channel_id = $1"
	" AND thread_root_id IS NULL AND id > max(y.id))::text || '}'"
	" FROM px_message_view y WHERE y.id IN ((SELECT id FROM messages WHERE channel_id = $1"
	" AND thread_root_id IS NULL AND id < $2 ORDER BY id DESC LIMIT $3::int / 2)"
	" UNION ALL (SELECT id FROM messages WHERE channel_id = $1"
	" AND thread_root_id IS NULL AND id >= $2 ORDER BY id LIMIT $3::int - $3::int / 2))"
	" HAVING bool_or(y.id = $2)";

enum px_err px_m_messages_page(struct px_db *db, long long channel,
			       enum px_msg_dir dir, long long cursor, int limit,
			       struct px_buf *out)
{
	char c[PX_M_LL], k[PX_M_LL], l[PX_M_LL];
	const char *p[3] = { px_m_ll(c, channel), px_m_ll(k, cursor), px_m_ll(l, limit) };

	switch (dir) {
	case PX_MSG_LATEST:
		p[1] = "9223372036854775807";
		/* fall through */
	case PX_MSG_BEFORE:
		return px_m_json_row(db, "msg_page_desc", SQL_PAGE_DESC, 3, p, out);
	case PX_MSG_AFTER:
		return px_m_json_row(db, "msg_page_asc", SQL_PAGE_ASC, 3, p, out);
	case PX_MSG_AROUND:
		return px_m_json_row(db, "msg_page_around", SQL_PAGE_AROUND, 3, p, out);
	}
	return PX_E_SYSTEM_INTERNAL;
}

enum px_err px_m_messages_get(struct px_db *db, long long channel, long long id,
			      struct px_buf *out)
{
	char c[PX_M_LL], i[PX_M_LL];
	const char *p[2] = { px_m_ll(c, channel), px_m_ll(i, id) };

	return px_m_json_row(db, "msg_get",
		"SELECT t FROM px_message_view WHERE channel_id = $1 AND id = $2",
		2, p, out);
}

struct locked {
	long long author;
	int deleted;
};

/* Locks a message of the channel for the rest of the transaction. */
static enum px_err lock_message(struct px_db *db, long long channel, long long id,
				struct locked *l)
{
	char c[PX_M_LL], i[PX_M_LL];
	const char *p[2] = { px_m_ll(c, channel), px_m_ll(i, id) };
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec_prepared(db, "msg_lock",
		"SELECT coalesce(author_id, 0), deleted_at IS NOT NULL FROM messages"
		" WHERE channel_id = $1 AND id = $2 FOR UPDATE", 2, p, &r);
	if (e != PX_OK)
		return e;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return PX_E_VALIDATION_NOT_FOUND;
	}
	l->author = atoll(PQgetvalue(r, 0, 0));
	l->deleted = PQgetvalue(r, 0, 1)[0] == 't';
	PQclear(r);
	return PX_OK;
}

/* Emits kind with the message as data and writes the message to out. */
static enum px_err emit_message(struct px_db *db, long long id, const char *kind,
				struct px_buf *out)
{
	char i[PX_M_LL];
	const char *p[2] = { px_m_ll(i, id), kind };

	return px_m_json_row(db, "msg_emit",
		"SELECT mj::text FROM messages m, LATERAL px_message_json(m) mj,"
		" LATERAL px_emit($2, m.channel_id, NULL, mj) e WHERE m.id = $1", 2, p, out);
}

/* Rewrites every stored event about message id to its current state, so
 * that text removed by an edit or a delete cannot be read back from the
 * event log (GET /api/v1/events?after=0) while the log keeps it. */
static enum px_err scrub_events(struct px_db *db, long long id)
{
	char i[PX_M_LL];
	const char *p[1] = { px_m_ll(i, id) };

	return px_m_exec_rows(db, "msg_scrub",
		"UPDATE events e SET data = px_message_json(m) FROM messages m"
		" WHERE m.id = $1::bigint AND e.kind LIKE 'message.%' AND e.data->>'id' = $1::text"
		" AND e.channel_id = m.channel_id", 1, p, NULL);
}

struct change {
	long long channel, id, actor;
	int moderator, on;
	const char *body, *html, *lang, *emoji, *names;
	int changed;
	struct px_buf *out;
};

/* Tells the users the edited text names for the first time. */
static enum px_err mention(struct px_db *db, const struct change *c)
{
	char i[PX_M_LL], ch[PX_M_LL], a[PX_M_LL];
	const char *p[4] = { px_m_ll(i, c->id), px_m_ll(ch, c->channel),
			     px_m_ll(a, c->actor), c->names };
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec_prepared(db, "msg_mention",
		"SELECT px_message_mention($1, $2, $3, string_to_array($4, E'\\n'))",
		4, p, &r);
	PQclear(r);
	return e;
}

static enum px_err edit_tx(struct px_db *db, void *arg)
{
	struct change *c = arg;
	char i[PX_M_LL];
	const char *p[4] = { px_m_ll(i, c->id), c->body, c->html, c->lang };
	struct locked l;
	enum px_err e;

	if ((e = lock_message(db, c->channel, c->id, &l)) != PX_OK)
		return e;
	if (l.deleted)
		return PX_E_VALIDATION_MESSAGE_DELETED;
	if (l.author != c->actor)
		return PX_E_AUTH_NOT_AUTHOR;
	e = px_m_exec_rows(db, "msg_keep_version",
		"INSERT INTO message_edits (message_id, body, html, edited_at, editor_id)"
		" SELECT id, body, html, coalesce(edited_at, created_at), author_id"
		" FROM messages WHERE id = $1", 1, p, NULL);
	if (e == PX_OK)
		e = px_m_exec_rows(db, "msg_edit",
			"UPDATE messages SET body = $2, html = $3, lang = $4::regconfig,"
			" edited_at = now() WHERE id = $1", 4, p, NULL);
	if (e == PX_OK && c->names && *c->names)
		e = mention(db, c);
	if (e == PX_OK)
		e = scrub_events(db, c->id);
	return e != PX_OK ? e : emit_message(db, c->id, "message.updated", c->out);
}

enum px_err px_m_messages_edit(struct px_db *db, long long channel, long long id,
			       long long editor, const struct px_m_edit *m,
			       struct px_buf *out)
{
	struct change c = { .channel = channel, .id = id, .actor = editor, .body = m->body,
			    .html = m->html, .lang = m->lang, .names = m->names, .out = out };

	return px_db_tx(db, edit_tx, &c);
}

static enum px_err delete_tx(struct px_db *db, void *arg)
{
	struct change *c = arg;
	char i[PX_M_LL];
	const char *p[1] = { px_m_ll(i, c->id) };
	struct locked l;
	enum px_err e;

	if ((e = lock_message(db, c->channel, c->id, &l)) != PX_OK)
		return e;
	if (l.deleted)
		return PX_E_VALIDATION_MESSAGE_DELETED;
	if (l.author != c->actor && !c->moderator)
		return PX_E_AUTH_NOT_AUTHOR;
	e = px_m_exec_rows(db, "msg_tombstone",
		"WITH h AS (DELETE FROM message_edits WHERE message_id = $1),"
		" r AS (DELETE FROM reactions WHERE message_id = $1),"
		" n AS (DELETE FROM mentions WHERE message_id = $1)"
		" UPDATE messages SET body = '', html = '', deleted_at = now(),"
		" pinned_at = NULL, pinned_by = NULL WHERE id = $1", 1, p, NULL);
	if (e == PX_OK)
		e = scrub_events(db, c->id);
	return e != PX_OK ? e : emit_message(db, c->id, "message.deleted", c->out);
}

enum px_err px_m_messages_delete(struct px_db *db, long long channel, long long id,
				 long long actor, int moderator, struct px_buf *out)
{
	struct change c = { .channel = channel, .id = id, .actor = actor,
			    .moderator = moderator, .out = out };

	return px_db_tx(db, delete_tx, &c);
}

enum px_err px_m_messages_history(struct px_db *db, long long channel, long long id,
				  struct px_buf *out)
{
	char c[PX_M_LL], i[PX_M_LL];
	const char *p[2] = { px_m_ll(c, channel), px_m_ll(i, id) };

	return px_m_json_row(db, "msg_history",
		"SELECT jsonb_build_object('message', px_message_json(m), 'versions',"
		" (SELECT coalesce(jsonb_agg(jsonb_build_object('body', h.body, 'html', h.html,"
		" 'edited_at', h.edited_at, 'editor', px_user_json(h.editor_id)) ORDER BY h.id), '[]')"
		" FROM message_edits h WHERE h.message_id = m.id))"
		" FROM messages m WHERE m.channel_id = $1 AND m.id = $2", 2, p, out);
}

enum px_err px_m_messages_thread(struct px_db *db, long long channel, long long root,
				 long long user, long long after, int limit,
				 struct px_buf *out)
{
	char c[PX_M_LL], r[PX_M_LL], u[PX_M_LL], a[PX_M_LL], l[PX_M_LL];
	const char *p[5] = { px_m_ll(c, channel), px_m_ll(r, root), px_m_ll(u, user),
			     px_m_ll(a, after), px_m_ll(l, limit) };

	return px_m_json_row(db, "msg_thread",
		"SELECT json_build_object('root', px_message_json(m),"
		" 'replies', (SELECT coalesce(json_agg(v.t::json ORDER BY v.id), '[]')"
		" FROM (SELECT id, t FROM px_message_view WHERE thread_root_id = m.id AND id > $4"
		" ORDER BY id LIMIT $5) v),"
		" 'has_more', (SELECT count(*) FROM (SELECT 1 FROM messages WHERE thread_root_id = m.id"
		" AND id > $4 LIMIT $5::int + 1) z) > $5,"
		" 'following', EXISTS (SELECT 1 FROM thread_followers f"
		" WHERE f.message_id = m.id AND f.user_id = $3))"
		" FROM messages m WHERE m.channel_id = $1 AND m.id = $2 AND m.thread_root_id IS NULL",
		5, p, out);
}

enum px_err px_m_messages_follow(struct px_db *db, long long channel, long long root,
				 long long user, int on)
{
	char c[PX_M_LL], r[PX_M_LL], u[PX_M_LL];
	const char *p[3] = { px_m_ll(c, channel), px_m_ll(r, root), px_m_ll(u, user) };
	long rows = 0;
	enum px_err e;

	if (on)
		e = px_m_exec_rows(db, "msg_follow",
			"INSERT INTO thread_followers SELECT id, $3 FROM messages"
			" WHERE channel_id = $1 AND id = $2 AND thread_root_id IS NULL"
			" ON CONFLICT (message_id, user_id) DO UPDATE SET user_id = EXCLUDED.user_id", 3, p, &rows);
	else
		e = px_m_exec_rows(db, "msg_unfollow",
			"WITH d AS (DELETE FROM thread_followers WHERE message_id = $2 AND user_id = $3)"
			" SELECT 1 FROM messages WHERE channel_id = $1 AND id = $2"
			" AND thread_root_id IS NULL", 3, p, &rows);
	return e == PX_OK && rows == 0 ? PX_E_VALIDATION_NOT_FOUND : e;
}

static enum px_err react_tx(struct px_db *db, void *arg)
{
	struct change *c = arg;
	char i[PX_M_LL], u[PX_M_LL];
	const char *p[4] = { px_m_ll(i, c->id), px_m_ll(u, c->actor), c->emoji,
			     c->on ? "reaction.added" : "reaction.removed" };
	struct locked l;
	long rows = 0;
	enum px_err e;

	if ((e = lock_message(db, c->channel, c->id, &l)) != PX_OK)
		return e;
	if (l.deleted)
		return PX_E_VALIDATION_MESSAGE_DELETED;
	if (c->on)
		e = px_m_exec_rows(db, "react_add",
			"INSERT INTO reactions (message_id, user_id, emoji) VALUES ($1, $2, $3)"
			" ON CONFLICT DO NOTHING", 3, p, &rows);
	else
		e = px_m_exec_rows(db, "react_del",
			"DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3",
			3, p, &rows);
	if (e != PX_OK)
		return e;
	c->changed = rows > 0;
	if (!c->changed)
		return px_m_json_row(db, "react_list_tx", "SELECT px_reactions_json($1)",
				     1, p, c->out);
	return px_m_json_row(db, "react_emit",
		"SELECT rj::text FROM messages m, LATERAL px_reactions_json(m.id) rj,"
		" LATERAL px_emit($4, m.channel_id, NULL, json_build_object('message_id', m.id,"
		" 'emoji', $3::text, 'user', px_user_json($2), 'reactions', rj)) e WHERE m.id = $1",
		4, p, c->out);
}

enum px_err px_m_messages_react(struct px_db *db, long long channel, long long id,
				long long user, const char *emoji, int on,
				int *changed, struct px_buf *out)
{
	struct change c = { .channel = channel, .id = id, .actor = user, .on = on,
			    .emoji = emoji, .out = out };
	enum px_err e = px_db_tx(db, react_tx, &c);

	*changed = c.changed;
	return e;
}

enum px_err px_m_messages_reactions(struct px_db *db, long long channel, long long id,
				    struct px_buf *out)
{
	char c[PX_M_LL], i[PX_M_LL];
	const char *p[2] = { px_m_ll(c, channel), px_m_ll(i, id) };

	return px_m_json_row(db, "react_list",
		"SELECT px_reactions_json(m.id) FROM messages m WHERE m.channel_id = $1 AND m.id = $2",
		2, p, out);
}

static enum px_err pin_tx(struct px_db *db, void *arg)
{
	struct change *c = arg;
	char i[PX_M_LL], a[PX_M_LL];
	const char *p[3] = { px_m_ll(i, c->id), px_m_ll(a, c->actor), c->on ? "1" : "0" };
	struct locked l;
	enum px_err e;

	if ((e = lock_message(db, c->channel, c->id, &l)) != PX_OK)
		return e;
	if (l.deleted)
		return PX_E_VALIDATION_MESSAGE_DELETED;
	e = px_m_exec_rows(db, "msg_pin",
		"UPDATE messages SET pinned_at = CASE WHEN $3 = '1' THEN coalesce(pinned_at, now()) END,"
		" pinned_by = CASE WHEN $3 = '1' THEN $2::bigint END WHERE id = $1", 3, p, NULL);
	return e != PX_OK ? e : emit_message(db, c->id, "message.updated", c->out);
}

enum px_err px_m_messages_pin(struct px_db *db, long long channel, long long id,
			      long long actor, int on, struct px_buf *out)
{
	struct change c = { .channel = channel, .id = id, .actor = actor, .on = on,
			    .out = out };

	return px_db_tx(db, pin_tx, &c);
}

enum px_err px_m_messages_pins(struct px_db *db, long long channel, struct px_buf *out)
{
	char c[PX_M_LL];
	const char *p[1] = { px_m_ll(c, channel) };

	return px_m_json_row(db, "msg_pins",
		"SELECT '[' || coalesce(string_agg(t, ',' ORDER BY pinned_at DESC), '') || ']'"
		" FROM px_message_view"
		" WHERE channel_id = $1 AND pinned_at IS NOT NULL", 1, p, out);
}
