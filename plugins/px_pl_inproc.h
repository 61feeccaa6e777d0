/* px_pl_inproc.h: in-process plugins: a shared object loaded with dlopen
 * once its file still has the hash recorded at install, and refused
 * unless it was built for this ABI. */
#ifndef PX_PL_INPROC_H
#define PX_PL_INPROC_H

#include "core/buf.h"
#include "plugins/plexichat_plugin.h"

struct px_pl_inproc;

/* Loads path (whose SHA-256 must be sha256, hex) and checks its ABI;
 * settings are handed to its init function. NULL with the reason in err
 * (hash differs: the file was changed after install; no or another ABI;
 * init refused; dlopen's own message). */
struct px_pl_inproc *px_pl_inproc_load(const char *path, const char *sha256,
				       const char *const *settings, struct px_buf *err)
	__attribute__((nonnull(1, 2, 4), warn_unused_result));

/* The module's before_store hook, or NULL when it exports none. */
enum plexichat_verdict (*px_pl_inproc_before_store(const struct px_pl_inproc *p))(
	const struct plexichat_message *, struct plexichat_result *);

/* Unloads the module (dlclose) and frees p; NULL is fine. */
void px_pl_inproc_free(struct px_pl_inproc *p);

/* SHA-256 of the file at path as hex into out. 0, or -1. */
int px_pl_file_sha256(const char *path, char out[65]) __attribute__((nonnull, warn_unused_result));

#endif
