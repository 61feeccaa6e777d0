/* dirs.h: the directory manager. Every subsystem asks here for its folder
 * under the configured data_dir instead of building paths itself. */
#ifndef PX_DIRS_H
#define PX_DIRS_H

#include "core/buf.h"

#include <sys/types.h>

enum px_dir { PX_DIR_LOGS, PX_DIR_UPLOADS, PX_DIR_BACKUP_STAGING, PX_DIR_RUN,
	      PX_DIR__COUNT };

/* Creates data_dir and every standard sub-folder (mode 0750). Returns 0 or
 * -1 with the failing path in err. Later calls replace the base. */
int px_dirs_init(const char *data_dir, struct px_buf *err)
	__attribute__((nonnull, warn_unused_result));
/* Absolute path of a standard folder, or NULL before px_dirs_init. The
 * string is owned by this module and stays valid until the next
 * px_dirs_init. */
const char *px_dirs_path(enum px_dir d);
/* mkdir -p: makes path and each missing folder above it with mode.
 * 0, or -1 with errno. */
int px_dirs_make(const char *path, mode_t mode)
	__attribute__((nonnull, warn_unused_result));
/* fsyncs the folder dir itself, so that names made or renamed in it
 * survive a crash. 0, or -1 with errno. */
int px_dirs_fsync(const char *dir) __attribute__((nonnull, warn_unused_result));
/* Folder name under data_dir, e.g. "uploads" (a static string). */
const char *px_dirs_name(enum px_dir d);

#endif
