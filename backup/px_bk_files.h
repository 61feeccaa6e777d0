/* px_bk_files.h: the uploaded files in a snapshot: the file store's
 * objects/ folder (content-addressed: an object's name is the SHA-256 of
 * its bytes) or, for older set-ups, a plain uploads folder. Backup walks
 * the folder in name order; a regular file whose path, size, mtime and
 * inode match the local files cache, or (content-addressed objects) whose
 * path and size match an entry of the previous snapshot, and whose shards
 * are all known, is listed with those shards without being read again:
 * only new objects are read and uploaded. Restore writes every file under
 * a staging folder, checking each file's size. */
#ifndef PX_BK_FILES_H
#define PX_BK_FILES_H

#include <json-c/json.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "backup/px_bk_reader.h"
#include "backup/px_bk_repo.h"
#include "backup/px_bk_writer.h"
#include "storage/px_st_files.h"

struct px_bk_files_stats {
	uint64_t files, skipped, dirs;
	uint64_t bytes;        /* of every file listed */
	uint64_t bytes_read;   /* of the files read this run */
};

struct px_bk_files_opts {
	/* only this top-level entry of root is backed up ("objects" for a
	 * file store, leaving its tmp/ out); NULL: everything */
	const char *only;
	/* the previous snapshot's entries keyed by path (may be NULL): an
	 * object (objects/ab/<62 hex>) listed there with the same size is
	 * the same bytes, whatever the local cache says */
	json_object *prev;
};

/* The "files" list of manifest m as an object keyed by path (a new
 * reference; NULL when m has none). */
json_object *px_bk_files_by_path(json_object *m);

/* Streams the files under root into w, as o says (may be NULL).
 * old_cache: the previous run's cache object (may be NULL); new_cache
 * gets this run's entries. Appends entries to list: {path, type:
 * "dir"|"file"|"symlink", mode, mtime_ns, and for files bytes and shards;
 * for links target}. Errors: STORAGE_FAILED (unreadable file; detail in
 * err) and writer errors. */
enum px_err px_bk_files_backup(struct px_bk_writer *w, struct px_bk_repo *r,
			       const char *root, const struct px_bk_files_opts *o,
			       json_object *old_cache,
			       json_object *new_cache, json_object *list,
			       struct px_bk_files_stats *st, struct px_buf *err)
	__attribute__((warn_unused_result));

/* Streams the objects of the remote file store fs (S3, GCS or Azure) into
 * w as entries of the same shape under objects/ab/<62 hex> (the folders
 * listed as "dir" entries, so that a restore into a local folder is a
 * local file store), listed in name order. An object the previous
 * snapshot (o->prev) lists with the same size is the same bytes (its
 * name is its SHA-256): its shards are reused unread. Others are read in
 * PX_BK_FILES_RANGE pieces, never whole. Errors: STORAGE_FAILED (listing
 * or reading failed, detail in err), writer errors. */
#define PX_BK_FILES_RANGE (4u << 20)
enum px_err px_bk_files_backup_remote(struct px_bk_writer *w, struct px_bk_repo *r,
				      const struct px_st_files *fs,
				      const struct px_bk_files_opts *o, json_object *list,
				      struct px_bk_files_stats *st, struct px_buf *err)
	__attribute__((warn_unused_result));

/* Called after each file is restored with its full path and its path in
 * the manifest; the file may be consumed (moved away or removed).
 * Non-PX_OK stops the restore with that error. */
typedef enum px_err (*px_bk_files_restored_fn)(void *arg, const char *full, const char *path,
					      struct px_buf *err);

/* Recreates list's entries under dir (which must exist), taking the
 * files' shards from rd in list order; on_file (may be NULL) is called
 * after each file. Errors: STORAGE_SHARD_MISSING /
 * STORAGE_SHARD_CORRUPT naming the shard in err, STORAGE_FAILED (cannot
 * write). */
enum px_err px_bk_files_restore(struct px_bk_reader *rd, json_object *list,
				const char *dir, uint64_t *bytes,
				px_bk_files_restored_fn on_file, void *arg,
				struct px_buf *err)
	__attribute__((warn_unused_result));

/* Loads / saves the files cache of a repository (JSON in its cache
 * folder). load returns a new object ({} when absent). */
json_object *px_bk_files_cache_load(const struct px_bk_repo *r);
int px_bk_files_cache_save(const struct px_bk_repo *r, json_object *cache)
	__attribute__((warn_unused_result));

#endif
