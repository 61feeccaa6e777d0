/* waker.h: one NOTIFY for a batch of commits.
 *
 * A notifying transaction holds PostgreSQL's notification lock through its
 * commit, WAL flush included, so one notice per post would make posts
 * commit one at a time. The request workers' sessions say
 * px.wake = 'after_commit' (px_emit then does not notify, sql/170) and poke
 * this process's waker after every request that may have written; its
 * thread sends one NOTIFY px_events for every poke that came since the
 * last, at most one every PX_WAKER_WINDOW_MS. A wake-up lost with a killed
 * process only delays events until the readers' safety fetch: they are
 * durable and are read by id. */
#ifndef PX_WAKER_H
#define PX_WAKER_H

/* The coalescing window: added latency at most, notices per second at most
 * 1000 / this, per process. */
#define PX_WAKER_WINDOW_MS 2

/* Starts the thread with a connection of its own (conninfo is copied);
 * 0, or -1 when it could not start (sessions then keep notifying in their
 * transactions). Later calls do nothing. */
int px_waker_start(const char *conninfo) __attribute__((nonnull, warn_unused_result));
/* 1 when the thread runs: only then may sessions skip their notices. */
int px_waker_running(void);
/* Asks for a wake-up after what this thread just committed; cheap, from any
 * thread; nothing when the waker does not run. */
void px_waker_poke(void);
/* Sends what is due and ends the thread (after the workers ended). */
void px_waker_stop(void);

#endif
