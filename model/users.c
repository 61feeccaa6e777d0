/* model/users.c: parameterised statements on the users table. */
#include "users.h"

#include <stdlib.h>

enum px_err px_m_users_create(struct px_db *db, const char *username,
			      const char *email, const char *display_name,
			      const char *password_hash, const char *role,
			      long long *id)
{
	const char *p[5] = { username, email, display_name, password_hash, role };
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec(db,
		       "INSERT INTO users(username, email, display_name, password_hash, role)"
		       " VALUES ($1, $2, $3, $4, $5) RETURNING id", 5, p, &r);
	if (e != PX_OK)
		return e;
	*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_users_set_password(struct px_db *db, const char *username,
				    const char *password_hash)
{
	const char *p[2] = { username, password_hash };
	PGresult *r = NULL;
	enum px_err e;
	int n;

	e = px_db_exec(db, "UPDATE users SET password_hash = $2 WHERE username = $1",
		       2, p, &r);
	if (e != PX_OK)
		return e;
	n = atoi(PQcmdTuples(r));
	PQclear(r);
	return n ? PX_OK : PX_E_VALIDATION_NOT_FOUND;
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
