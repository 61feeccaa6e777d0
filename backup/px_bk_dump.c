/* px_bk_dump.c: the database dumper. One connection holds a REPEATABLE
 * READ, READ ONLY transaction for the whole dump and exports its
 * snapshot, which pg_dump joins for the DDL; every table is read with COPY
 * on that same connection, so the backup is one consistent point in time.
 * Only identifiers are spliced into SQL text, always through
 * PQescapeIdentifier; catalog queries take parameters. */
#include "backup/px_bk_dump.h"
#include "backup/px_bk_bincopy.h"
#include "backup/px_bk_proc.h"
#include "backup/px_bk_psql.h"
#include "core/log.h"

#include <pthread.h>
#include <stdio.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char SQL_TABLES[] =
	"SELECT c.oid, n.nspname, c.relname, pg_relation_size(c.oid) "
	"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	"WHERE c.relkind = 'r' "
	"AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' "
	"AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
	"AND d.objid = c.oid AND d.deptype = 'e') "
	"ORDER BY n.nspname, c.relname";
static const char SQL_COLUMNS[] =
	"SELECT attname, atttypid FROM pg_attribute WHERE attrelid = $1::oid AND attnum > 0 "
	"AND NOT attisdropped AND attgenerated = '' ORDER BY attnum";
static const char SQL_PKEY[] =
	"SELECT a.attname FROM pg_index i "
	"CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
	"JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
	"WHERE i.indrelid = $1::oid AND i.indisprimary ORDER BY k.ord";
static const char SQL_SEQUENCES[] =
	"SELECT schemaname, sequencename, last_value FROM pg_sequences "
	"WHERE schemaname <> 'information_schema' AND schemaname NOT LIKE 'pg\\_%' "
	"ORDER BY 1, 2";

static enum px_err sql_fail(PGconn *c, const char *what, struct px_buf *err)
{
	px_buf_printf(err, "%s: %s", what, PQerrorMessage(c));
	while (err->len && err->data[err->len - 1] == '\n')
		err->data[--err->len] = '\0';
	return PQstatus(c) == CONNECTION_OK ? PX_E_SYSTEM_INTERNAL :
					      PX_E_SYSTEM_DB_UNAVAILABLE;
}

