/* notifier.c: the notification sender's thread (see notifier.h). It reads
 * the interval from the live config once a second, so a reload takes
 * effect at once. Each pass opens its own database connection and closes
 * it after: under mod_fcgid dozens of processes each have this thread, and
 * an idle connection apiece would eat into max_connections. */
#include "fcgi/notifier.h"
#include "fcgi/app.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/log.h"
#include "model/notify_run.h"

#include <unistd.h>

/* Runs one pass on a connection of its own. */
static void pass(struct px_notifier *n, const struct px_cfg *cfg)
{
	struct px_db *db = px_db_new(n->conninfo);
	struct px_m_notify_stats st;
	enum px_err e;

	if (!db)
		return;
	e = px_m_notify_run(db, cfg, &st);
	if (e != PX_OK) {
		px_log_warn("notify", NULL, "sender pass failed: %s", px_err_name(e));
	} else if (st.digests || st.mail_failed || st.pushed || st.push_failed) {
		px_log_info("notify", NULL, "digests %d (%d notifications, %d failed), pushes %d"
			    " (%d failed)", st.digests, st.mailed, st.mail_failed, st.pushed,
			    st.push_failed);
	}
	px_db_free(db);
}

static void *notifier_main(void *arg)
{
	struct px_notifier *n = arg;
	long long waited = 0;

	while (!n->app->stopping) {
		struct px_snap_ref *ref;
		const struct px_cfg *cfg;
		long long every;

		px_app_maybe_reload(n->app);
		cfg = px_app_cfg_acquire(n->app, &ref);
		every = px_cfg_int(cfg, "notify_interval_seconds");
		if (every > 0 && waited >= every) {
			pass(n, cfg);
			waited = 0;
		}
		px_app_cfg_release(n->app, ref);
		sleep(1);
		waited++;
	}
	return NULL;
}

int px_notifier_start(struct px_notifier *n, struct px_app *app, char *conninfo)
{
	n->app = app;
	n->conninfo = conninfo;
	n->started = pthread_create(&n->thread, NULL, notifier_main, n) == 0;
	if (!n->started)
		px_log_error("notify", NULL, "notification sender thread did not start");
	return n->started ? 0 : -1;
}

void px_notifier_join(struct px_notifier *n)
{
	if (n->started)
		pthread_join(n->thread, NULL);
	n->started = 0;
}
