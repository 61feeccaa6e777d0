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
	"SELECT c.oid, n.nspname, c.relname, r.size, "
	"r.size / current_setting('block_size')::int8 "
	"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	"CROSS JOIN LATERAL (SELECT pg_relation_size(c.oid) AS size) r "
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

/* Each reading connection's session, before its transaction. A table is
 * read in physical order, so its sequential scan must start at block 0
 * (a synchronized scan starts where another scan of the table is) and run
 * in this backend alone (a parallel plan interleaves its workers' rows):
 * the same pages then give the same bytes. */
#define SESSION_SQL "SET application_name = 'plexichat-backup'; " \
	"SET synchronize_seqscans = off; SET max_parallel_workers_per_gather = 0; "

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

/* Coded rows gathered before one sink call: a row is a few hundred bytes,
 * and the chunker and the queues pay per call, not per byte. */
#define CODED_BATCH (64u << 10)

/* Streams a COPY's rows into sink and sets *rows. With delta, the COPY
 * is binary and each message is stored delta-coded (see px_bk_bincopy.h). */
static enum px_err copy_out(PGconn *c, const char *sql, struct px_bk_delta *delta,
			    sink_fn sink, void *arg, long long *rows, struct px_buf *err)
{
	PGresult *res = PQexec(c, sql);
	struct px_buf coded = PX_BUF_INIT;
	enum px_err rc = PX_OK;
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
		} else if (px_bk_delta_encode(delta, row, (size_t)n, &coded) != 0) {
			px_buf_puts(err, "COPY: unexpected binary row");
			rc = PX_E_SYSTEM_INTERNAL;
		} else if (coded.len >= CODED_BATCH) {
			rc = sink(arg, coded.data, coded.len);
			px_buf_reset(&coded);
		}
		PQfreemem(row);
	}
	/* whole batches only: a block range's fixes lie in bytes already sunk */
	if (rc == PX_OK && coded.len)
		rc = sink(arg, coded.data, coded.len);
	px_buf_free(&coded);
	if (rc != PX_OK)
		return rc;   /* the connection is abandoned by the caller */
	if (n == -2)
		return sql_fail(c, "COPY", err);
	res = PQgetResult(c);
	rc = PQresultStatus(res) == PGRES_COMMAND_OK ? PX_OK : PX_E_SYSTEM_INTERNAL;
	*rows = rc == PX_OK ? strtoll(PQcmdTuples(res), NULL, 10) : 0;
	if (rc != PX_OK)
		px_buf_printf(err, "COPY: %s", PQresultErrorMessage(res));
	else if (delta && (!delta->trailer_seen || delta->rows != *rows))
		rc = PX_E_SYSTEM_INTERNAL;
	if (rc != PX_OK && !err->len)
		px_buf_printf(err, "COPY: %lld rows announced, %lld coded", *rows,
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

/* A table's COPY, prepared from the catalog: what every read of the table
 * (whole, or one block range of it) shares. */
struct tcopy {
	json_object *item;       /* schema, name, columns, column_kinds, [ordered_by] */
	enum px_bk_col *types;   /* per column; NULL when not delta-coded */
	int ncols;
	struct px_buf name;      /* "<schema>.<table>", escaped */
	struct px_buf from;      /* "SELECT <list> FROM [ONLY] <table>" */
	struct px_buf order;     /* " ORDER BY <primary key>" in key order, or empty */
	struct px_buf tail;      /* ") TO STDOUT[ (FORMAT binary)]" */
};

static void tcopy_free(struct tcopy *q)
{
	json_object_put(q->item);
	free(q->types);
	px_buf_free(&q->name);
	px_buf_free(&q->from);
	px_buf_free(&q->order);
	px_buf_free(&q->tail);
	memset(q, 0, sizeof(*q));
}

/* Orders q by its table's primary key, if it has one: " ORDER BY ..." and
 * the item's ordered_by. A table without one stays in physical order. */
static enum px_err tcopy_key_order(PGconn *c, const char *oid, struct tcopy *q,
				   struct px_buf *err)
{
	PGresult *res = query(c, SQL_PKEY, oid, PGRES_TUPLES_OK);
	json_object *arr = json_object_new_array();
	struct px_buf pk = PX_BUF_INIT;
	enum px_err rc = PX_E_SYSTEM_INTERNAL;

	json_object_object_add(q->item, "ordered_by", arr);
	if (!res)
		return sql_fail(c, "primary key", err);
	if (ident_list(c, res, &pk, arr) == 0) {
		if (pk.len)
			px_buf_printf(&q->order, " ORDER BY %s", pk.data);
		rc = q->order.failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
	}
	px_buf_free(&pk);
	PQclear(res);
	return rc;
}

/* Reads table t of tabs's columns (and, in key order, its primary key) on
 * connection c into q. */
static enum px_err tcopy_prepare(PGconn *c, PGresult *tabs, int t,
				 const struct px_bk_dump_opts *o, struct tcopy *q,
				 struct px_buf *err)
{
	const char *oid = PQgetvalue(tabs, t, 0), *nsp = PQgetvalue(tabs, t, 1);
	const char *rel = PQgetvalue(tabs, t, 2);
	struct px_buf cols = PX_BUF_INIT, sel = PX_BUF_INIT;
	json_object *carr = json_object_new_array();
	PGresult *cres = NULL;
	char *qn = NULL, *qr = NULL;
	enum px_err rc = PX_E_SYSTEM_INTERNAL;

	memset(q, 0, sizeof(*q));
	q->item = json_object_new_object();
	json_object_object_add(q->item, "schema", json_object_new_string(nsp));
	json_object_object_add(q->item, "name", json_object_new_string(rel));
	json_object_object_add(q->item, "columns", carr);
	cres = query(c, SQL_COLUMNS, oid, PGRES_TUPLES_OK);
	if (!cres) {
		rc = sql_fail(c, "catalog query", err);
		goto out;
	}
	qn = PQescapeIdentifier(c, nsp, strlen(nsp));
	qr = PQescapeIdentifier(c, rel, strlen(rel));
	if (!qn || !qr || ident_list(c, cres, &cols, carr) != 0)
		goto out;
	q->ncols = PQntuples(cres);
	/* tables with columns are stored delta-coded (px_bk_bincopy.h);
	 * --copy-binary keeps the server's binary rows as they are */
	if (!o->binary && q->ncols > 0) {
		json_object *kinds = json_object_new_array();

		json_object_object_add(q->item, "column_kinds", kinds);
		q->types = calloc((size_t)q->ncols, sizeof(*q->types));
		if (!q->types || select_list(c, cres, &sel, q->types, kinds) != 0)
			goto out;
	}
	px_buf_printf(&q->name, "%s.%s", qn, qr);
	if (q->ncols == 0)
		px_buf_printf(&q->from, "SELECT FROM %s", q->name.data);
	else
		px_buf_printf(&q->from, "SELECT %s FROM ONLY %s", q->types ? sel.data : cols.data,
			      q->name.data);
	px_buf_printf(&q->tail, ") TO STDOUT%s", o->binary || q->types ? " (FORMAT binary)" : "");
	rc = q->name.failed || q->from.failed || q->tail.failed ?
		PX_E_SYSTEM_INTERNAL : PX_OK;
	if (rc == PX_OK && o->key_order && q->ncols > 0)
		rc = tcopy_key_order(c, oid, q, err);
out:
	PQclear(cres);
	PQfreemem(qn);
	PQfreemem(qr);
	px_buf_free(&cols);
	px_buf_free(&sel);
	return rc;
}

/* COPYs q's rows in physical order, only those in blocks [lo, hi) when
 * where says so (bit 0: lo, bit 1: hi; a TID range scan), into sink.
 * delta: initialised by the caller for a delta-coded table, else NULL. */
static enum px_err tcopy_run(PGconn *c, const struct tcopy *q, int where, long long lo,
			     long long hi, struct px_bk_delta *delta, sink_fn sink, void *arg,
			     long long *rows, struct px_buf *err)
{
	struct px_buf sql = PX_BUF_INIT;
	enum px_err rc = PX_E_SYSTEM_INTERNAL;

	px_buf_printf(&sql, "COPY (%s", q->from.data);
	/* only integers of our own formatting are spliced in */
	if (where & 1)
		px_buf_printf(&sql, " WHERE ctid >= '(%lld,0)'::tid", lo);
	if (where & 2)
		px_buf_printf(&sql, " %s ctid < '(%lld,0)'::tid", (where & 1) ? "AND" : "WHERE", hi);
	px_buf_printf(&sql, "%s%s", q->order.len ? q->order.data : "", q->tail.data);
	if (!sql.failed)
		rc = copy_out(c, sql.data, delta, sink, arg, rows, err);
	px_buf_free(&sql);
	return rc;
}

/* Reads table t of tabs on connection c into sink; *out gets its
 * manifest item (schema, name, columns, column_kinds, [ordered_by], rows),
 * without shards (the caller ends the stream). */
static enum px_err table_stream(PGconn *c, PGresult *tabs, int t,
				const struct px_bk_dump_opts *o, sink_fn sink,
				void *arg, json_object **out, struct px_buf *err)
{
	struct tcopy q;
	struct px_bk_delta delta = { 0 };
	enum px_err rc = tcopy_prepare(c, tabs, t, o, &q, err);
	long long rows = 0;

	if (rc == PX_OK && q.types && px_bk_delta_init(&delta, q.types, q.ncols) != 0)
		rc = PX_E_SYSTEM_INTERNAL;
	if (rc == PX_OK) {
		px_log_debug("backup", NULL, "dump %s.%s", PQgetvalue(tabs, t, 1),
			     PQgetvalue(tabs, t, 2));
		rc = tcopy_run(c, &q, 0, 0, 0, q.types ? &delta : NULL, sink, arg, &rows, err);
	}
	if (rc == PX_OK) {
		json_object_object_add(q.item, "rows", json_object_new_int64(rows));
		*out = q.item;
		q.item = NULL;
	}
	px_bk_delta_free(&delta);
	tcopy_free(&q);
	return rc;
}

/* Ends a table's stream in the writer (when rc is PX_OK so far) and hands
 * its item to tables, or frees the item: the result. */
static enum px_err table_done(enum px_err rc, struct px_bk_writer *w, json_object *item,
			      json_object *tables)
{
	if (rc == PX_OK)
		rc = px_bk_writer_end(w, item);
	if (rc == PX_OK)
		json_object_array_add(tables, item);
	else
		json_object_put(item);
	return rc;
}

/* The serial path: table t on the snapshot's own connection, straight
 * into the writer. */
static enum px_err dump_table(PGconn *c, PGresult *tabs, int t, const struct px_bk_dump_opts *o,
			      struct px_bk_writer *w, json_object *tables, struct px_buf *err)
{
	json_object *item = NULL;
	enum px_err rc;

	px_bk_writer_begin(w);
	rc = table_stream(c, tabs, t, o, writer_sink, w, &item, err);
	return table_done(rc, w, item, tables);
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
	lit = PQescapeLiteral(c, snapshot, strlen(snapshot));
	px_buf_printf(&sql, SESSION_SQL "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; "
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
	res = PQexec(d->c, SESSION_SQL "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
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
 * The work is cut into parts: a table, or one block range of a large table
 * (below). Worker threads, one per snapshot connection, claim parts in
 * order and read them (COPY and delta coding) into one queue per part;
 * the caller's thread hands the queues to the writer in part order, so
 * the streams, shards and manifest are exactly the serial dump's. A
 * worker blocks when its queue holds QUEUE_CAP bytes, and no part is
 * claimed more than `jobs` ahead of the one being written: memory stays
 * below jobs x (QUEUE_CAP + 2 x PUSH_CHUNK) plus the writer's side of the
 * double buffer (QUEUE_CAP + PUSH_CHUNK) whatever the tables' sizes. */
#define QUEUE_CAP (2u << 20)
/* rows gathered before one locked push: every push wakes the writer and
 * the other workers (one condition variable), so not too often */
#define PUSH_CHUNK (1u << 20)
/* A delta-coded table of at least twice this (pg_relation_size) is read
 * in ranges of its blocks of about this many bytes each (TID range scans,
 * in the order a sequential scan reads them): one table holding most of the
 * bytes no longer leaves the other connections idle while its rows are
 * read and coded. A part's coded rows then fit in its queue, so its
 * worker reads it to the end and goes on with the next part while the
 * writer is still busy with an earlier one. */
#define SPLIT_BYTES (2u << 20)
/* at most this many ranges per table (beyond about 32 GB they grow) */
#define MAX_PARTS 16384

struct tslot {
	struct px_buf data;     /* read, not yet taken by the writer */
	int done;
	enum px_err rc;
	struct px_buf err;
	json_object *item;      /* a whole table's manifest item */
	int t;                  /* the table */
	int part, nparts;       /* which of its block ranges; nparts 1: all of it */
	long long lo, hi;       /* the range (the first has no lo, the last no hi) */
	long long rows;
	/* a block range's fixes (px_bk_delta_fix; nfix published under the
	 * lock) and, once done, its columns' last values: the worker's */
	struct px_bk_delta_fix *fix;
	int nfix;
	uint64_t *last;
	unsigned char *seen;
};

struct par {
	struct px_bk_dump *d;
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* any change: data, space, claim, stop */
	struct tslot *slots;
	struct tcopy *split;    /* per table; item NULL unless read in ranges */
	int ntab, nslots, next_claim, next_write, stop;
	/* the writer's: the values the next range of a split table steps
	 * from, and the rows of its ranges so far */
	uint64_t *carry;
	long long rows;
	struct px_buf code;
};

struct wctx {
	struct par *p;
	PGconn *c;
	struct tslot *s;        /* the part being read */
	struct px_bk_delta *delta;   /* its coding, when a block range */
	struct px_buf local;    /* rows gathered before one locked push */
};

static enum px_err push(struct wctx *w)
{
	struct par *p = w->p;
	struct tslot *s = w->s;
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
	/* every fix so far lies within the bytes pushed */
	if (w->delta)
		s->nfix = w->delta->nfix;
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

/* Reads block range s of the split table q: without the header unless it
 * is the first, without the trailer unless it is the last, and after the
 * first with each column's first step left to the writer (the fixes). */
static enum px_err read_range(struct wctx *w, struct tslot *s, const struct tcopy *q,
			      struct px_buf *err)
{
	struct px_bk_delta delta;
	int first = s->part == 0, last = s->part == s->nparts - 1;
	enum px_err rc = PX_E_SYSTEM_INTERNAL;

	if (px_bk_delta_init(&delta, q->types, q->ncols) != 0)
		return rc;
	s->fix = calloc((size_t)q->ncols, sizeof(*s->fix));
	s->last = calloc((size_t)q->ncols, sizeof(*s->last));
	s->seen = calloc((size_t)q->ncols, 1);
	if (s->fix && s->last && s->seen) {
		delta.flags = (first ? 0 : PX_BK_DELTA_NO_HEADER | PX_BK_DELTA_JOIN) |
			      (last ? 0 : PX_BK_DELTA_NO_TRAILER);
		delta.fix = s->fix;
		w->delta = &delta;
		rc = tcopy_run(w->c, q, (first ? 0 : 1) | (last ? 0 : 2), s->lo, s->hi, &delta,
			       queue_sink, w, &s->rows, err);
		if (rc == PX_OK && w->local.len)
			rc = push(w);
		w->delta = NULL;
	}
	if (rc == PX_OK) {
		memcpy(s->last, delta.prev, (size_t)q->ncols * sizeof(*s->last));
		memcpy(s->seen, delta.seen, (size_t)q->ncols);
		pthread_mutex_lock(&w->p->mu);
		s->nfix = delta.nfix;
		pthread_mutex_unlock(&w->p->mu);
	}
	px_bk_delta_free(&delta);
	return rc;
}

static void *worker(void *arg)
{
	struct wctx *w = arg;
	struct par *p = w->p;

	for (;;) {
		struct px_buf err = PX_BUF_INIT;
		json_object *item = NULL;
		enum px_err rc;
		struct tslot *s;

		pthread_mutex_lock(&p->mu);
		while (!p->stop && p->next_claim < p->nslots &&
		       p->next_claim >= p->next_write + p->d->nworkers)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop || p->next_claim >= p->nslots) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		s = w->s = &p->slots[p->next_claim++];
		pthread_mutex_unlock(&p->mu);
		if (s->nparts > 1)
			rc = read_range(w, s, &p->split[s->t], &err);
		else
			rc = table_stream(w->c, p->d->tabs, s->t, &p->d->o, queue_sink, w,
					  &item, &err);
		if (rc == PX_OK && w->local.len)
			rc = push(w);
		pthread_mutex_lock(&p->mu);
		s->rc = rc;
		s->item = item;
		s->err = err;
		s->done = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (rc != PX_OK)
			break;
	}
	px_buf_free(&w->local);
	return NULL;
}

/* Writes the n bytes at b, which follow the first *at coded bytes of key
 * range s, with the codes of its fixes [*next, nfix) where they belong. */
static enum px_err write_fixed(struct par *p, struct px_bk_writer *w, const struct tslot *s,
			       const char *b, size_t n, uint64_t *at, int *next, int nfix)
{
	const struct tcopy *q = &p->split[s->t];
	enum px_err rc = PX_OK;
	size_t off = 0;

	for (; rc == PX_OK && *next < nfix; (*next)++) {
		const struct px_bk_delta_fix *f = &s->fix[*next];

		if (f->at < *at + off || f->at - *at > n)
			return PX_E_SYSTEM_INTERNAL;   /* cannot be: fixes come in order */
		rc = px_bk_writer_write(w, b + off, (size_t)(f->at - *at) - off);
		off = (size_t)(f->at - *at);
		px_buf_reset(&p->code);
		px_bk_delta_code(q->types[f->col], p->carry[f->col], f->value, &p->code);
		if (rc == PX_OK)
			rc = p->code.failed ? PX_E_SYSTEM_INTERNAL :
				px_bk_writer_write(w, p->code.data, p->code.len);
	}
	if (rc == PX_OK)
		rc = px_bk_writer_write(w, b + off, n - off);
	*at += n;
	return rc;
}

/* After block range s: the next steps from its last values where it had any. */
static void carry_on(struct par *p, const struct tslot *s)
{
	int i;

	for (i = 0; i < p->split[s->t].ncols; i++)
		if (s->part == 0 || s->seen[i])
			p->carry[i] = s->last[i];
}

/* Ends the stream of slot s's table if s is its last part and adds the
 * item (shards added) to tables. */
static enum px_err end_table(struct par *p, struct tslot *s, struct px_bk_writer *w,
			     json_object *tables)
{
	json_object *item = s->item;

	if (s->part != s->nparts - 1)
		return PX_OK;
	if (s->nparts > 1) {
		item = p->split[s->t].item;
		p->split[s->t].item = NULL;
		json_object_object_add(item, "rows", json_object_new_int64(p->rows));
		free(p->carry);
		p->carry = NULL;
	}
	s->item = NULL;
	return table_done(PX_OK, w, item, tables);
}

/* Hands slot i's queue to the writer as it fills. *got is the writer's
 * side of a double buffer: it takes everything queued by swapping with
 * the slot's buffer, whose room the worker then refills, so neither
 * grows again nor is copied on the way. */
static enum px_err write_slot(struct par *p, int i, struct px_bk_writer *w,
			      json_object *tables, struct px_buf *got, struct px_buf *err)
{
	struct tslot *s = &p->slots[i];
	struct px_buf tmp;
	enum px_err rc = PX_OK;
	uint64_t at = 0;
	int done = 0, nfix = 0, next = 0;

	if (s->part == 0) {
		px_bk_writer_begin(w);
		p->rows = 0;
		if (s->nparts > 1 && !(p->carry = calloc((size_t)p->split[s->t].ncols,
							 sizeof(*p->carry))))
			return PX_E_SYSTEM_INTERNAL;
	}
	while (rc == PX_OK && !done) {
		px_buf_reset(got);
		pthread_mutex_lock(&p->mu);
		while (!s->done && s->data.len == 0)
			pthread_cond_wait(&p->cv, &p->mu);
		tmp = s->data;
		s->data = *got;
		*got = tmp;
		done = s->done;
		nfix = s->nfix;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (got->len || next < nfix)
			rc = write_fixed(p, w, s, got->data, got->len, &at, &next, nfix);
	}
	/* the worker has finished with the part: its buffer goes now, not
	 * with the last part */
	pthread_mutex_lock(&p->mu);
	px_buf_free(&s->data);
	pthread_mutex_unlock(&p->mu);
	if (rc == PX_OK && s->rc != PX_OK) {
		px_buf_append(err, s->err.data ? s->err.data : "", s->err.len);
		rc = s->rc;
	}
	if (rc == PX_OK && s->nparts > 1) {
		carry_on(p, s);
		p->rows += s->rows;
	}
	free(s->fix);
	free(s->last);
	free(s->seen);
	s->fix = NULL;
	s->last = NULL;
	s->seen = NULL;
	return rc == PX_OK ? end_table(p, s, w, tables) : rc;
}

/* Table t is read in block ranges when it is delta-coded and large and
 * the server has TID range scans (PostgreSQL 14): q is prepared (on the
 * snapshot's own connection) and *nparts ranges start at k x *step
 * blocks. 1 when the table is read whole. */
static enum px_err plan_split(struct px_bk_dump *d, int t, struct tcopy *q, int *nparts,
			      uint64_t *step, struct px_buf *err)
{
	unsigned long long size = strtoull(PQgetvalue(d->tabs, t, 3), NULL, 10);
	unsigned long long blocks = strtoull(PQgetvalue(d->tabs, t, 4), NULL, 10);
	unsigned long long n = size / SPLIT_BYTES;
	enum px_err rc;

	*nparts = 1;
	if (d->o.binary || d->o.key_order || n < 2 || PQserverVersion(d->c) < 140000)
		return PX_OK;
	rc = tcopy_prepare(d->c, d->tabs, t, &d->o, q, err);
	if (rc != PX_OK || !q->types)
		return rc;
	if (n > MAX_PARTS)
		n = MAX_PARTS;
	if (n > blocks)
		n = blocks;
	/* the last range is open above: blocks added since the size was
	 * read hold no row of the snapshot, but cost nothing to scan */
	*step = n > 1 ? blocks / n : 0;
	*nparts = n > 1 ? (int)n : 1;
	return PX_OK;
}

/* Lays the tables out as parts (p->slots), in the serial dump's order. */
static enum px_err plan_parts(struct par *p, struct px_buf *err)
{
	struct px_bk_dump *d = p->d;
	int t, k, *np = calloc((size_t)(p->ntab ? p->ntab : 1), sizeof(*np));
	uint64_t *step = calloc((size_t)(p->ntab ? p->ntab : 1), sizeof(*step));
	enum px_err rc = np && step ? PX_OK : PX_E_SYSTEM_INTERNAL;
	struct tslot *s;

	for (t = 0; rc == PX_OK && t < p->ntab; t++) {
		rc = plan_split(d, t, &p->split[t], &np[t], &step[t], err);
		if (np[t] == 1)
			tcopy_free(&p->split[t]);
		p->nslots += np[t];
		if (rc == PX_OK && np[t] > 1) {
			char fields[48];

			snprintf(fields, sizeof(fields), "{\"block_ranges\":%d}", np[t]);
			px_log_fields(PX_LOG_INFO, "backup", NULL, fields,
				      "dump: %s.%s read in %d block ranges", PQgetvalue(d->tabs, t, 1),
				      PQgetvalue(d->tabs, t, 2), np[t]);
		}
	}
	if (rc == PX_OK && !(p->slots = calloc((size_t)(p->nslots ? p->nslots : 1),
					       sizeof(*p->slots))))
		rc = PX_E_SYSTEM_INTERNAL;
	for (t = 0, s = p->slots; rc == PX_OK && t < p->ntab; t++) {
		for (k = 0; k < np[t]; k++, s++) {
			s->t = t;
			s->part = k;
			s->nparts = np[t];
			s->lo = (long long)((uint64_t)k * step[t]);
			s->hi = (long long)((uint64_t)(k + 1) * step[t]);
		}
	}
	free(np);
	free(step);
	return rc;
}

static enum px_err px_bk_dump_tables_parallel(struct px_bk_dump *d, struct px_bk_writer *w,
					      json_object *tables, struct px_buf *err)
{
	struct par p = { .d = d, .mu = PTHREAD_MUTEX_INITIALIZER,
			 .cv = PTHREAD_COND_INITIALIZER, .ntab = PQntuples(d->tabs),
			 .code = PX_BUF_INIT };
	struct wctx *ws = calloc((size_t)d->nworkers, sizeof(*ws));
	pthread_t *th = calloc((size_t)d->nworkers, sizeof(*th));
	struct px_buf got = PX_BUF_INIT;   /* write_slot's side of the double buffer */
	enum px_err rc = PX_OK;
	int i, started = 0;

	p.split = calloc((size_t)(p.ntab ? p.ntab : 1), sizeof(*p.split));
	if (!ws || !th || !p.split)
		rc = PX_E_SYSTEM_INTERNAL;
	if (rc == PX_OK)
		rc = plan_parts(&p, err);
	for (i = 0; rc == PX_OK && i < d->nworkers; i++, started++) {
		ws[i] = (struct wctx){ &p, d->workers[i], NULL, NULL, PX_BUF_INIT };
		if (pthread_create(&th[i], NULL, worker, &ws[i]) != 0)
			rc = PX_E_SYSTEM_INTERNAL;
	}
	for (i = 0; rc == PX_OK && i < p.nslots; i++) {
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
	for (i = 0; p.slots && i < p.nslots; i++) {
		px_buf_free(&p.slots[i].data);
		px_buf_free(&p.slots[i].err);
		json_object_put(p.slots[i].item);
		free(p.slots[i].fix);
		free(p.slots[i].last);
		free(p.slots[i].seen);
	}
	for (i = 0; p.split && i < p.ntab; i++)
		tcopy_free(&p.split[i]);
	free(p.slots);
	free(p.split);
	free(p.carry);
	free(ws);
	free(th);
	px_buf_free(&got);
	px_buf_free(&p.code);
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
		rc = dump_table(d->c, d->tabs, i, &d->o, w, tables, err);
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
