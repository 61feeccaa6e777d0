/* migrate.c: applies sql/NNN_name.sql files in order, once each. */
#include "core/migrate.h"
#include "core/log.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATE_LOCK_KEY "7405512301" /* arbitrary, fixed for PlexiChat */

struct mig {
	int version;
	char *name;
};

static int cmp_mig(const void *a, const void *b)
{
	return ((const struct mig *)a)->version - ((const struct mig *)b)->version;
}

static void free_migs(struct mig *m, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(m[i].name);
	free(m);
}

/* Lists NNN_*.sql in dir sorted by NNN; returns count or -1. */
static int list_migrations(const char *dir, struct mig **out, struct px_buf *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct mig *m = NULL;
	int n = 0, cap = 0;

	if (!d) {
		px_buf_printf(err, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char *end;
		long v = strtol(de->d_name, &end, 10);

		if (l < 8 || strcmp(de->d_name + l - 4, ".sql") != 0 ||
		    end != de->d_name + 3 || *end != '_' || v <= 0)
			continue;
		if (n == cap) {
			struct mig *p;

			cap = cap ? cap * 2 : 16;
			p = realloc(m, (size_t)cap * sizeof(*m));
			if (!p)
				goto fail;
			m = p;
		}
		m[n].version = (int)v;
		m[n].name = strdup(de->d_name);
		if (!m[n].name)
			goto fail;
		n++;
	}
	closedir(d);
	qsort(m, (size_t)n, sizeof(*m), cmp_mig);
	*out = m;
	return n;
fail:
	closedir(d);
	free_migs(m, n);
	px_buf_puts(err, "out of memory");
	return -1;
}

static char *read_file(const char *path)
{
	FILE *fp = fopen(path, "re");
	struct px_buf b = PX_BUF_INIT;
	char chunk[8192];
	size_t n;

	if (!fp)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		px_buf_append(&b, chunk, n);
	fclose(fp);
	return px_buf_steal(&b);
}

static int ensure_table(struct px_db *db, struct px_buf *err)
{
	enum px_err e = px_db_exec(db,
		"CREATE TABLE IF NOT EXISTS schema_migrations ("
		" version integer PRIMARY KEY, name text NOT NULL,"
		" applied_at timestamptz NOT NULL DEFAULT now())", 0, NULL, NULL);

	if (e != PX_OK) {
		px_buf_printf(err, "cannot create schema_migrations: %s", px_err_name(e));
		return -1;
	}
	return 0;
}

static int is_applied(struct px_db *db, int version, struct px_buf *err)
{
	char v[16];
	const char *p[1] = { v };
	PGresult *r = NULL;
	int applied;

	snprintf(v, sizeof(v), "%d", version);
	if (px_db_exec(db, "SELECT 1 FROM schema_migrations WHERE version = $1",
		       1, p, &r) != PX_OK) {
		px_buf_puts(err, "cannot read schema_migrations");
		return -1;
	}
	applied = PQntuples(r) > 0;
	PQclear(r);
	return applied;
}

#define CONTRACT_TAG "-- contract-after: "

/* A contract migration names, in a line "-- contract-after: NNN", the
 * expand migration every running build must ship before it may run
 * (docs/CLUSTERING.md, "Rolling upgrades"); 0 when it names none. */
static int contract_after(const char *sql)
{
	const char *p = sql;

	while ((p = strstr(p, CONTRACT_TAG))) {
		if (p == sql || p[-1] == '\n')
			return atoi(p + strlen(CONTRACT_TAG));
		p += strlen(CONTRACT_TAG);
	}
	return 0;
}

/* How many node processes alive in the registry (a heartbeat within the
 * last minute) ship a schema older than version, or -1 with err set. No
 * registry yet (a new database) means no nodes. */
static int nodes_behind(struct px_db *db, int version, struct px_buf *err)
{
	char v[16];
	const char *p[1] = { v };
	PGresult *r = NULL;
	int n = -1;

	snprintf(v, sizeof(v), "%d", version);
	if (px_db_exec(db, "SELECT to_regclass('cluster_nodes') IS NOT NULL", 0, NULL, &r) != PX_OK)
		goto dberr;
	if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
		n = 0;
		goto out;
	}
	PQclear(r);
	r = NULL;
	if (px_db_exec(db, "SELECT count(*) FROM cluster_nodes WHERE schema_version < $1"
		       " AND heartbeat_at > now() - interval '1 minute'", 1, p, &r) != PX_OK)
		goto dberr;
	n = atoi(PQgetvalue(r, 0, 0));
	goto out;
dberr:
	px_buf_puts(err, "cannot read the node registry");
out:
	PQclear(r);
	return n;
}

