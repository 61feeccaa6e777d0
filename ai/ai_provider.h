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

#include "ai/ai_breaker.h"
#include "core/buf.h"
#include "core/err.h"

#include <stddef.h>

enum px_ai_kind { PX_AI_BUILTIN, PX_AI_OPENAI, PX_AI_ANTHROPIC, PX_AI_GEMINI };

enum px_ai_task {
	PX_AI_TASK_SUMMARY,    /* summarise the items, citing their ids */
	PX_AI_TASK_ANSWER,     /* answer question from the items, citing ids */
	PX_AI_TASK_TRANSLATE,  /* translate the one item into lang */
};

struct px_ai_provider {
	char name[64];
	enum px_ai_kind kind;
	char base_url[512];       /* no trailing slash */
	char chat_model[128];
	char embed_model[128];
	char *key;                /* NULL when none; wiped and freed with the set */
	double price_in_1k;       /* currency units per 1000 input tokens */
	double price_out_1k;
	long timeout_ms, connect_timeout_ms;
	int retries;
	long backoff_base_ms, max_wait_ms;
	size_t max_response;
	int local;                /* runs on this machine or network ("local providers only") */
	int stream;               /* ask for a streamed answer (SSE) */
	struct px_ai_breaker breaker;
};

/* One message given to a task: its id (cited as [#id]), author, text. */
struct px_ai_item {
	long long id;
	const char *author;
	const char *text;
};

/* Gets each piece of a streamed answer as it arrives. */
typedef void (*px_ai_delta_fn)(void *arg, const char *p, size_t n);

struct px_ai_req {
	enum px_ai_task task;
	const struct px_ai_item *items;
	size_t n;
	const char *question;     /* TASK_ANSWER */
	const char *lang;         /* TASK_TRANSLATE: target language tag */
	int max_tokens;
	px_ai_delta_fn on_delta;  /* NULL: not streamed to anyone */
	void *arg;
};

struct px_ai_answer {
	struct px_buf text;       /* the answer, valid UTF-8 */
	struct px_buf sent;       /* exactly the bytes sent to the provider ("" for built-in) */
	long tokens_in, tokens_out;
	char model[128];
	int attempts;
	int http_status;
};

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
