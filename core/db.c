/* db.c: a lazily opened libpq connection owned by one thread, re-opened
 * after the server goes away, with a per-connection set of prepared names. */
#include "core/db.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>

#define MAX_PREPARED 128

struct px_db {
	char *conninfo;
	char *options;                /* libpq "options" of every connect, or NULL */
	PGconn *conn;
	char *prepared[MAX_PREPARED]; /* copies: callers' names may not outlive us */
	int nprepared;
	char sqlstate[6];
};

struct px_db *px_db_new(const char *conninfo)
{
	struct px_db *db = calloc(1, sizeof(*db));

	if (!db)
		return NULL;
	db->conninfo = strdup(conninfo);
	if (!db->conninfo) {
		free(db);
		return NULL;
	}
	return db;
}

static void disconnect(struct px_db *db)
{
	int i;

	if (db->conn)
		PQfinish(db->conn);
	db->conn = NULL;
	for (i = 0; i < db->nprepared; i++)
		free(db->prepared[i]);
	db->nprepared = 0;
}

void px_db_free(struct px_db *db)
{
	if (!db)
		return;
	disconnect(db);
	free(db->conninfo);
	free(db->options);
	free(db);
}

int px_db_add_options(struct px_db *db, const char *options)
{
	PQconninfoOption *parsed = PQconninfoParse(db->conninfo, NULL), *o;
	struct px_buf all = PX_BUF_INIT;

	if (!parsed)
		return -1;
	/* the configured conninfo's own options come first and stay */
	for (o = parsed; o->keyword; o++)
		if (strcmp(o->keyword, "options") == 0 && o->val && *o->val)
			px_buf_printf(&all, "%s ", o->val);
	PQconninfoFree(parsed);
	if (db->options)
		px_buf_printf(&all, "%s ", db->options);
	px_buf_puts(&all, options);
	if (all.failed) {
		px_buf_free(&all);
		return -1;
	}
	free(db->options);
	db->options = px_buf_steal(&all);
	disconnect(db);
	return 0;
}

/* Connects with the conninfo string (key=value or URI) as the dbname to
 * expand, then the added options, which override its own (they include
 * them, px_db_add_options). */
static PGconn *connect_db(const struct px_db *db)
{
	const char *keys[] = { "dbname", "options", NULL };
	const char *vals[] = { db->conninfo, db->options, NULL };

	if (!db->options)
		return PQconnectdb(db->conninfo);
	return PQconnectdbParams(keys, vals, 1);
}

PGconn *px_db_conn(struct px_db *db)
{
	if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
		return db->conn;
	disconnect(db);
	db->conn = connect_db(db);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		px_log_warn("db", NULL, "connect failed: %s",
			    PQerrorMessage(db->conn));
		disconnect(db);
		return NULL;
	}
	return db->conn;
}

const char *px_db_last_sqlstate(const struct px_db *db)
{
	return db->sqlstate;
}

/* Maps a finished result to an error code; frees it unless kept. */
static enum px_err check_result(struct px_db *db, PGresult *r, PGresult **out)
{
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	const char *state;

	db->sqlstate[0] = '\0';
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
	    st == PGRES_COPY_IN || st == PGRES_COPY_OUT) {
		if (out)
			*out = r;
		else
			PQclear(r);
		return PX_OK;
	}
	state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state)
		snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", state);
	/* No SQLSTATE means libpq made the error itself: the connection broke
	 * mid-statement ("server closed the connection unexpectedly"), often
	 * while PQstatus still says OK. Class 08 is the server's word for it. */
	if (PQstatus(db->conn) != CONNECTION_OK || !state || strncmp(state, "08", 2) == 0) {
		px_log_warn("db", NULL, "connection lost (%s): %s", state ? state : "-",
			    r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn));
		PQclear(r);
		disconnect(db);
		return PX_E_SYSTEM_DB_UNAVAILABLE;
	}
	/* 25006: this server takes no writes: a standby, or a primary fenced
	 * read-only (default_transaction_read_only). The connection stays up,
	 * so drop it: the next connect goes through target_session_attrs =
	 * read-write to whichever host takes writes now. Nothing was written. */
	if (strcmp(state, "25006") == 0) {
		px_log_warn("db", NULL, "server is read-only, reconnecting: %s",
			    r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn));
		PQclear(r);
		disconnect(db);
		return PX_E_SYSTEM_DB_UNAVAILABLE;
	}
	if (strcmp(state, "23505") == 0) {
		PQclear(r);
		return PX_E_VALIDATION_CONFLICT;
	}
	px_log_error("db", NULL, "statement failed (%s): %s", state ? state : "-",
		     r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn));
	PQclear(r);
	/* 57P01 and friends: the server is going away under us */
	if (state && strncmp(state, "57P", 3) == 0) {
		disconnect(db);
		return PX_E_SYSTEM_DB_UNAVAILABLE;
	}
	return PX_E_SYSTEM_INTERNAL;
}

