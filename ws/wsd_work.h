/* wsd_work.h: plexichat-ws's frame worker (ws/wsd.h). Internal to ws/.
 *
 * The requests that client frames stand for (typing, read markers) run on
 * one worker thread with a database connection of its own, so that a
 * commit waiting for the disk never stalls the loop: while it waits, the
 * loop keeps serving every other socket and fetching events. One thread
 * and one queue keep each socket's frames in the order they came.
 *
 * Ownership: a job is the loop's until px_wsd_work_submit, the worker's
 * until it is handed back by px_wsd_work_done, then the loop's again. The
 * worker touches only the job's request and response and the app's shared
 * state (as plexichat.fcgi's workers do), never the socket; the loop keeps
 * a socket with jobs in flight (conn.jobs) until they came back. */
#ifndef PX_WSD_WORK_H
#define PX_WSD_WORK_H

#include "core/http.h"
#include "fcgi/app.h"

struct conn;

struct px_wsd_job {
	struct px_wsd_job *next;
	struct conn *c;          /* the socket it came from; read by the loop only */
	struct px_request req;
	struct px_response resp;
	enum px_err pre;         /* what building the request found */
	char *ref;               /* the frame's "ref" as JSON text, or NULL */
	int unknown;             /* neither typing nor read */
	int skip;                /* its socket is closing: not run (set under the lock) */
};

struct px_wsd_work;

/* Starts the worker with its own connection; NULL when out of memory or
 * the thread could not start. */
struct px_wsd_work *px_wsd_work_new(struct px_app *app, const char *conninfo)
	__attribute__((nonnull, warn_unused_result));
/* The descriptor that becomes readable when jobs are done. */
int px_wsd_work_fd(const struct px_wsd_work *w) __attribute__((nonnull));
/* Queues j (the worker's from now on). */
void px_wsd_work_submit(struct px_wsd_work *w, struct px_wsd_job *j)
	__attribute__((nonnull));
/* Jobs still queued for socket c are not run (their socket closes). */
void px_wsd_work_skip(struct px_wsd_work *w, const struct conn *c) __attribute__((nonnull));
/* The finished jobs, oldest first (the caller's to free), or NULL. */
struct px_wsd_job *px_wsd_work_done(struct px_wsd_work *w) __attribute__((nonnull));
void px_wsd_job_free(struct px_wsd_job *j);
/* Stops the thread; jobs not handed back are freed. */
void px_wsd_work_free(struct px_wsd_work *w);

#endif
