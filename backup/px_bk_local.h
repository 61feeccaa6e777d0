/* px_bk_local.h: the local-folder storage backend. A put writes a
 * temporary file, fsyncs it and renames it into place; the folders touched
 * are fsynced at flush, before any manifest can refer to their files. */
#ifndef PX_BK_LOCAL_H
#define PX_BK_LOCAL_H

#include "backup/px_bk_store.h"

/* Opens (creating if needed) the folder root. NULL with reason in err. */
struct px_bk_store *px_bk_local_open(const char *root, struct px_buf *err);

#endif
