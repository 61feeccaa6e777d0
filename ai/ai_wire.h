/* ai_wire.h: the wire formats: the prompt a task becomes, and the request
 * and answer bodies of OpenAI-compatible chat completions and embeddings
 * (also llama.cpp's server, Ollama and vLLM), Anthropic Messages and
 * Gemini generateContent / embedContent, streamed (SSE) or not. Answers
 * are parsed strictly: truncated JSON, invalid UTF-8 or a missing field
 * is AI_BAD_RESPONSE. */
#ifndef PX_AI_WIRE_H
#define PX_AI_WIRE_H

#include "ai/ai_types.h"
#include "core/err.h"

/* The system and user text of a task for a chat model. The items are
 * data between markers; the system text says so and forbids following
 * instructions found in them. */
void px_ai_wire_prompt(const struct px_ai_req *q, struct px_buf *sys, struct px_buf *user)
	__attribute__((nonnull));

/* The URL and body of a chat call; *auth gets the key's header line
 * ("" when no key), which the caller wipes after use. AI_NOT_SUPPORTED
 * for the built-in kind. */
enum px_err px_ai_wire_chat(const struct px_ai_provider *p, const char *sys, const char *user,
			    int max_tokens, int stream, struct px_buf *url, struct px_buf *body,
			    struct px_buf *auth) __attribute__((nonnull));
/* Reads a whole (unstreamed) chat answer into a. */
enum px_err px_ai_wire_chat_answer(enum px_ai_kind k, const char *body, size_t n,
				   struct px_ai_answer *a) __attribute__((nonnull));

/* The state of one streamed answer, fed by px_ai_wire_stream_event. */
struct px_ai_wire_stream {
	enum px_ai_kind kind;
	struct px_ai_answer *a;
	px_ai_delta_fn fn;
	void *arg;
	int done;                 /* the format's end marker came */
	int bad;                  /* an event was not the format */
};
/* An ai_sse.h callback: one event of a stream; non-0 stops it (bad). */
int px_ai_wire_stream_event(void *arg, const char *event, const char *data, size_t n);

/* URL and body of an embeddings call; AI_NOT_SUPPORTED for Anthropic and
 * the built-in kind. */
enum px_err px_ai_wire_embed(const struct px_ai_provider *p, const char *text,
			     struct px_buf *url, struct px_buf *body, struct px_buf *auth)
	__attribute__((nonnull));
/* Reads an embeddings answer: at most cap floats into out, *dim the count. */
enum px_err px_ai_wire_embed_answer(enum px_ai_kind k, const char *body, size_t n, float *out,
				    int cap, int *dim, struct px_ai_answer *a)
	__attribute__((nonnull));

#endif