static PGresult *query(PGconn *c, const char *sql, const char *param,
		       ExecStatusType want)
{
	PGresult *res = PQexecParams(c, sql, param ? 1 : 0, NULL,
				     param ? &param : NULL, NULL, NULL, 0);

	if (PQresultStatus(res) != want) {
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Debian's /usr/bin/pg_dump is a Perl wrapper that picks a version at
 * every start; call the matching versioned binary directly when present. */
static const char *pg_dump_for(int major)
{
	static const char *const known[] = {
		"/usr/lib/postgresql/%d/bin/pg_dump",
		"/usr/pgsql-%d/bin/pg_dump",
	};
	static __thread char path[64];
	size_t i;

	for (i = 0; major > 0 && i < sizeof(known) / sizeof(known[0]); i++) {
		snprintf(path, sizeof(path), known[i], major);
		if (access(path, X_OK) == 0)
			return path;
	}
	return "pg_dump";
}

/* One pg_dump run for a schema section, in its own thread: the DDL is
 * small, so it is collected in memory while the tables are copied. */
struct section {
	const char *prog, *conninfo, *name;
	char snapshot[128];
	struct px_buf ddl;
	struct px_buf why;   /* why status is not 0 */
	int status;          /* exit status; -1 when it could not run */
	pthread_t thread;
	int started;
};

static void *run_pg_dump(void *arg)
{
	struct section *sec = arg;
	struct px_buf snap_arg = PX_BUF_INIT, sec_arg = PX_BUF_INIT;

	sec->status = -1;
	px_buf_printf(&snap_arg, "--snapshot=%s", sec->snapshot);
	px_buf_printf(&sec_arg, "--section=%s", sec->name);
	if (snap_arg.failed || sec_arg.failed) {
		px_buf_puts(&sec->why, "out of memory");
	} else {
		const char *argv[] = { sec->prog, "--schema-only", sec_arg.data,
				       snap_arg.data, "--no-password",
				       "--quote-all-identifiers", "-d",
				       sec->conninfo, NULL };

		sec->status = px_bk_proc_capture(argv, &sec->ddl, &sec->why);
		if (sec->status > 0)
			px_buf_printf(&sec->why, "exit status %d", sec->status);
	}
	px_buf_free(&snap_arg);
	px_buf_free(&sec_arg);
	return NULL;
}

/* Waits for a section's pg_dump and writes its DDL as one stream,
 * without psql meta-commands: their \restrict key is random per run and
 * would change the shard every time (restore runs the SQL through libpq,
 * not psql). */
static enum px_err write_section(struct section *sec, struct px_bk_writer *w,
				 json_object *item, struct px_buf *err)
{
	struct px_buf sql = PX_BUF_INIT;
	enum px_err rc = PX_E_SYSTEM_INTERNAL;

	pthread_join(sec->thread, NULL);
	sec->started = 0;
	if (sec->status != 0) {
		px_buf_printf(err, "%s --schema-only --section=%s failed (%s)",
			      sec->prog, sec->name, sec->why.len ? sec->why.data : "?");
		goto out;
	}
	if (px_bk_psql_strip_meta(sec->ddl.data, sec->ddl.len, &sql) != 0)
		goto out;
	px_bk_writer_begin(w);
	rc = sql.len ? px_bk_writer_write(w, sql.data, sql.len) : PX_OK;
	if (rc == PX_OK)
		rc = px_bk_writer_end(w, item);
out:
	px_buf_free(&sql);
	return rc;
}

/* Appends the escaped identifiers of res's first column, comma-separated,
 * to b and to the JSON array arr (when not NULL). */
static int ident_list(PGconn *c, PGresult *res, struct px_buf *b,
		      json_object *arr)
{
	int i;

	for (i = 0; i < PQntuples(res); i++) {
		const char *name = PQgetvalue(res, i, 0);
		char *q = PQescapeIdentifier(c, name, strlen(name));

		if (!q)
			return -1;
		px_buf_printf(b, "%s%s", i ? ", " : "", q);
		PQfreemem(q);
		if (arr)
			json_object_array_add(arr, json_object_new_string(name));
	}
	return b->failed ? -1 : 0;
}

/* Where a table's bytes go: the writer (serial) or a worker's queue
 * (parallel). Non-PX_OK stops the COPY. */
typedef enum px_err (*sink_fn)(void *arg, const void *p, size_t n);

static enum px_err writer_sink(void *arg, const void *p, size_t n)
{
	return px_bk_writer_write(arg, p, n);
}

/* Streams a COPY's rows into sink and sets item's "rows". With delta,
 * the COPY is binary and each message is stored delta-coded (see
 * px_bk_bincopy.h). */
static enum px_err copy_out(PGconn *c, const char *sql, struct px_bk_delta *delta,
			    sink_fn sink, void *arg, json_object *item, struct px_buf *err)
{
	PGresult *res = PQexec(c, sql);
	struct px_buf coded = PX_BUF_INIT;
	enum px_err rc = PX_OK;
	long long rows;
	char *row;
	int n;

	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		PQclear(res);
		return sql_fail(c, "COPY", err);
	}
	PQclear(res);
	while (rc == PX_OK && (n = PQgetCopyData(c, &row, 0)) > 0) {
		if (!delta) {
			rc = sink(arg, row, (size_t)n);
		} else {
			px_buf_reset(&coded);
			if (px_bk_delta_encode(delta, row, (size_t)n, &coded) != 0) {
				px_buf_puts(err, "COPY: unexpected binary row");
				rc = PX_E_SYSTEM_INTERNAL;
			} else {
				rc = sink(arg, coded.data, coded.len);
			}
		}
		PQfreemem(row);
	}
	px_buf_free(&coded);
	if (rc != PX_OK)
		return rc;   /* the connection is abandoned by the caller */
	if (n == -2)
		return sql_fail(c, "COPY", err);
	res = PQgetResult(c);
	rc = PQresultStatus(res) == PGRES_COMMAND_OK ? PX_OK : PX_E_SYSTEM_INTERNAL;
	rows = rc == PX_OK ? strtoll(PQcmdTuples(res), NULL, 10) : 0;
	if (rc != PX_OK)
		px_buf_printf(err, "COPY: %s", PQresultErrorMessage(res));
	else if (delta && (!delta->trailer_seen || delta->rows != rows))
		rc = PX_E_SYSTEM_INTERNAL;
	if (rc == PX_OK)
		json_object_object_add(item, "rows", json_object_new_int64(rows));
	else if (!err->len)
		px_buf_printf(err, "COPY: %lld rows announced, %lld coded", rows,
			      delta ? delta->rows : 0);
	PQclear(res);
	while ((res = PQgetResult(c)) != NULL)
		PQclear(res);
	return rc;
}

/* The select list of a delta-coded dump: columns of types the restore's
 * converter reads in binary are named as they are; any other is formatted
 * by its type's output function in the query (format's %s), as text COPY
 * would, keeping NULL, so that the stored rows stay portable across major
 * versions. cols receives each column's reading, kinds their names. */
static int select_list(PGconn *c, PGresult *cres, struct px_buf *b, enum px_bk_col *cols,
		       json_object *kinds)
{
	int i;

	for (i = 0; i < PQntuples(cres); i++) {
		const char *name = PQgetvalue(cres, i, 0);
		char *q = PQescapeIdentifier(c, name, strlen(name));

		if (!q)
			return -1;
		cols[i] = px_bk_col_for_oid((unsigned)strtoul(PQgetvalue(cres, i, 1), NULL, 10));
		json_object_array_add(kinds, json_object_new_string(px_bk_col_name(cols[i])));
		if (cols[i] == PX_BK_COL_OTHER)
			px_buf_printf(b, "%sCASE WHEN %s IS NULL THEN NULL ELSE format('%%s', %s) END",
				      i ? ", " : "", q, q);
		else
			px_buf_printf(b, "%s%s", i ? ", " : "", q);
		PQfreemem(q);
	}
	return b->failed ? -1 : 0;
}

/* Reads table t of tabs on connection c into sink; *out gets its
 * manifest item (schema, name, columns, ordered_by, column_kinds, rows),
 * without shards (the caller ends the stream). */
static enum px_err table_stream(PGconn *c, PGresult *tabs, int t, int binary, sink_fn sink,
				void *arg, json_object **out, struct px_buf *err)
{
	const char *oid = PQgetvalue(tabs, t, 0), *nsp = PQgetvalue(tabs, t, 1);
	const char *rel = PQgetvalue(tabs, t, 2);
	struct px_buf cols = PX_BUF_INIT, pk = PX_BUF_INIT, sql = PX_BUF_INIT, sel = PX_BUF_INIT;
	enum px_bk_col *types = NULL;
	struct px_bk_delta delta = { 0 };
	json_object *item = json_object_new_object();
	json_object *carr = json_object_new_array(), *parr = json_object_new_array();
	PGresult *cres = NULL, *pres = NULL;
	char *qn = NULL, *qr = NULL;
	enum px_err rc = PX_E_SYSTEM_INTERNAL;

	json_object_object_add(item, "schema", json_object_new_string(nsp));
	json_object_object_add(item, "name", json_object_new_string(rel));
	json_object_object_add(item, "columns", carr);
	json_object_object_add(item, "ordered_by", parr);
	cres = query(c, SQL_COLUMNS, oid, PGRES_TUPLES_OK);
	pres = query(c, SQL_PKEY, oid, PGRES_TUPLES_OK);
	if (!cres || !pres) {
		rc = sql_fail(c, "catalog query", err);
		goto out;
	}
	qn = PQescapeIdentifier(c, nsp, strlen(nsp));
	qr = PQescapeIdentifier(c, rel, strlen(rel));
	if (!qn || !qr || ident_list(c, cres, &cols, carr) != 0 ||
	    ident_list(c, pres, &pk, parr) != 0)
		goto out;
	/* tables with columns are stored delta-coded (px_bk_bincopy.h);
	 * --copy-binary keeps the server's binary rows as they are */
	if (!binary && PQntuples(cres) > 0) {
		json_object *kinds = json_object_new_array();

		json_object_object_add(item, "column_kinds", kinds);
		types = calloc((size_t)PQntuples(cres), sizeof(*types));
		if (!types || select_list(c, cres, &sel, types, kinds) != 0 ||
		    px_bk_delta_init(&delta, types, PQntuples(cres)) != 0)
			goto out;
	}
	if (PQntuples(cres) == 0)
		px_buf_printf(&sql, "COPY (SELECT FROM %s.%s) TO STDOUT", qn, qr);
	else
		px_buf_printf(&sql, "COPY (SELECT %s FROM ONLY %s.%s%s%s) TO STDOUT",
			      types ? sel.data : cols.data, qn, qr, pk.len ? " ORDER BY " : "",
			      pk.len ? pk.data : "");
	if (binary || types)
		px_buf_puts(&sql, " (FORMAT binary)");
	if (sql.failed)
		goto out;
	px_log_debug("backup", NULL, "dump %s.%s", nsp, rel);
	rc = copy_out(c, sql.data, types ? &delta : NULL, sink, arg, item, err);
	if (rc == PX_OK) {
		*out = item;
		item = NULL;
	}
out:
	json_object_put(item);
	PQclear(cres);
	PQclear(pres);
	PQfreemem(qn);
	PQfreemem(qr);
	px_buf_free(&cols);
	px_buf_free(&pk);
	px_buf_free(&sql);
	px_buf_free(&sel);
	px_bk_delta_free(&delta);
	free(types);
	return rc;
}

/* The serial path: table t on the snapshot's own connection, straight
 * into the writer. */
static enum px_err dump_table(PGconn *c, PGresult *tabs, int t, int binary,
			      struct px_bk_writer *w, json_object *tables, struct px_buf *err)
{
	json_object *item = NULL;
	enum px_err rc;

	px_bk_writer_begin(w);
	rc = table_stream(c, tabs, t, binary, writer_sink, w, &item, err);
	if (rc == PX_OK)
		rc = px_bk_writer_end(w, item);
	if (rc == PX_OK)
		json_object_array_add(tables, item);
	else
		json_object_put(item);
	return rc;
}

static enum px_err dump_sequences(PGconn *c, json_object *db, struct px_buf *err)
{
	PGresult *res = query(c, SQL_SEQUENCES, NULL, PGRES_TUPLES_OK);
	json_object *arr = json_object_new_array();
	int i;

	if (!res) {
		json_object_put(arr);
		return sql_fail(c, "sequences", err);
	}
	for (i = 0; i < PQntuples(res); i++) {
		json_object *s = json_object_new_object();

		json_object_object_add(s, "schema",
				       json_object_new_string(PQgetvalue(res, i, 0)));
		json_object_object_add(s, "name",
				       json_object_new_string(PQgetvalue(res, i, 1)));
		/* NULL last_value: never used, nothing to restore */
		if (!PQgetisnull(res, i, 2))
			json_object_object_add(s, "value", json_object_new_string(
						       PQgetvalue(res, i, 2)));
		json_object_array_add(arr, s);
	}
	PQclear(res);
	json_object_object_add(db, "sequences", arr);
	return PX_OK;
}

struct px_bk_dump {
	struct px_bk_dump_opts o;
	PGconn *c;
	PGconn **workers;        /* jobs > 1: connections in the same snapshot */
	int nworkers;
	PGresult *tabs;
	struct section pre, post;
	char database[256], version[64];
};

void px_bk_dump_free(struct px_bk_dump *d)
{
	if (!d)
		return;
	/* a pg_dump still running exits when the snapshot's transaction ends */
	for (int i = 0; i < d->nworkers; i++)
		PQfinish(d->workers[i]);
	free(d->workers);
	PQfinish(d->c);
	if (d->pre.started)
		pthread_join(d->pre.thread, NULL);
	if (d->post.started)
		pthread_join(d->post.thread, NULL);
	px_buf_free(&d->pre.ddl);
	px_buf_free(&d->post.ddl);
	px_buf_free(&d->pre.why);
	px_buf_free(&d->post.why);
	PQclear(d->tabs);
	free(d);
}

/* Opens a connection whose transaction sees exactly the snapshot
 * exported by d's own (SET TRANSACTION SNAPSHOT right after BEGIN). */
static PGconn *join_snapshot(struct px_bk_dump *d, const char *snapshot, struct px_buf *err)
{
	PGconn *c = PQconnectdb(d->o.conninfo);
	struct px_buf sql = PX_BUF_INIT;
	char *lit = NULL;
	PGresult *res;
	int ok = 0;

	if (PQstatus(c) != CONNECTION_OK) {
		sql_fail(c, "connect (parallel dump)", err);
		PQfinish(c);
		return NULL;
	}
	PQclear(PQexec(c, "SET application_name = 'plexichat-backup'"));
	lit = PQescapeLiteral(c, snapshot, strlen(snapshot));
	px_buf_printf(&sql, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; "
			    "SET TRANSACTION SNAPSHOT %s", lit ? lit : "''");
	res = lit && !sql.failed ? PQexec(c, sql.data) : NULL;
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok)
		sql_fail(c, "SET TRANSACTION SNAPSHOT", err);
	PQfreemem(lit);
	px_buf_free(&sql);
	if (!ok) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

static enum px_err open_workers(struct px_bk_dump *d, struct px_buf *err)
{
	char fields[32];
	int n = d->o.jobs;

	if (n <= 1)
		return PX_OK;
	d->workers = calloc((size_t)n, sizeof(*d->workers));
	if (!d->workers)
		return PX_E_SYSTEM_INTERNAL;
	for (d->nworkers = 0; d->nworkers < n; d->nworkers++) {
		d->workers[d->nworkers] = join_snapshot(d, d->pre.snapshot, err);
		if (!d->workers[d->nworkers])
			return PX_E_SYSTEM_DB_UNAVAILABLE;
	}
	snprintf(fields, sizeof(fields), "{\"jobs\":%d}", n);
	px_log_fields(PX_LOG_INFO, "backup", NULL, fields,
		      "dump: tables read on %d connections in snapshot %s", n, d->pre.snapshot);
	return PX_OK;
}

enum px_err px_bk_dump_begin(const struct px_bk_dump_opts *o,
			     struct px_bk_dump **out, struct px_buf *err)
{
	struct px_bk_dump *d = calloc(1, sizeof(*d));
	PGresult *res = NULL;
	enum px_err rc = PX_E_SYSTEM_INTERNAL;
	uint64_t total = 0;
	int i;

	*out = NULL;
	if (!d)
		return rc;
	d->o = *o;
	d->c = PQconnectdb(o->conninfo);
	if (PQstatus(d->c) != CONNECTION_OK) {
		rc = sql_fail(d->c, "connect", err);
		goto fail;
	}
	PQclear(PQexec(d->c, "SET application_name = 'plexichat-backup'"));
	res = PQexec(d->c, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = sql_fail(d->c, "BEGIN", err);
		goto fail;
	}
	PQclear(res);
	res = query(d->c, "SELECT pg_export_snapshot(), current_database(), "
			  "current_setting('server_version')", NULL, PGRES_TUPLES_OK);
	if (!res) {
		rc = sql_fail(d->c, "pg_export_snapshot", err);
		goto fail;
	}
	snprintf(d->pre.snapshot, sizeof(d->pre.snapshot), "%s", PQgetvalue(res, 0, 0));
	snprintf(d->database, sizeof(d->database), "%s", PQgetvalue(res, 0, 1));
	snprintf(d->version, sizeof(d->version), "%s", PQgetvalue(res, 0, 2));
	memcpy(d->post.snapshot, d->pre.snapshot, sizeof(d->pre.snapshot));
	d->pre.prog = d->post.prog = o->pg_dump ? o->pg_dump :
		pg_dump_for(PQserverVersion(d->c) / 10000);
	d->pre.conninfo = d->post.conninfo = o->conninfo;
	d->pre.name = "pre-data";
	d->post.name = "post-data";
	px_log_debug("backup", NULL, "dump: snapshot %s", d->pre.snapshot);
	if (pthread_create(&d->pre.thread, NULL, run_pg_dump, &d->pre) != 0)
		goto fail;
	d->pre.started = 1;
	if (pthread_create(&d->post.thread, NULL, run_pg_dump, &d->post) != 0)
		goto fail;
	d->post.started = 1;
	rc = open_workers(d, err);
	if (rc != PX_OK)
		goto fail;
	d->tabs = query(d->c, SQL_TABLES, NULL, PGRES_TUPLES_OK);
	if (!d->tabs) {
		rc = sql_fail(d->c, "list tables", err);
		goto fail;
	}
	for (i = 0; i < PQntuples(d->tabs); i++)
		total += strtoull(PQgetvalue(d->tabs, i, 3), NULL, 10);
	if (o->on_total)
		o->on_total(o->arg, total);
	PQclear(res);
	*out = d;
	return PX_OK;
fail:
	PQclear(res);
	px_bk_dump_free(d);
	return rc;
}

/* ---- the parallel dump -------------------------------------------
 * Worker threads, one per snapshot connection, claim tables in order and
 * read them (COPY and delta coding) into one queue per table; the
 * caller's thread hands the queues to the writer in table order, so the
 * streams, shards and manifest are exactly the serial dump's. A worker
 * blocks when its queue holds QUEUE_CAP bytes, and no table is claimed
 * more than `jobs` ahead of the one being written: memory stays below
 * jobs x (QUEUE_CAP + 2 x PUSH_CHUNK) plus the writer's side of the
 * double buffer (QUEUE_CAP + PUSH_CHUNK) whatever the tables' sizes. */
#define QUEUE_CAP (2u << 20)
/* rows gathered before one locked push: every push wakes the writer and
 * the other workers (one condition variable), so not too often */
#define PUSH_CHUNK (1u << 20)

struct tslot {
	struct px_buf data;     /* read, not yet taken by the writer */
	int done;
	enum px_err rc;
	struct px_buf err;
	json_object *item;
};

struct par {
	struct px_bk_dump *d;
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* any change: data, space, claim, stop */
	struct tslot *slots;
	int ntab, next_claim, next_write, stop;
};

struct wctx {
	struct par *p;
	PGconn *c;
	int t;                  /* the table being read */
	struct px_buf local;    /* rows gathered before one locked push */
};

static enum px_err push(struct wctx *w)
{
	struct par *p = w->p;
	struct tslot *s = &p->slots[w->t];
	enum px_err rc = PX_OK;

	pthread_mutex_lock(&p->mu);
	while (!p->stop && s->data.len >= QUEUE_CAP)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->stop)
		rc = PX_E_SYSTEM_INTERNAL;
	else
		px_buf_append(&s->data, w->local.data, w->local.len);
	if (s->data.failed)
		rc = PX_E_SYSTEM_INTERNAL;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	px_buf_reset(&w->local);
	return rc;
}

