/* ai_provider.h: THE provider interface. A provider is data (a row of the
 * providers file, or the built-in one): its kind picks the wire format,
 * the rest are its address, models, prices, timeouts and breaker. Every
 * AI feature asks a provider for one of a few tasks through px_ai_run and
 * for vectors through px_ai_embed; the built-in provider answers them
 * locally, the others over HTTP (ai_wire.h builds and reads the bodies).
 * API keys are read from a file or an environment variable when the
 * providers are loaded, kept only in memory, and never logged, returned
 * or put in an error's details. */
#ifndef PX_AI_PROVIDER_H
#define PX_AI_PROVIDER_H

#include "ai/ai_types.h"
#include "core/err.h"

#include <stddef.h>

/* A set of providers, loaded once and shared read-only by the workers
 * (only the breakers change, under their own locks). */
struct px_ai_set {
	struct px_ai_provider *v;
	size_t n;
};

/* Loads the providers file (JSON, docs/AI.md) at path; NULL or "" gives
 * the built-in provider alone. The built-in one is always there, named
 * "builtin". AI_CONFIG_INVALID with *why (static text naming the field,
 * never a key) on a bad file. Free with px_ai_set_free. */
enum px_err px_ai_set_load(const char *path, struct px_ai_set *set, const char **why)
	__attribute__((nonnull(2, 3), warn_unused_result));
/* Loads from JSON text instead (tests); same rules. */
enum px_err px_ai_set_parse(const char *json, struct px_ai_set *set, const char **why)
	__attribute__((nonnull, warn_unused_result));
void px_ai_set_free(struct px_ai_set *set) __attribute__((nonnull));
/* The provider called name, or NULL. */
struct px_ai_provider *px_ai_set_find(const struct px_ai_set *set, const char *name)
	__attribute__((nonnull));

/* Runs a task. PX_OK with a->text; the HTTP errors of ai_http.h;
 * AI_PROVIDER_UNAVAILABLE while the breaker is open; AI_BAD_RESPONSE for
 * an answer that is not the wire format (truncated JSON, invalid UTF-8, a
 * stream cut before its end); AI_NOT_SUPPORTED for a task the provider
 * cannot do. a is filled as far as it got; free it with px_ai_answer_free. */
enum px_err px_ai_run(struct px_ai_provider *p, const struct px_ai_req *q,
		      struct px_ai_answer *a) __attribute__((nonnull, warn_unused_result));
/* Embeds text into out (cap floats); *dim gets the length. Errors as
 * px_ai_run; AI_NOT_SUPPORTED for Anthropic (no embeddings API). */
enum px_err px_ai_embed(struct px_ai_provider *p, const char *text, float *out, int cap,
			int *dim, struct px_ai_answer *a) __attribute__((nonnull, warn_unused_result));
void px_ai_answer_init(struct px_ai_answer *a) __attribute__((nonnull));
void px_ai_answer_free(struct px_ai_answer *a) __attribute__((nonnull));
/* Cost of a call in currency units. */
double px_ai_cost(const struct px_ai_provider *p, long tokens_in, long tokens_out)
	__attribute__((nonnull));
const char *px_ai_kind_name(enum px_ai_kind k);

#endif
