/* ai_sse.c: the incremental SSE parser (ai_sse.h). */
#include "ai/ai_sse.h"

#include <string.h>

void px_ai_sse_init(struct px_ai_sse *s, size_t max)
{
	px_buf_init(&s->line);
	px_buf_init(&s->data);
	s->event[0] = '\0';
	s->max = max;
	s->events = 0;
}

void px_ai_sse_free(struct px_ai_sse *s)
{
	px_buf_free(&s->line);
	px_buf_free(&s->data);
}

/* Handles one complete line (without its end); 0, callback's value, -1. */
static int line(struct px_ai_sse *s, const char *l, size_t n, px_ai_sse_fn fn, void *arg)
{
	const char *v;
	size_t fl, vl;
	int rc;

	if (n && l[n - 1] == '\r')
		n--;
	if (n == 0) {
		if (s->data.len == 0 && !s->event[0])
			return 0;
		rc = fn(arg, s->event, s->data.data ? s->data.data : "", s->data.len);
		s->events++;
		px_buf_reset(&s->data);
		s->event[0] = '\0';
		return rc;
	}
	if (l[0] == ':')
		return 0;
	v = memchr(l, ':', n);
	fl = v ? (size_t)(v - l) : n;
	v = v ? v + 1 : l + n;
	vl = n - (size_t)(v - l);
	if (vl && *v == ' ')
		v++, vl--;
	if (fl == 4 && memcmp(l, "data", 4) == 0) {
		if (s->data.len)
			px_buf_putc(&s->data, '\n');
		px_buf_append(&s->data, v, vl);
		if (s->data.failed || s->data.len > s->max)
			return -1;
	} else if (fl == 5 && memcmp(l, "event", 5) == 0) {
		if (vl >= sizeof(s->event))
			vl = sizeof(s->event) - 1;
		memcpy(s->event, v, vl);
		s->event[vl] = '\0';
	}
	return 0;
}

int px_ai_sse_feed(struct px_ai_sse *s, const char *p, size_t n, px_ai_sse_fn fn, void *arg)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;
		int rc;

		if (!nl) {
			px_buf_append(&s->line, p, k);
			return s->line.failed || s->line.len > s->max ? -1 : 0;
		}
		if (s->line.len) {
			px_buf_append(&s->line, p, k);
			if (s->line.failed || s->line.len > s->max)
				return -1;
			rc = line(s, s->line.data, s->line.len, fn, arg);
			px_buf_reset(&s->line);
		} else {
			if (k > s->max)
				return -1;
			rc = line(s, p, k, fn, arg);
		}
		if (rc)
			return rc;
		p += k + 1;
		n -= k + 1;
	}
	return 0;
}

int px_ai_sse_pending(const struct px_ai_sse *s)
{
	return s->line.len > 0 || s->data.len > 0;
}