static enum px_err queue_sink(void *arg, const void *b, size_t n)
{
	struct wctx *w = arg;

	px_buf_append(&w->local, b, n);
	if (w->local.failed)
		return PX_E_SYSTEM_INTERNAL;
	return w->local.len >= PUSH_CHUNK ? push(w) : PX_OK;
}

static void *worker(void *arg)
{
	struct wctx *w = arg;
	struct par *p = w->p;

	for (;;) {
		struct px_buf err = PX_BUF_INIT;
		json_object *item = NULL;
		enum px_err rc;

		pthread_mutex_lock(&p->mu);
		while (!p->stop && p->next_claim < p->ntab &&
		       p->next_claim >= p->next_write + p->d->nworkers)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop || p->next_claim >= p->ntab) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		w->t = p->next_claim++;
		pthread_mutex_unlock(&p->mu);
		rc = table_stream(w->c, p->d->tabs, w->t, p->d->o.binary, queue_sink, w, &item, &err);
		if (rc == PX_OK && w->local.len)
			rc = push(w);
		pthread_mutex_lock(&p->mu);
		p->slots[w->t].rc = rc;
		p->slots[w->t].item = item;
		p->slots[w->t].err = err;
		p->slots[w->t].done = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (rc != PX_OK)
			break;
	}
	px_buf_free(&w->local);
	return NULL;
}

