/* model/sessions.c: parameterised statements on sessions and api_tokens. */
#include "model/sessions.h"
#include "model/channels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISO(col) "coalesce(to_char(" col " AT TIME ZONE 'UTC'," \
		 " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')"

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* Runs an INSERT ... RETURNING id. */
static enum px_err insert_id(struct px_db *db, const char *sql, int n,
			     const char *const *p, long long *id)
{
	PGresult *r = NULL;
	enum px_err e = px_db_exec(db, sql, n, p, &r);

	if (e != PX_OK)
		return e;
	*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return PX_OK;
}

/* Runs an UPDATE; VALIDATION_NOT_FOUND when it touched no row. */
static enum px_err update(struct px_db *db, const char *name, const char *sql,
			  int n, const char *const *p, int *rows)
{
	PGresult *r = NULL;
	enum px_err e;
	int k;

	e = px_db_exec_prepared(db, name, sql, n, p, &r);
	if (e != PX_OK)
		return e;
	k = atoi(PQcmdTuples(r));
	PQclear(r);
	if (rows)
		*rows = k;
	return k || rows ? PX_OK : PX_E_VALIDATION_NOT_FOUND;
}

/* Fills a from a lookup row: id, user id, role, username, deactivated,
 * expired, stale, scopes, then the channel standing. */
