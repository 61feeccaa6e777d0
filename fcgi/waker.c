/* waker.c: the coalescing NOTIFY thread (see waker.h). */
#include "fcgi/waker.h"
#include "core/db.h"
#include "core/log.h"
#include "model/events.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A connection unused this long is closed: under mod_fcgid dozens of
 * processes each have a waker, and an idle connection apiece would eat into
 * max_connections. The next poke opens it again. */
#define IDLE_CLOSE_S 10

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int started, stopping;       /* guarded by lock */
	atomic_int due;              /* a poke came since the last notice */
	atomic_int running;
	pthread_t thread;
	char *conninfo;
	struct px_db *db;            /* the thread's only; NULL while idle */
} waker = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

/* Sends one notice; says so once when they start failing and when they
 * work again (readers fall back on their safety fetch meanwhile). */
static void notify(int *failing)
{
	if (!waker.db)
		waker.db = px_db_new(waker.conninfo);
	if (!waker.db || px_m_events_wake(waker.db) != PX_OK) {
		if (!*failing)
			px_log_warn("events", NULL, "wake-up notice failed; readers catch up on "
				    "their own within seconds");
		*failing = 1;
	} else if (*failing) {
		px_log_info("events", NULL, "wake-up notices work again");
		*failing = 0;
	}
}

static void *waker_main(void *arg)
{
	const struct timespec window = { 0, PX_WAKER_WINDOW_MS * 1000000L };
	int failing = 0, stop = 0;

	(void)arg;
	while (!stop) {
		struct timespec idle;
		int rc = 0;

		clock_gettime(CLOCK_REALTIME, &idle);
		idle.tv_sec += IDLE_CLOSE_S;
		pthread_mutex_lock(&waker.lock);
		while (!atomic_load(&waker.due) && !waker.stopping && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&waker.cond, &waker.lock, &idle);
		stop = waker.stopping;
		pthread_mutex_unlock(&waker.lock);
		if (rc == ETIMEDOUT && !atomic_load(&waker.due)) {
			px_db_free(waker.db);
			waker.db = NULL;
		}
		if (atomic_exchange(&waker.due, 0)) {
			notify(&failing);
			/* pokes of the next window share the next notice */
			if (!stop)
				nanosleep(&window, NULL);
		}
	}
	return NULL;
}

int px_waker_start(const char *conninfo)
{
	int rc = 0;

	pthread_mutex_lock(&waker.lock);
	if (waker.started)
		goto out;
	rc = -1;
	waker.conninfo = strdup(conninfo);
	if (!waker.conninfo)
		goto out;
	if (pthread_create(&waker.thread, NULL, waker_main, NULL) != 0) {
		free(waker.conninfo);
		waker.conninfo = NULL;
		goto out;
	}
	waker.started = 1;
	atomic_store(&waker.running, 1);
	rc = 0;
out:
	pthread_mutex_unlock(&waker.lock);
	return rc;
}

int px_waker_running(void)
{
	return atomic_load(&waker.running);
}

void px_waker_poke(void)
{
	if (!atomic_load(&waker.running) || atomic_exchange(&waker.due, 1))
		return;
	/* under the lock: the thread is either before its check of due or
	 * waiting, never between the two */
	pthread_mutex_lock(&waker.lock);
	pthread_cond_signal(&waker.cond);
	pthread_mutex_unlock(&waker.lock);
}

void px_waker_stop(void)
{
	pthread_mutex_lock(&waker.lock);
	if (!waker.started) {
		pthread_mutex_unlock(&waker.lock);
		return;
	}
	waker.stopping = 1;
	pthread_cond_signal(&waker.cond);
	pthread_mutex_unlock(&waker.lock);
	pthread_join(waker.thread, NULL);
	atomic_store(&waker.running, 0);
	px_db_free(waker.db);
	waker.db = NULL;
	free(waker.conninfo);
	waker.conninfo = NULL;
	waker.started = 0;
}
