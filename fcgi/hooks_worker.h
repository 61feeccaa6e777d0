/* hooks_worker.h: the threads of plexichat.fcgi that send queued outgoing
 * webhooks (hooks_senders of them per process). Each has its own database
 * connection, LISTENs on px_hooks (the enqueue trigger notifies it) and
 * polls once a second for retries that came due. */
#ifndef PX_HOOKS_WORKER_H
#define PX_HOOKS_WORKER_H

struct px_app;
struct px_hooks_workers;

/* Starts n sender threads (n 0: none, returns NULL). They stop when
 * app->stopping is set; px_hooks_workers_join waits for them and frees. */
struct px_hooks_workers *px_hooks_workers_start(struct px_app *app, const char *conninfo,
						int n);
void px_hooks_workers_join(struct px_hooks_workers *w);

#endif
