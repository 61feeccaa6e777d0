/* ai_embed.c: the background embedding step (ai_embed.h). */
#include "handlers/ai_embed.h"
#include "handlers/ai_ann.h"
#include "ai/ai_builtin.h"
#include "model/ai.h"

#include <stdlib.h>
#include <string.h>

struct batch {
	int limit;
	int done;
};

static enum px_err step(struct px_db *db, void *arg)
{
	struct batch *b = arg;
	struct px_m_ai_rows r = { 0 };
	float f[PX_AI_BUILTIN_DIM];
	long long *ids = NULL, *chans = NULL;
	signed char *vecs = NULL;
	enum px_err e;
	size_t i;

	if ((e = px_m_ai_queue_take(db, b->limit, &r)) != PX_OK)
		return e;
	b->done = (int)r.n;
	ids = calloc(r.n + 1, sizeof(*ids));
	chans = calloc(r.n + 1, sizeof(*chans));
	vecs = calloc(r.n + 1, PX_AI_BUILTIN_DIM);
	if (!ids || !chans || !vecs) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	for (i = 0; i < r.n; i++) {
		ids[i] = r.v[i].id;
		chans[i] = r.v[i].channel;
		px_ai_builtin_embed(r.v[i].body, strlen(r.v[i].body), f, PX_AI_BUILTIN_DIM);
		px_ai_quantise(f, vecs + i * PX_AI_BUILTIN_DIM, PX_AI_BUILTIN_DIM);
	}
	e = px_m_ai_embed_store(db, PX_HAI_EMBED_MODEL, ids, chans, vecs, PX_AI_BUILTIN_DIM, r.n);
out:
	free(ids);
	free(chans);
	free(vecs);
	px_m_ai_rows_free(&r);
	return e;
}

enum px_err px_hai_embed_batch(struct px_db *db, int limit, int *done)
{
	struct batch b = { limit, 0 };
	enum px_err e = px_db_tx(db, step, &b);

	*done = e == PX_OK ? b.done : 0;
	return e;
}
