/* px_st_files.h: the content-addressed store of uploaded files. An object
 * is named by the SHA-256 of its bytes, objects/ab/cdef... (the first two
 * hex digits make the folder), so the same content stored twice costs
 * once. Objects live on local disk under root/objects/, or (remote) in an
 * S3 or GCS bucket or an Azure container under the same names below its
 * prefix. Bytes always arrive in a temporary file under root/tmp/ (same
 * file system as local objects), which commit fsyncs and renames into
 * place, then fsyncs the folder, or puts to the remote store and removes:
 * once commit returns, the object survives a crash. Objects are never
 * modified. A local store allocates nothing beyond the caller's struct
 * and is thread-safe; a remote one holds a store of the storage library
 * (px_st_open.h), is used by one thread, and must be closed. */
#ifndef PX_ST_FILES_H
#define PX_ST_FILES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "storage/px_st_store.h"

#define PX_ST_FILES_PATH 4096

struct px_st_files {
	char root[PX_ST_FILES_PATH]; /* absolute, without a trailing '/' */
	struct px_st_store *remote;  /* NULL: objects under root/objects */
	uint64_t part_size;          /* remote: multipart above this size */
};

/* Sets f up on root (made absolute against the working folder) and makes
 * root, root/objects and root/tmp when missing. 0, or -1 with a reason in
 * err. */
int px_st_files_init(struct px_st_files *f, const char *root, struct px_buf *err)
	__attribute__((warn_unused_result));

/* Sets f up as a remote store: temporary files under root (as for
 * px_st_files_init), objects in the store described by o (o->url is
 * s3://bucket/prefix, gs://bucket/prefix or azure://container/prefix),
 * put in parts (blocks) of part_size bytes above that size.
 * 0, or -1 with a reason in err. Close with px_st_files_close. */
int px_st_files_open_remote(struct px_st_files *f, const char *root,
			    const struct px_st_store_opts *o, uint64_t part_size,
			    struct px_buf *err) __attribute__((warn_unused_result));

struct px_cfg;

/* Opens the file store the configuration c describes (files_store,
 * files_dir or else data_dir/files, files_s3_*, files_azure_*,
 * files_gcs_*): local, or remote with
 * its temporary files in that folder. 0, or -1 with the reason in err.
 * Close with px_st_files_close. */
int px_st_files_open_config(const struct px_cfg *c, struct px_st_files *f, struct px_buf *err)
	__attribute__((warn_unused_result));

/* The remote location the configuration names for its files_store
 * (files_s3_url, files_azure_url or files_gcs_url), NULL for local. */
const char *px_st_files_remote_url(const struct px_cfg *c);

/* What a signed download URL of a remote store carries. */
struct px_st_files_url {
	const char *endpoint;     /* as clients reach the store; NULL: the store's */
	long expires;             /* seconds, 1..604800 */
	time_t now;               /* signing time; 0: time(NULL) */
	const char *content_type, *content_disposition, *cache_control; /* NULL: none */
};

/* Writes into out (replaced) a URL that reads object hex of the remote
 * store f for u->expires seconds: S3 and GCS a SigV4 query-signed GET
 * (px_st_s3_presign_get), Azure a read-only service SAS
 * (px_st_azure_presign_get). Pure computation. 0, or -1 (a local store,
 * a bad name or arguments). */
int px_st_files_signed_url(const struct px_st_files *f, const char *hex,
			   const struct px_st_files_url *u, struct px_buf *out)
	__attribute__((warn_unused_result));

/* Releases what a remote store holds (nothing for a local one); f may be
 * set up again afterwards. Safe on a zeroed struct and twice. */
void px_st_files_close(struct px_st_files *f);

/* The object's name relative to the store, "objects/ab/cdef..." (S3 key
 * below the prefix, path below root), into out (80 bytes). 0 or -1. */
int px_st_files_key(const char *hex, char out[80]);

/* Creates a new empty temporary file under root/tmp/ (mode 0640) and
 * writes its path into path (PX_ST_FILES_PATH bytes). Returns the open
 * descriptor (read-write), or -1 (errno set). */
int px_st_files_temp(const struct px_st_files *f, char *path);

/* Whether hex names a well-formed object name (64 lower-case hex). */
int px_st_files_valid_name(const char *hex);

/* Writes the object's absolute path into out (PX_ST_FILES_PATH bytes).
 * 0, or -1 for a malformed name. The object need not exist. */
