/* events.c: parameters, visibility and wire formats of the event stream.
 * An event's audience is the members of its channel plus the one user it
 * names (notifications, and members who joined or left). */
#include "handlers/events.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CATCH_UP_BATCH 200

enum px_err px_h_events_params(struct px_ctx *ctx, struct px_events_req *r)
{
	const char *leid = px_request_header(ctx->req, "last-event-id");
	long long after = 0, wait = PX_EVENTS_MAX_WAIT;
	enum px_err e;

	memset(r, 0, sizeof(*r));
	r->poll = px_request_query(ctx->req, "after") != NULL;
	if (r->poll && strcmp(px_request_query(ctx->req, "after"), "0") == 0)
		after = 0;
	else if ((e = px_hm_cursor(ctx, r->poll ? "after" : "last_event_id", &after)) != PX_OK)
		return e;
	if (!r->poll && leid && *leid &&
	    px_http_parse_int(leid, 0, LLONG_MAX, &after) != 0) {
		px_ctx_detail(ctx, "field", "Last-Event-ID");
		return PX_E_VALIDATION_INVALID_CURSOR;
	}
	r->cursor = r->poll || after > 0 || (leid && *leid) ? after : -1;
	if ((e = px_hm_limit(ctx, 100, 500, &r->limit)) != PX_OK ||
	    (e = px_in_query_int(ctx, "wait", 0, PX_EVENTS_MAX_WAIT,
				 PX_E_VALIDATION_FIELD_FORMAT, &wait)) != PX_OK)
		return e;
	r->wait = (int)wait;
	return PX_OK;
}

/* Index of the first element >= id. */
static size_t lower_bound(const struct px_chanset *s, long long id)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int px_chanset_has(const struct px_chanset *s, long long id)
{
	size_t i = lower_bound(s, id);

	return i < s->n && s->ids[i] == id;
}

int px_chanset_add(struct px_chanset *s, long long id)
{
	size_t i = lower_bound(s, id);

	if (i < s->n && s->ids[i] == id)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		long long *p = realloc(s->ids, cap * sizeof(*p));

		if (!p)
			return -1;
		s->ids = p;
		s->cap = cap;
	}
	memmove(s->ids + i + 1, s->ids + i, (s->n - i) * sizeof(*s->ids));
	s->ids[i] = id;
	s->n++;
	return 0;
}

void px_chanset_remove(struct px_chanset *s, long long id)
{
	size_t i = lower_bound(s, id);

	if (i < s->n && s->ids[i] == id) {
		memmove(s->ids + i, s->ids + i + 1, (s->n - i - 1) * sizeof(*s->ids));
		s->n--;
	}
}

void px_chanset_free(struct px_chanset *s)
{
	free(s->ids);
	memset(s, 0, sizeof(*s));
}

int px_h_events_visible(struct px_chanset *s, long long user, const struct px_m_event *ev)
{
	int mine = ev->user_id == user, seen;

	if (mine && ev->channel_id && strcmp(ev->kind, "member.joined") == 0)
		px_chanset_add(s, ev->channel_id);
	seen = mine || (ev->channel_id && px_chanset_has(s, ev->channel_id));
	if (mine && ev->channel_id && strcmp(ev->kind, "member.left") == 0)
		px_chanset_remove(s, ev->channel_id);
	return seen;
}

void px_h_events_sse_frame(struct px_buf *out, long long id, const char *kind,
			   const char *json, size_t n)
{
	if (id > 0)
		px_buf_printf(out, "id: %lld\n", id);
	px_buf_printf(out, "event: %s\ndata: ", kind);
	/* JSON text from the database holds no raw newlines */
	px_buf_append(out, json, n);
	px_buf_puts(out, "\n\n");
}

void px_h_events_poll_body(struct px_buf *out, const struct px_buf *items,
			   long long cursor)
{
	px_buf_puts(out, "{\"events\":[");
	if (items->len)
		px_buf_append(out, items->data, items->len);
	px_buf_printf(out, "],\"last_event_id\":%lld}", cursor);
}

struct catch_up {
	int sse;
	long long last;
	struct px_buf *out;
	int got;
};

static int take(void *arg, const struct px_m_event *ev)
{
	struct catch_up *c = arg;

	if (c->sse) {
		px_h_events_sse_frame(c->out, ev->id, ev->kind, ev->json, ev->json_len);
	} else {
		if (c->got)
			px_buf_putc(c->out, ',');
		px_buf_append(c->out, ev->json, ev->json_len);
	}
	c->last = ev->id;
	c->got++;
	return 0;
}

enum px_err px_h_events_catch_up(struct px_db *db, long long user, int sse, int limit,
				 long long *cursor, struct px_buf *out, int *got)
{
	struct catch_up c = { sse, *cursor, out, 0 };
	long long head = 0;
	enum px_err e;
	int n = 0;

	do {
		int batch = limit - c.got < CATCH_UP_BATCH ? limit - c.got : CATCH_UP_BATCH;

		e = px_m_events_for_user(db, user, c.last, batch, take, &c, &n, &head);
		if (e != PX_OK)
			return e;
		if (n < batch && head > c.last)
			c.last = head;
	} while (n == CATCH_UP_BATCH && c.got < limit);
	*cursor = c.last;
	*got = c.got;
	return out->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}