/* Hands table t's queue to the writer as it fills; the item (shards
 * added) goes to tables. *got is the writer's side of a double buffer:
 * it takes everything queued by swapping with the slot's buffer, whose
 * room the worker then refills, so neither grows again nor is copied
 * on the way. */
static enum px_err write_slot(struct par *p, int t, struct px_bk_writer *w,
			      json_object *tables, struct px_buf *got, struct px_buf *err)
{
	struct tslot *s = &p->slots[t];
	struct px_buf tmp;
	enum px_err rc = PX_OK;
	int done = 0;

	px_bk_writer_begin(w);
	while (rc == PX_OK && !done) {
		px_buf_reset(got);
		pthread_mutex_lock(&p->mu);
		while (!s->done && s->data.len == 0)
			pthread_cond_wait(&p->cv, &p->mu);
		tmp = s->data;
		s->data = *got;
		*got = tmp;
		done = s->done;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (got->len)
			rc = px_bk_writer_write(w, got->data, got->len);
	}
	/* the worker has finished with the table: its buffer goes now, not
	 * with the last table */
	pthread_mutex_lock(&p->mu);
	px_buf_free(&s->data);
	pthread_mutex_unlock(&p->mu);
	if (rc == PX_OK && s->rc != PX_OK) {
		px_buf_append(err, s->err.data ? s->err.data : "", s->err.len);
		rc = s->rc;
	}
	if (rc == PX_OK)
		rc = px_bk_writer_end(w, s->item);
	if (rc == PX_OK) {
		json_object_array_add(tables, s->item);
		s->item = NULL;
	}
	return rc;
}

