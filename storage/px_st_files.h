/* px_st_files.h: the content-addressed store of uploaded files on local
 * disk. An object is named by the SHA-256 of its bytes and lives at
 * root/objects/ab/cdef... (the first two hex digits make the folder), so
 * the same content stored twice costs once. Bytes arrive in a temporary
 * file under root/tmp/ (same file system), which commit fsyncs and renames
 * into place, then fsyncs the folder: once commit returns, the object
 * survives a crash. Objects are never modified; nothing here allocates
 * beyond the caller's struct. Thread-safe (no shared state). */
#ifndef PX_ST_FILES_H
#define PX_ST_FILES_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define PX_ST_FILES_PATH 4096

struct px_st_files {
	char root[PX_ST_FILES_PATH]; /* absolute, without a trailing '/' */
};

/* Sets f up on root (made absolute against the working folder) and makes
 * root, root/objects and root/tmp when missing. 0, or -1 with a reason in
 * err. */
int px_st_files_init(struct px_st_files *f, const char *root, struct px_buf *err)
	__attribute__((warn_unused_result));

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
 * renamed into place and the folder fsynced. On any failure tmp is
 * removed. STORAGE_FULL (ENOSPC, EDQUOT) or STORAGE_FAILED. */
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

#endif
