/* model/config_versions.c: SQL for configuration versions; the only code
 * that reads or writes config_versions. */
#include "model/config_versions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLS "id, to_char(at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF'), who, action, path, sha256, octet_length(content)"

enum px_err px_m_config_versions_add(struct px_db *db, const char *who,
				     const char *action, const char *path,
				     const char *content, const char *sha256,
				     int force, long long *id)
{
	const char *p[6] = { who, action, path, content, sha256, force ? "t" : "f" };
	PGresult *r = NULL;
	enum px_err e;

	*id = 0;
	e = px_db_exec(db,
		"INSERT INTO config_versions (who, action, path, content, sha256)"
		" SELECT $1, $2, $3, $4, $5 WHERE $6::boolean OR"
		" (SELECT sha256 FROM config_versions ORDER BY id DESC LIMIT 1)"
		"  IS DISTINCT FROM $5 RETURNING id", 6, p, &r);
	if (e != PX_OK)
		return e;
	if (PQntuples(r) == 1)
		*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return PX_OK;
}

static void copy(char *dst, size_t cap, PGresult *r, int row, int col)
{
	snprintf(dst, cap, "%s", PQgetvalue(r, row, col));
}

static void fill(struct px_m_config_version *v, PGresult *r, int row)
{
	memset(v, 0, sizeof(*v));
	v->id = atoll(PQgetvalue(r, row, 0));
	copy(v->at, sizeof(v->at), r, row, 1);
	copy(v->who, sizeof(v->who), r, row, 2);
	copy(v->action, sizeof(v->action), r, row, 3);
	copy(v->path, sizeof(v->path), r, row, 4);
	copy(v->sha256, sizeof(v->sha256), r, row, 5);
	v->bytes = atoll(PQgetvalue(r, row, 6));
}

enum px_err px_m_config_versions_get(struct px_db *db, long long id,
				     struct px_m_config_version *v)
{
	char ids[24];
	const char *p[1] = { ids };
	PGresult *r = NULL;
	enum px_err e;

	snprintf(ids, sizeof(ids), "%lld", id);
	memset(v, 0, sizeof(*v));
	e = px_db_exec(db, "SELECT " COLS ", content FROM config_versions"
		       " WHERE $1::bigint = 0 OR id = $1::bigint ORDER BY id DESC LIMIT 1",
		       1, p, &r);
	if (e != PX_OK)
		return e;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return PX_E_VALIDATION_NOT_FOUND;
	}
	fill(v, r, 0);
	v->content = strdup(PQgetvalue(r, 0, 7));
	PQclear(r);
	return v->content ? PX_OK : PX_E_SYSTEM_INTERNAL;
}

enum px_err px_m_config_versions_list(struct px_db *db,
				      void (*fn)(const struct px_m_config_version *v, void *arg),
				      void *arg)
{
	struct px_m_config_version v;
	PGresult *r = NULL;
	enum px_err e;
	int i;

	e = px_db_exec(db, "SELECT " COLS " FROM config_versions ORDER BY id", 0, NULL, &r);
	if (e != PX_OK)
		return e;
	for (i = 0; i < PQntuples(r); i++) {
		fill(&v, r, i);
		fn(&v, arg);
	}
	PQclear(r);
	return PX_OK;
}

void px_m_config_version_clear(struct px_m_config_version *v)
{
	free(v->content);
	v->content = NULL;
}