static enum px_err px_bk_dump_tables_parallel(struct px_bk_dump *d, struct px_bk_writer *w,
					      json_object *tables, struct px_buf *err)
{
	struct par p = { d, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL,
			 PQntuples(d->tabs), 0, 0, 0 };
	struct wctx *ws = calloc((size_t)d->nworkers, sizeof(*ws));
	pthread_t *th = calloc((size_t)d->nworkers, sizeof(*th));
	struct px_buf got = PX_BUF_INIT;   /* write_slot's side of the double buffer */
	enum px_err rc = PX_OK;
	int i, started = 0;

	p.slots = calloc((size_t)(p.ntab ? p.ntab : 1), sizeof(*p.slots));
	if (!ws || !th || !p.slots)
		rc = PX_E_SYSTEM_INTERNAL;
	for (i = 0; rc == PX_OK && i < d->nworkers; i++, started++) {
		ws[i] = (struct wctx){ &p, d->workers[i], -1, PX_BUF_INIT };
		if (pthread_create(&th[i], NULL, worker, &ws[i]) != 0)
			rc = PX_E_SYSTEM_INTERNAL;
	}
	for (i = 0; rc == PX_OK && i < p.ntab; i++) {
		rc = write_slot(&p, i, w, tables, &got, err);
		pthread_mutex_lock(&p.mu);
		p.next_write = i + 1;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
	}
	pthread_mutex_lock(&p.mu);
	p.stop = 1;
	pthread_cond_broadcast(&p.cv);
	pthread_mutex_unlock(&p.mu);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (i = 0; p.slots && i < p.ntab; i++) {
		px_buf_free(&p.slots[i].data);
		px_buf_free(&p.slots[i].err);
		json_object_put(p.slots[i].item);
	}
	free(p.slots);
	free(ws);
	free(th);
	px_buf_free(&got);
	return rc;
}

