/* model/events.c: reads of the ordered event log (writes happen through
 * px_emit() inside each change's transaction). Every read stops below
 * px_event_horizon() (sql/170): past it a transaction still running may yet
 * commit an event with a smaller id than one already visible. */
#include "model/events.h"
#include "model/rows.h"

#include <stdlib.h>
#include <string.h>

static long long ll_or0(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : atoll(PQgetvalue(r, row, col));
}

/* Feeds rows (id, channel_id, user_id, kind, json) to fn, skipping a
 * NULL id (the empty side of an outer join). */
static int feed(PGresult *r, px_m_event_fn fn, void *arg)
{
	int i, n = 0;

	for (i = 0; i < PQntuples(r); i++) {
		struct px_m_event ev;

		if (PQgetisnull(r, i, 0))
			continue;
		ev.id = atoll(PQgetvalue(r, i, 0));
		ev.channel_id = ll_or0(r, i, 1);
		ev.user_id = ll_or0(r, i, 2);
		ev.kind = PQgetvalue(r, i, 3);
		ev.json = PQgetvalue(r, i, 4);
		ev.json_len = (size_t)PQgetlength(r, i, 4);
		n++;
		if (fn(arg, &ev))
			break;
	}
	return n;
}

enum px_err px_m_events_fetch(struct px_db *db, long long after, int limit,
			      px_m_event_fn fn, void *arg, int *n, int *held)
{
	char a[PX_M_LL], l[PX_M_LL];
	const char *p[2] = { px_m_ll(a, after), px_m_ll(l, limit) };
	PGresult *r = NULL;
	enum px_err e;

	/* one statement, one snapshot: the horizon and both scans agree */
	e = px_db_exec_prepared(db, "ev_fetch",
		"SELECT e.id, e.channel_id, e.user_id, e.kind, px_event_json(e)::text, h.held"
		" FROM (SELECT EXISTS (SELECT 1 FROM events x WHERE x.id > $1"
		" AND x.id >= px_event_horizon()) AS held) h"
		" LEFT JOIN LATERAL (SELECT * FROM events e WHERE e.id > $1"
		" AND e.id < px_event_horizon() ORDER BY e.id LIMIT $2) e ON true"
		" ORDER BY e.id", 2, p, &r);
	if (e != PX_OK)
		return e;
	*held = PQntuples(r) && strcmp(PQgetvalue(r, 0, 5), "t") == 0;
	*n = feed(r, fn, arg);
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_events_for_user(struct px_db *db, long long user, long long after,
				 int limit, px_m_event_fn fn, void *arg, int *n,
				 long long *head)
{
	char u[PX_M_LL], a[PX_M_LL], l[PX_M_LL];
	const char *p[3] = { px_m_ll(u, user), px_m_ll(a, after), px_m_ll(l, limit) };
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec_prepared(db, "ev_for_user",
		"SELECT e.id, e.channel_id, e.user_id, e.kind, px_event_json(e)::text, h.head"
		" FROM (SELECT coalesce(max(id), 0) AS head FROM events"
		" WHERE id < px_event_horizon()) h"
		" LEFT JOIN LATERAL (SELECT * FROM events e WHERE e.id > $2"
		" AND e.id < px_event_horizon() AND (e.user_id = $1"
		" OR e.channel_id IN (SELECT channel_id FROM channel_members WHERE user_id = $1))"
		" ORDER BY e.id LIMIT $3) e ON true ORDER BY e.id", 3, p, &r);
	if (e != PX_OK)
		return e;
	*head = PQntuples(r) ? ll_or0(r, 0, 5) : 0;
	*n = feed(r, fn, arg);
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_events_state(struct px_db *db, long long *head, long long *pruned)
{
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec_prepared(db, "ev_state",
		"SELECT (SELECT coalesce(max(id), 0) FROM events WHERE id < px_event_horizon()),"
		" upto_id FROM events_pruned",
		0, NULL, &r);
	if (e != PX_OK)
		return e;
	*head = PQntuples(r) ? ll_or0(r, 0, 0) : 0;
	*pruned = PQntuples(r) ? ll_or0(r, 0, 1) : 0;
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_events_prune(struct px_db *db, int hours, long *removed)
{
	char h[PX_M_LL];
	const char *p[1] = { px_m_ll(h, hours) };

	return px_m_exec_rows(db, "ev_prune",
		/* ids rise with time: the first young event bounds the old ones,
		 * found by walking the primary key from the oldest */
		"WITH d AS (DELETE FROM events WHERE id < coalesce((SELECT id FROM events"
		" WHERE at >= now() - make_interval(hours => $1::int) ORDER BY id LIMIT 1),"
		" (SELECT max(id) + 1 FROM events)) RETURNING id)"
		" UPDATE events_pruned SET upto_id = GREATEST(upto_id,"
		" (SELECT max(id) FROM d)) WHERE EXISTS (SELECT 1 FROM d)", 1, p, removed);
}

enum px_err px_m_events_wake(struct px_db *db)
{
	return px_db_exec_prepared(db, "ev_wake",
		"SELECT pg_notify('" PX_M_EVENTS_CHANNEL "', '')", 0, NULL, NULL);
}

enum px_err px_m_events_listen(struct px_db *db)
{
	static const char *const listen[] = {
		"LISTEN " PX_M_EVENTS_CHANNEL, "LISTEN " PX_M_TYPING_CHANNEL,
		"LISTEN " PX_M_AUTH_CHANNEL,
	};
	enum px_err e = PX_OK;
	size_t i;

	for (i = 0; e == PX_OK && i < sizeof(listen) / sizeof(listen[0]); i++)
		e = px_db_exec(db, listen[i], 0, NULL, NULL);
	return e;
}

enum px_err px_m_events_channels(struct px_db *db, long long user, long long **ids,
				 size_t *n)
{
	char u[PX_M_LL];
	const char *p[1] = { px_m_ll(u, user) };
	PGresult *r = NULL;
	enum px_err e;
	int i;

	*ids = NULL;
	*n = 0;
	e = px_db_exec_prepared(db, "ev_channels",
		"SELECT channel_id FROM channel_members WHERE user_id = $1 ORDER BY channel_id",
		1, p, &r);
	if (e != PX_OK)
		return e;
	if (PQntuples(r) > 0) {
		*ids = malloc(sizeof(**ids) * (size_t)PQntuples(r));
		if (!*ids) {
			PQclear(r);
			return PX_E_SYSTEM_INTERNAL;
		}
	}
	for (i = 0; i < PQntuples(r); i++)
		(*ids)[i] = atoll(PQgetvalue(r, i, 0));
	*n = (size_t)PQntuples(r);
	PQclear(r);
	return PX_OK;
}

/* ---- open streams (sql/080) ---- */

/* ids as a PostgreSQL array literal, "{1,2,3}", for a bigint[] parameter. */
static void id_array(struct px_buf *out, const long long *ids, size_t n)
{
	size_t i;

	px_buf_putc(out, '{');
	for (i = 0; i < n; i++)
		px_buf_printf(out, "%s%lld", i ? "," : "", ids[i]);
	px_buf_putc(out, '}');
}

enum px_err px_m_streams_open(struct px_db *db, const struct px_m_stream *s, int per_user,
			      int per_addr, int lease, long long *id, int *refused)
{
	char u[PX_M_LL], sid[PX_M_LL], pu[PX_M_LL], pa[PX_M_LL], l[PX_M_LL];
	const char *p[7] = { px_m_ll(u, s->user), s->addr, px_m_ll(sid, s->session_id),
			     s->token_hash, px_m_ll(pu, per_user), px_m_ll(pa, per_addr),
			     px_m_ll(l, lease) };
	PGresult *r = NULL;
	enum px_err e;
	long long got;

	*id = 0;
	*refused = 0;
	e = px_db_exec_prepared(db, "ev_st_open",
		"SELECT px_stream_open($1, $2, $3, $4, $5, $6, $7)", 7, p, &r);
	if (e != PX_OK)
		return e;
	got = PQntuples(r) == 1 ? ll_or0(r, 0, 0) : 0;
	PQclear(r);
	if (got == -1 || got == -2)
		*refused = (int)-got;
	else if (got > 0)
		*id = got;
	else
		return PX_E_SYSTEM_INTERNAL;
	return PX_OK;
}

/* Runs a statement whose first parameter is the id array of ids. */
static enum px_err with_ids(struct px_db *db, const char *name, const char *sql,
			    const long long *ids, size_t n, const char *second,
			    PGresult **r)
{
	struct px_buf a = PX_BUF_INIT;
	const char *p[2];
	enum px_err e = PX_E_SYSTEM_INTERNAL;

	id_array(&a, ids, n);
	if (a.failed)
		goto out;
	p[0] = a.data;
	p[1] = second;
	e = px_db_exec_prepared(db, name, sql, second ? 2 : 1, p, r);
out:
	px_buf_free(&a);
	return e;
}

enum px_err px_m_streams_renew(struct px_db *db, const long long *ids, size_t n, int lease)
{
	char l[PX_M_LL];

	if (!n)
		return PX_OK;
	return with_ids(db, "ev_st_renew",
		"UPDATE event_streams SET lease_until = now() + make_interval(secs => $2::int)"
		" WHERE id = ANY($1::bigint[])", ids, n, px_m_ll(l, lease), NULL);
}

enum px_err px_m_streams_close(struct px_db *db, const long long *ids, size_t n)
{
	if (!n)
		return PX_OK;
	return with_ids(db, "ev_st_close",
		"DELETE FROM event_streams WHERE id = ANY($1::bigint[])", ids, n, NULL, NULL);
}

enum px_err px_m_streams_revoked(struct px_db *db, const long long *ids, size_t n,
				 unsigned scope, void (*fn)(void *arg, long long id),
				 void *arg)
{
	char sc[PX_M_LL];
	PGresult *r = NULL;
	enum px_err e;
	int i;

	if (!n)
		return PX_OK;
	/* mirrors the checks of px_m_sessions_lookup and px_m_tokens_lookup;
	 * a stream opened with neither counts as revoked */
	e = with_ids(db, "ev_st_revoked",
		"SELECT x.id FROM unnest($1::bigint[]) AS x(id)"
		" LEFT JOIN event_streams s ON s.id = x.id"
		" LEFT JOIN users u ON u.id = s.user_id"
		" WHERE s.id IS NULL OR u.id IS NULL OR u.deactivated_at IS NOT NULL"
		" OR (s.session_id IS NULL AND s.token_id IS NULL)"
		" OR (s.session_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sessions q"
		" WHERE q.id = s.session_id AND q.user_id = s.user_id"
		" AND q.revoked_at IS NULL AND q.expires_at >= now()))"
		" OR (s.token_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM api_tokens t"
		" WHERE t.id = s.token_id AND t.user_id = s.user_id AND t.revoked_at IS NULL"
		" AND coalesce(t.expires_at >= now(), true)"
		" AND t.scopes & $2::int = $2::int))", ids, n, px_m_ll(sc, scope), &r);
	if (e != PX_OK)
		return e;
	for (i = 0; i < PQntuples(r); i++)
		fn(arg, atoll(PQgetvalue(r, i, 0)));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_streams_channels(struct px_db *db, const long long *ids, size_t n,
				  void (*fn)(void *arg, long long id, long long channel),
				  void *arg)
{
	PGresult *r = NULL;
	enum px_err e;
	int i;

	if (!n)
		return PX_OK;
	e = with_ids(db, "ev_st_channels",
		"SELECT s.id, m.channel_id FROM event_streams s"
		" JOIN channel_members m ON m.user_id = s.user_id"
		" WHERE s.id = ANY($1::bigint[])", ids, n, NULL, &r);
	if (e != PX_OK)
		return e;
	for (i = 0; i < PQntuples(r); i++)
		fn(arg, atoll(PQgetvalue(r, i, 0)), atoll(PQgetvalue(r, i, 1)));
	PQclear(r);
	return PX_OK;
}
