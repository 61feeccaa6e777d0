/* model/auth_invites.c: statements on invites and password_resets. */
#include "model/auth_invites.h"

#include <stdio.h>
#include <stdlib.h>

enum px_err px_m_invites_create(struct px_db *db, const char *code_hash,
				long long created_by, const char *email,
				const char *role, long long ttl, long long *id)
{
	char by[24], t[24];
	const char *p[5] = { code_hash, by, email, role, t };
	PGresult *r = NULL;
	enum px_err e;

	snprintf(by, sizeof(by), "%lld", created_by);
	snprintf(t, sizeof(t), "%lld", ttl);
	e = px_db_exec(db, "INSERT INTO invites(code_hash, created_by, email, role,"
			   " expires_at) VALUES ($1, nullif($2::bigint, 0), $3, $4,"
			   " now() + make_interval(secs => $5)) RETURNING id", 5, p, &r);
	if (e != PX_OK)
		return e;
	*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_invites_consume(struct px_db *db, const char *code_hash,
				 const char *email, char role[16])
{
	const char *p[2] = { code_hash, email };
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec(db, "UPDATE invites SET used_at = now() WHERE code_hash = $1"
			   " AND used_at IS NULL AND expires_at > now() AND (email IS"
			   " NULL OR email = $2::citext) RETURNING role", 2, p, &r);
	if (e != PX_OK)
		return e;
	if (PQntuples(r) == 0)
		e = PX_E_AUTH_INVITE_INVALID;
	else
		snprintf(role, 16, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return e;
}

enum px_err px_m_invites_mark_used(struct px_db *db, const char *code_hash,
				   long long user_id)
{
	char uid[24];
	const char *p[2] = { code_hash, uid };

	snprintf(uid, sizeof(uid), "%lld", user_id);
	return px_db_exec(db, "UPDATE invites SET used_by = $2 WHERE code_hash = $1",
			  2, p, NULL);
}

enum px_err px_m_resets_create(struct px_db *db, long long user_id,
			       const char *token_hash, long long ttl)
{
	char uid[24], t[24];
	const char *p[3] = { uid, token_hash, t };

	snprintf(uid, sizeof(uid), "%lld", user_id);
	snprintf(t, sizeof(t), "%lld", ttl);
	return px_db_exec(db, "INSERT INTO password_resets(user_id, token_hash,"
			      " expires_at) VALUES ($1, $2, now() + make_interval("
			      "secs => $3))", 3, p, NULL);
}

enum px_err px_m_resets_peek(struct px_db *db, const char *token_hash,
			     long long *user_id, const char **why)
{
	const char *p[1] = { token_hash };
	PGresult *r = NULL;
	enum px_err e;

	*why = "unknown";
	e = px_db_exec(db, "SELECT user_id, used_at IS NOT NULL, expires_at <= now()"
			   " FROM password_resets WHERE token_hash = $1", 1, p, &r);
	if (e != PX_OK)
		return e;
	e = PX_E_AUTH_TOKEN_INVALID;
	if (PQntuples(r) == 1) {
		if (PQgetvalue(r, 0, 1)[0] == 't')
			*why = "used";
		else if (PQgetvalue(r, 0, 2)[0] == 't')
			*why = "expired";
		else {
			*why = "";
			*user_id = atoll(PQgetvalue(r, 0, 0));
			e = PX_OK;
		}
	}
	PQclear(r);
	return e;
}

enum px_err px_m_resets_consume(struct px_db *db, const char *token_hash,
				long long *user_id)
{
	const char *p[1] = { token_hash };
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec(db, "WITH t AS (UPDATE password_resets SET used_at = now()"
			   " WHERE token_hash = $1 AND used_at IS NULL AND expires_at"
			   " > now() RETURNING user_id), o AS (UPDATE password_resets"
			   " SET used_at = now() WHERE user_id IN (SELECT user_id FROM"
			   " t) AND used_at IS NULL AND token_hash <> $1) SELECT"
			   " user_id FROM t", 1, p, &r);
	if (e != PX_OK)
		return e;
	if (PQntuples(r) == 0)
		e = PX_E_AUTH_TOKEN_INVALID;
	else
		*user_id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return e;
}
