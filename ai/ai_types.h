/* ai_types.h: the data the AI modules share: a provider's row, the items
 * and request of a task, and an answer. Types only; ai_provider.h has the
 * functions. */
#ifndef PX_AI_TYPES_H
#define PX_AI_TYPES_H

#include "ai/ai_breaker.h"
#include "core/buf.h"

#include <stddef.h>

enum px_ai_kind { PX_AI_BUILTIN, PX_AI_OPENAI, PX_AI_ANTHROPIC, PX_AI_GEMINI };

enum px_ai_task {
	PX_AI_TASK_SUMMARY,    /* summarise the items, citing their ids */
	PX_AI_TASK_ANSWER,     /* answer question from the items, citing ids */
	PX_AI_TASK_TRANSLATE,  /* translate the one item into lang */
	PX_AI_TASK_MODERATE,   /* classify the one item: "OK" or "FLAG category" */
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
	long timeout_ms;          /* > 0: overrides the provider's, without retries */
};

struct px_ai_answer {
	struct px_buf text;       /* the answer, valid UTF-8 */
	struct px_buf sent;       /* exactly the bytes sent to the provider ("" for built-in) */
	long tokens_in, tokens_out;
	char model[128];
	int attempts;
	int http_status;
};

#endif
