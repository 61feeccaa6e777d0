/* px_st_store.c: the parts every backend shares (URL for messages, last
 * error detail) and their release. */
#include "storage/px_st_store.h"

#include <stdlib.h>
#include <string.h>

void px_st_store_free(struct px_st_store *s)
{
	if (!s)
		return;
	free(s->url);
	px_buf_free(&s->errmsg);
	s->ops->free(s);
}
