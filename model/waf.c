/* model/waf.c: parameterised statements on waf_ip_list, waf_blocks,
 * waf_version and the WAF rows of audit_log. */
#include "model/waf.h"
#include "core/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISO_MS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

enum px_err px_m_waf_versions(struct px_db *db, long long *list_v, long long *block_v)
{
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec_prepared(db, "waf_versions",
				"SELECT list_v, block_v FROM waf_version WHERE id = 1", 0, NULL, &r);
	if (e != PX_OK)
		return e;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return PX_E_SYSTEM_INTERNAL;
	}
	*list_v = atoll(PQgetvalue(r, 0, 0));
	*block_v = atoll(PQgetvalue(r, 0, 1));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_waf_ip_all(struct px_db *db,
			    void (*fn)(const char *list, const char *cidr, void *arg), void *arg)
{
	PGresult *r = NULL;
	enum px_err e;
	int i;

	e = px_db_exec(db, "SELECT list, cidr::text FROM waf_ip_list", 0, NULL, &r);
	if (e != PX_OK)
		return e;
	for (i = 0; i < PQntuples(r); i++)
		fn(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), arg);
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_waf_ip_page(struct px_db *db, const char *list, const char *source,
			     long long after_id, int limit,
			     void (*fn)(const struct px_m_waf_ip *r, void *arg), void *arg,
			     int *more)
{
	char after[24], lim[16];
	const char *p[4] = { after, list, source, lim };
	PGresult *r = NULL;
	enum px_err e;
	int i;

	snprintf(after, sizeof(after), "%lld", after_id);
	snprintf(lim, sizeof(lim), "%d", limit + 1);
	e = px_db_exec(db,
		       "SELECT id, list, cidr::text, source, comment, coalesce(created_by, 0), "
		       ISO_MS("created_at") " FROM waf_ip_list"
		       " WHERE id > $1::bigint AND ($2::text IS NULL OR list = $2)"
		       " AND ($3::text IS NULL OR source = $3)"
		       " ORDER BY id LIMIT $4::int", 4, p, &r);
	if (e != PX_OK)
		return e;
	*more = PQntuples(r) > limit;
	for (i = 0; i < PQntuples(r) && i < limit; i++) {
		struct px_m_waf_ip row = {
			atoll(PQgetvalue(r, i, 0)), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
			PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), atoll(PQgetvalue(r, i, 5)),
			PQgetvalue(r, i, 6),
		};

		fn(&row, arg);
	}
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_waf_ip_add(struct px_db *db, const char *list, const char *cidr,
			    const char *source, const char *comment, long long created_by,
			    long long *id)
{
	char by[24];
	const char *p[5] = { list, cidr, source, comment ? comment : "", by };
	PGresult *r = NULL;
	enum px_err e;

	snprintf(by, sizeof(by), "%lld", created_by);
	e = px_db_exec(db,
		       "INSERT INTO waf_ip_list (list, cidr, source, comment, created_by)"
		       " VALUES ($1, $2::cidr, $3, $4, nullif($5::bigint, 0)) RETURNING id",
		       5, p, &r);
	if (e != PX_OK)
		return e;
	*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_waf_ip_delete(struct px_db *db, long long id)
{
	char ids[24];
	const char *p[1] = { ids };
	PGresult *r = NULL;
	enum px_err e;
	int n;

	snprintf(ids, sizeof(ids), "%lld", id);
	e = px_db_exec(db, "DELETE FROM waf_ip_list WHERE id = $1::bigint", 1, p, &r);
	if (e != PX_OK)
		return e;
	n = atoi(PQcmdTuples(r));
	PQclear(r);
	return n ? PX_OK : PX_E_VALIDATION_NOT_FOUND;
}

struct replace {
	const char *source;
	const char *array; /* "{a,b,...}" */
	long long removed, added;
};

static enum px_err replace_tx(struct px_db *db, void *arg)
{
	struct replace *rp = arg;
	const char *p1[1] = { rp->source };
	const char *p2[2] = { rp->array, rp->source };
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec(db, "DELETE FROM waf_ip_list WHERE source = $1 AND list = 'deny'", 1,
		       p1, &r);
	if (e != PX_OK)
		return e;
	rp->removed = atoll(PQcmdTuples(r));
	PQclear(r);
	e = px_db_exec(db,
		       "INSERT INTO waf_ip_list (list, cidr, source)"
		       " SELECT 'deny', c, $2 FROM unnest($1::cidr[]) AS c"
		       " ON CONFLICT DO NOTHING", 2, p2, &r);
	if (e != PX_OK)
		return e;
	rp->added = atoll(PQcmdTuples(r));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_waf_ip_replace_source(struct px_db *db, const char *source,
				       char *const *cidrs, size_t n, long long *removed,
				       long long *added)
{
	struct px_buf arr = PX_BUF_INIT;
	struct replace rp = { source, NULL, 0, 0 };
	enum px_err e;
	size_t i;

	/* canonical CIDR text holds only hex digits, '.', ':' and '/', so the
	 * array literal needs no quoting */
	px_buf_putc(&arr, '{');
	for (i = 0; i < n; i++) {
		if (i)
			px_buf_putc(&arr, ',');
		px_buf_puts(&arr, cidrs[i]);
	}
	px_buf_putc(&arr, '}');
	if (arr.failed) {
		px_buf_free(&arr);
		return PX_E_SYSTEM_INTERNAL;
	}
	rp.array = arr.data;
	e = px_db_tx(db, replace_tx, &rp);
	*removed = rp.removed;
	*added = rp.added;
	px_buf_free(&arr);
	return e;
}

enum px_err px_m_waf_block_add(struct px_db *db, const char *ip, long long seconds,
			       const char *reason)
{
	char secs[24];
	const char *p[3] = { ip, secs, reason ? reason : "" };
	enum px_err e;

	snprintf(secs, sizeof(secs), "%lld", seconds);
	/* old rows of other addresses go in the same statement; the row of
	 * this address is left to ON CONFLICT */
	e = px_db_exec_prepared(db, "waf_block_add",
				"WITH gone AS (DELETE FROM waf_blocks"
				" WHERE until < now() - interval '1 day' AND ip <> $1::inet)"
				" INSERT INTO waf_blocks (ip, until, reason)"
				" VALUES ($1::inet, now() + make_interval(secs => $2::bigint), $3)"
				" ON CONFLICT (ip) DO UPDATE"
				" SET until = greatest(waf_blocks.until, excluded.until),"
				" reason = excluded.reason", 3, p, NULL);
	return e;
}

enum px_err px_m_waf_blocks_active(struct px_db *db,
				   void (*fn)(const char *ip, time_t until, const char *reason,
					      void *arg),
				   void *arg)
{
	PGresult *r = NULL;
	enum px_err e;
	int i;

	e = px_db_exec_prepared(db, "waf_blocks_active",
				"SELECT host(ip), extract(epoch FROM until)::bigint, reason"
				" FROM waf_blocks WHERE until > now() ORDER BY until DESC",
				0, NULL, &r);
	if (e != PX_OK)
		return e;
	for (i = 0; i < PQntuples(r); i++)
		fn(PQgetvalue(r, i, 0), (time_t)atoll(PQgetvalue(r, i, 1)),
		   PQgetvalue(r, i, 2), arg);
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_waf_block_delete(struct px_db *db, const char *ip)
{
	const char *p[1] = { ip };
	PGresult *r = NULL;
	enum px_err e;
	int n;

	e = px_db_exec(db, "DELETE FROM waf_blocks WHERE ip = $1::inet AND until > now()", 1,
		       p, &r);
	if (e != PX_OK)
		return e;
	n = atoi(PQcmdTuples(r));
	PQclear(r);
	return n ? PX_OK : PX_E_VALIDATION_NOT_FOUND;
}

#define EVENT_COLS \
	"SELECT id, " ISO_MS("at") ", action, coalesce(target, ''), coalesce(host(ip), ''), " \
	"coalesce(correlation_id, ''), fields::text FROM audit_log" \
	" WHERE action LIKE 'waf.%' AND ($1::text IS NULL OR action = $1)" \
	" AND ($2::inet IS NULL OR ip = $2::inet)" \
	" AND ($3::timestamptz IS NULL OR at >= $3::timestamptz)"

#define STR_(x) #x
#define STR(x) STR_(x)

/* The highest audit_log id every row up to which is committed or rolled
 * back: the sequence's position, then a wait for the inserts that drew an
 * id before it (they hold PX_AUDIT_INSERT_LOCK shared until they end). */
static enum px_err settled_id(struct px_db *db, char out[24])
{
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec(db, "SELECT CASE WHEN is_called THEN last_value ELSE 0 END"
			   " FROM audit_log_id_seq", 0, NULL, &r);
	if (e != PX_OK)
		return e;
	snprintf(out, 24, "%s", PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "0");
	PQclear(r);
	return px_db_exec(db, "SELECT pg_advisory_lock(" STR(PX_AUDIT_INSERT_LOCK) "),"
			      " pg_advisory_unlock(" STR(PX_AUDIT_INSERT_LOCK) ")", 0, NULL, NULL);
}

enum px_err px_m_waf_events(struct px_db *db, const struct px_m_waf_event_q *q,
			    void (*fn)(const struct px_m_waf_event *ev, void *arg), void *arg,
			    int *more)
{
	char before[24], after[24], lim[16], upto[24] = "9223372036854775807";
	const char *p[7] = { q->action, q->ip, q->since, NULL, NULL, lim, upto };
	int i;
	PGresult *r = NULL;
	enum px_err e;

	snprintf(before, sizeof(before), "%lld", q->before_id);
	snprintf(after, sizeof(after), "%lld", q->after_id);
	snprintf(lim, sizeof(lim), "%d", q->limit + 1);
	p[3] = before;
	p[4] = after;
	/* oldest first, a cursor may only pass ids whose rows can no longer
	 * appear: ids are drawn before commit, so a later commit can hold a
	 * lower id than one already visible */
	if (q->oldest_first && (e = settled_id(db, upto)) != PX_OK)
		return e;
	e = px_db_exec(db,
		       q->oldest_first ? EVENT_COLS " AND ($4::bigint = 0 OR id < $4::bigint)"
				   " AND id > $5::bigint AND id <= $7::bigint ORDER BY id LIMIT $6::int"
				 : EVENT_COLS " AND ($4::bigint = 0 OR id < $4::bigint)"
				   " AND id > $5::bigint AND id <= $7::bigint ORDER BY id DESC LIMIT $6::int",
		       7, p, &r);
	if (e != PX_OK) {
		/* 22007/22008: a since value that is not a timestamp */
		return strncmp(px_db_last_sqlstate(db), "2200", 4) == 0
			       ? PX_E_VALIDATION_FIELD_FORMAT : e;
	}
	*more = PQntuples(r) > q->limit;
	for (i = 0; i < PQntuples(r) && i < q->limit; i++) {
		struct px_m_waf_event ev = {
			atoll(PQgetvalue(r, i, 0)), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
			PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5),
			PQgetvalue(r, i, 6),
		};

		fn(&ev, arg);
	}
	PQclear(r);
	return PX_OK;
}

static void str_member(struct px_buf *out, const char *name, const char *v)
{
	px_buf_printf(out, ",\"%s\":", name);
	px_buf_json_str(out, v, strlen(v));
}

void px_m_waf_event_jsonl(const struct px_m_waf_event *ev, struct px_buf *out)
{
	px_buf_printf(out, "{\"source\":\"plexichat.waf\",\"id\":%lld", ev->id);
	str_member(out, "at", ev->at);
	str_member(out, "action", ev->action);
	str_member(out, "target", ev->target);
	str_member(out, "ip", ev->ip);
	str_member(out, "correlation_id", ev->correlation_id);
	/* jsonb text from PostgreSQL: one line of valid JSON */
	px_buf_puts(out, ",\"fields\":");
	px_buf_puts(out, ev->fields[0] ? ev->fields : "{}");
	px_buf_puts(out, "}\n");
}

enum px_err px_m_waf_top_rules(struct px_db *db, long long seconds, int limit,
			       void (*fn)(long long rule, long long count, const char *last_at,
					  void *arg),
			       void *arg)
{
	char secs[24], lim[16];
	const char *p[2] = { secs, lim };
	PGresult *r = NULL;
	enum px_err e;
	int i;

	snprintf(secs, sizeof(secs), "%lld", seconds);
	snprintf(lim, sizeof(lim), "%d", limit);
	e = px_db_exec(db,
		       "SELECT h.rule::bigint, count(*), " ISO_MS("max(a.at)")
		       " FROM audit_log a CROSS JOIN LATERAL ("
		       "  SELECT jsonb_array_elements_text(x) FROM (VALUES"
		       "  (CASE WHEN jsonb_typeof(a.fields->'rules') = 'array'"
		       "   THEN a.fields->'rules' ELSE '[]' END),"
		       "  (CASE WHEN jsonb_typeof(a.fields->'detect') = 'array'"
		       "   THEN a.fields->'detect' ELSE '[]' END)) AS v(x)) AS h(rule)"
		       " WHERE a.action LIKE 'waf.%'"
		       " AND a.at > now() - make_interval(secs => $1::bigint)"
		       " AND h.rule ~ '^[0-9]{1,9}$'"
		       " GROUP BY h.rule ORDER BY count(*) DESC, h.rule::bigint LIMIT $2::int",
		       2, p, &r);
	if (e != PX_OK)
		return e;
	for (i = 0; i < PQntuples(r); i++)
		fn(atoll(PQgetvalue(r, i, 0)), atoll(PQgetvalue(r, i, 1)), PQgetvalue(r, i, 2),
		   arg);
	PQclear(r);
	return PX_OK;
}
