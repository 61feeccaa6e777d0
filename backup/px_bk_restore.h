/* px_bk_restore.h: loads a snapshot back. The database part runs in one
 * transaction on an empty database (pre-data schema, every table with
 * COPY FROM STDIN, sequence values, post-data schema), checking each
 * stream's SHA-256 and row count; any missing or corrupt shard rolls it
 * all back. Files are written under a staging folder inside the target and
 * moved into place only after the database committed, so a refused
 * restore leaves nothing behind. */
#ifndef PX_BK_RESTORE_H
#define PX_BK_RESTORE_H

#include <json-c/json.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "backup/px_bk_repo.h"
#include "storage/px_st_files.h"

struct px_bk_restore_opts {
	const char *conninfo;     /* target database (must be empty); NULL = skip */
	const char *uploads;      /* target folder (absent or empty); NULL = skip */
	/* or a remote file store (S3, GCS, Azure) the objects go back into,
	 * each one as soon as it is restored (staged one at a time under its
	 * root's tmp/, its SHA-256 checked against its name); objects it has
	 * already are left as they are. NULL: none. */
	const struct px_st_files *file_store;
	void (*on_progress)(void *arg, uint64_t bytes);
	void *arg;
};

struct px_bk_restore_stats {
	uint64_t bytes, tables, rows, files;
};

/* Restores manifest m. Before writing anything it checks with one LIST
 * that every shard exists (STORAGE_SHARD_MISSING naming the first missing
 * shard in err). Errors also: STORAGE_SHARD_CORRUPT (naming the shard),
 * VALIDATION_CONFLICT (target database or folder not empty),
 * SYSTEM_DB_UNAVAILABLE, SYSTEM_INTERNAL (SQL failed; detail in err). */
enum px_err px_bk_restore(struct px_bk_repo *r, json_object *m,
			  const struct px_bk_restore_opts *o,
			  struct px_bk_restore_stats *st, struct px_buf *err)
	__attribute__((warn_unused_result));

/* Checks that every shard m references is listed in the store; the first
 * missing one is named in err. *missing gets the count. */
enum px_err px_bk_check_present(struct px_bk_repo *r, json_object *m,
				size_t *missing, struct px_buf *err)
	__attribute__((warn_unused_result));

#endif
