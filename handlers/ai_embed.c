/* ai_embed.c: the background embedding step and the sweep (ai_embed.h).
 * The worker has no request, so governance runs under a context of its
 * own: no user (the audit's user is empty; the channel's and instance's
 * budgets apply), a correlation id naming the task for the log. */
#include "handlers/ai_embed.h"
#include "handlers/ai_ann.h"
#include "handlers/ai_svc.h"
#include "ai/ai_builtin.h"
#include "core/ctx.h"
#include "core/http.h"
#include "core/log.h"
#include "model/ai.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REMOTE_BATCH 32     /* provider calls held inside one transaction */
#define PAUSE_S 60          /* no calls for this long after a failure */
#define SWEEP_EVERY_S 300

/* A worker's context for governance (ctx->req points at req). */
static void worker_ctx(struct px_ctx *ctx, struct px_request *req, struct px_db *db,
		       const struct px_cfg *cfg, const char *what)
{
	memset(ctx, 0, sizeof(*ctx));
	memset(req, 0, sizeof(*req));
	ctx->req = req;
	ctx->db = db;
	ctx->cfg = cfg;
	ctx->who.role = PX_ROLE_MEMBER;
	px_buf_init(&ctx->details);
	snprintf(req->correlation_id, sizeof(req->correlation_id), "%s", what);
}

struct batch {
	const struct px_cfg *cfg;
	struct px_hai_embed_state *st;
	int limit;
	int done;
};

/* Stores one vector of another model than the built-in one. */
static enum px_err store_one(struct px_db *db, const struct px_m_ai_msg *m,
			     const struct px_hai_vec *v)
{
	signed char q[PX_HAI_EMBED_MAX_DIM];

	px_ai_quantise_scaled(v->v, q, v->dim);
	return px_m_ai_embed_store(db, v->model, &m->id, &m->channel, q, v->dim, 1);
}

/* Embeds r's messages: the built-in ones go to vecs (stored together by
 * the caller, *nb of them, ids and chans beside), the others are stored
 * one by one. */
static enum px_err embed_rows(struct px_db *db, struct batch *b, const struct px_m_ai_rows *r,
			      int remote, long long *ids, long long *chans, signed char *vecs,
			      size_t *nb)
{
	struct px_request req;
	struct px_ctx ctx;
	struct px_hai_vec *v = NULL;
	enum px_err e = PX_OK;
	size_t i;

	*nb = 0;
	if (remote && !(v = malloc(sizeof(*v))))
		return PX_E_SYSTEM_INTERNAL;
	if (remote)
		worker_ctx(&ctx, &req, db, b->cfg, "ai-embed");
	for (i = 0; i < r->n && e == PX_OK; i++) {
		const struct px_m_ai_msg *m = &r->v[i];
		float f[PX_AI_BUILTIN_DIM];

		if (remote) {
			int allow = time(NULL) >= b->st->pause_until;

			if ((e = px_hai_embed(&ctx, "embed", m->channel, m->body, allow, v)) != PX_OK)
				break;
			/* a failed call, or a spent budget: stop asking for a while */
			if ((v->called && v->fallback != PX_OK) ||
			    v->fallback == PX_E_AI_BUDGET_EXHAUSTED)
				b->st->pause_until = time(NULL) + PAUSE_S;
			if (strcmp(v->model, PX_HAI_EMBED_MODEL) != 0) {
				e = store_one(db, m, v);
				continue;
			}
		}
		ids[*nb] = m->id;
		chans[*nb] = m->channel;
		px_ai_builtin_embed(m->body, strlen(m->body), f, PX_AI_BUILTIN_DIM);
		px_ai_quantise(f, vecs + *nb * PX_AI_BUILTIN_DIM, PX_AI_BUILTIN_DIM);
		(*nb)++;
	}
	if (remote)
		px_buf_free(&ctx.details);
	free(v);
	return e;
}

static enum px_err step(struct px_db *db, void *arg)
{
	struct batch *b = arg;
	struct px_m_ai_rows r = { 0 };
	long long *ids = NULL, *chans = NULL;
	signed char *vecs = NULL;
	struct px_request req;
	struct px_ctx ctx;
	char model[200];
	enum px_err e;
	size_t nb = 0;
	int limit = b->limit;

