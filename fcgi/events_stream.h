/* events_stream.h: the handler of GET /api/v1/events, which catches a
 * request up from the event log and hands it to the hub
 * (fcgi/events_hub.h) when it must wait. */
#ifndef PX_EVENTS_STREAM_H
#define PX_EVENTS_STREAM_H

#include "core/ctx.h"

/* The handler of GET /api/v1/events: SSE (Last-Event-ID or last_event_id
 * resumes), or long-poll with after=ID (waits up to wait=25 seconds).
 * Errors: VALIDATION_INVALID_CURSOR, VALIDATION_LIMIT_RANGE,
 * VALIDATION_EVENTS_PRUNED (long-poll from before the kept log),
 * SECURITY_TOO_MANY_STREAMS (the user or the client address holds its
 * events_max_streams_per_* already), SYSTEM_UNAVAILABLE (the process holds
 * events_max_waiters), SYSTEM_SHUTTING_DOWN. */
enum px_err px_events_hub_get(struct px_ctx *ctx) __attribute__((nonnull));

#endif
