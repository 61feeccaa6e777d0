/* ai_sse.h: an incremental Server-Sent Events parser for provider streams.
 * Bytes go in as they arrive, split anywhere; each complete event's data
 * (its "data:" lines joined by "\n") goes to a callback. Lines end in LF
 * or CRLF; comments and other fields are skipped. A line or event longer
 * than max stops the parse, so a hostile stream cannot grow memory. */
#ifndef PX_AI_SSE_H
#define PX_AI_SSE_H

#include "core/buf.h"

#include <stddef.h>

/* Gets one event's data (NUL-terminated, n bytes) and its "event:" name
 * ("" when none); returns 0 to go on, non-0 to stop. */
typedef int (*px_ai_sse_fn)(void *arg, const char *event, const char *data, size_t n);

struct px_ai_sse {
	struct px_buf line;   /* the unfinished line */
	struct px_buf data;   /* the unfinished event's data */
	char event[64];
	size_t max;
	int events;           /* events delivered */
};

void px_ai_sse_init(struct px_ai_sse *s, size_t max) __attribute__((nonnull));
void px_ai_sse_free(struct px_ai_sse *s) __attribute__((nonnull));
/* Feeds n bytes; 0 on success, the callback's non-0 value when it
 * stopped, -1 when a line or event passed max (or memory ran out). */
int px_ai_sse_feed(struct px_ai_sse *s, const char *p, size_t n, px_ai_sse_fn fn, void *arg)
	__attribute__((nonnull(1, 4)));
/* 1 when bytes of an unfinished event are pending (the stream was cut). */
int px_ai_sse_pending(const struct px_ai_sse *s) __attribute__((nonnull));

#endif
