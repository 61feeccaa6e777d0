/* notifier.h: the thread of plexichat.fcgi that runs the notification
 * sender (model/notify_run.h) every notify_interval_seconds. Every process
 * has one; a database lock lets one pass run at a time. */
#ifndef PX_NOTIFIER_H
#define PX_NOTIFIER_H

#include <pthread.h>

struct px_app;

struct px_notifier {
	struct px_app *app;
	char *conninfo;       /* borrowed: lives as long as the thread */
	pthread_t thread;
	int started;
};

/* Starts the thread; 0, or -1 (logged) when it could not start. */
int px_notifier_start(struct px_notifier *n, struct px_app *app, char *conninfo)
	__attribute__((nonnull, warn_unused_result));
/* Waits for the thread to end: call after app->stopping is set. */
void px_notifier_join(struct px_notifier *n) __attribute__((nonnull));

#endif