	worker_ctx(&ctx, &req, db, b->cfg, "ai-embed");
	px_hai_embed_model(&ctx, model, sizeof(model));
	px_buf_free(&ctx.details);
	if (model[0] && limit > REMOTE_BATCH)
		limit = REMOTE_BATCH;
	if ((e = px_m_ai_queue_take(db, limit, &r)) != PX_OK)
		return e;
	b->done = (int)r.n;
	ids = calloc(r.n + 1, sizeof(*ids));
	chans = calloc(r.n + 1, sizeof(*chans));
	vecs = calloc(r.n + 1, PX_AI_BUILTIN_DIM);
	if (!ids || !chans || !vecs) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	if ((e = embed_rows(db, b, &r, model[0] != '\0', ids, chans, vecs, &nb)) == PX_OK)
		e = px_m_ai_embed_store(db, PX_HAI_EMBED_MODEL, ids, chans, vecs, PX_AI_BUILTIN_DIM,
					nb);
out:
	free(ids);
	free(chans);
	free(vecs);
	px_m_ai_rows_free(&r);
	return e;
}

enum px_err px_hai_embed_batch(struct px_db *db, const struct px_cfg *cfg,
			       struct px_hai_embed_state *st, int limit, int *done)
{
	struct batch b = { cfg, st, limit, 0 };
	enum px_err e = px_db_tx(db, step, &b);

	*done = e == PX_OK ? b.done : 0;
	return e;
}

/* --- the sweep ------------------------------------------------------------- */

struct pair {
	long long channel;
	char model[200];
};

struct pairs {
	struct pair *v;
	size_t n, cap;
	int failed;
};

static void add_pair(void *arg, long long channel, const char *model)
{
	struct pairs *p = arg;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct pair *v = realloc(p->v, cap * sizeof(*v));

		if (!v) {
			p->failed = 1;
			return;
		}
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n].channel = channel;
	snprintf(p->v[p->n].model, sizeof(p->v[p->n].model), "%s", model);
	p->n++;
}

/* Queues again the channels' messages whose vectors are not of the model
 * the channel's rules give it: model where they allow ai_embed_provider,
 * else the built-in one. */
static enum px_err requeue(struct px_ctx *ctx, const struct pairs *p, const char *model,
			   long *queued)
{
	const char *prov = px_cfg_str(ctx->cfg, "ai_embed_provider");
	enum px_err e = PX_OK;
	size_t i;

	for (i = 0; i < p->n && e == PX_OK; i++) {
		const char *want = PX_HAI_EMBED_MODEL;
		long n = 0;

		/* one decision per channel; the pairs come in any order */
		if (i > 0 && p->v[i - 1].channel == p->v[i].channel)
			continue;
		if (model[0] && px_hai_remote_allowed(ctx, p->v[i].channel, prov))
			want = model;
		if (strcmp(p->v[i].model, want) == 0 &&
		    (i + 1 == p->n || p->v[i + 1].channel != p->v[i].channel))
			continue;
		if ((e = px_m_ai_embed_requeue(ctx->db, p->v[i].channel, want, &n)) == PX_OK)
			*queued += n;
	}
	return e;
}

static int by_channel(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	return (x->channel > y->channel) - (x->channel < y->channel);
}

enum px_err px_hai_embed_sweep(struct px_db *db, const struct px_cfg *cfg,
			       struct px_hai_embed_state *st, long *queued)
{
	struct pairs p = { NULL, 0, 0, 0 };
	struct px_request req;
	struct px_ctx ctx;
	char model[200], sig[sizeof(st->model)];
	enum px_err e = PX_OK;

	*queued = 0;
	worker_ctx(&ctx, &req, db, cfg, "ai-embed-sweep");
	px_hai_embed_model(&ctx, model, sizeof(model));
	/* what changes the model of every channel at once is due at once */
	snprintf(sig, sizeof(sig), "%s%s", model, px_cfg_bool(cfg, "ai_local_only") ? " local" : "");
	if (st->swept && strcmp(sig, st->model) == 0 && time(NULL) < st->next_sweep)
		goto out;
	/* another provider (or model) gets its own chance at once */
	if (strcmp(sig, st->model) != 0)
		st->pause_until = 0;
	if ((e = px_m_ai_embed_channels(db, add_pair, &p)) != PX_OK)
		goto out;
	if (p.failed) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	qsort(p.v, p.n, sizeof(*p.v), by_channel);
	if ((e = requeue(&ctx, &p, model, queued)) != PX_OK)
		goto out;
	snprintf(st->model, sizeof(st->model), "%s", sig);
	st->swept = 1;
	st->next_sweep = time(NULL) + SWEEP_EVERY_S;
	if (*queued)
		px_log_info("ai", req.correlation_id, "%ld messages queued to be embedded again (%s)",
			    *queued, model[0] ? model : PX_HAI_EMBED_MODEL);
out:
	free(p.v);
	px_buf_free(&ctx.details);
	return e;
}
