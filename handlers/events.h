/* events.h: the messaging side of GET /api/v1/events: request parameters,
 * who may see which event, the SSE and long-poll wire formats, and the
 * catch-up read from the event log. The waiting itself lives in the
 * process's event hub (fcgi/events_hub.c). */
#ifndef PX_H_EVENTS_H
#define PX_H_EVENTS_H

#include <stddef.h>

#include "core/ctx.h"
#include "model/events.h"

/* Longest long-poll wait, in seconds. */
#define PX_EVENTS_MAX_WAIT 25

struct px_events_req {
	int poll;            /* 1: long-poll (after=ID given), 0: SSE */
	long long cursor;    /* last event id the client has; -1: from now */
	int limit;           /* long-poll: most events per answer */
	int wait;            /* long-poll: seconds to wait, 0..25 */
};

/* Reads after / Last-Event-ID / last_event_id, limit and wait.
 * VALIDATION_INVALID_CURSOR, VALIDATION_LIMIT_RANGE. */
enum px_err px_h_events_params(struct px_ctx *ctx, struct px_events_req *r)
	__attribute__((warn_unused_result));

/* Channel membership of one subscriber: a sorted id set. */
struct px_chanset {
	long long *ids;
	size_t n, cap;
};

int px_chanset_has(const struct px_chanset *s, long long id);
/* Inserts or removes id; 0 or -1 on memory. */
int px_chanset_add(struct px_chanset *s, long long id);
void px_chanset_remove(struct px_chanset *s, long long id);
void px_chanset_free(struct px_chanset *s);

/* Whether user (with channels s) may see ev, keeping s in step with the
 * user's own membership events (joined adds the channel before the check,
 * left removes it after). */
int px_h_events_visible(struct px_chanset *s, long long user, const struct px_m_event *ev);

/* Appends one SSE frame: "id: N\nevent: kind\ndata: json\n\n". */
void px_h_events_sse_frame(struct px_buf *out, long long id, const char *kind,
			   const char *json, size_t n);
/* Long-poll body: {"events":[items],"last_event_id":cursor}; items is the
 * comma-joined event JSON (may be empty). */
void px_h_events_poll_body(struct px_buf *out, const struct px_buf *items,
			   long long cursor);

/* Reads the log after *cursor for user into sse frames (sse = 1) or
 * comma-joined JSON items (sse = 0), at most limit events; moves *cursor
 * past everything read (including events the user may not see, up to the
 * committed head when the log is exhausted). *got gets the number of
 * events appended. */
enum px_err px_h_events_catch_up(struct px_db *db, long long user, int sse, int limit,
				 long long *cursor, struct px_buf *out, int *got)
	__attribute__((warn_unused_result));

#endif
