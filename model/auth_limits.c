/* model/auth_limits.c: statements on rate_buckets and login_failures. */
#include "model/auth_limits.h"

#include <stdio.h>
#include <stdlib.h>

/* Tokens in the bucket now, before taking any: refilled since the last
 * update, plus the unspent lease given back (old row values). */
#define REFILL "least($3::float8, b.tokens + $6::int + extract(epoch from" \
	       " clock_timestamp() - b.updated_at) * $4::float8)"
/* What a caller gets of the want ($5) it asked for from a bucket holding
 * T tokens: none below one; else one, and more (a lease) only out of what
 * lies above half the capacity, so that tokens leased to processes that
 * never spend them can never cost a client more than half its burst. */
#define GRANT(T) "(CASE WHEN " T " < 1 THEN 0 ELSE 1 + least($5::int - 1," \
		 " greatest(0, floor(" T " - 1 - $3::float8 / 2)))::int END)"

enum px_err px_m_rate_take(struct px_db *db, const char *class_name,
			   const char *client, double capacity, double rate,
			   int want, int refund, int *granted, double *tokens)
{
	char cap[32], rt[32], wn[16], rf[16];
	const char *p[6] = { class_name, client, cap, rt, wn, rf };
	PGresult *r = NULL;
	enum px_err e;

	snprintf(cap, sizeof(cap), "%.6f", capacity);
	snprintf(rt, sizeof(rt), "%.6f", rate);
	snprintf(wn, sizeof(wn), "%d", want < 1 ? 1 : want);
	snprintf(rf, sizeof(rf), "%d", refund < 0 ? 0 : refund);
	e = px_db_exec_prepared(db, "rate_take_half",
				"INSERT INTO rate_buckets AS b (class, client, tokens,"
				" allowed, granted, updated_at) VALUES ($1, $2, $3::float8 -"
				" " GRANT("$3::float8") ", true, " GRANT("$3::float8") ","
				" clock_timestamp())"
				" ON CONFLICT (class, client) DO UPDATE SET tokens = " REFILL
				" - " GRANT(REFILL) ", granted = " GRANT(REFILL) ", allowed = " REFILL
				" >= 1, updated_at = clock_timestamp() RETURNING granted, tokens",
				6, p, &r);
	if (e != PX_OK)
		return e;
	*granted = atoi(PQgetvalue(r, 0, 0));
	*tokens = atof(PQgetvalue(r, 0, 1));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_rate_prune(struct px_db *db)
{
	return px_db_exec(db, "DELETE FROM rate_buckets WHERE updated_at <"
			      " now() - interval '1 hour'", 0, NULL, NULL);
}

enum px_err px_m_limits_reset(struct px_db *db)
{
	enum px_err e = px_db_exec(db, "DELETE FROM rate_buckets", 0, NULL, NULL);

	if (e != PX_OK)
		return e;
	return px_db_exec(db, "DELETE FROM login_failures", 0, NULL, NULL);
}

enum px_err px_m_login_wait(struct px_db *db, const char *key, long *wait)
{
	const char *p[1] = { key };
	PGresult *r = NULL;
	enum px_err e;

	*wait = 0;
	e = px_db_exec_prepared(db, "login_wait",
				"SELECT ceil(extract(epoch from locked_until -"
				" clock_timestamp())) FROM login_failures WHERE key = $1"
				" AND locked_until > clock_timestamp()", 1, p, &r);
	if (e != PX_OK)
		return e;
	if (PQntuples(r) > 0)
		*wait = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return PX_OK;
}

/* The failure count after this one: old failures expire after an hour. */
#define COUNT "(CASE WHEN f.last_failure < now() - interval '1 hour'" \
	      " THEN 1 ELSE f.failures + 1 END)"

enum px_err px_m_login_fail(struct px_db *db, const char *key, int free_tries,
			    long base, long max, int *failures, long *lock)
{
	char ft[16], bs[24], mx[24];
	const char *p[4] = { key, ft, bs, mx };
	PGresult *r = NULL;
	enum px_err e;

	snprintf(ft, sizeof(ft), "%d", free_tries);
	snprintf(bs, sizeof(bs), "%ld", base);
	snprintf(mx, sizeof(mx), "%ld", max);
	e = px_db_exec_prepared(db, "login_fail",
				"INSERT INTO login_failures AS f (key, failures,"
				" last_failure, locked_until) VALUES ($1, 1, now(),"
				" CASE WHEN $2::int <= 1 THEN now() + make_interval(secs"
				" => $3::float8) END) ON CONFLICT (key) DO UPDATE SET"
				" failures = " COUNT ", last_failure = now(), locked_until"
				" = CASE WHEN " COUNT " >= $2::int THEN now() +"
				" make_interval(secs => least($4::float8, $3::float8 *"
				" power(2, " COUNT " - $2::int))) END RETURNING failures,"
				" coalesce(ceil(extract(epoch from locked_until - now())),"
				" 0)", 4, p, &r);
	if (e != PX_OK)
		return e;
	*failures = atoi(PQgetvalue(r, 0, 0));
	*lock = atol(PQgetvalue(r, 0, 1));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_login_clear(struct px_db *db, const char *key)
{
	const char *p[1] = { key };

	return px_db_exec_prepared(db, "login_clear",
				   "DELETE FROM login_failures WHERE key = $1", 1, p,
				   NULL);
}
