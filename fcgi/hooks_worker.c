/* hooks_worker.c: sender threads for outgoing webhooks and plugins' events. A thread sends
 * batches while there are due deliveries, then sleeps on its connection's
 * socket until the enqueue trigger's NOTIFY or a second passes. */
#include "fcgi/hooks_worker.h"
#include "fcgi/app.h"
#include "handlers/hooks_send.h"
#include "handlers/plugin_events.h"
#include "core/db.h"
#include "core/htmlmeta.h"
#include "core/log.h"

#include <curl/curl.h>
#include <poll.h>
#include <stdlib.h>

#define BATCH 16

struct px_hooks_workers {
	struct px_app *app;
	const char *conninfo;
	int n;
	pthread_t th[];
};

/* Waits up to ms for a notification on px_hooks. */
static void wait_notify(struct px_db *db, int ms)
{
	PGconn *c = px_db_conn(db);
	struct pollfd p;
	PGnotify *n;
	int had = 0;

	/* the batch's own queries may have read a notification already */
	while (c && (n = PQnotifies(c))) {
		PQfreemem(n);
		had = 1;
	}
	if (had)
		return;
	if (!c || PQsocket(c) < 0) {
		poll(NULL, 0, ms);
		return;
	}
	p.fd = PQsocket(c);
	p.events = POLLIN;
	if (poll(&p, 1, ms) > 0 && PQconsumeInput(c))
		while ((n = PQnotifies(c)))
			PQfreemem(n);
}

static void *sender_main(void *arg)
{
	struct px_hooks_workers *w = arg;
	struct px_db *db = px_db_new(w->conninfo);
	int listening = 0;

	if (!db) {
		px_log_error("hooks", NULL, "sender start failed");
		return NULL;
	}
	while (!w->app->stopping) {
		struct px_snap_ref *ref;
		const struct px_cfg *cfg = px_app_cfg_acquire(w->app, &ref);
		int n = px_hooks_send_batch(db, cfg, BATCH), k = 0;

		/* plugins' events share the queue's wake-up (sql/161); their
		 * schedules are looked at on every round, at least each second */
		if (w->app->plugins) {
			k = px_plugin_events_batch(w->app->plugins, db, cfg, BATCH);
			if (px_plugin_schedules_run(w->app->plugins, db, cfg) < 0)
				k = -1;
		}
		px_app_cfg_release(w->app, ref);
		if (n > 0 || k > 0)
			continue;
		if (n < 0 || k < 0)
			listening = 0;   /* the connection may be new: LISTEN again */
		if (!listening)
			listening = px_db_exec(db, "LISTEN px_hooks", 0, NULL, NULL) == PX_OK;
		wait_notify(db, 1000);
	}
	px_db_free(db);
	return NULL;
}

struct px_hooks_workers *px_hooks_workers_start(struct px_app *app, const char *conninfo,
						int n)
{
	struct px_hooks_workers *w;
	int i;

	if (n <= 0 || !(w = calloc(1, sizeof(*w) + (size_t)n * sizeof(pthread_t))))
		return NULL;
	curl_global_init(CURL_GLOBAL_ALL);
	px_htmlmeta_init();      /* link previews parse pages in these threads */
	w->app = app;
	w->conninfo = conninfo;
	for (i = 0; i < n; i++) {
		if (pthread_create(&w->th[i], NULL, sender_main, w) != 0)
			break;
		w->n++;
	}
	px_log_info("hooks", NULL, "%d webhook sender thread(s)", w->n);
	return w;
}

void px_hooks_workers_join(struct px_hooks_workers *w)
{
	int i;

	if (!w)
		return;
	for (i = 0; i < w->n; i++)
		pthread_join(w->th[i], NULL);
	free(w);
}
