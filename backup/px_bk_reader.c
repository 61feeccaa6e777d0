/* px_bk_reader.c: a ring of started fetches ahead of the consumer. */
#include "backup/px_bk_reader.h"

#include <stdlib.h>
#include <string.h>

struct px_bk_reader {
	struct px_bk_repo *r;
	unsigned char (*ids)[32];
	void **handles;          /* ring, indexed by position % window */
	size_t n, next, started, window;
	struct px_buf raw;
};

struct px_bk_reader *px_bk_reader_new(struct px_bk_repo *r,
				      const unsigned char (*ids)[32], size_t n,
				      size_t window)
{
	struct px_bk_reader *rd = calloc(1, sizeof(*rd));

	if (!rd)
		return NULL;
	rd->r = r;
	rd->n = n;
	rd->window = window ? window : 1;
	rd->ids = malloc((n ? n : 1) * 32);
	rd->handles = calloc(rd->window, sizeof(void *));
	if (!rd->ids || !rd->handles) {
		px_bk_reader_free(rd);
		return NULL;
	}
	if (n)
		memcpy(rd->ids, ids, n * 32);
	return rd;
}

/* Starts fetches until `window` are in flight or all are started. */
static enum px_err fill(struct px_bk_reader *rd)
{
	while (rd->started < rd->n && rd->started - rd->next < rd->window) {
		char name[80];
		enum px_err rc;

		px_bk_shard_name(rd->ids[rd->started], name);
		rc = px_st_get_begin(rd->r->store, name,
				     &rd->handles[rd->started % rd->window]);
		if (rc != PX_OK)
			return rc;
		rd->started++;
	}
	return PX_OK;
}

enum px_err px_bk_reader_next(struct px_bk_reader *rd, const unsigned char *want,
			      struct px_buf *out)
{
	size_t i = rd->next;
	enum px_err rc;

	if (i >= rd->n || (want && memcmp(want, rd->ids[i], 32)))
		return PX_E_SYSTEM_INTERNAL;
	rc = fill(rd);
	if (rc != PX_OK)
		return rc;
	rc = px_st_get_end(rd->r->store, rd->handles[i % rd->window], &rd->raw);
	rd->handles[i % rd->window] = NULL;
	rd->next++;
	if (rc == PX_OK)
		rc = fill(rd);   /* keep the pipe full while this one is opened */
	if (rc != PX_OK)
		return rc;
	return px_bk_repo_open_shard(rd->r, rd->ids[i], &rd->raw, out);
}

void px_bk_reader_free(struct px_bk_reader *rd)
{
	struct px_buf scratch = PX_BUF_INIT;

	if (!rd)
		return;
	/* collect fetches still in flight so the store owns nothing of ours */
	for (; rd->handles && rd->next < rd->started; rd->next++) {
		void *h = rd->handles[rd->next % rd->window];

		if (h && px_st_get_end(rd->r->store, h, &scratch) != PX_OK)
			px_buf_reset(&scratch);
	}
	px_buf_free(&scratch);
	px_buf_free(&rd->raw);
	free(rd->ids);
	free(rd->handles);
	free(rd);
}
