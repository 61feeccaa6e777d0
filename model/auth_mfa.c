/* model/auth_mfa.c: statements on mfa_totp, mfa_recovery_codes and
 * trusted_devices. */
#include "model/auth_mfa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* Runs a statement on uid (and more text parameters); *rows gets the
 * affected row count when non-NULL. */
static enum px_err run(struct px_db *db, const char *sql, long long uid,
		       const char *p2, const char *p3, int *rows)
{
	char u[24];
	const char *p[3] = { u, p2, p3 };
	PGresult *r = NULL;
	enum px_err e;

	snprintf(u, sizeof(u), "%lld", uid);
	e = px_db_exec(db, sql, 1 + (p2 != NULL) + (p3 != NULL), p, &r);
	if (e != PX_OK)
		return e;
	if (rows)
		*rows = atoi(PQcmdTuples(r));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_mfa_clock(struct px_db *db, long long *now)
{
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec_prepared(db, "mfa_clock",
				"SELECT floor(extract(epoch FROM clock_timestamp()))::bigint",
				0, NULL, &r);
	if (e != PX_OK)
		return e;
	*now = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_mfa_get(struct px_db *db, long long uid, struct px_m_totp *t)
{
	char u[24];
	const char *p[1] = { u };
	PGresult *r = NULL;
	enum px_err e;

	snprintf(u, sizeof(u), "%lld", uid);
	e = px_db_exec(db, "SELECT secret_enc, confirmed_at IS NOT NULL, last_step,"
			   " floor(extract(epoch FROM clock_timestamp()))::bigint"
			   " FROM mfa_totp WHERE user_id = $1", 1, p, &r);
	if (e != PX_OK)
		return e;
	memset(t, 0, sizeof(*t));
	if (PQntuples(r) == 0) {
		e = PX_E_VALIDATION_NOT_FOUND;
	} else {
		copy(t->secret_enc, sizeof(t->secret_enc), PQgetvalue(r, 0, 0));
		t->confirmed = PQgetvalue(r, 0, 1)[0] == 't';
		t->last_step = atoll(PQgetvalue(r, 0, 2));
		t->now = atoll(PQgetvalue(r, 0, 3));
	}
	PQclear(r);
	return e;
}

enum px_err px_m_mfa_put_pending(struct px_db *db, long long uid,
				 const char *secret_enc)
{
	int rows = 0;
	enum px_err e;

	e = run(db, "INSERT INTO mfa_totp(user_id, secret_enc) VALUES ($1, $2)"
		    " ON CONFLICT (user_id) DO UPDATE SET secret_enc = $2, last_step"
		    " = 0, created_at = now() WHERE mfa_totp.confirmed_at IS NULL",
		uid, secret_enc, NULL, &rows);
	return e != PX_OK ? e : rows ? PX_OK : PX_E_VALIDATION_CONFLICT;
}

enum px_err px_m_mfa_use_step(struct px_db *db, long long uid, long long step)
{
	char s[24];
	int rows = 0;
	enum px_err e;

	snprintf(s, sizeof(s), "%lld", step);
	e = run(db, "UPDATE mfa_totp SET last_step = $2, confirmed_at ="
		    " coalesce(confirmed_at, now()) WHERE user_id = $1 AND"
		    " last_step < $2", uid, s, NULL, &rows);
	return e != PX_OK ? e : rows ? PX_OK : PX_E_AUTH_MFA_INVALID;
}

enum px_err px_m_mfa_delete(struct px_db *db, long long uid)
{
	enum px_err e;

	if ((e = run(db, "DELETE FROM mfa_recovery_codes WHERE user_id = $1", uid,
		     NULL, NULL, NULL)) != PX_OK ||
	    (e = run(db, "UPDATE trusted_devices SET revoked_at = now() WHERE"
			 " user_id = $1 AND revoked_at IS NULL", uid, NULL, NULL,
		     NULL)) != PX_OK)
		return e;
	return run(db, "DELETE FROM mfa_totp WHERE user_id = $1", uid, NULL, NULL, NULL);
}

enum px_err px_m_mfa_codes_replace(struct px_db *db, long long uid,
				   char hashes[][65], int n)
{
	enum px_err e;
	int i;

	e = run(db, "DELETE FROM mfa_recovery_codes WHERE user_id = $1", uid, NULL,
		NULL, NULL);
	for (i = 0; e == PX_OK && i < n; i++)
		e = run(db, "INSERT INTO mfa_recovery_codes(user_id, code_hash)"
			    " VALUES ($1, $2)", uid, hashes[i], NULL, NULL);
	return e;
}

enum px_err px_m_mfa_code_use(struct px_db *db, long long uid, const char *hash)
{
	int rows = 0;
	enum px_err e;

	e = run(db, "UPDATE mfa_recovery_codes SET used_at = now() WHERE user_id = $1"
		    " AND code_hash = $2 AND used_at IS NULL", uid, hash, NULL, &rows);
	return e != PX_OK ? e : rows ? PX_OK : PX_E_AUTH_MFA_INVALID;
}

int px_m_mfa_codes_left(struct px_db *db, long long uid)
{
	char u[24];
	const char *p[1] = { u };
	PGresult *r = NULL;
	int n;

	snprintf(u, sizeof(u), "%lld", uid);
	if (px_db_exec(db, "SELECT count(*) FROM mfa_recovery_codes WHERE user_id = $1"
			   " AND used_at IS NULL", 1, p, &r) != PX_OK)
		return -1;
	n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

enum px_err px_m_devices_create(struct px_db *db, long long uid, const char *hash,
				const char *user_agent, const char *ip, int days)
{
	char u[24], d[16];
	const char *p[5] = { u, hash, user_agent, ip, d };

	snprintf(u, sizeof(u), "%lld", uid);
	snprintf(d, sizeof(d), "%d", days);
	return px_db_exec(db, "INSERT INTO trusted_devices(user_id, token_hash,"
			      " user_agent, ip, expires_at) VALUES ($1, $2, left($3,"
			      " 255), $4::inet, now() + make_interval(days => $5::int))",
			  5, p, NULL);
}

int px_m_devices_check(struct px_db *db, long long uid, const char *hash)
{
	char u[24];
	const char *p[2] = { u, hash };
	PGresult *r = NULL;
	int n;

	snprintf(u, sizeof(u), "%lld", uid);
	if (px_db_exec(db, "SELECT 1 FROM trusted_devices WHERE user_id = $1 AND"
			   " token_hash = $2 AND revoked_at IS NULL AND expires_at >"
			   " now()", 2, p, &r) != PX_OK)
		return -1;
	n = PQntuples(r) > 0;
	PQclear(r);
	return n;
}

enum px_err px_m_devices_revoke(struct px_db *db, long long id, long long uid)
{
	char i[24];
	int rows = 0;
	enum px_err e;

	snprintf(i, sizeof(i), "%lld", id);
	e = run(db, "UPDATE trusted_devices SET revoked_at = now() WHERE user_id = $1"
		    " AND id = $2 AND revoked_at IS NULL", uid, i, NULL, &rows);
	return e != PX_OK ? e : rows ? PX_OK : PX_E_VALIDATION_NOT_FOUND;
}

enum px_err px_m_devices_list(struct px_db *db, long long uid,
			      void (*fn)(const struct px_m_device *d, void *arg),
			      void *arg)
{
	char u[24];
	const char *p[1] = { u };
	struct px_m_device d;
	PGresult *r = NULL;
	enum px_err e;
	int i;

	snprintf(u, sizeof(u), "%lld", uid);
	e = px_db_exec(db, "SELECT id, " ISO("created_at") ", " ISO("expires_at")
			   ", user_agent, coalesce(host(ip), '') FROM trusted_devices"
			   " WHERE user_id = $1 AND revoked_at IS NULL AND expires_at >"
			   " now() ORDER BY id", 1, p, &r);
	if (e != PX_OK)
		return e;
	for (i = 0; i < PQntuples(r); i++) {
		memset(&d, 0, sizeof(d));
		d.id = atoll(PQgetvalue(r, i, 0));
		copy(d.created_at, sizeof(d.created_at), PQgetvalue(r, i, 1));
		copy(d.expires_at, sizeof(d.expires_at), PQgetvalue(r, i, 2));
		copy(d.user_agent, sizeof(d.user_agent), PQgetvalue(r, i, 3));
		copy(d.ip, sizeof(d.ip), PQgetvalue(r, i, 4));
		fn(&d, arg);
	}
	PQclear(r);
	return PX_OK;
}
