/* model/ai_ann.c: the statements of model/ai_ann.h. Vectors come back in
 * binary (raw bytes, nothing to decode); ids then arrive as big-endian
 * 8-byte integers. */
#include "model/ai_ann.h"
#include "model/rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)
#define PAGE 20000

static long long be64(const char *p)
{
	const unsigned char *b = (const unsigned char *)p;
	unsigned long long v = 0;
	int k;

	for (k = 0; k < 8; k++)
		v = (v << 8) | b[k];
	return (long long)v;
}

/* Runs sql (unnamed, so planned with the actual values) with binary
 * results; NULL when the connection is gone or the statement failed. */
static PGresult *query_bin(struct px_db *db, const char *sql, int n, const char *const *params)
{
	PGconn *c = px_db_conn(db);
	PGresult *r;

	if (!c)
		return NULL;
	r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 1);
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	PQclear(r);
	return NULL;
}

enum px_err px_m_ai_ann_channels(struct px_db *db, long long user, long long **out, size_t *n)
{
	char u[PX_M_LL];
	const char *params[1] = { px_m_ll(u, user) };
	PGresult *r = NULL;
	enum px_err e;
	int i;

	*out = NULL;
	*n = 0;
	e = px_db_exec_prepared(db, "ai_ann_channels",
				"SELECT channel_id FROM channel_members WHERE user_id = $1"
				" ORDER BY channel_id", 1, params, &r);
	if (e != PX_OK)
		return e;
	if (PQntuples(r) > 0 && !(*out = malloc(sizeof(**out) * (size_t)PQntuples(r)))) {
		PQclear(r);
		return PX_E_SYSTEM_INTERNAL;
	}
	for (i = 0; i < PQntuples(r); i++)
		(*out)[i] = atoll(PQgetvalue(r, i, 0));
	*n = (size_t)PQntuples(r);
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_ai_ann_since(struct px_db *db, long long user, const char *model,
			      long long after, long limit, px_m_ai_ann_vec_fn fn, void *arg,
			      size_t *rows)
{
	char u[PX_M_LL], a[PX_M_LL], l[PX_M_LL];
	const char *params[4] = { px_m_ll(u, user), model, px_m_ll(a, after), px_m_ll(l, limit) };
	PGresult *r;
	int i;

	*rows = 0;
	r = query_bin(db,
		      "SELECT e.message_id, e.vec FROM ai_embeddings e"
		      " WHERE e.seq > $3::bigint AND e.model = $2"
		      " AND e.channel_id IN (SELECT channel_id FROM channel_members WHERE user_id = $1::bigint)"
		      " LIMIT $4::bigint", 4, params);
	if (!r)
		return PX_E_SYSTEM_DB_UNAVAILABLE;
	for (i = 0; i < PQntuples(r); i++)
		fn(arg, be64(PQgetvalue(r, i, 0)), (const signed char *)PQgetvalue(r, i, 1),
		   PQgetlength(r, i, 1));
	*rows = (size_t)PQntuples(r);
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_ai_ann_count(struct px_db *db, const char *model, long long after, long cap,
			      long long *n)
{
	char a[PX_M_LL], c[PX_M_LL];
	const char *params[3] = { model, px_m_ll(c, cap), px_m_ll(a, after) };
	PGresult *r = NULL;
	enum px_err e;

	/* LIMIT inside: the count stops at cap instead of walking every row */
	if (after < 0)
		e = px_m_one_row(db, "ai_ann_count_all",
				 "SELECT count(*) FROM (SELECT 1 FROM ai_embeddings"
				 " WHERE model = $1 LIMIT $2) x", 2, params, &r);
	else
		e = px_m_one_row(db, "ai_ann_count_since",
				 "SELECT count(*) FROM (SELECT 1 FROM ai_embeddings"
				 " WHERE seq > $3 AND model = $1 LIMIT $2) x", 3, params, &r);
	if (e == PX_OK) {
		*n = atoll(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	return e;
}

enum px_err px_m_ai_ann_max_seq(struct px_db *db, long long *seq)
{
	PGresult *r = NULL;
	enum px_err e = px_m_one_row(db, "ai_ann_max_seq",
				     "SELECT coalesce(max(seq), 0) FROM ai_embeddings", 0, NULL, &r);

	if (e == PX_OK) {
		*seq = atoll(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	return e;
}

static int command_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	int ok = r && (PQresultStatus(r) == PGRES_COMMAND_OK ||
		       PQresultStatus(r) == PGRES_TUPLES_OK);

	PQclear(r);
	return ok;
}

/* One page of vectors with message ids above *after; advances *after.
 * Returns the number of rows, or -1 (database failure or fn stopped). */
static long page(PGconn *c, const char *model, long long *after, px_m_ai_ann_row_fn fn,
		 void *arg)
{
	char a[PX_M_LL];
	const char *params[2] = { model, px_m_ll(a, *after) };
	PGresult *r = PQexecParams(c,
				   "SELECT message_id, channel_id, vec FROM ai_embeddings"
				   " WHERE model = $1 AND message_id > $2::bigint"
				   " ORDER BY message_id LIMIT " STR(PAGE),
				   2, NULL, params, NULL, NULL, 1);
	long n = -1;
	int i;

	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK)
		goto out;
	for (i = 0; i < PQntuples(r); i++) {
		*after = be64(PQgetvalue(r, i, 0));
		if (fn(arg, *after, be64(PQgetvalue(r, i, 1)),
		       (const signed char *)PQgetvalue(r, i, 2), PQgetlength(r, i, 2)) != 0)
			goto out;
	}
	n = PQntuples(r);
out:
	PQclear(r);
	return n;
}

/* The vectors numbered above after, in one query. Returns the number of
 * rows, or -1. */
static long newer(PGconn *c, const char *model, long long after, px_m_ai_ann_row_fn fn,
		  void *arg)
{
	char a[PX_M_LL];
	const char *params[2] = { model, px_m_ll(a, after) };
	PGresult *r = PQexecParams(c,
				   "SELECT message_id, channel_id, vec FROM ai_embeddings"
				   " WHERE model = $1 AND seq > $2::bigint",
				   2, NULL, params, NULL, NULL, 1);
	long n = -1;
	int i;

	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK)
		goto out;
	for (i = 0; i < PQntuples(r); i++)
		if (fn(arg, be64(PQgetvalue(r, i, 0)), be64(PQgetvalue(r, i, 1)),
		       (const signed char *)PQgetvalue(r, i, 2), PQgetlength(r, i, 2)) != 0)
			goto out;
	n = PQntuples(r);
out:
	PQclear(r);
	return n;
}

enum px_err px_m_ai_ann_load(struct px_db *db, const char *model, long long after,
			     px_m_ai_ann_row_fn fn, void *arg, long long *watermark)
{
	PGconn *c = px_db_conn(db);
	PGresult *r = NULL;
	int locked = 0, in_tx = 0;
	enum px_err e = PX_E_SYSTEM_DB_UNAVAILABLE;
	long n;

	*watermark = 0;
	if (!c)
		return e;
	/* the exclusive lock waits for every store in flight to commit and
	 * holds new ones back until the snapshot below has started */
	if (!(locked = command_ok(c, "SELECT pg_advisory_lock(" STR(PX_M_AI_ANN_LOCK) ")")) ||
	    !(in_tx = command_ok(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")))
		goto out;
	r = PQexec(c, "SELECT coalesce(max(seq), 0) FROM ai_embeddings");
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK)
		goto out;
	*watermark = atoll(PQgetvalue(r, 0, 0));
	locked = !command_ok(c, "SELECT pg_advisory_unlock(" STR(PX_M_AI_ANN_LOCK) ")");
	if (locked)
		goto out;
	e = PX_E_SYSTEM_INTERNAL;
	if (after >= 0) {
		n = newer(c, model, after, fn, arg);
	} else {
		long long from = 0;

		while ((n = page(c, model, &from, fn, arg)) == PAGE)
			;
	}
	if (n < 0)
		goto out;
	in_tx = 0;
	if (!command_ok(c, "COMMIT"))
		goto out;
	e = PX_OK;
out:
	PQclear(r);
	if (in_tx)
		command_ok(c, "ROLLBACK");
	if (locked)
		command_ok(c, "SELECT pg_advisory_unlock(" STR(PX_M_AI_ANN_LOCK) ")");
	return e;
}