static enum px_err exec_once(struct px_db *db, const char *sql, int nparams,
			     const char *const *params, PGresult **res)
{
	PGconn *c = px_db_conn(db);

	if (!c)
		return PX_E_SYSTEM_DB_UNAVAILABLE;
	return check_result(db, PQexecParams(c, sql, nparams, NULL, params,
					     NULL, NULL, 0), res);
}

/* 1 when the connection is idle outside a transaction, so that a statement
 * that fails because the server went away (a restart ends idle backends)
 * was not committed and may be sent again on a new connection. */
static int retry_safe(const struct px_db *db)
{
	return db->conn && PQtransactionStatus(db->conn) == PQTRANS_IDLE;
}

enum px_err px_db_exec(struct px_db *db, const char *sql, int nparams,
		       const char *const *params, PGresult **res)
{
	int safe = retry_safe(db);
	enum px_err e = exec_once(db, sql, nparams, params, res);

	if (e == PX_E_SYSTEM_DB_UNAVAILABLE && safe)
		e = exec_once(db, sql, nparams, params, res);
	return e;
}

static int is_prepared(const struct px_db *db, const char *name)
{
	int i;

	for (i = 0; i < db->nprepared; i++)
		if (strcmp(db->prepared[i], name) == 0)
			return 1;
	return 0;
}

/* 0A000 from executing a statement this connection prepared: PostgreSQL
 * says "cached plan must not change result type" when a migration replaced
 * a function the statement returns with one of another type, and it fails
 * every execution after that on this connection. The connection goes, with
 * its prepared statements; the caller may retry on a new one (*stale). */
static enum px_err stale_plan(struct px_db *db, enum px_err e, int *stale)
{
	if (e != PX_E_SYSTEM_INTERNAL || strcmp(db->sqlstate, "0A000") != 0)
		return e;
	px_log_warn("db", NULL, "a prepared statement's result type changed; reconnecting");
	disconnect(db);
	*stale = 1;
	return PX_E_SYSTEM_INTERNAL;
}

static enum px_err exec_prepared_once(struct px_db *db, const char *name,
				      const char *sql, int nparams,
				      const char *const *params, PGresult **res,
				      int *stale)
{
	PGconn *c = px_db_conn(db);
	char *copy;
	enum px_err e;

	if (!c)
		return PX_E_SYSTEM_DB_UNAVAILABLE;
	if (!is_prepared(db, name)) {
		/* full, or no memory to remember it: run it unprepared */
		if (db->nprepared >= MAX_PREPARED || !(copy = strdup(name)))
			return exec_once(db, sql, nparams, params, res);
		e = check_result(db, PQprepare(c, name, sql, nparams, NULL), NULL);
		if (e != PX_OK) {
			free(copy);
			return e;
		}
		db->prepared[db->nprepared++] = copy;
	}
	return stale_plan(db, check_result(db, PQexecPrepared(c, name, nparams, params, NULL,
							      NULL, 0), res), stale);
}

enum px_err px_db_exec_prepared(struct px_db *db, const char *name,
				const char *sql, int nparams,
				const char *const *params, PGresult **res)
{
	int safe = retry_safe(db), stale = 0;
	enum px_err e = exec_prepared_once(db, name, sql, nparams, params, res, &stale);

	if ((e == PX_E_SYSTEM_DB_UNAVAILABLE || stale) && safe)
		e = exec_prepared_once(db, name, sql, nparams, params, res, &stale);
	return e;
}

enum px_err px_db_tx(struct px_db *db, enum px_err (*fn)(struct px_db *, void *),
		     void *arg)
{
	enum px_err e, r;

	e = px_db_exec(db, "BEGIN", 0, NULL, NULL);
	if (e != PX_OK)
		return e;
	e = fn(db, arg);
	if (e == PX_OK) {
		e = px_db_exec(db, "COMMIT", 0, NULL, NULL);
		return e;
	}
	if (db->conn) {
		r = px_db_exec(db, "ROLLBACK", 0, NULL, NULL);
		(void)r;
	}
	return e;
}

void px_db_conninfo(const char *conninfo, const char *password,
		    struct px_buf *out)
{
	const char *p;

	px_buf_puts(out, conninfo);
	if (!password || !*password)
		return;
	px_buf_puts(out, " password='");
	for (p = password; *p; p++) {
		if (*p == '\'' || *p == '\\')
			px_buf_putc(out, '\\');
		px_buf_putc(out, *p);
	}
	px_buf_putc(out, '\'');
}
