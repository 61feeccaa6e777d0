/* assets.h: cache-busting URLs for static files. Static files are served
 * with year-long immutable caching, so every page links them with a
 * content hash in the URL; a changed file gets a new URL at once. */
#ifndef PX_ASSETS_H
#define PX_ASSETS_H

#include "core/buf.h"

/* Longest relative asset path accepted. */
#define PX_ASSETS_MAX_PATH 200

/* Appends "/static/<rel>?v=<12 hex digits of a hash of the file>" for the file
 * <static_dir>/<rel>. Hashes are cached per path and recomputed when the
 * file's mtime, size or inode changes (one stat() per call). When the file
 * cannot be read, appends "/static/<rel>" without a version. rel must not
 * contain ".." (asserted). Thread-safe. */
void px_assets_url(const char *static_dir, const char *rel, struct px_buf *out)
	__attribute__((nonnull(1, 3)));

/* Frees the hash cache (process exit only). */
void px_assets_free_all(void);

#endif
