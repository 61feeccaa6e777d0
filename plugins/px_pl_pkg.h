/* px_pl_pkg.h: plugin packages. A package is a tar archive (gzip, or
 * none) holding plugin.json at its root, the entry point the manifest
 * names and whatever else the plugin ships (migrations/ for its data).
 * It is read whole into memory (its signature covers all of it), checked
 * entry by entry before anything is written, and unpacked without
 * following links. */
#ifndef PX_PL_PKG_H
#define PX_PL_PKG_H

#include <stddef.h>

#include "core/buf.h"
#include "plugins/px_pl_manifest.h"

#define PX_PL_PKG_MAX (16u << 20)       /* bytes of a package file */
#define PX_PL_PKG_UNPACKED (64u << 20)  /* bytes once unpacked */
#define PX_PL_PKG_ENTRIES 1000

/* Reads the file at path (at most PX_PL_PKG_MAX bytes) into out. 0, or
 * -1 with the reason appended to err. */
int px_pl_pkg_load(const char *path, struct px_buf *out, struct px_buf *err)
	__attribute__((nonnull, warn_unused_result));

/* Checks every entry of the package in p[0..n) (regular files and
 * folders only, relative names without "." or ".." segments, the limits
 * above, the manifest's entry present as a regular file) and parses its
 * plugin.json into *m; text (may be NULL) gets plugin.json as it is.
 * 0, or -1 with the reason in err. */
int px_pl_pkg_inspect(const void *p, size_t n, struct px_pl_manifest *m, struct px_buf *text,
		      struct px_buf *err) __attribute__((nonnull(1, 3, 5), warn_unused_result));

/* Unpacks the package (inspected first, as above) into the new folder
 * dir, which must not exist; its parent must. Files are created 0644, or
 * 0755 when the archive marks them executable; nothing is written outside
 * dir. On failure dir is removed again. 0, or -1 with the reason. */
int px_pl_pkg_unpack(const void *p, size_t n, const char *dir, struct px_buf *err)
	__attribute__((nonnull, warn_unused_result));

/* Removes the folder dir and everything in it (not following links).
 * 0, or -1. */
int px_pl_pkg_rmtree(const char *dir) __attribute__((nonnull));

#endif
