/* px_st_open.c: picks the backend for a store URL. Kept apart from the
 * interface (px_st_store.h), which the backends include, so that no
 * backend and the interface include each other. */
#include "storage/px_st_open.h"
#include "storage/px_st_azure.h"
#include "storage/px_st_local.h"
#include "storage/px_st_s3.h"

#include <stdlib.h>
#include <string.h>

struct px_st_store *px_st_store_open(const struct px_st_store_opts *o,
				     struct px_buf *err)
{
	struct px_st_store *s;

	if (!o->url || !*o->url) {
		px_buf_puts(err, "no store given (--store or backup_store)");
		return NULL;
	}
	if (!strncmp(o->url, "s3://", 5) || !strncmp(o->url, "gs://", 5))
		s = px_st_s3_open(o, err);
	else if (!strncmp(o->url, "azure://", 8))
		s = px_st_azure_open(o, err);
	else if (!strncmp(o->url, "file://", 7))
		s = px_st_local_open(o->url + 7, err);
	else if (strstr(o->url, "://")) {
		px_buf_printf(err, "unknown store scheme in %s", o->url);
		return NULL;
	} else
		s = px_st_local_open(o->url, err);
	if (!s)
		return NULL;
	px_buf_init(&s->errmsg);
	s->url = strdup(o->url);
	if (!s->url) {
		px_st_store_free(s);
		return NULL;
	}
	return s;
}
