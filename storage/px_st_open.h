/* px_st_open.h: opens a store by URL ("/path", "file:///path",
 * "s3://bucket/prefix"), choosing its backend. */
#ifndef PX_ST_OPEN_H
#define PX_ST_OPEN_H

#include "storage/px_st_store.h"

/* Opens the store described by o. NULL with a reason in err on failure
 * (unknown scheme, missing credentials, folder not creatable). */
struct px_st_store *px_st_store_open(const struct px_st_store_opts *o,
				     struct px_buf *err);

#endif