static int apply_one(struct px_db *db, const char *dir, const struct mig *m,
		     struct px_buf *err)
{
	char path[4096], v[16];
	const char *p[2] = { v, m->name };
	char *sql = NULL;
	PGresult *r = NULL;
	int rc = -1, after, behind;

	snprintf(path, sizeof(path), "%s/%s", dir, m->name);
	snprintf(v, sizeof(v), "%d", m->version);
	sql = read_file(path);
	if (!sql) {
		px_buf_printf(err, "%s: cannot read", path);
		goto out;
	}
	after = contract_after(sql);
	behind = after > 0 ? nodes_behind(db, after, err) : 0;
	if (behind != 0) {
		if (behind > 0)
			px_buf_printf(err, "%s: a contract step, but %d node process(es) still run a build "
				      "without migration %d (plexichat-admin cluster status): upgrade "
				      "every node first", m->name, behind, after);
		goto out;
	}
	if (px_db_exec(db, "BEGIN", 0, NULL, NULL) != PX_OK)
		goto dberr;
	/* A migration file is trusted project SQL with several statements,
	 * so it goes through the simple query protocol. */
	r = PQexec(px_db_conn(db), sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK) {
		px_buf_printf(err, "%s: %s", m->name, PQresultErrorMessage(r));
		if (px_db_exec(db, "ROLLBACK", 0, NULL, NULL) != PX_OK)
			px_log_warn("migrate", NULL, "rollback failed");
		goto out;
	}
	if (px_db_exec(db, "INSERT INTO schema_migrations(version, name) VALUES ($1, $2)",
		       2, p, NULL) != PX_OK ||
	    px_db_exec(db, "COMMIT", 0, NULL, NULL) != PX_OK)
		goto dberr;
	px_log_info("migrate", NULL, "applied %s", m->name);
	rc = 0;
	goto out;
dberr:
	px_buf_printf(err, "%s: database error", m->name);
out:
	PQclear(r);
	free(sql);
	return rc;
}

int px_migrate_apply(struct px_db *db, const char *sql_dir, int *applied,
		     struct px_buf *err)
{
	struct mig *m = NULL;
	int n, i, rc = -1, count = 0, locked = 0;

	n = list_migrations(sql_dir, &m, err);
	if (n < 0)
		return -1;
	if (px_db_exec(db, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", 0,
		       NULL, NULL) != PX_OK) {
		px_buf_puts(err, "database unavailable");
		goto out;
	}
	locked = 1;
	if (ensure_table(db, err) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		int a = is_applied(db, m[i].version, err);

		if (a < 0)
			goto out;
		if (a)
			continue;
		if (apply_one(db, sql_dir, &m[i], err) != 0)
			goto out;
		count++;
	}
	rc = 0;
out:
	if (locked && px_db_exec(db, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")",
				 0, NULL, NULL) != PX_OK)
		px_log_warn("migrate", NULL, "advisory unlock failed");
	if (applied)
		*applied = count;
	free_migs(m, n);
	return rc;
}

/* Whether the file of m is a contract step. A build that ships one runs
 * before it is applied: the step waits for every node to run that build. */
static int is_contract(const char *dir, const struct mig *m)
{
	char path[4096];
	char *sql;
	int after;

	snprintf(path, sizeof(path), "%s/%s", dir, m->name);
	sql = read_file(path);
	after = sql ? contract_after(sql) : 0;
	free(sql);
	return after > 0;
}

int px_migrate_pending(struct px_db *db, const char *sql_dir, int *contracts,
		       struct px_buf *err)
{
	struct mig *m = NULL;
	PGresult *r = NULL;
	int n, i, pending = 0, waiting = 0;

	n = list_migrations(sql_dir, &m, err);
	if (n < 0)
		return -1;
	if (px_db_exec(db, "SELECT to_regclass('schema_migrations') IS NOT NULL",
		       0, NULL, &r) != PX_OK) {
		px_buf_puts(err, "database unavailable");
		pending = -1;
		goto out;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
		pending = n;
		goto out;
	}
	for (i = 0; i < n; i++) {
		int a = is_applied(db, m[i].version, err);

		if (a < 0) {
			pending = -1;
			goto out;
		}
		if (!a && is_contract(sql_dir, &m[i]))
			waiting++;
		else
			pending += !a;
	}
out:
	if (contracts)
		*contracts = waiting;
	PQclear(r);
	free_migs(m, n);
	return pending;
}
