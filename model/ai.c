/* model/ai.c: the AI features' SQL (model/ai.h). Every statement that
 * reads messages for a task restricts them to channels the requester is a
 * member of, in the same statement. */
#include "model/ai.h"
#include "model/ai_ann.h"
#include "model/rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)
/* full-text matches of ask that are ranked: the newest this many */
#define FTS_RECENT 200

static const char SQL_POLICY[] =
	"SELECT c.kind, coalesce(s.enabled, true), coalesce(s.remote, false),"
	" NOT EXISTS (SELECT 1 FROM channel_members m"
	"  LEFT JOIN ai_user_settings u ON u.user_id = m.user_id"
	"  WHERE m.channel_id = c.id AND NOT coalesce(u.remote_ok, false)),"
	" coalesce(s.moderation, 'off')"
	" FROM channels c LEFT JOIN ai_channel_settings s ON s.channel_id = c.id WHERE c.id = $1";

static int tf(const PGresult *r, int col)
{
	return PQgetvalue(r, 0, col)[0] == 't';
}

enum px_err px_m_ai_policy(struct px_db *db, long long channel, struct px_m_ai_policy *p)
{
	char c[PX_M_LL];
	const char *params[1] = { px_m_ll(c, channel) };
	PGresult *r = NULL;
	enum px_err e = px_m_one_row(db, "ai_policy", SQL_POLICY, 1, params, &r);