int px_st_files_path(const struct px_st_files *f, const char *hex, char *out);

/* Makes the temporary file tmp (already fsynced and closed by the caller,
 * holding bytes whose SHA-256 is hex) the object hex: when the object
 * exists already tmp is removed and *existed set to 1, otherwise tmp is
 * renamed into place and the folder fsynced (local), or streamed to the
 * remote store (an object of the same size already there counts as
 * existing; a missing Azure container is made) and removed. On any failure tmp is removed. STORAGE_FULL (ENOSPC,
 * EDQUOT), STORAGE_CREDENTIALS (S3 refused the keys) or STORAGE_FAILED;
 * a remote store's reason is in f->remote->errmsg. */
enum px_err px_st_files_commit(const struct px_st_files *f, const char *tmp,
			       const char *hex, int *existed)
	__attribute__((warn_unused_result));

/* Makes the complete temporary file path of f (open as fd, read-write)
 * an object: hashes it from its start, fsyncs and closes fd and commits
 * it (px_st_files_commit); hex (65 bytes) gets its name and *size (may
 * be NULL) its length. fd is closed and path renamed or removed in every
 * case. STORAGE_FAILED, STORAGE_FULL, SYSTEM_INTERNAL (no memory). */
enum px_err px_st_files_commit_fd(const struct px_st_files *f, int fd, const char *path,
				  char *hex, long long *size) __attribute__((warn_unused_result));

/* Remote stores: replaces out's contents with bytes [off, off + len) of
 * object hex (fewer at its end), so that a reader (plexichat-backup)
 * never holds a whole object. STORAGE_SHARD_MISSING, STORAGE_FAILED. */
enum px_err px_st_files_read(const struct px_st_files *f, const char *hex, uint64_t off,
			     size_t len, struct px_buf *out) __attribute__((warn_unused_result));

/* Removes object hex; a missing one is not an error. *gone (may be NULL)
 * gets 0 when a local object was not there (S3 does not tell: 1).
 * STORAGE_FAILED. */
enum px_err px_st_files_remove(const struct px_st_files *f, const char *hex, int *gone)
	__attribute__((warn_unused_result));

/* Called once per object with its name (64 hex), size and, for a local
 * store, its modification time (0 when unknown); non-zero stops. */
typedef int (*px_st_files_list_fn)(void *arg, const char *hex, uint64_t size, time_t mtime);

/* Lists every object (well-formed names only; anything else under
 * objects/ is left alone). STORAGE_FAILED when the listing cannot be
 * had whole. */
enum px_err px_st_files_list(const struct px_st_files *f, px_st_files_list_fn fn, void *arg)
	__attribute__((warn_unused_result));

/* Called once per temporary file under root/tmp/ with its path, size and
 * modification time; non-zero stops. */
typedef int (*px_st_files_tmp_fn)(void *arg, const char *path, uint64_t size, time_t mtime);
/* Lists root/tmp/. -1 (errno set) when it cannot be read. */
int px_st_files_list_tmp(const struct px_st_files *f, px_st_files_tmp_fn fn, void *arg);
/* Whether path is a file directly under root/tmp/ (what a temporary
 * file's recorded path must be before it is removed). */
int px_st_files_is_tmp(const struct px_st_files *f, const char *path);

/* The functions above with the store (a struct px_st_files *) as a plain
 * pointer, for code that may not include this header (model/files_gc.h's
 * struct px_m_files_objects); detail_cb is the remote store's last error
 * detail or "". */
enum px_err px_st_files_remove_cb(void *f, const char *hex, int *gone);
enum px_err px_st_files_list_cb(void *f, px_st_files_list_fn fn, void *arg);
int px_st_files_list_tmp_cb(void *f, px_st_files_tmp_fn fn, void *arg);
int px_st_files_is_tmp_cb(void *f, const char *path);
const char *px_st_files_detail_cb(void *f);

/* An initializer of model/files_gc.h's struct px_m_files_objects for the
 * store st (a struct px_st_files *), in that struct's member order. */
#define PX_ST_FILES_OBJECTS(st)                                                   \
	{ (st), px_st_files_remove_cb, px_st_files_list_cb, px_st_files_list_tmp_cb, \
	  px_st_files_is_tmp_cb, px_st_files_detail_cb }

#endif
