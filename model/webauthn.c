/* model/webauthn.c: statements on webauthn_users, webauthn_credentials and
 * webauthn_challenges. Every statement is parameterised; ids and counters
 * go in as decimal text. */
#include "model/webauthn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define CRED_COLS                                                                   \
	"id, user_id, credential_id, public_key, alg, sign_count, name, aaguid, fmt," \
	" attestation, uv_at_create, backup_state, " ISO("created_at") ", "          \
	"coalesce(" ISO("last_used_at") ", '')"

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* Runs sql; *rows (when non-NULL) gets the affected or returned count and
 * *res (when non-NULL) the result for the caller to PQclear. */
static enum px_err run(struct px_db *db, const char *name, const char *sql, int n,
		       const char *const *p, int *rows, PGresult **res)
{
	PGresult *r = NULL;
	enum px_err e = px_db_exec_prepared(db, name, sql, n, p, &r);

	if (e != PX_OK)
		return e;
	if (rows)
		*rows = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r)
							      : atoi(PQcmdTuples(r));
	if (res)
		*res = r;
	else
		PQclear(r);
	return PX_OK;
}

enum px_err px_m_wa_handle_ensure(struct px_db *db, long long uid, const char *candidate,
				  char out[PX_M_WA_HANDLE_MAX])
{
	char u[24];
	const char *p[2] = { u, candidate };
	PGresult *r = NULL;
	enum px_err e;

	snprintf(u, sizeof(u), "%lld", uid);
	e = run(db, "wa_handle_ensure",
		"INSERT INTO webauthn_users(user_id, handle) VALUES ($1, $2)"
		" ON CONFLICT (user_id) DO UPDATE SET handle = webauthn_users.handle"
		" RETURNING handle", 2, p, NULL, &r);
	if (e != PX_OK)
		return e;
	copy(out, PX_M_WA_HANDLE_MAX, PQgetvalue(r, 0, 0));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_wa_handle_user(struct px_db *db, const char *handle, long long *uid)
{
	const char *p[1] = { handle };
	PGresult *r = NULL;
	int rows = 0;
	enum px_err e;

	e = run(db, "wa_handle_user", "SELECT user_id FROM webauthn_users WHERE handle = $1",
		1, p, &rows, &r);
	if (e != PX_OK)
		return e;
	*uid = rows ? atoll(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	return rows ? PX_OK : PX_E_VALIDATION_NOT_FOUND;
}

enum px_err px_m_wa_challenge_put(struct px_db *db, const char *hash, const char *purpose,
				  long long uid, int ttl)
{
	char u[24], t[24];
	const char *p[4] = { hash, purpose, uid ? u : NULL, t };

	snprintf(u, sizeof(u), "%lld", uid);
	snprintf(t, sizeof(t), "%d", ttl);
	return run(db, "wa_challenge_put",
		   "WITH gone AS (DELETE FROM webauthn_challenges WHERE expires_at < now())"
		   " INSERT INTO webauthn_challenges(challenge_hash, purpose, user_id,"
		   " expires_at) VALUES ($1, $2, $3::bigint, now() + make_interval(secs => $4))",
		   4, p, NULL, NULL);
}

enum px_err px_m_wa_challenge_take(struct px_db *db, const char *hash, const char *purpose,
				   long long *uid)
{
	const char *p[2] = { hash, purpose };
	PGresult *r = NULL;
	int rows = 0;
	enum px_err e;

	e = run(db, "wa_challenge_take",
		"DELETE FROM webauthn_challenges WHERE challenge_hash = $1 AND purpose = $2"
		" AND expires_at > now() RETURNING coalesce(user_id, 0)", 2, p, &rows, &r);
	if (e != PX_OK)
		return e;
	*uid = rows ? atoll(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	return rows ? PX_OK : PX_E_VALIDATION_NOT_FOUND;
}

enum px_err px_m_wa_cred_add(struct px_db *db, struct px_m_wa_cred *c)
{
	char u[24], alg[16], cnt[24];
	const char *p[11] = { u, c->credential_id, c->public_key, alg, cnt, c->name,
			      c->aaguid, c->fmt, c->attestation,
			      c->uv_at_create ? "t" : "f", c->backup_state ? "t" : "f" };
	PGresult *r = NULL;
	enum px_err e;

	snprintf(u, sizeof(u), "%lld", c->user_id);
	snprintf(alg, sizeof(alg), "%d", c->alg);
	snprintf(cnt, sizeof(cnt), "%lld", c->sign_count);
	e = run(db, "wa_cred_add",
		"INSERT INTO webauthn_credentials(user_id, credential_id, public_key, alg,"
		" sign_count, name, aaguid, fmt, attestation, uv_at_create, backup_state)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id, "
		ISO("created_at"), 11, p, NULL, &r);
	if (e != PX_OK)
		return e;
	c->id = atoll(PQgetvalue(r, 0, 0));
	copy(c->created_at, sizeof(c->created_at), PQgetvalue(r, 0, 1));
	PQclear(r);
	return PX_OK;
}

static void read_cred(PGresult *r, int i, struct px_m_wa_cred *c)
{
	memset(c, 0, sizeof(*c));
	c->id = atoll(PQgetvalue(r, i, 0));
	c->user_id = atoll(PQgetvalue(r, i, 1));
	copy(c->credential_id, sizeof(c->credential_id), PQgetvalue(r, i, 2));
	copy(c->public_key, sizeof(c->public_key), PQgetvalue(r, i, 3));
	c->alg = atoi(PQgetvalue(r, i, 4));
	c->sign_count = atoll(PQgetvalue(r, i, 5));
	copy(c->name, sizeof(c->name), PQgetvalue(r, i, 6));
	copy(c->aaguid, sizeof(c->aaguid), PQgetvalue(r, i, 7));
	copy(c->fmt, sizeof(c->fmt), PQgetvalue(r, i, 8));
	copy(c->attestation, sizeof(c->attestation), PQgetvalue(r, i, 9));
	c->uv_at_create = PQgetvalue(r, i, 10)[0] == 't';
	c->backup_state = PQgetvalue(r, i, 11)[0] == 't';
	copy(c->created_at, sizeof(c->created_at), PQgetvalue(r, i, 12));
	copy(c->last_used_at, sizeof(c->last_used_at), PQgetvalue(r, i, 13));
}

enum px_err px_m_wa_cred_get(struct px_db *db, const char *credential_id,
			     struct px_m_wa_cred *c)
{
	const char *p[1] = { credential_id };
	PGresult *r = NULL;
	int rows = 0;
	enum px_err e;

	e = run(db, "wa_cred_get",
		"SELECT " CRED_COLS " FROM webauthn_credentials WHERE credential_id = $1",
		1, p, &rows, &r);
	if (e != PX_OK)
		return e;
	if (rows)
		read_cred(r, 0, c);
	PQclear(r);
	return rows ? PX_OK : PX_E_VALIDATION_NOT_FOUND;
}

enum px_err px_m_wa_cred_list(struct px_db *db, long long uid,
			      void (*fn)(const struct px_m_wa_cred *c, void *arg), void *arg)
{
	struct px_m_wa_cred *c = malloc(sizeof(*c));
	char u[24];
	const char *p[1] = { u };
	PGresult *r = NULL;
	int i, rows = 0;
	enum px_err e;

	if (!c)
		return PX_E_SYSTEM_INTERNAL;
	snprintf(u, sizeof(u), "%lld", uid);
	e = run(db, "wa_cred_list",
		"SELECT " CRED_COLS " FROM webauthn_credentials WHERE user_id = $1"
		" ORDER BY id", 1, p, &rows, &r);
	for (i = 0; e == PX_OK && i < rows; i++) {
		read_cred(r, i, c);
		fn(c, arg);
	}
	PQclear(r);
	free(c);
	return e;
}

enum px_err px_m_wa_cred_count(struct px_db *db, long long uid, int *n)
{
	char u[24];
	const char *p[1] = { u };
	PGresult *r = NULL;
	enum px_err e;

	snprintf(u, sizeof(u), "%lld", uid);
	e = run(db, "wa_cred_count",
		"SELECT count(*) FROM webauthn_credentials WHERE user_id = $1", 1, p, NULL, &r);
	if (e != PX_OK)
		return e;
	*n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_wa_cred_rename(struct px_db *db, long long id, long long uid,
				const char *name)
{
	char i[24], u[24];
	const char *p[3] = { i, u, name };
	int rows = 0;
	enum px_err e;

	snprintf(i, sizeof(i), "%lld", id);
	snprintf(u, sizeof(u), "%lld", uid);
	e = run(db, "wa_cred_rename",
		"UPDATE webauthn_credentials SET name = $3 WHERE id = $1 AND user_id = $2",
		3, p, &rows, NULL);
	return e != PX_OK ? e : rows ? PX_OK : PX_E_VALIDATION_NOT_FOUND;
}

enum px_err px_m_wa_cred_delete(struct px_db *db, long long id, long long uid)
{
	char i[24], u[24];
	const char *p[2] = { i, u };
	int rows = 0;
	enum px_err e;

	snprintf(i, sizeof(i), "%lld", id);
	snprintf(u, sizeof(u), "%lld", uid);
	e = run(db, "wa_cred_delete",
		"DELETE FROM webauthn_credentials WHERE id = $1 AND user_id = $2", 2, p,
		&rows, NULL);
	return e != PX_OK ? e : rows ? PX_OK : PX_E_VALIDATION_NOT_FOUND;
}

enum px_err px_m_wa_cred_delete_all(struct px_db *db, long long uid, int *n)
{
	char u[24];
	const char *p[1] = { u };

	snprintf(u, sizeof(u), "%lld", uid);
	return run(db, "wa_cred_delete_all",
		   "DELETE FROM webauthn_credentials WHERE user_id = $1", 1, p, n, NULL);
}

enum px_err px_m_wa_cred_used(struct px_db *db, long long id, long long old,
			      long long new_count)
{
	char i[24], o[24], c[24];
	const char *p[3] = { i, o, c };
	int rows = 0;
	enum px_err e;

	snprintf(i, sizeof(i), "%lld", id);
	snprintf(o, sizeof(o), "%lld", old);
	snprintf(c, sizeof(c), "%lld", new_count);
	e = run(db, "wa_cred_used",
		"UPDATE webauthn_credentials SET sign_count = $3, last_used_at = now()"
		" WHERE id = $1 AND sign_count = $2", 3, p, &rows, NULL);
	return e != PX_OK ? e : rows ? PX_OK : PX_E_VALIDATION_CONFLICT;
}

enum px_err px_m_wa_has_factor(struct px_db *db, long long uid, int *yes)
{
	char u[24];
	const char *p[1] = { u };
	PGresult *r = NULL;
	enum px_err e;

	snprintf(u, sizeof(u), "%lld", uid);
	e = run(db, "wa_has_factor",
		"SELECT EXISTS (SELECT 1 FROM mfa_totp WHERE user_id = $1 AND"
		" confirmed_at IS NOT NULL) OR EXISTS (SELECT 1 FROM webauthn_credentials"
		" WHERE user_id = $1)", 1, p, NULL, &r);
	if (e != PX_OK)
		return e;
	*yes = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return PX_OK;
}
