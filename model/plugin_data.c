/* model/plugin_data.c: a plugin's own schema and its migrations (see
 * plugin_data.h). The scripts are the plugin's code, signed with its
 * package; they run through px_plugin_data_run (sql/164), as the plugin's
 * role, which owns nothing but its schema. */
#include "model/plugin_data.h"
#include "model/rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs one script as name's role: PX_OK, or VALIDATION_CONFLICT with the
 * database's message in why. The transaction is aborted on failure, so
 * the caller's rollback undoes everything. */
static enum px_err run_as_plugin(struct px_db *db, const char *name, const char *sql,
				 const char *what, int id, struct px_buf *why)
{
	const char *p[2] = { name, sql };
	PGconn *c = px_db_conn(db);
	PGresult *r;
	enum px_err e = PX_OK;

	if (!c)
		return PX_E_SYSTEM_DB_UNAVAILABLE;
	r = PQexecParams(c, "SELECT px_plugin_data_run($1, $2)", 2, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

		px_buf_printf(why, "%s of migration %d failed: %s", what, id,
			      msg ? msg : PQerrorMessage(c));
		e = PQstatus(c) == CONNECTION_OK ? PX_E_VALIDATION_CONFLICT
						 : PX_E_SYSTEM_DB_UNAVAILABLE;
	}
	PQclear(r);
	return e;
}

/* Undoes the applied migrations above n, newest first. */
static enum px_err undo_above(struct px_db *db, const char *name, PGresult *applied, int n,
			      struct px_buf *why)
{
	for (int i = PQntuples(applied) - 1; i >= 0; i--) {
		int id = atoi(PQgetvalue(applied, i, 0));
		const char *p[2] = { name, PQgetvalue(applied, i, 0) };
		enum px_err e;

		if (id <= n)
			break;
		if (PQgetisnull(applied, i, 2)) {
			px_buf_printf(why, "migration %d of %s (applied by %s) has no down script, so"
				      " going back below it would leave data this version does not"
				      " know; refused (stay, or remove with --purge and install"
				      " again)", id, name, PQgetvalue(applied, i, 3));
			return PX_E_VALIDATION_CONFLICT;
		}
		if ((e = run_as_plugin(db, name, PQgetvalue(applied, i, 2), "the down script", id,
				       why)) != PX_OK)
			return e;
		if ((e = px_m_exec_rows(db, "plugin_mig_forget",
				"DELETE FROM plugin_migrations WHERE plugin = $1 AND id = $2::integer",
				2, p, NULL)) != PX_OK)
			return e;
	}
	return PX_OK;
}

enum px_err px_m_plugin_data_migrate(struct px_db *db, const char *name, const char *version,
				     const struct px_m_plugin_mig *migs, int n, struct px_buf *why)
{
	const char *p[1] = { name };
	PGresult *r = NULL;
	enum px_err e;
	int have;

	if (n > 0 && (e = px_db_exec_prepared(db, "plugin_data_ensure",
			"SELECT px_plugin_data_ensure($1)", 1, p, NULL)) != PX_OK) {
		if (!strcmp(px_db_last_sqlstate(db), "42501"))
			px_buf_puts(why, "PlexiChat's database role may not create roles: plugin data"
				    " needs ALTER ROLE ... CREATEROLE (docs/PLUGIN_DEVELOPMENT.md)");
		return e;
	}
	e = px_db_exec_prepared(db, "plugin_mig_applied",
		"SELECT id, up_sha256, down, version FROM plugin_migrations WHERE plugin = $1"
		" ORDER BY id FOR UPDATE", 1, p, &r);
	if (e != PX_OK)
		return e;
	have = PQntuples(r);
	for (int i = 0; i < have && i < n; i++)
		if (atoi(PQgetvalue(r, i, 0)) != i + 1 ||
		    strcmp(PQgetvalue(r, i, 1), migs[i].up_sha256)) {
			px_buf_printf(why, "migration %d of %s %s is not the one %s applied: a"
				      " published migration must never change", i + 1, name, version,
				      PQgetvalue(r, i, 3));
			PQclear(r);
			return PX_E_VALIDATION_CONFLICT;
		}
	e = undo_above(db, name, r, n, why);
	PQclear(r);
	for (int i = have; e == PX_OK && i < n; i++) {
		char id[16];
		const char *q[5] = { name, id, migs[i].up_sha256, migs[i].down, version };

		snprintf(id, sizeof(id), "%d", i + 1);
		if ((e = run_as_plugin(db, name, migs[i].up, "the up script", i + 1, why)) != PX_OK)
			break;
		e = px_m_exec_rows(db, "plugin_mig_record",
			"INSERT INTO plugin_migrations (plugin, id, up_sha256, down, version)"
			" VALUES ($1, $2::integer, $3, $4, $5)", 5, q, NULL);
	}
	return e;
}

enum px_err px_m_plugin_data_purge(struct px_db *db, const char *name, int *had)
{
	const char *p[1] = { name };
	PGresult *r = NULL;
	enum px_err e = px_m_one_row(db, "plugin_data_purge", "SELECT px_plugin_data_purge($1)", 1,
				     p, &r);

	if (e != PX_OK)
		return e;
	*had = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_plugin_data_login(struct px_db *db, const char *name, struct px_buf *role,
				   struct px_buf *password, struct px_buf *schema)
{
	const char *p[1] = { name };
	PGresult *r = NULL;
	enum px_err e = px_m_one_row(db, "plugin_data_login",
		"SELECT role, password, schema FROM plugin_data WHERE plugin = $1", 1, p, &r);

	if (e != PX_OK)
		return e;
	px_buf_puts(role, PQgetvalue(r, 0, 0));
	px_buf_puts(password, PQgetvalue(r, 0, 1));
	px_buf_puts(schema, PQgetvalue(r, 0, 2));
	PQclear(r);
	return PX_OK;
}
