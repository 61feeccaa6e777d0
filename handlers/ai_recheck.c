/* ai_recheck.c: asking the moderation provider again (ai_recheck.h). The
 * worker has no request, so each entry runs under a context of its own:
 * the author as the caller (their budget, the audit's user), a
 * correlation id naming the entry for the log. */
#include "handlers/ai_recheck.h"
#include "handlers/ai.h"
#include "handlers/ai_svc.h"
#include "core/ctx.h"
#include "core/http.h"
#include "core/db.h"
#include "core/log.h"
#include "model/ai.h"
#include "model/messages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TRIES 5
#define RETRY_BASE_S 60

/* Posting a held post the provider found fine, in one transaction: the
 * entry is approved (unless a person decided it meanwhile) and posted. */
struct release_arg {
	struct px_ctx *ctx;
	long long id;
	long long message;        /* out: the message posted; 0: none */
};

static enum px_err release_tx(struct px_db *db, void *arg)
{
	struct release_arg *r = arg;
	struct px_m_ai_mod_entry en = { 0 };
	struct px_buf msg = PX_BUF_INIT;
	enum px_err e = px_m_ai_mod_decide(db, r->id, 1, 0, &en);

	/* decided by a person meanwhile: nothing left to do */
	if (e == PX_E_VALIDATION_NOT_FOUND)
		return PX_OK;
	if (e == PX_OK && en.author && (e = px_h_ai_post_held(r->ctx, r->id, &en, &msg)) == PX_OK)
		r->message = 1;
	free(en.body);
	px_buf_free(&msg);
	return e;
}

/* Applies the verdict v on a held post x (never posted): "OK" posts it;
 * a match keeps it held with the provider's category, or rejects it in
 * block mode. */
static enum px_err apply_held(struct px_ctx *ctx, const struct px_m_ai_recheck *x,
			      const char *mode, const struct px_ai_verdict *v, const char *prov)
{
	struct release_arg r = { ctx, x->id, 0 };
	struct px_m_ai_verdict_row row = { "pending", "hold", v->category, prov, 0 };
	enum px_err e;

	if (!v->hit) {
		e = px_db_tx(ctx->db, release_tx, &r);
		px_log_info("ai", ctx->req->correlation_id,
			    "moderation recheck of held entry %lld by %s: ok (%s)", x->id, prov,
			    r.message ? "posted" : "already decided");
		return e;
	}
	if (strcmp(mode, "block") == 0)
		row.status = "rejected";
	px_log_info("ai", ctx->req->correlation_id, "moderation recheck of held entry %lld by %s: %s (%s)",
		    x->id, prov, v->category, row.status);
	return px_m_ai_recheck_done(ctx->db, x->id, &row);
}

/* Applies the verdict v on entry x under the channel's mode now. */
static enum px_err apply(struct px_ctx *ctx, const struct px_m_ai_recheck *x, const char *mode,
			 const struct px_ai_verdict *v, const char *prov)
{
	struct px_m_ai_verdict_row row = { "approved", "flag", "ok", prov, 0 };
	struct px_buf out = PX_BUF_INIT;
	int takedown = v->hit && (strcmp(mode, "block") == 0 || strcmp(mode, "hold") == 0);

	if (!x->message)
		return apply_held(ctx, x, mode, v, prov);
	if (v->hit)
		row = (struct px_m_ai_verdict_row){ "pending", "flag", v->category, prov, 0 };
	if (takedown) {
		/* taken down as a moderator would; nobody in particular did it */
		enum px_err e = px_m_messages_delete(ctx->db, x->channel, x->message, 0, 1, &out);
		px_buf_free(&out);
		if (e != PX_OK && e != PX_E_VALIDATION_MESSAGE_DELETED)
			return e;
		row = strcmp(mode, "hold") == 0
			? (struct px_m_ai_verdict_row){ "pending", "hold", v->category, prov, 1 }
			: (struct px_m_ai_verdict_row){ "rejected", "flag", v->category, prov, 0 };
	}
	px_log_info("ai", ctx->req->correlation_id, "moderation recheck of message %lld by %s: %s (%s)",
		    x->message, prov, v->hit ? v->category : "ok", takedown ? "taken down" : row.status);
	return px_m_ai_recheck_done(ctx->db, x->id, &row);
}

static enum px_err one(struct px_ctx *ctx, const struct px_m_ai_recheck *x)
{
	const char *prov = px_cfg_str(ctx->cfg, "ai_moderation_provider");
	struct px_ai_item item = { 0, "author", x->body };
	struct px_hai_task t = { "moderation_recheck", x->channel, prov,
				 { PX_AI_TASK_MODERATE, &item, 1, NULL, NULL, 20, NULL, NULL, 0 } };
	struct px_ai_verdict v;
	struct px_hai_out o;
	char mode[8];
	enum px_err e;

	memset(&v, 0, sizeof(v));
	memset(&o, 0, sizeof(o));
	if ((e = px_m_ai_moderation_mode(ctx->db, x->channel, mode)) != PX_OK)
		return e;
	/* moderation turned off, no provider any more, or the channel no
	 * longer lets its text go there: the entry stays for a person */
	if (strcmp(mode, "off") == 0 || !prov[0] || strcmp(prov, "builtin") == 0 ||
	    !px_hai_remote_allowed(ctx, x->channel, prov))
		return px_m_ai_recheck_later(ctx->db, x->id, 0);
	e = px_hai_run(ctx, &t, &o);
	if (e == PX_OK)
		px_h_ai_verdict_of(o.text.data, prov, &v);
	px_buf_free(&o.text);
	if (e != PX_OK) {
		int delay = x->attempts >= MAX_TRIES ? 0 : RETRY_BASE_S << (x->attempts - 1);

		px_log_warn("ai", ctx->req->correlation_id, "moderation recheck of message %lld by %s: %s; %s",
			    x->message, prov, px_err_name(e), delay ? "asked again later" : "left for review");
		return px_m_ai_recheck_later(ctx->db, x->id, delay);
	}
	return apply(ctx, x, mode, &v, prov);
}

enum px_err px_hai_recheck_batch(struct px_db *db, const struct px_cfg *cfg, int cap, int *done)
{
	struct px_m_ai_recheck v[16];
	struct px_request *req = calloc(1, sizeof(*req));
	size_t n = 0, i;
	enum px_err e;

	*done = 0;
	/* AI off for the instance: the entries wait until it is on again */
	if (!px_cfg_bool(cfg, "ai_enabled")) {
		free(req);
		return PX_OK;
	}
	if (!req)
		return PX_E_SYSTEM_INTERNAL;
	if (cap > 16)
		cap = 16;
	e = px_m_ai_recheck_take(db, v, (size_t)cap, &n);
	for (i = 0; i < n; i++) {
		struct px_ctx ctx;
		enum px_err e1;

		memset(&ctx, 0, sizeof(ctx));
		ctx.req = req;
		ctx.db = db;
		ctx.cfg = cfg;
		ctx.who.user_id = v[i].author;
		ctx.who.role = PX_ROLE_MEMBER;
		px_buf_init(&ctx.details);
		snprintf(req->correlation_id, sizeof(req->correlation_id), "ai-recheck-%lld", v[i].id);
		if ((e1 = one(&ctx, &v[i])) != PX_OK) {
			px_log_warn("ai", req->correlation_id, "moderation recheck: %s", px_err_name(e1));
			if (e == PX_OK)
				e = e1;
		}
		px_buf_free(&ctx.details);
		free(v[i].body);
	}
	*done = (int)n;
	free(req);
	return e;
}
