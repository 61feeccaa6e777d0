/* model/files_gc.h: the file store's upkeep, where rows and objects meet:
 * removing an object once no file row names it, the clean-up run by
 * `plexichat-admin files cleanup` (expired uploads, stale temporary
 * files, retention per channel, deleted rows, orphan objects), and the
 * usage figures of `files usage` and the /admin page. Objects are only
 * removed under the object lock of px_m_files_object_lock, after checking
 * again that no row names them, so an upload committing the same bytes
 * meanwhile never loses its object. */
#ifndef PX_M_FILES_GC_H
#define PX_M_FILES_GC_H

#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "core/db.h"
#include "core/err.h"

/* Called per object (name: 64 hex) or temporary file (name: its path);
 * non-zero stops. */
typedef int (*px_m_files_each_fn)(void *arg, const char *name, uint64_t size, time_t mtime);

/* The file store as the upkeep sees it. model/ does not include storage/
 * (ARCHITECTURE.md), so the caller fills this from its struct
 * px_st_files with the px_st_files_*_cb functions of
 * storage/px_st_files.h, store being the struct's address. */
struct px_m_files_objects {
	void *store;
	enum px_err (*remove)(void *store, const char *hex, int *gone);
	enum px_err (*list)(void *store, px_m_files_each_fn fn, void *arg);
	int (*list_tmp)(void *store, px_m_files_each_fn fn, void *arg);
	int (*is_tmp)(void *store, const char *path);
	const char *(*detail)(void *store);
};

/* Removes object hex from the store when no file row (in any state but
 * deleted) names it. *removed (may be NULL) gets 1 when it was removed.
 * Never waits: when another request holds the object's lock (it is
 * storing or removing the same bytes) nothing is done. Runs its own
 * transaction. */
enum px_err px_m_files_release(struct px_db *db, const struct px_m_files_objects *ob,
			       const char *hex, int *removed)
	__attribute__((warn_unused_result));

struct px_m_files_gc_opts {
	int dry_run;           /* count only; nothing is deleted */
	long tmp_age;          /* temporary files untouched this long (s) are stale */
};

struct px_m_files_gc_stats {
	long long uploads_expired, uploads_bytes;
	long long tmp_removed, tmp_bytes;
	long long retention_files, retention_bytes;
	long long deleted_rows;
	long long image_rows;  /* derivative rows of originals gone */
	long long objects_checked, objects_removed, objects_bytes, objects_busy;
};

/* One clean-up pass (see the header comment), in this order: expired
 * upload sessions (rows and their temporary files), temporary files under
 * tmp/ older than tmp_age that no session names, files of channels past
 * their files_retention_days (rows deleted), rows in state deleted, the
 * derivative rows (file_images) of originals no live file names, then
 * every object of the store no row names (originals, derivatives and
 * avatars are all kept while a row names them). Errors: the database's, or
 * STORAGE_FAILED (reason in err) when the store cannot be listed; what
 * was done before stays done, and stats says how far it got. */
enum px_err px_m_files_cleanup(struct px_db *db, const struct px_m_files_objects *ob,
			       const struct px_m_files_gc_opts *o,
			       struct px_m_files_gc_stats *stats, struct px_buf *err)
	__attribute__((warn_unused_result));

/* Drops the derivatives of original sha256 (NULL: of every image) so
 * that the next view makes them again from the original (after a change
 * of sizes, or of libvips): the file_images rows, then each object no
 * other row names. stats->image_rows gets the rows, objects_removed and
 * objects_busy the objects. dry: count only. */
enum px_err px_m_files_rethumb(struct px_db *db, const struct px_m_files_objects *ob,
			       const char *sha256, int dry, struct px_m_files_gc_stats *stats)
	__attribute__((warn_unused_result, nonnull(1, 2, 5)));

enum px_m_files_by { PX_M_FILES_BY_NONE, PX_M_FILES_BY_USER, PX_M_FILES_BY_CHANNEL };

/* Usage as one JSON object appended to out: {"files", "bytes" (ready
 * files), "quarantined", "objects", "stored_bytes" (distinct objects: what
 * the store holds), "uploads", "upload_bytes" (sessions in progress)} and,
 * by user, "users": [{id, username, files, bytes, quota}] (quota: the
 * account's own, null for the default) or, by channel, "channels": [{id,
 * name, kind, files, bytes, files_retention_days}], largest first. */
enum px_err px_m_files_usage_json(struct px_db *db, enum px_m_files_by by, int limit,
				  struct px_buf *out) __attribute__((warn_unused_result));

#endif