static enum px_err load_auth(struct px_db *db, const char *name, const char *sql,
			     int n, const char *const *p, struct px_m_auth *a)
{
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec_prepared(db, name, sql, n, p, &r);
	if (e != PX_OK)
		return e;
	memset(a, 0, sizeof(*a));
	if (PQntuples(r) == 0) {
		PQclear(r);
		return PX_E_VALIDATION_NOT_FOUND;
	}
	a->session_id = atoll(PQgetvalue(r, 0, 0));
	a->user_id = atoll(PQgetvalue(r, 0, 1));
	copy(a->role, sizeof(a->role), PQgetvalue(r, 0, 2));
	copy(a->username, sizeof(a->username), PQgetvalue(r, 0, 3));
	a->deactivated = PQgetvalue(r, 0, 4)[0] == 't';
	a->expired = PQgetvalue(r, 0, 5)[0] == 't';
	a->stale = PQgetvalue(r, 0, 6)[0] == 't';
	a->scopes = (unsigned)strtoul(PQgetvalue(r, 0, 7), NULL, 10);
	px_chan_standing_read(r, 8, &a->chan);
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_sessions_create(struct px_db *db, long long user_id,
				 const char *token_hash, long long max_age,
				 const char *user_agent, const char *ip,
				 long long *id)
{
	char uid[24], age[24];
	const char *p[5] = { uid, token_hash, age, user_agent, ip };

	snprintf(uid, sizeof(uid), "%lld", user_id);
	snprintf(age, sizeof(age), "%lld", max_age);
	return insert_id(db,
			 "INSERT INTO sessions(user_id, token_hash, expires_at,"
			 " user_agent, ip) VALUES ($1, $2, now() + make_interval("
			 "secs => $3), left($4, 255), $5::inet) RETURNING id",
			 5, p, id);
}

enum px_err px_m_sessions_lookup(struct px_db *db, const char *token_hash,
				 long long idle, long long channel, struct px_m_auth *a)
{
	char idl[24], ch[24];
	const char *p[3] = { token_hash, idl, ch };

	snprintf(idl, sizeof(idl), "%lld", idle);
	snprintf(ch, sizeof(ch), "%lld", channel);
	return load_auth(db, "sessions_lookup",
			 "SELECT s.id, u.id, u.role, u.username,"
			 " u.deactivated_at IS NOT NULL, s.expires_at < now() OR"
			 " s.last_used_at < now() - make_interval(secs => $2),"
			 " s.last_used_at < now() - interval '60 seconds', 0, "
			 PX_CHAN_STANDING_COLS
			 " FROM sessions s JOIN users u ON u.id = s.user_id"
			 " CROSS JOIN LATERAL (SELECT $3::bigint AS chan, u.id AS usr) sc"
			 PX_CHAN_STANDING_JOINS
			 " WHERE s.token_hash = $1 AND s.revoked_at IS NULL", 3, p, a);
}

enum px_err px_m_sessions_touch(struct px_db *db, long long id, const char *ip)
{
	char ids[24];
	const char *p[2] = { ids, ip };

	snprintf(ids, sizeof(ids), "%lld", id);
	return update(db, "sessions_touch",
		      "UPDATE sessions SET last_used_at = now(), ip = $2::inet"
		      " WHERE id = $1", 2, p, NULL);
}

enum px_err px_m_sessions_revoke(struct px_db *db, long long id, long long user_id)
{
	char ids[24], uid[24];
	const char *p[2] = { ids, uid };

	snprintf(ids, sizeof(ids), "%lld", id);
	snprintf(uid, sizeof(uid), "%lld", user_id);
	return update(db, "sessions_revoke",
		      "UPDATE sessions SET revoked_at = now() WHERE id = $1 AND"
		      " ($2::bigint = 0 OR user_id = $2::bigint) AND revoked_at IS NULL", 2, p, NULL);
}

enum px_err px_m_sessions_revoke_all(struct px_db *db, long long user_id,
				     long long keep, int *n)
{
	char uid[24], kp[24];
	const char *p[2] = { uid, kp };
	int dummy;

	snprintf(uid, sizeof(uid), "%lld", user_id);
	snprintf(kp, sizeof(kp), "%lld", keep);
	return update(db, "sessions_revoke_all",
		      "UPDATE sessions SET revoked_at = now() WHERE user_id = $1"
		      " AND id <> $2 AND revoked_at IS NULL", 2, p, n ? n : &dummy);
}

enum px_err px_m_sessions_list(struct px_db *db, long long user_id, long long idle,
			       void (*fn)(const struct px_m_session *s, void *arg),
			       void *arg)
{
	char uid[24], idl[24];
	const char *p[2] = { uid, idl };
	struct px_m_session s;
	PGresult *r = NULL;
	enum px_err e;
	int i;

	snprintf(uid, sizeof(uid), "%lld", user_id);
	snprintf(idl, sizeof(idl), "%lld", idle);
	e = px_db_exec_prepared(db, "sessions_list",
				"SELECT id, " ISO("created_at") ", " ISO("last_used_at")
				", " ISO("least(expires_at, last_used_at +"
					 " make_interval(secs => $2))")
				", user_agent, coalesce(host(ip), '') FROM sessions"
				" WHERE user_id = $1 AND revoked_at IS NULL AND"
				" expires_at > now() AND last_used_at > now() -"
				" make_interval(secs => $2) ORDER BY last_used_at DESC",
				2, p, &r);
	if (e != PX_OK)
		return e;
	for (i = 0; i < PQntuples(r); i++) {
		memset(&s, 0, sizeof(s));
		s.id = atoll(PQgetvalue(r, i, 0));
		copy(s.created_at, sizeof(s.created_at), PQgetvalue(r, i, 1));
		copy(s.last_used_at, sizeof(s.last_used_at), PQgetvalue(r, i, 2));
		copy(s.expires_at, sizeof(s.expires_at), PQgetvalue(r, i, 3));
		copy(s.user_agent, sizeof(s.user_agent), PQgetvalue(r, i, 4));
		copy(s.ip, sizeof(s.ip), PQgetvalue(r, i, 5));
		fn(&s, arg);
	}
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_tokens_create(struct px_db *db, long long user_id,
			       const char *name, const char *token_hash,
			       unsigned scopes, int expires_days, long long *id)
{
	char uid[24], sc[16], days[16];
	const char *p[5] = { uid, name, token_hash, sc, days };

	snprintf(uid, sizeof(uid), "%lld", user_id);
	snprintf(sc, sizeof(sc), "%u", scopes);
	snprintf(days, sizeof(days), "%d", expires_days);
	return insert_id(db,
			 "INSERT INTO api_tokens(user_id, name, token_hash, scopes,"
			 " expires_at) VALUES ($1, $2, $3, $4, CASE WHEN $5::int > 0"
			 " THEN now() + make_interval(days => $5::int) END) RETURNING id",
			 5, p, id);
}

enum px_err px_m_tokens_lookup(struct px_db *db, const char *token_hash,
			       long long channel, struct px_m_auth *a)
{
	char ch[24];
	const char *p[2] = { token_hash, ch };

	snprintf(ch, sizeof(ch), "%lld", channel);
	return load_auth(db, "tokens_lookup",
			 "SELECT t.id, u.id, u.role, u.username,"
			 " u.deactivated_at IS NOT NULL, coalesce(t.expires_at < now(),"
			 " false), coalesce(t.last_used_at < now() - interval"
			 " '60 seconds', true), t.scopes, " PX_CHAN_STANDING_COLS
			 " FROM api_tokens t JOIN users u ON u.id = t.user_id"
			 " CROSS JOIN LATERAL (SELECT $2::bigint AS chan, u.id AS usr) sc"
			 PX_CHAN_STANDING_JOINS
			 " WHERE t.token_hash = $1 AND t.revoked_at IS NULL", 2, p, a);
}

enum px_err px_m_tokens_touch(struct px_db *db, long long id)
{
	char ids[24];
	const char *p[1] = { ids };

	snprintf(ids, sizeof(ids), "%lld", id);
	return update(db, "tokens_touch",
		      "UPDATE api_tokens SET last_used_at = now() WHERE id = $1",
		      1, p, NULL);
}

enum px_err px_m_tokens_revoke(struct px_db *db, long long id, long long user_id)
{
	char ids[24], uid[24];
	const char *p[2] = { ids, uid };

	snprintf(ids, sizeof(ids), "%lld", id);
	snprintf(uid, sizeof(uid), "%lld", user_id);
	return update(db, "tokens_revoke",
		      "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND"
		      " user_id = $2 AND revoked_at IS NULL", 2, p, NULL);
}

enum px_err px_m_tokens_list(struct px_db *db, long long user_id,
			     void (*fn)(const struct px_m_token *t, void *arg),
			     void *arg)
{
	char uid[24];
	const char *p[1] = { uid };
	struct px_m_token t;
	PGresult *r = NULL;
	enum px_err e;
	int i;

	snprintf(uid, sizeof(uid), "%lld", user_id);
	e = px_db_exec_prepared(db, "tokens_list",
				"SELECT id, name, scopes, " ISO("created_at") ", "
				ISO("last_used_at") ", " ISO("expires_at")
				" FROM api_tokens WHERE user_id = $1 AND revoked_at"
				" IS NULL AND (expires_at IS NULL OR expires_at > now())"
				" ORDER BY id", 1, p, &r);
	if (e != PX_OK)
		return e;
	for (i = 0; i < PQntuples(r); i++) {
		memset(&t, 0, sizeof(t));
		t.id = atoll(PQgetvalue(r, i, 0));
		copy(t.name, sizeof(t.name), PQgetvalue(r, i, 1));
		t.scopes = (unsigned)strtoul(PQgetvalue(r, i, 2), NULL, 10);
		copy(t.created_at, sizeof(t.created_at), PQgetvalue(r, i, 3));
		copy(t.last_used_at, sizeof(t.last_used_at), PQgetvalue(r, i, 4));
		copy(t.expires_at, sizeof(t.expires_at), PQgetvalue(r, i, 5));
		fn(&t, arg);
	}
	PQclear(r);
	return PX_OK;
}
