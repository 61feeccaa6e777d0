/* model/rows.c: the helpers every model file shares (model/rows.h); they
 * run statements the caller names and hold no SQL of their own. */
#include "model/rows.h"

#include <stdio.h>
#include <stdlib.h>

const char *px_m_ll(char *buf, long long v)
{
	snprintf(buf, PX_M_LL, "%lld", v);
	return buf;
}

enum px_err px_m_json_row(struct px_db *db, const char *name, const char *sql,
			  int n, const char *const *params, struct px_buf *out)
{
	PGresult *r = NULL;
	enum px_err e = px_db_exec_prepared(db, name, sql, n, params, &r);

	if (e != PX_OK)
		return e;
	if (PQntuples(r) == 0 || PQgetisnull(r, 0, 0)) {
		PQclear(r);
		return PX_E_VALIDATION_NOT_FOUND;
	}
	px_buf_append(out, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
	PQclear(r);
	return out->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}

enum px_err px_m_one_row(struct px_db *db, const char *name, const char *sql, int n,
			 const char *const *params, PGresult **out)
{
	PGresult *r = NULL;
	enum px_err e = px_db_exec_prepared(db, name, sql, n, params, &r);

	*out = NULL;
	if (e != PX_OK)
		return e;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return PX_E_VALIDATION_NOT_FOUND;
	}
	*out = r;
	return PX_OK;
}

enum px_err px_m_ll_row(struct px_db *db, const char *name, const char *sql, int n,
			const char *const *params, long long *v)
{
	PGresult *r = NULL;
	enum px_err e = px_m_one_row(db, name, sql, n, params, &r);

	if (e == PX_OK) {
		*v = atoll(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	return e;
}

enum px_err px_m_exec_rows(struct px_db *db, const char *name, const char *sql,
			 int n, const char *const *params, long *rows)
{
	PGresult *r = NULL;
	enum px_err e = px_db_exec_prepared(db, name, sql, n, params, &r);

	if (e != PX_OK)
		return e;
	if (rows)
		*rows = atol(PQcmdTuples(r));
	PQclear(r);
	return PX_OK;
}
