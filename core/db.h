/* db.h: one PostgreSQL connection per worker thread, opened lazily.
 *
 * A px_db is owned by one thread. Every call first makes sure the
 * connection is up, reconnecting after a server restart; when that fails
 * the call returns PX_E_SYSTEM_DB_UNAVAILABLE and the next call tries
 * again. Statements are always parameterised ($1, $2 ...). */
#ifndef PX_DB_H
#define PX_DB_H

#include <libpq-fe.h>

#include "core/buf.h"
#include "core/err.h"

struct px_db;

/* Creates an unconnected handle; conninfo is copied. NULL on ENOMEM. The
 * caller frees it with px_db_free. */
struct px_db *px_db_new(const char *conninfo)
	__attribute__((nonnull, warn_unused_result));
/* Adds libpq startup options ("-c name=value ...") to every connection
 * db opens from now on (the current one is closed), after those of its
 * conninfo. 0, or -1 when out of memory or the conninfo does not parse. */
int px_db_add_options(struct px_db *db, const char *options)
	__attribute__((nonnull, warn_unused_result));
/* Closes the connection and frees the handle; NULL is allowed. */
void px_db_free(struct px_db *db);
/* The live connection, connecting if needed; NULL when unavailable. The
 * connection stays owned by db: never PQfinish it. */
PGconn *px_db_conn(struct px_db *db) __attribute__((nonnull));

/* Runs sql with text parameters (NULL entries are SQL NULL). On PX_OK,
 * *res (when res is non-NULL) holds the result, which the caller frees
 * with PQclear. Errors: SYSTEM_DB_UNAVAILABLE (connection lost),
 * VALIDATION_CONFLICT (unique violation), SYSTEM_INTERNAL (others,
 * logged with the server message). */
enum px_err px_db_exec(struct px_db *db, const char *sql, int nparams,
		       const char *const *params, PGresult **res)
	__attribute__((nonnull(1, 2), warn_unused_result));
/* Like px_db_exec but prepares sql once per connection under name. */
enum px_err px_db_exec_prepared(struct px_db *db, const char *name,
				const char *sql, int nparams,
				const char *const *params, PGresult **res)
	__attribute__((nonnull(1, 2, 3), warn_unused_result));

/* Runs fn inside BEGIN/COMMIT; rolls back when fn returns an error. */
enum px_err px_db_tx(struct px_db *db, enum px_err (*fn)(struct px_db *, void *),
		     void *arg) __attribute__((nonnull(1, 2), warn_unused_result));

/* The SQLSTATE of the last failed statement ("" when none); owned by db,
 * valid until its next statement. */
const char *px_db_last_sqlstate(const struct px_db *db) __attribute__((nonnull));

/* Appends conninfo plus a quoted password=... when password is non-empty
 * (NULL: none), for PQconnectdb. */
void px_db_conninfo(const char *conninfo, const char *password,
		    struct px_buf *out) __attribute__((nonnull(1, 3)));

#endif
