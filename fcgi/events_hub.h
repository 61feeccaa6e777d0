/* events_hub.h: real-time delivery for one plexichat.fcgi process.
 *
 * One PostgreSQL connection per process LISTENs for event and typing
 * notices; one hub thread reads each new event once, keeps the recent ones
 * in a ring, and writes them to every waiting subscriber (SSE streams and
 * long-polls). A waiting request does not hold a worker thread or a
 * database connection: after its catch-up, GET /api/v1/events hands its
 * FastCGI connection to the hub and the worker returns to accept. Once the
 * hub holds a request it says so: a newline ahead of a long-poll's JSON,
 * ": waiting" on a stream. */
#ifndef PX_EVENTS_HUB_H
#define PX_EVENTS_HUB_H

/* Internal to fcgi/: the hub and its detached connections. */

#include <stddef.h>

#include "core/ctx.h"
#include "handlers/events.h"

struct px_app;

/* A FastCGI connection taken over from libfcgi after a request's headers
 * went out: the hub writes FCGI_STDOUT records and ends it itself. */
struct px_hub_conn {
	int fd;
	int request_id;
};

/* Takes the request's connection out of libfcgi's hands (its buffered
 * output flushed); the worker then finishes without ending the request.
 * -1 when the response is not a FastCGI one (plain CGI). */
int px_hub_conn_detach(struct px_response *resp, struct px_hub_conn *c)
	__attribute__((nonnull));
/* Writes n bytes as FCGI_STDOUT records; 0, or -1 when the peer is gone
 * or stalled for more than a second. */
int px_hub_conn_write(struct px_hub_conn *c, const void *p, size_t n)
	__attribute__((nonnull(1)));
/* Ends the request (empty STDOUT, END_REQUEST) and closes the descriptor. */
void px_hub_conn_end(struct px_hub_conn *c) __attribute__((nonnull));

/* Seconds a stream's row in event_streams lives unless the hub renews it;
 * the rows of a process that died lapse after this. */
#define PX_HUB_LEASE_SECONDS 90

/* What a request hands over when it starts waiting. */
struct px_hub_wait {
	struct px_hub_conn conn;
	long long user;
	long long stream;        /* its row in event_streams; the hub removes it */
	long long cursor;        /* every event <= cursor has been dealt with */
	struct px_chanset chans; /* owned by the hub from now on */
	int sse;
	int limit;               /* long-poll: most events per answer */
	int seconds;             /* long-poll: wait; SSE: longest life */
};

/* Starts the hub once per process (later calls do nothing). 0 or -1. */
int px_hub_start(struct px_app *app, const char *conninfo, int retention_hours,
		 int max_waiters) __attribute__((nonnull));
/* How often the hub marks the users of its open streams as seen, and how
 * often a quiet SSE stream gets a keep-alive comment (seconds). */
void px_hub_set_intervals(int presence_s, int ping_s);
/* Starts the hub with the request's config (px_hub_start). PX_OK or
 * SYSTEM_INTERNAL. */
enum px_err px_hub_ensure(struct px_ctx *ctx) __attribute__((nonnull));
/* 1 while the hub's connection listens, so that every change made anywhere
 * reaches px_gen_bump (core/gen.h); 0 before it started, while it
 * reconnects and after it stopped. */
int px_hub_hearing(void);
/* Takes one of the process's max_waiters places for a request that is
 * about to wait, before it answers anything. SYSTEM_UNAVAILABLE when all
 * are taken, SYSTEM_SHUTTING_DOWN when stopping, SYSTEM_DRAINING while the
 * node drains (core/node.h). A place taken is given
 * back with px_hub_unreserve, or passed on by a successful px_hub_add. */
enum px_err px_hub_reserve(void) __attribute__((warn_unused_result));
void px_hub_unreserve(void);
/* Hands w, and the place reserved for it, to the hub; from then on the hub
 * ends the request and removes w->stream. SYSTEM_SHUTTING_DOWN when
 * stopping, SYSTEM_INTERNAL when out of memory; on error w and the place
 * are still the caller's. */
enum px_err px_hub_add(const struct px_hub_wait *w)
	__attribute__((nonnull, warn_unused_result));

#endif
