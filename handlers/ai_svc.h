/* ai_svc.h: the AI features' one gate to the providers. It holds the
 * process's provider set and moderation rules (reloaded when their files
 * change; requests in flight keep the set they started with), and runs a
 * task under governance, in this order: instance and channel opt-in,
 * "local providers only", the channel's remote-provider policy with every
 * member's consent for DMs and private channels, the daily budgets, then
 * redaction of what is sent, the call, the restoring of placeholders in
 * the answer, and one audit row for every call, refused ones included. */
#ifndef PX_H_AI_SVC_H
#define PX_H_AI_SVC_H

#include "ai/ai_provider.h"
#include "ai/ai_builtin.h"
#include "core/ctx.h"
#include "model/ai.h"

struct px_hai_task {
	const char *feature;       /* summary, ask, translate */
	long long channel;         /* whose policy and budget apply; 0: several
				    * channels, each already cleared by the caller */
	const char *provider;      /* requested name; NULL: ai_provider */
	struct px_ai_req req;      /* the items, unredacted */
};

struct px_hai_out {
	struct px_buf text;        /* the answer, placeholders restored */
	char provider[64];
	char kind[16];
	char model[128];
	int remote;
	long tokens_in, tokens_out;
};

/* Runs t for ctx->who. AI_DISABLED, AI_REMOTE_NOT_ALLOWED,
 * AI_BUDGET_EXHAUSTED, VALIDATION_NOT_FOUND (details field "provider")
 * for an unknown provider, AI_CONFIG_INVALID, or px_ai_run's errors.
 * Free o->text with px_buf_free. */
enum px_err px_hai_run(struct px_ctx *ctx, struct px_hai_task *t, struct px_hai_out *o)
	__attribute__((nonnull, warn_unused_result));
/* 1 when channel's content may go to the named (or default) provider:
 * it is local, or every rule allows a remote one. */
int px_hai_remote_allowed(struct px_ctx *ctx, long long channel, const char *provider)
	__attribute__((nonnull(1)));
/* 1 when the named (or default) provider is remote. */
int px_hai_provider_remote(struct px_ctx *ctx, const char *provider) __attribute__((nonnull(1)));
/* AI_DISABLED unless the instance allows AI and channel (0: skip) too. */
enum px_err px_hai_enabled(struct px_ctx *ctx, long long channel) __attribute__((nonnull));
/* Embeddings (ask's vectors). ai_embed_provider names the provider; its
 * vectors are called "provider/embed_model" and carry their own
 * dimension, the built-in ones are PX_HAI_EMBED_MODEL (256). */
#define PX_HAI_EMBED_MAX_DIM 4096

struct px_hai_vec {
	char model[200];           /* the vector's model name */
	int dim;
	int remote;                /* from a remote provider */
	int called;                /* a provider was called (and audited) */
	enum px_err fallback;      /* PX_OK, or why the built-in embedding
				    * stands in for ai_embed_provider's */
	float v[PX_HAI_EMBED_MAX_DIM];  /* unit length (all zero: no words) */
};

/* The model name ai_embed_provider's vectors get into out[cap]: "" when
 * it is the built-in provider, or a provider that cannot embed (unknown,
 * Anthropic; logged). */
void px_hai_embed_model(struct px_ctx *ctx, char *out, size_t cap) __attribute__((nonnull));
/* Embeds text for feature under governance. channel: whose content it is
 * (its rules decide whether it may go to a remote provider: channel
 * opt-in, every member's consent for DMs and private channels); 0: the
 * caller's own text (a question), which only "local providers only"
 * keeps local. A remote call is budgeted (ctx->who's, channel's and the
 * instance's), redacted and audited, as px_hai_run's; a call to a local
 * provider is audited. allow_call 0 skips calling (a caller pausing
 * after failures). Always fills *o: ai_embed_provider's vector, or the
 * built-in one with o->fallback saying why (AI_REMOTE_NOT_ALLOWED,
 * AI_DISABLED: nothing sent; AI_BUDGET_EXHAUSTED, the provider's errors:
 * audited; AI_PROVIDER_UNAVAILABLE when not called). Returns PX_OK, or
 * the database's error reading the rules. */
enum px_err px_hai_embed(struct px_ctx *ctx, const char *feature, long long channel,
			 const char *text, int allow_call, struct px_hai_vec *o)
	__attribute__((nonnull, warn_unused_result));

/* Appends "ai":{generated, provider, kind, model, remote, notice} members
 * (with a leading comma) to a JSON object being built. */
void px_hai_marker(struct px_buf *b, const struct px_hai_out *o) __attribute__((nonnull));
/* Appends the providers (no keys), their breaker states, the model of
 * ask's embeddings (embed_model), today's usage and the budgets as JSON
 * members (leading comma). */
enum px_err px_hai_status(struct px_ctx *ctx, struct px_buf *b) __attribute__((nonnull));
/* Checks text with the moderation rules (built-in lists plus
 * ai_moderation_rules_file). AI_CONFIG_INVALID when the file is bad. */
enum px_err px_hai_moderate(struct px_ctx *ctx, const char *text, struct px_ai_verdict *v)
	__attribute__((nonnull, warn_unused_result));

#endif
