/* model/users.c: parameterised statements on the users table. */
#include "model/users.h"
#include "auth/ident.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The column list every loader selects, in struct px_m_user order. */
#define USER_COLS                                                              \
	"u.id, u.username, coalesce(u.email, ''), u.display_name, u.bio, u.role," \
	" coalesce(u.password_hash, ''), to_char(u.created_at AT TIME ZONE 'UTC'," \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), u.deactivated_at IS NOT NULL,"     \
	" u.email_verified, EXISTS (SELECT 1 FROM mfa_totp m WHERE"              \
	" m.user_id = u.id AND m.confirmed_at IS NOT NULL),"                     \
	" coalesce((SELECT left(a.large, 16) FROM user_avatars a"                \
	" WHERE a.user_id = u.id), '')"

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

static void load_row(PGresult *r, int i, struct px_m_user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = atoll(PQgetvalue(r, i, 0));
	copy(u->username, sizeof(u->username), PQgetvalue(r, i, 1));
	copy(u->email, sizeof(u->email), PQgetvalue(r, i, 2));
	copy(u->display_name, sizeof(u->display_name), PQgetvalue(r, i, 3));
	copy(u->bio, sizeof(u->bio), PQgetvalue(r, i, 4));
	copy(u->role, sizeof(u->role), PQgetvalue(r, i, 5));
	copy(u->password_hash, sizeof(u->password_hash), PQgetvalue(r, i, 6));
	copy(u->created_at, sizeof(u->created_at), PQgetvalue(r, i, 7));
	u->deactivated = PQgetvalue(r, i, 8)[0] == 't';
	u->email_verified = PQgetvalue(r, i, 9)[0] == 't';
	u->mfa_enabled = PQgetvalue(r, i, 10)[0] == 't';
	copy(u->avatar, sizeof(u->avatar), PQgetvalue(r, i, 11));
}

/* Runs a one-row loader; VALIDATION_NOT_FOUND when it finds nothing. */
static enum px_err load_one(struct px_db *db, const char *name, const char *sql,
			    int n, const char *const *p, struct px_m_user *u)
{
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec_prepared(db, name, sql, n, p, &r);
	if (e != PX_OK)
		return e;
	if (PQntuples(r) == 0)
		e = PX_E_VALIDATION_NOT_FOUND;
	else
		load_row(r, 0, u);
	PQclear(r);
	return e;
}

/* Runs an UPDATE; VALIDATION_NOT_FOUND when it touched no row. */
static enum px_err update(struct px_db *db, const char *sql, int n,
			  const char *const *p)
{
	PGresult *r = NULL;
	enum px_err e;
	int rows;

	e = px_db_exec(db, sql, n, p, &r);
	if (e != PX_OK)
		return e;
	rows = atoi(PQcmdTuples(r));
	PQclear(r);
	return rows ? PX_OK : PX_E_VALIDATION_NOT_FOUND;
}

enum px_err px_m_users_create(struct px_db *db, const struct px_m_user_new *n,
			      long long *id)
{
	struct px_buf fold = PX_BUF_INIT;
	const char *p[8] = { n->username, n->skeleton, n->email, n->display_name,
			     n->password_hash, n->role,
			     n->email_verified ? "t" : "f", NULL };
	PGresult *r = NULL;
	enum px_err e = PX_E_SYSTEM_INTERNAL;

	/* every path that makes an account (API, OIDC, admin CLI) stores it */
	if (px_ident_fold(n->username, &fold) != 0)
		goto out;
	p[7] = fold.data;
	e = px_db_exec(db,
		       "INSERT INTO users(username, username_skeleton, email,"
		       " display_name, password_hash, role, email_verified,"
		       " password_changed_at, username_fold) VALUES ($1, $2, $3,"
		       " $4, $5, $6, $7, now(), $8) RETURNING id", 8, p, &r);
	if (e != PX_OK)
		goto out;
	*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
out:
	px_buf_free(&fold);
	return e;
}

enum px_err px_m_users_set_password(struct px_db *db, const char *username,
				    const char *password_hash)
{
	const char *p[2] = { username, password_hash };

	return update(db, "UPDATE users SET password_hash = $2,"
			  " password_changed_at = now() WHERE username = $1", 2, p);
}

enum px_err px_m_users_set_password_id(struct px_db *db, long long id,
				       const char *password_hash)
{
	char ids[24];
	const char *p[2] = { ids, password_hash };

	snprintf(ids, sizeof(ids), "%lld", id);
	return update(db, "UPDATE users SET password_hash = $2,"
			  " password_changed_at = now() WHERE id = $1", 2, p);
}

int px_m_users_exists(struct px_db *db, const char *username)
{
	const char *p[1] = { username };
	PGresult *r = NULL;
	int n;

	if (px_db_exec(db, "SELECT 1 FROM users WHERE username = $1", 1, p, &r) != PX_OK)
		return -1;
	n = PQntuples(r) > 0;
	PQclear(r);
	return n;
}

