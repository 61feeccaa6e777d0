/* px_bk_store.c: picks the backend for a store URL and owns the parts
 * every backend shares (URL for messages, last error detail). */
#include "backup/px_bk_store.h"
#include "backup/px_bk_local.h"
#include "backup/px_bk_s3.h"

#include <stdlib.h>
#include <string.h>

struct px_bk_store *px_bk_store_open(const struct px_bk_store_opts *o,
				     struct px_buf *err)
{
	struct px_bk_store *s;

	if (!o->url || !*o->url) {
		px_buf_puts(err, "no store given (--store or backup_store)");
		return NULL;
	}
	if (!strncmp(o->url, "s3://", 5))
		s = px_bk_s3_open(o, err);
	else if (!strncmp(o->url, "file://", 7))
		s = px_bk_local_open(o->url + 7, err);
	else if (strstr(o->url, "://")) {
		px_buf_printf(err, "unknown store scheme in %s", o->url);
		return NULL;
	} else
		s = px_bk_local_open(o->url, err);
	if (!s)
		return NULL;
	px_buf_init(&s->errmsg);
	s->url = strdup(o->url);
	if (!s->url) {
		px_bk_store_free(s);
		return NULL;
	}
	return s;
}

void px_bk_store_free(struct px_bk_store *s)
{
	if (!s)
		return;
	free(s->url);
	px_buf_free(&s->errmsg);
	s->ops->free(s);
}
