/* model/auth_oidc.c: statements on oidc_states and oidc_links. */
#include "model/auth_oidc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

enum px_err px_m_oidc_state_put(struct px_db *db, const char *state_hash,
				const char *provider, const char *nonce,
				const char *verifier_enc, const char *next)
{
	const char *p[5] = { state_hash, provider, nonce, verifier_enc, next };
	enum px_err e;

	e = px_db_exec(db, "DELETE FROM oidc_states WHERE expires_at < now()", 0, NULL, NULL);
	if (e != PX_OK)
		return e;
	return px_db_exec(db, "INSERT INTO oidc_states(state_hash, provider, nonce,"
			      " verifier_enc, next, expires_at) VALUES ($1, $2, $3, $4,"
			      " $5, now() + interval '10 minutes')", 5, p, NULL);
}

enum px_err px_m_oidc_state_take(struct px_db *db, const char *state_hash,
				 struct px_m_oidc_state *s)
{
	const char *p[1] = { state_hash };
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec(db, "DELETE FROM oidc_states WHERE state_hash = $1 AND"
			   " expires_at > now() RETURNING provider, nonce, verifier_enc,"
			   " next", 1, p, &r);
	if (e != PX_OK)
		return e;
	memset(s, 0, sizeof(*s));
	if (PQntuples(r) == 0) {
		e = PX_E_VALIDATION_NOT_FOUND;
	} else {
		copy(s->provider, sizeof(s->provider), PQgetvalue(r, 0, 0));
		copy(s->nonce, sizeof(s->nonce), PQgetvalue(r, 0, 1));
		copy(s->verifier_enc, sizeof(s->verifier_enc), PQgetvalue(r, 0, 2));
		copy(s->next, sizeof(s->next), PQgetvalue(r, 0, 3));
	}
	PQclear(r);
	return e;
}

enum px_err px_m_oidc_link_find(struct px_db *db, const char *provider,
				const char *subject, long long *user_id)
{
	const char *p[2] = { provider, subject };
	PGresult *r = NULL;
	enum px_err e;

	*user_id = 0;
	e = px_db_exec(db, "SELECT user_id FROM oidc_links WHERE provider = $1 AND"
			   " subject = $2", 2, p, &r);
	if (e != PX_OK)
		return e;
	if (PQntuples(r) > 0)
		*user_id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_oidc_link_add(struct px_db *db, const char *provider,
			       const char *subject, long long user_id, const char *email)
{
	char uid[24];
	const char *p[4] = { provider, subject, uid, email };

	snprintf(uid, sizeof(uid), "%lld", user_id);
	return px_db_exec(db, "INSERT INTO oidc_links(provider, subject, user_id, email)"
			      " VALUES ($1, $2, $3, $4)", 4, p, NULL);
}