enum px_err px_bk_dump_run(struct px_bk_dump *d, struct px_bk_writer *w,
			   json_object *db, struct px_buf *err)
{
	json_object *tables = json_object_new_array();
	json_object *pre = json_object_new_object(), *post = json_object_new_object();
	enum px_err rc = PX_OK;
	int i;

	json_object_object_add(db, "database", json_object_new_string(d->database));
	json_object_object_add(db, "server_version", json_object_new_string(d->version));
	json_object_object_add(db, "copy_format",
			       json_object_new_string(d->o.binary ? "binary" : "delta"));
	if (d->nworkers > 1)
		rc = px_bk_dump_tables_parallel(d, w, tables, err);
	for (i = 0; d->nworkers <= 1 && rc == PX_OK && i < PQntuples(d->tabs); i++)
		rc = dump_table(d->c, d->tabs, i, d->o.binary, w, tables, err);
	if (rc == PX_OK)
		rc = dump_sequences(d->c, db, err);
	if (rc == PX_OK)
		rc = write_section(&d->pre, w, pre, err);
	if (rc == PX_OK)
		rc = write_section(&d->post, w, post, err);
	px_log_debug("backup", NULL, "dump: done");
	if (rc == PX_OK) {
		json_object_object_add(db, "pre", pre);
		json_object_object_add(db, "tables", tables);
		json_object_object_add(db, "post", post);
		pre = tables = post = NULL;
	}
	json_object_put(pre);
	json_object_put(post);
	json_object_put(tables);
	return rc;
}
