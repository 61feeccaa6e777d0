/* model/auth_ldap.c: parameterised statements on ldap_accounts. */
#include "model/auth_ldap.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

enum px_err px_m_ldap_linked(struct px_db *db, long long id, int *linked)
{
	char ids[24];
	const char *p[1] = { ids };
	PGresult *r = NULL;
	enum px_err e;

	snprintf(ids, sizeof(ids), "%lld", id);
	e = px_db_exec_prepared(db, "ldap_linked",
				"SELECT 1 FROM ldap_accounts WHERE user_id = $1", 1, p, &r);
	if (e != PX_OK)
		return e;
	*linked = PQntuples(r) > 0;
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_ldap_find_dn(struct px_db *db, const char *dn, long long *id)
{
	const char *p[1] = { dn };
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec_prepared(db, "ldap_find_dn",
				"SELECT user_id FROM ldap_accounts WHERE lower(dn) = lower($1)",
				1, p, &r);
	if (e != PX_OK)
		return e;
	*id = PQntuples(r) > 0 ? atoll(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	return PX_OK;
}

struct create {
	const struct px_m_user_new *n;
	const char *dn;
	long long *id;
};

static enum px_err create_tx(struct px_db *db, void *arg)
{
	struct create *c = arg;
	char ids[24];
	const char *p[2] = { ids, c->dn };
	enum px_err e;

	if ((e = px_m_users_create(db, c->n, c->id)) != PX_OK)
		return e;
	snprintf(ids, sizeof(ids), "%lld", *c->id);
	return px_db_exec(db, "INSERT INTO ldap_accounts(user_id, dn) VALUES ($1, $2)", 2, p,
			  NULL);
}

enum px_err px_m_ldap_create(struct px_db *db, const struct px_m_user_new *n,
			     const char *dn, long long *id)
{
	struct create c = { n, dn, id };

	assert(!n->password_hash);
	return px_db_tx(db, create_tx, &c);
}

enum px_err px_m_ldap_sync(struct px_db *db, long long id, const char *dn,
			   const char *role, const char *email)
{
	char ids[24];
	const char *p[4] = { ids, dn, role, email && *email ? email : NULL };

	snprintf(ids, sizeof(ids), "%lld", id);
	return px_db_exec_prepared(
		db, "ldap_sync",
		"WITH l AS (UPDATE ldap_accounts SET dn = $2, synced_at = now()"
		" WHERE user_id = $1) UPDATE users u SET role = $3,"
		" email = CASE WHEN $4::citext IS NULL OR EXISTS (SELECT 1 FROM users o"
		" WHERE o.email = $4::citext AND o.id <> u.id) THEN u.email ELSE $4 END,"
		" email_verified = CASE WHEN $4::citext IS NULL OR EXISTS (SELECT 1 FROM"
		" users o WHERE o.email = $4::citext AND o.id <> u.id) THEN u.email_verified"
		" ELSE true END WHERE u.id = $1",
		4, p, NULL);
}
