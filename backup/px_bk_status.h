/* px_bk_status.h: the run record in PostgreSQL (table backup_status,
 * sql/050_backup_status.sql) that /api/v1/system/health and the admin UI
 * read: when the last run finished, whether it succeeded, its size and
 * duration. */
#ifndef PX_BK_STATUS_H
#define PX_BK_STATUS_H

#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"

struct px_bk_status {
	const char *command, *snapshot, *store;
	struct timespec started, finished;
	int ok;
	uint64_t bytes_total, bytes_uploaded, shards_total, shards_new;
	enum px_err error;
	const char *error_message;
};

/* Inserts one row. Errors: SYSTEM_DB_UNAVAILABLE, SYSTEM_INTERNAL (the
 * table is missing: run the migrations); detail in err. */
enum px_err px_bk_status_record(const char *conninfo, const struct px_bk_status *s,
				struct px_buf *err) __attribute__((warn_unused_result));

#endif
