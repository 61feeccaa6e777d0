/* px_bk_wal.h: continuous WAL archiving into the backup store.
 *
 * Each file PostgreSQL hands to archive_command (a 16 MiB segment, a
 * timeline history file, a .partial or .backup file) becomes one object
 * "wal/<file name>": a PXWL box (the shard box format of px_bk_box.h)
 * holding the file zstd-compressed and AES-256-GCM sealed, bound to its
 * name so that no segment can be passed off as another. A put is atomic
 * and made durable (local store: fsync of file and folder; S3: the PUT's
 * 200) before push returns, so archive_command never acknowledges a
 * segment that is not in the store. Pushing a name again is a no-op when
 * the stored content is the same and a conflict when it differs. */
#ifndef PX_BK_WAL_H
#define PX_BK_WAL_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "backup/px_bk_repo.h"

#define PX_BK_WAL_PREFIX "wal/"

/* 1 when name is a file name PostgreSQL archives: 24 hex digits
 * (segment), optionally followed by ".partial" or ".<8 hex>.backup", or
 * 8 hex digits + ".history". */
int px_bk_wal_name_ok(const char *name);

/* Archives the file at path under name. Returns PX_OK when the object is
 * durable in the store (also when it already was, with the same content);
 * VALIDATION_CONFLICT when the store holds different content under that
 * name (nothing is overwritten); VALIDATION_FAILED for a bad name or an
 * unreadable file; STORAGE_* from the store. err gets the reason.
 * *existed is 1 when the object was already there. */
enum px_err px_bk_wal_push(struct px_bk_repo *r, const char *path,
			   const char *name, int *existed, struct px_buf *err)
	__attribute__((warn_unused_result));

/* Fetches "wal/<name>", checks it, and writes it to path (a temporary
 * file renamed into place). STORAGE_SHARD_MISSING when not archived,
 * STORAGE_SHARD_CORRUPT when it fails authentication or decompression,
 * STORAGE_FAILED when path cannot be written. */
enum px_err px_bk_wal_get(struct px_bk_repo *r, const char *name,
			  const char *path, struct px_buf *err)
	__attribute__((warn_unused_result));

/* Archived WAL file names, sorted. *names is an array of n strings, freed
 * with px_bk_wal_names_free. */
struct px_bk_wal_names {
	char **names;
	size_t n;
};
enum px_err px_bk_wal_list(struct px_st_store *st, struct px_bk_wal_names *out)
	__attribute__((warn_unused_result));
void px_bk_wal_names_free(struct px_bk_wal_names *l);

#endif
