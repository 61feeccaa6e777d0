/* px_st_local.h: the local-folder storage backend. A put writes a
 * temporary file, fsyncs it and renames it into place; the folders touched
 * are fsynced at flush, before any manifest can refer to their files. */
#ifndef PX_ST_LOCAL_H
#define PX_ST_LOCAL_H

#include "storage/px_st_store.h"

/* Opens (creating if needed) the folder root. NULL with reason in err. */
struct px_st_store *px_st_local_open(const char *root, struct px_buf *err);

#endif
