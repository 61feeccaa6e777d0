/* model/rows.h: the small helpers every model file shares: run a prepared
 * statement for one JSON row or for its effect, and format an integer as a
 * text parameter. No SQL text of its own. */
#ifndef PX_M_ROWS_H
#define PX_M_ROWS_H

#include "core/buf.h"
#include "core/db.h"
#include "core/err.h"

/* Runs a prepared statement expected to yield one row whose first column
 * is JSON text, appended to out. VALIDATION_NOT_FOUND when no row or a
 * NULL column. The shared helper of every messaging model file. */
enum px_err px_m_json_row(struct px_db *db, const char *name, const char *sql,
			  int n, const char *const *params, struct px_buf *out)
	__attribute__((nonnull(1, 2, 3, 6), warn_unused_result));

/* Runs a prepared statement expected to yield exactly one row: *r gets
 * the result, which the caller PQclears. VALIDATION_NOT_FOUND (nothing
 * to clear) for none or several. */
enum px_err px_m_one_row(struct px_db *db, const char *name, const char *sql, int n,
			 const char *const *params, PGresult **r)
	__attribute__((warn_unused_result));

/* Runs a prepared statement expected to yield one row whose first column
 * is an integer, into *v. VALIDATION_NOT_FOUND for none or several. */
enum px_err px_m_ll_row(struct px_db *db, const char *name, const char *sql, int n,
			const char *const *params, long long *v)
	__attribute__((nonnull(1, 2, 3, 6), warn_unused_result));

/* Runs a prepared statement for its effect; *rows (may be NULL) gets the
 * number of rows it touched. */
enum px_err px_m_exec_rows(struct px_db *db, const char *name, const char *sql,
			   int n, const char *const *params, long *rows)
	__attribute__((nonnull(1, 2, 3), warn_unused_result));

/* Formats v into buf (at least PX_M_LL bytes) for a text parameter and
 * returns buf. */
#define PX_M_LL 24
const char *px_m_ll(char *buf, long long v) __attribute__((nonnull));

#endif