	if (e != PX_OK)
		return e;
	snprintf(p->kind, sizeof(p->kind), "%s", PQgetvalue(r, 0, 0));
	p->enabled = tf(r, 1);
	p->remote = tf(r, 2);
	p->all_consent = tf(r, 3);
	snprintf(p->moderation, sizeof(p->moderation), "%s", PQgetvalue(r, 0, 4));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_ai_moderation_mode(struct px_db *db, long long channel, char *mode)
{
	char c[PX_M_LL];
	const char *params[1] = { px_m_ll(c, channel) };
	PGresult *r = NULL;
	enum px_err e = px_db_exec_prepared(db, "ai_mod_mode",
					    "SELECT moderation FROM ai_channel_settings"
					    " WHERE channel_id = $1 AND enabled", 1, params, &r);

	if (e != PX_OK)
		return e;
	snprintf(mode, 8, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "off");
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_ai_channel_get(struct px_db *db, long long channel, struct px_buf *out)
{
	char c[PX_M_LL];
	const char *params[1] = { px_m_ll(c, channel) };

	return px_m_json_row(db, "ai_chan_get",
			     "SELECT json_build_object('channel_id', c.id,"
			     " 'enabled', coalesce(s.enabled, true), 'remote', coalesce(s.remote, false),"
			     " 'moderation', coalesce(s.moderation, 'off'))"
			     " FROM channels c LEFT JOIN ai_channel_settings s ON s.channel_id = c.id"
			     " WHERE c.id = $1", 1, params, out);
}

enum px_err px_m_ai_channel_put(struct px_db *db, long long channel, int enabled, int remote,
				const char *moderation, long long by)
{
	char c[PX_M_LL], b[PX_M_LL];
	const char *params[5] = { px_m_ll(c, channel), enabled ? "t" : "f", remote ? "t" : "f",
				  moderation, px_m_ll(b, by) };

	return px_m_exec_rows(db, "ai_chan_put",
			      "INSERT INTO ai_channel_settings (channel_id, enabled, remote, moderation,"
			      " updated_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel_id) DO UPDATE"
			      " SET enabled = $2, remote = $3, moderation = $4, updated_by = $5,"
			      " updated_at = now()", 5, params, NULL);
}

enum px_err px_m_ai_user_get(struct px_db *db, long long user, struct px_buf *out)
{
	char u[PX_M_LL];
	const char *params[1] = { px_m_ll(u, user) };

	return px_m_json_row(db, "ai_user_get",
			     "SELECT json_build_object('remote_ok', coalesce((SELECT remote_ok"
			     " FROM ai_user_settings WHERE user_id = $1), false))", 1, params, out);
}

enum px_err px_m_ai_user_put(struct px_db *db, long long user, int remote_ok)
{
	char u[PX_M_LL];
	const char *params[2] = { px_m_ll(u, user), remote_ok ? "t" : "f" };

	return px_m_exec_rows(db, "ai_user_put",
			      "INSERT INTO ai_user_settings (user_id, remote_ok) VALUES ($1, $2)"
			      " ON CONFLICT (user_id) DO UPDATE SET remote_ok = $2, updated_at = now()",
			      2, params, NULL);
}

enum px_err px_m_ai_usage(struct px_db *db, long long user, long long channel,
			  struct px_m_ai_usage *u)
{
	char a[PX_M_LL], c[PX_M_LL];
	const char *params[2] = { px_m_ll(a, user), px_m_ll(c, channel) };
	PGresult *r = NULL;
	enum px_err e = px_m_one_row(
		db, "ai_usage",
		"SELECT coalesce(sum(tokens_in + tokens_out) FILTER (WHERE user_id = $1), 0),"
		" coalesce(sum(cost) FILTER (WHERE user_id = $1), 0),"
		" coalesce(sum(tokens_in + tokens_out) FILTER (WHERE channel_id = $2), 0),"
		" coalesce(sum(cost) FILTER (WHERE channel_id = $2), 0),"
		" coalesce(sum(tokens_in + tokens_out), 0), coalesce(sum(cost), 0)"
		" FROM ai_audit WHERE remote AND at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'",
		2, params, &r);

	if (e != PX_OK)
		return e;
	u->user_tokens = atoll(PQgetvalue(r, 0, 0));
	u->user_cost = atof(PQgetvalue(r, 0, 1));
	u->channel_tokens = atoll(PQgetvalue(r, 0, 2));
	u->channel_cost = atof(PQgetvalue(r, 0, 3));
	u->instance_tokens = atoll(PQgetvalue(r, 0, 4));
	u->instance_cost = atof(PQgetvalue(r, 0, 5));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_ai_audit_add(struct px_db *db, const struct px_m_ai_audit *a)
{
	char u[PX_M_LL], c[PX_M_LL], ti[PX_M_LL], to[PX_M_LL], d[PX_M_LL], rd[PX_M_LL], cost[48];
	const char *params[14];

	snprintf(cost, sizeof(cost), "%.6f", a->cost);
	params[0] = a->user ? px_m_ll(u, a->user) : NULL;
	params[1] = a->feature;
	params[2] = a->channel ? px_m_ll(c, a->channel) : NULL;
	params[3] = a->provider;
	params[4] = a->model ? a->model : "";
	params[5] = a->remote ? "t" : "f";
	params[6] = px_m_ll(ti, a->tokens_in);
	params[7] = px_m_ll(to, a->tokens_out);
	params[8] = cost;
	params[9] = px_m_ll(d, a->duration_ms);
	params[10] = a->status;
	params[11] = a->sha256 ? a->sha256 : "";
	params[12] = px_m_ll(rd, a->redactions);
	params[13] = a->payload;
	return px_m_exec_rows(db, "ai_audit_add",
			      "INSERT INTO ai_audit (user_id, feature, channel_id, provider, model, remote,"
			      " tokens_in, tokens_out, cost, duration_ms, status, sent_sha256, redactions,"
			      " payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
			      14, params, NULL);
}

enum px_err px_m_ai_audit_export(struct px_db *db, long long after, int limit, struct px_buf *out)
{
	char a[PX_M_LL], l[PX_M_LL];
	const char *params[2] = { px_m_ll(a, after), px_m_ll(l, limit) };
	PGresult *r = NULL;
	enum px_err e = px_db_exec_prepared(
		db, "ai_audit_export",
		"SELECT json_build_object('id', id, 'at', at, 'user_id', user_id, 'feature', feature,"
		" 'channel_id', channel_id, 'provider', provider, 'model', model, 'remote', remote,"
		" 'tokens_in', tokens_in, 'tokens_out', tokens_out, 'cost', cost,"
		" 'duration_ms', duration_ms, 'status', status, 'sent_sha256', sent_sha256,"
		" 'redactions', redactions, 'payload', payload)::text"
		" FROM ai_audit WHERE id > $1 ORDER BY id LIMIT $2", 2, params, &r);
	int i;

	if (e != PX_OK)
		return e;
	for (i = 0; i < PQntuples(r); i++) {
		px_buf_append(out, PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0));
		px_buf_putc(out, '\n');
	}
	PQclear(r);
	return out->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}

/* --- messages for tasks ---------------------------------------------------- */

void px_m_ai_rows_free(struct px_m_ai_rows *r)
{
	if (r->res)
		PQclear(r->res);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* Fills r from a result of (id, channel, author, body) rows. */
static enum px_err rows_of(PGresult *res, struct px_m_ai_rows *r, int reverse)
{
	int i, n = PQntuples(res);

	r->res = res;
	r->n = 0;
	r->v = calloc((size_t)n + 1, sizeof(*r->v));
	if (!r->v)
		return PX_E_SYSTEM_INTERNAL;
	for (i = 0; i < n; i++) {
		int k = reverse ? n - 1 - i : i;

		r->v[i] = (struct px_m_ai_msg){ atoll(PQgetvalue(res, k, 0)),
						atoll(PQgetvalue(res, k, 1)), PQgetvalue(res, k, 2),
						PQgetvalue(res, k, 3), 0 };
	}
	r->n = (size_t)n;
	return PX_OK;
}

static enum px_err fetch(struct px_db *db, const char *name, const char *sql, int np,
			 const char *const *params, struct px_m_ai_rows *r, int reverse)
{
	PGresult *res = NULL;
	enum px_err e;

	memset(r, 0, sizeof(*r));
	if ((e = px_db_exec_prepared(db, name, sql, np, params, &res)) != PX_OK)
		return e;
	return rows_of(res, r, reverse);
}

#define MSG_COLS "m.id, m.channel_id, coalesce(u.username::text, '?'), m.body"

enum px_err px_m_ai_channel_msgs(struct px_db *db, long long channel, long long user,
				 int unread_only, int limit, struct px_m_ai_rows *r)
{
	char c[PX_M_LL], u[PX_M_LL], l[PX_M_LL];
	const char *params[4] = { px_m_ll(c, channel), px_m_ll(u, user), unread_only ? "t" : "f",
				  px_m_ll(l, limit) };

	return fetch(db, "ai_chan_msgs",
		     "SELECT " MSG_COLS " FROM messages m LEFT JOIN users u ON u.id = m.author_id"
		     " WHERE m.channel_id = $1 AND m.thread_root_id IS NULL AND m.deleted_at IS NULL"
		     " AND m.channel_id IN (SELECT channel_id FROM channel_members WHERE user_id = $2)"
		     " AND (NOT $3::boolean OR m.id > coalesce((SELECT last_read_id FROM channel_members"
		     "  WHERE channel_id = $1 AND user_id = $2), 0))"
		     " ORDER BY m.id DESC LIMIT $4", 4, params, r, 1);
}

enum px_err px_m_ai_thread_msgs(struct px_db *db, long long channel, long long root, int limit,
				struct px_m_ai_rows *r)
{
	char c[PX_M_LL], t[PX_M_LL], l[PX_M_LL];
	const char *params[3] = { px_m_ll(c, channel), px_m_ll(t, root), px_m_ll(l, limit) };
	enum px_err e;

	e = fetch(db, "ai_thread_msgs",
		  "SELECT " MSG_COLS " FROM messages m LEFT JOIN users u ON u.id = m.author_id"
		  " WHERE m.channel_id = $1 AND (m.id = $2 OR m.thread_root_id = $2)"
		  " AND m.deleted_at IS NULL ORDER BY m.id LIMIT $3", 3, params, r, 0);
	if (e == PX_OK && (r->n == 0 || r->v[0].id != root)) {
		px_m_ai_rows_free(r);
		return PX_E_VALIDATION_NOT_FOUND;
	}
	return e;
}

enum px_err px_m_ai_message(struct px_db *db, long long channel, long long id,
			    struct px_m_ai_rows *r)
{
	char c[PX_M_LL], i[PX_M_LL];
	const char *params[2] = { px_m_ll(c, channel), px_m_ll(i, id) };
	enum px_err e = fetch(db, "ai_message",
			      "SELECT " MSG_COLS " FROM messages m LEFT JOIN users u ON u.id = m.author_id"
			      " WHERE m.channel_id = $1 AND m.id = $2 AND m.deleted_at IS NULL",
			      2, params, r, 0);

	if (e == PX_OK && r->n == 0) {
		px_m_ai_rows_free(r);
		return PX_E_VALIDATION_NOT_FOUND;
	}
	return e;
}

/* Appends ids as a PostgreSQL array literal. */
static void id_array(struct px_buf *b, const long long *ids, size_t n)
{
	size_t i;

	px_buf_putc(b, '{');
	for (i = 0; i < n; i++)
		px_buf_printf(b, "%s%lld", i ? "," : "", ids[i]);
	px_buf_putc(b, '}');
}

enum px_err px_m_ai_readable(struct px_db *db, long long user, const long long *ids, size_t n,
			     struct px_m_ai_rows *r)
{
	struct px_buf arr = PX_BUF_INIT;
	char u[PX_M_LL];
	const char *params[2];
	enum px_err e;

	id_array(&arr, ids, n);
	if (arr.failed)
		return PX_E_SYSTEM_INTERNAL;
	params[0] = px_m_ll(u, user);
	params[1] = arr.data;
	e = fetch(db, "ai_readable",
		  "SELECT " MSG_COLS " FROM messages m LEFT JOIN users u ON u.id = m.author_id"
		  " WHERE m.id = ANY ($2::bigint[]) AND m.deleted_at IS NULL"
		  " AND m.channel_id IN (SELECT channel_id FROM channel_members WHERE user_id = $1)",
		  2, params, r, 0);
	px_buf_free(&arr);
	return e;
}

enum px_err px_m_ai_fts(struct px_db *db, long long user, const char *words, const char *lang,
			long long floor, int limit, long long *ids, size_t *n)
{
	struct px_buf q = PX_BUF_INIT;
	char u[PX_M_LL], l[PX_M_LL], w[PX_M_LL];
	const char *params[5], *p = words;
	PGresult *r = NULL;
	enum px_err e;
	int i;

	*n = 0;
	/* words are letters and digits only (the handler made them so), so
	 * quoting them is enough; any word may match */
	while (*p) {
		size_t k = strcspn(p, "\n");

		if (k)
			px_buf_printf(&q, "%s'%.*s'", q.len ? " | " : "", (int)k, p);
		p += k + (p[k] == '\n');
	}
	if (!q.len || q.failed) {
		px_buf_free(&q);
		return q.failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
	}
	params[0] = px_m_ll(u, user);
	params[1] = q.data;
	params[2] = lang;
	params[3] = px_m_ll(l, limit);
	params[4] = px_m_ll(w, floor);
	/* the id floor bounds the work when common words match much, and only
	 * the newest FTS_RECENT matches are ranked: walking the primary key
	 * backwards stops at them instead of testing every row of the window
	 * (ask's p95 at 1 M messages, bench/ai-bench.sh). Unprepared on
	 * purpose, as in model/search.c: the plan depends on the floor and the
	 * words, which a cached generic plan would know neither */
	e = px_db_exec(db,
				"SELECT x.id FROM (SELECT m.id, m.tsv FROM messages m"
				" WHERE m.deleted_at IS NULL AND m.id > $5::bigint"
				" AND m.channel_id IN (SELECT channel_id FROM channel_members WHERE user_id = $1)"
				" AND m.tsv @@ to_tsquery($3::regconfig, $2)"
				" ORDER BY m.id DESC LIMIT " STR(FTS_RECENT) ") x"
				" ORDER BY ts_rank(x.tsv, to_tsquery($3::regconfig, $2)) DESC, x.id DESC LIMIT $4",
				5, params, &r);
	px_buf_free(&q);
	if (e != PX_OK)
		return e;
	for (i = 0; i < PQntuples(r) && i < limit; i++)
		ids[(*n)++] = atoll(PQgetvalue(r, i, 0));
	PQclear(r);
	return PX_OK;
}

/* --- embeddings ------------------------------------------------------------- */

enum px_err px_m_ai_queue_take(struct px_db *db, int limit, struct px_m_ai_rows *r)
{
	char l[PX_M_LL];
	const char *params[1] = { px_m_ll(l, limit) };

	return fetch(db, "ai_queue_take",
		     /* the messages are locked here too (key share, as the
		      * embeddings' foreign key will): a post being edited or
		      * deleted, which locks its message and then its queue row,
		      * is skipped now instead of deadlocking with this batch */
		     "WITH b AS (SELECT q.message_id FROM ai_embed_queue q"
		     "  JOIN messages m ON m.id = q.message_id ORDER BY q.message_id LIMIT $1"
		     "  FOR UPDATE OF q SKIP LOCKED FOR KEY SHARE OF m SKIP LOCKED),"
		     " d AS (DELETE FROM ai_embed_queue q USING b WHERE q.message_id = b.message_id"
		     "  RETURNING q.message_id)"
		     " SELECT m.id, m.channel_id, '', m.body FROM messages m JOIN d ON d.message_id = m.id"
		     " WHERE m.deleted_at IS NULL", 1, params, r, 0);
}

enum px_err px_m_ai_embed_store(struct px_db *db, const char *model, const long long *ids,
				const long long *channels, const signed char *vecs, int dim,
				size_t n)
{
	struct px_buf a = PX_BUF_INIT, c = PX_BUF_INIT, v = PX_BUF_INIT;
	static const char hex[] = "0123456789abcdef";
	char d[PX_M_LL];
	const char *params[5];
	enum px_err e = PX_E_SYSTEM_INTERNAL;
	size_t i;
	int k;

	if (n == 0)
		return PX_OK;
	id_array(&a, ids, n);
	id_array(&c, channels, n);
	px_buf_reserve(&v, n * ((size_t)dim * 2 + 1) + 2);
	px_buf_putc(&v, '{');
	for (i = 0; i < n; i++) {
		if (i)
			px_buf_putc(&v, ',');
		for (k = 0; k < dim; k++) {
			unsigned char b = (unsigned char)vecs[i * (size_t)dim + (size_t)k];

			px_buf_putc(&v, hex[b >> 4]);
			px_buf_putc(&v, hex[b & 15]);
		}
	}
	px_buf_putc(&v, '}');
	if (a.failed || c.failed || v.failed)
		goto out;
	params[0] = a.data;
	params[1] = c.data;
	params[2] = model;
	params[3] = v.data;
	params[4] = px_m_ll(d, dim);
	/* before any change number is drawn: the index builder must be able
	 * to wait for this transaction (model/ai_ann.h) */
	e = px_m_exec_rows(db, "ai_embed_lock",
			   "SELECT pg_advisory_xact_lock_shared(" STR(PX_M_AI_ANN_LOCK) ")", 0, NULL,
			   NULL);
	if (e != PX_OK)
		goto out;
	e = px_m_exec_rows(db, "ai_embed_store",
			   "INSERT INTO ai_embeddings (message_id, channel_id, model, vec, dim)"
			   " SELECT t.m, t.c, $3, decode(t.h, 'hex'), $5::int"
			   " FROM unnest($1::bigint[], $2::bigint[], $4::text[]) AS t(m, c, h)"
			   " JOIN messages x ON x.id = t.m AND x.deleted_at IS NULL"
			   " ON CONFLICT (message_id) DO UPDATE SET channel_id = EXCLUDED.channel_id,"
			   " model = EXCLUDED.model, vec = EXCLUDED.vec, dim = EXCLUDED.dim,"
			   " seq = nextval('ai_embeddings_seq')", 5, params, NULL);
out:
	px_buf_free(&a);
	px_buf_free(&c);
	px_buf_free(&v);
	return e;
}

enum px_err px_m_ai_vectors(struct px_db *db, long long user, const char *model, int dim,
			    long long floor, px_m_ai_vec_fn fn, void *arg)
{
	char u[PX_M_LL], l[PX_M_LL], d[PX_M_LL];
	const char *params[4] = { px_m_ll(u, user), model, px_m_ll(l, floor), px_m_ll(d, dim) };
	int lens[4] = { 0, 0, 0, 0 }, fmts[4] = { 0, 0, 0, 0 };
	PGresult *r;
	int i;

	/* binary results: the vectors come as raw bytes, no hex to decode; the
	 * floor, known when planning, makes this a range of the primary key,
	 * so its cost does not grow with the table */
	r = PQexecParams(px_db_conn(db),
			 "SELECT e.message_id, e.vec FROM ai_embeddings e"
			 " WHERE e.channel_id IN (SELECT channel_id FROM channel_members WHERE user_id = $1::bigint)"
			 " AND e.model = $2 AND e.message_id > $3::bigint AND e.dim = $4::int",
			 4, NULL, params, lens, fmts, 1);
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		return PX_E_SYSTEM_DB_UNAVAILABLE;
	}
	for (i = 0; i < PQntuples(r); i++) {
		const unsigned char *idb = (const unsigned char *)PQgetvalue(r, i, 0);
		long long id = 0;
		int k;

		for (k = 0; k < 8; k++)
			id = (id << 8) | idb[k];
		fn(arg, id, (const signed char *)PQgetvalue(r, i, 1), PQgetlength(r, i, 1));
	}
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_ai_has_vectors(struct px_db *db, long long user, const char *model, int *yes)
{
	char u[PX_M_LL];
	const char *params[2] = { px_m_ll(u, user), model };
	PGresult *r = NULL;
	enum px_err e = px_m_one_row(db, "ai_has_vectors",
				     "SELECT EXISTS (SELECT 1 FROM ai_embeddings e"
				     " WHERE e.channel_id IN (SELECT channel_id FROM channel_members"
				     " WHERE user_id = $1) AND e.model = $2)", 2, params, &r);

	*yes = 0;
	if (e == PX_OK) {
		*yes = tf(r, 0);
		PQclear(r);
	}
	return e;
}

enum px_err px_m_ai_embed_channels(struct px_db *db, px_m_ai_chan_model_fn fn, void *arg)
{
	PGresult *r = NULL;
	enum px_err e = px_db_exec_prepared(db, "ai_embed_channels",
					    "SELECT DISTINCT channel_id, model FROM ai_embeddings",
					    0, NULL, &r);
	int i;

	if (e != PX_OK)
		return e;
	for (i = 0; i < PQntuples(r); i++)
		fn(arg, atoll(PQgetvalue(r, i, 0)), PQgetvalue(r, i, 1));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_ai_embed_requeue(struct px_db *db, long long channel, const char *model,
				  long *n)
{
	char c[PX_M_LL];
	const char *params[2] = { px_m_ll(c, channel), model };

	return px_m_exec_rows(db, "ai_embed_requeue",
			      "INSERT INTO ai_embed_queue (message_id)"
			      " SELECT message_id FROM ai_embeddings WHERE channel_id = $1 AND model <> $2"
			      " ON CONFLICT DO NOTHING", 2, params, n);
}

enum px_err px_m_ai_floor(struct px_db *db, long window, long long *floor)
{
	PGresult *r = NULL;
	enum px_err e;

	*floor = 0;
	if (window <= 0)
		return PX_OK;
	e = px_db_exec_prepared(db, "msg_newest", "SELECT coalesce(max(id), 0) FROM messages", 0,
				NULL, &r);
	if (e == PX_OK) {
		*floor = atoll(PQgetvalue(r, 0, 0)) - window;
		if (*floor < 0)
			*floor = 0;
		PQclear(r);
	}
	return e;
}

enum px_err px_m_ai_queue_len(struct px_db *db, long long *n)
{
	PGresult *r = NULL;
	enum px_err e = px_m_one_row(db, "ai_queue_len", "SELECT count(*) FROM ai_embed_queue", 0,
				     NULL, &r);

	if (e == PX_OK) {
		*n = atoll(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	return e;
}

/* --- moderation ---------------------------------------------------------------- */

enum px_err px_m_ai_mod_add(struct px_db *db, const struct px_m_ai_mod *m, long long *id)
{
	char c[PX_M_LL], a[PX_M_LL], msg[PX_M_LL], t[PX_M_LL];
	const char *params[9] = { px_m_ll(c, m->channel), px_m_ll(a, m->author),
				  m->message ? px_m_ll(msg, m->message) : NULL,
				  m->thread_root ? px_m_ll(t, m->thread_root) : NULL,
				  m->body, m->action, m->category, m->match, m->recheck ? "t" : "f" };
	PGresult *r = NULL;
	enum px_err e = px_m_one_row(db, "ai_mod_add",
				     "INSERT INTO ai_moderation (channel_id, author_id, message_id,"
				     " thread_root_id, body, action, category, match, recheck_at)"
				     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
				     " CASE WHEN $9::boolean THEN now() END) RETURNING id",
				     9, params, &r);

	if (e == PX_OK) {
		*id = atoll(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	return e;
}

enum px_err px_m_ai_mod_list(struct px_db *db, int limit, struct px_buf *out)
{
	char l[PX_M_LL];
	const char *params[1] = { px_m_ll(l, limit) };

	return px_m_json_row(db, "ai_mod_list",
			     "SELECT json_build_object('items', coalesce(json_agg(json_build_object("
			     " 'id', x.id, 'created_at', x.created_at, 'channel_id', x.channel_id,"
			     " 'channel', c.name::text, 'author', u.username::text, 'message_id', x.message_id,"
			     " 'body', x.body, 'action', x.action, 'category', x.category, 'match', x.match)"
			     " ORDER BY x.id), '[]'))"
			     " FROM (SELECT * FROM ai_moderation WHERE status = 'pending' ORDER BY id LIMIT $1) x"
			     " JOIN channels c ON c.id = x.channel_id LEFT JOIN users u ON u.id = x.author_id",
			     1, params, out);
}

enum px_err px_m_ai_mod_decide(struct px_db *db, long long id, int approve, long long by,
			       struct px_m_ai_mod_entry *en)
{
	char i[PX_M_LL], b[PX_M_LL];
	const char *params[3] = { px_m_ll(i, id), approve ? "approved" : "rejected",
				  by ? px_m_ll(b, by) : NULL };
	PGresult *r = NULL;
	enum px_err e = px_m_one_row(db, "ai_mod_decide",
				     "UPDATE ai_moderation SET status = $2, reviewed_by = $3,"
				     " reviewed_at = now() WHERE id = $1 AND status = 'pending'"
				     " RETURNING channel_id, coalesce(author_id, 0),"
				     " coalesce(thread_root_id, 0), action, body, coalesce(message_id, 0)",
				     3, params, &r);

	if (e != PX_OK)
		return e;
	en->channel = atoll(PQgetvalue(r, 0, 0));
	en->author = atoll(PQgetvalue(r, 0, 1));
	en->thread_root = atoll(PQgetvalue(r, 0, 2));
	snprintf(en->action, sizeof(en->action), "%s", PQgetvalue(r, 0, 3));
	en->body = strdup(PQgetvalue(r, 0, 4));
	en->message = atoll(PQgetvalue(r, 0, 5));
	PQclear(r);
	return en->body ? PX_OK : PX_E_SYSTEM_INTERNAL;
}

enum px_err px_m_ai_mod_posted(struct px_db *db, long long id, long long message)
{
	char i[PX_M_LL], m[PX_M_LL];
	const char *params[2] = { px_m_ll(i, id), px_m_ll(m, message) };

	return px_m_exec_rows(db, "ai_mod_posted",
			      "UPDATE ai_moderation SET message_id = $2 WHERE id = $1", 2, params, NULL);
}

enum px_err px_m_ai_recheck_take(struct px_db *db, struct px_m_ai_recheck *v, size_t cap, size_t *n)
{
	char l[PX_M_LL];
	const char *params[1] = { px_m_ll(l, (long long)cap) };
	PGresult *r = NULL;
	enum px_err e;
	int i;

	*n = 0;
	e = px_db_exec_prepared(db, "ai_recheck_take",
				"UPDATE ai_moderation x SET recheck_at = now() + interval '10 minutes',"
				" recheck_attempts = x.recheck_attempts + 1"
				/* a held post has no message yet; a posted one must
				 * still be there */
				" FROM (SELECT a.id FROM ai_moderation a"
				" LEFT JOIN messages m ON m.id = a.message_id"
				" WHERE a.recheck_at <= now() AND a.status = 'pending'"
				" AND (m.deleted_at IS NULL AND a.message_id IS NOT NULL"
				" OR a.message_id IS NULL AND a.action = 'hold')"
				" ORDER BY a.recheck_at LIMIT $1 FOR UPDATE OF a SKIP LOCKED) s"
				" WHERE x.id = s.id RETURNING x.id, x.channel_id, coalesce(x.author_id, 0),"
				" coalesce(x.message_id, 0), x.recheck_attempts, x.body",
				1, params, &r);
	if (e != PX_OK)
		return e;
	for (i = 0; i < PQntuples(r) && *n < cap; i++) {
		struct px_m_ai_recheck *x = &v[*n];

		x->id = atoll(PQgetvalue(r, i, 0));
		x->channel = atoll(PQgetvalue(r, i, 1));
		x->author = atoll(PQgetvalue(r, i, 2));
		x->message = atoll(PQgetvalue(r, i, 3));
		x->attempts = atoi(PQgetvalue(r, i, 4));
		if (!(x->body = strdup(PQgetvalue(r, i, 5)))) {
			e = PX_E_SYSTEM_INTERNAL;
			break;
		}
		(*n)++;
	}
	PQclear(r);
	return e;
}

enum px_err px_m_ai_recheck_done(struct px_db *db, long long id, const struct px_m_ai_verdict_row *v)
{
	char i[PX_M_LL];
	const char *params[6] = { px_m_ll(i, id), v->status, v->action, v->category, v->match,
				  v->unlink ? "t" : "f" };

	return px_m_exec_rows(db, "ai_recheck_done",
			      "UPDATE ai_moderation SET recheck_at = NULL, status = $2, action = $3,"
			      " category = $4, match = $5,"
			      " message_id = CASE WHEN $6::boolean THEN NULL ELSE message_id END,"
			      " reviewed_at = CASE WHEN $2 <> 'pending' THEN now() END"
			      " WHERE id = $1", 6, params, NULL);
}

enum px_err px_m_ai_recheck_later(struct px_db *db, long long id, int delay_s)
{
	char i[PX_M_LL], d[PX_M_LL];
	const char *params[2] = { px_m_ll(i, id), px_m_ll(d, delay_s) };

	return px_m_exec_rows(db, "ai_recheck_later",
			      "UPDATE ai_moderation SET recheck_at = CASE WHEN $2::int > 0"
			      " THEN now() + make_interval(secs => $2::int) END WHERE id = $1",
			      2, params, NULL);
}

/* --- insights ------------------------------------------------------------------- */

enum px_err px_m_ai_insights(struct px_db *db, int days, struct px_buf *out)
{
	char d[PX_M_LL];
	const char *params[1] = { px_m_ll(d, days) };

	return px_m_json_row(
		db, "ai_insights",
		"WITH w AS (SELECT * FROM messages WHERE deleted_at IS NULL"
		"  AND created_at >= now() - make_interval(days => $1::int))"
		" SELECT json_build_object("
		" 'days', $1::int,"
		" 'activity', (SELECT coalesce(json_agg(json_build_object('day', d, 'messages', n)"
		"   ORDER BY d), '[]') FROM (SELECT date_trunc('day', created_at)::date AS d, count(*) AS n"
		"   FROM w GROUP BY 1) a),"
		" 'busiest_channels', (SELECT coalesce(json_agg(json_build_object('id', c.id,"
		"   'name', c.name::text, 'kind', c.kind, 'messages', b.n) ORDER BY b.n DESC), '[]')"
		"   FROM (SELECT channel_id, count(*) AS n FROM w GROUP BY 1 ORDER BY 2 DESC LIMIT 10) b"
		"   JOIN channels c ON c.id = b.channel_id),"
		" 'response_times', (SELECT json_build_object('threads', count(*),"
		"   'median_seconds', round(coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY s), 0)::numeric, 1),"
		"   'p90_seconds', round(coalesce(percentile_cont(0.9) WITHIN GROUP (ORDER BY s), 0)::numeric, 1))"
		"   FROM (SELECT extract(epoch FROM min(r.created_at) - t.created_at) AS s"
		"   FROM w t JOIN messages r ON r.thread_root_id = t.id AND r.author_id IS DISTINCT FROM t.author_id"
		"   WHERE t.thread_root_id IS NULL GROUP BY t.id, t.created_at) x),"
		" 'topics', (SELECT coalesce(json_agg(json_build_object('word', word, 'messages', ndoc)"
		"   ORDER BY ndoc DESC), '[]') FROM (SELECT word, ndoc FROM ts_stat("
		"   'SELECT tsv FROM messages WHERE deleted_at IS NULL ORDER BY id DESC LIMIT 5000')"
		"   WHERE length(word) > 3 ORDER BY ndoc DESC, word LIMIT 15) t))",
		1, params, out);
}

enum px_err px_m_ai_recommend(struct px_db *db, long long user, int limit, struct px_buf *out)
{
	char u[PX_M_LL], l[PX_M_LL];
	const char *params[2] = { px_m_ll(u, user), px_m_ll(l, limit) };

	return px_m_json_row(
		db, "ai_recommend",
		"WITH peers AS (SELECT DISTINCT o.user_id FROM channel_members me"
		"  JOIN channel_members o ON o.channel_id = me.channel_id AND o.user_id <> me.user_id"
		"  WHERE me.user_id = $1)"
		" SELECT json_build_object('channels', coalesce(json_agg(json_build_object('id', id,"
		" 'name', name, 'topic', topic, 'score', score, 'active_peers', peers)"
		" ORDER BY score DESC, id), '[]')) FROM (SELECT c.id, c.name::text AS name, c.topic,"
		"  count(DISTINCT m.author_id) FILTER (WHERE m.author_id IN (SELECT user_id FROM peers)) AS peers,"
		"  count(DISTINCT m.author_id) FILTER (WHERE m.author_id IN (SELECT user_id FROM peers)) * 10"
		"   + count(m.id) AS score"
		"  FROM channels c LEFT JOIN messages m ON m.channel_id = c.id AND m.deleted_at IS NULL"
		"   AND m.created_at >= now() - interval '30 days'"
		"  WHERE c.kind = 'public' AND c.archived_at IS NULL"
		"  AND NOT EXISTS (SELECT 1 FROM channel_members x WHERE x.channel_id = c.id AND x.user_id = $1)"
		"  GROUP BY c.id ORDER BY score DESC, c.id LIMIT $2) r",
		2, params, out);
}