enum px_err px_m_users_clash(struct px_db *db, const char *username,
			     const char *skeleton, const char *email,
			     long long except_id, const char **which)
{
	struct px_buf fold = PX_BUF_INIT;
	char ex[24];
	const char *p[5] = { username, skeleton, email, ex, NULL };
	PGresult *r = NULL;
	enum px_err e = PX_E_SYSTEM_INTERNAL;
	const char *v;

	*which = NULL;
	snprintf(ex, sizeof(ex), "%lld", except_id);
	/* NULL (no name asked about) matches no row */
	if (username && *username) {
		if (px_ident_fold(username, &fold) != 0)
			goto out;
		p[4] = fold.data;
	}
	e = px_db_exec_prepared(db, "users_clash",
				"SELECT CASE WHEN username = $1::citext THEN 'username'"
				" WHEN username_skeleton = $2 OR username_fold = $5"
				" THEN 'skeleton' ELSE 'email' END FROM users WHERE"
				" id <> $4::bigint AND (username = $1::citext OR"
				" username_skeleton = $2 OR username_fold = $5 OR"
				" email = $3::citext) ORDER BY 1 DESC LIMIT 1", 5, p, &r);
	if (e != PX_OK)
		goto out;
	if (PQntuples(r) > 0) {
		v = PQgetvalue(r, 0, 0);
		*which = v[0] == 'u' ? "username" : v[0] == 's' ? "skeleton" : "email";
	}
	PQclear(r);
out:
	px_buf_free(&fold);
	return e;
}

enum px_err px_m_users_get(struct px_db *db, long long id, struct px_m_user *u)
{
	char ids[24];
	const char *p[1] = { ids };

	snprintf(ids, sizeof(ids), "%lld", id);
	return load_one(db, "users_get",
			"SELECT " USER_COLS " FROM users u WHERE u.id = $1", 1, p, u);
}

enum px_err px_m_users_find_login(struct px_db *db, const char *name_or_email,
				  struct px_m_user *u)
{
	const char *p[1] = { name_or_email };

	return load_one(db, "users_find_login",
			"SELECT " USER_COLS " FROM users u WHERE u.username = $1"
			" OR u.email = $1 ORDER BY u.username = $1 DESC LIMIT 1",
			1, p, u);
}

enum px_err px_m_users_find_email(struct px_db *db, const char *email,
				  struct px_m_user *u)
{
	const char *p[1] = { email };

	return load_one(db, "users_find_email",
			"SELECT " USER_COLS " FROM users u WHERE u.email = $1", 1, p, u);
}

enum px_err px_m_users_update_profile(struct px_db *db, long long id,
				      const char *display_name, const char *bio)
{
	char ids[24];
	const char *p[3] = { ids, display_name, bio };

	snprintf(ids, sizeof(ids), "%lld", id);
	return update(db, "UPDATE users SET display_name = coalesce($2, display_name),"
			  " bio = coalesce($3, bio) WHERE id = $1", 3, p);
}

enum px_err px_m_users_set_email(struct px_db *db, long long id,
				 const char *email, int verified)
{
	char ids[24];
	const char *p[3] = { ids, email, verified ? "t" : "f" };

	snprintf(ids, sizeof(ids), "%lld", id);
	return update(db, "UPDATE users SET email = $2, email_verified = $3"
			  " WHERE id = $1", 3, p);
}

enum px_err px_m_users_set_active(struct px_db *db, long long id, int active)
{
	char ids[24];
	const char *p[1] = { ids };

	snprintf(ids, sizeof(ids), "%lld", id);
	/* one statement, so no session outlives the deactivation */
	return update(db, active ? "UPDATE users SET deactivated_at = NULL WHERE id = $1"
				 : "WITH s AS (UPDATE sessions SET revoked_at = now() WHERE"
				   " user_id = $1 AND revoked_at IS NULL) UPDATE users SET"
				   " deactivated_at = coalesce(deactivated_at, now())"
				   " WHERE id = $1", 1, p);
}

enum px_err px_m_users_set_role(struct px_db *db, long long id, const char *role)
{
	char ids[24];
	const char *p[2] = { ids, role };

	snprintf(ids, sizeof(ids), "%lld", id);
	return update(db, "UPDATE users SET role = $2 WHERE id = $1", 2, p);
}

enum px_err px_m_users_list(struct px_db *db, const char *q, int admin,
			    int limit, int offset,
			    void (*fn)(const struct px_m_user *u, void *arg),
			    void *arg)
{
	char lim[16], off[16];
	const char *p[4] = { q, admin ? "t" : "f", lim, off };
	struct px_m_user u;
	PGresult *r = NULL;
	enum px_err e;
	int i;

	snprintf(lim, sizeof(lim), "%d", limit);
	snprintf(off, sizeof(off), "%d", offset);
	e = px_db_exec_prepared(db, "users_list",
				"SELECT " USER_COLS " FROM users u WHERE"
				" ($2::bool OR u.deactivated_at IS NULL) AND ($1::text IS NULL"
				" OR strpos(lower(u.username::text), lower($1)) > 0"
				" OR strpos(lower(u.display_name), lower($1)) > 0)"
				" ORDER BY u.username LIMIT $3 OFFSET $4", 4, p, &r);
	if (e != PX_OK)
		return e;
	for (i = 0; i < PQntuples(r); i++) {
		load_row(r, i, &u);
		fn(&u, arg);
	}
	PQclear(r);
	return PX_OK;
}
