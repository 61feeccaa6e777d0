/* notifier.c: the notification sender's thread (see notifier.h). It reads
 * the interval from the live config once a second, so a reload takes
 * effect at once, and keeps its own database connection, dropped after a
 * connection error and made again at the next pass. */
#include "fcgi/notifier.h"
#include "fcgi/app.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/log.h"
#include "model/notify_run.h"

#include <unistd.h>

/* Runs one pass when due; returns the connection to keep (NULL: none). */
static struct px_db *pass(struct px_notifier *n, const struct px_cfg *cfg, struct px_db *db)
{
	struct px_m_notify_stats st;
	enum px_err e;

	if (!db && !(db = px_db_new(n->conninfo)))
		return NULL;
	e = px_m_notify_run(db, cfg, &st);
	if (e != PX_OK) {
		px_log_warn("notify", NULL, "sender pass failed: %s", px_err_name(e));
		if (e == PX_E_SYSTEM_DB_UNAVAILABLE) {
			px_db_free(db);
			db = NULL;
		}
	} else if (st.digests || st.mail_failed || st.pushed || st.push_failed) {
		px_log_info("notify", NULL, "digests %d (%d notifications, %d failed), pushes %d"
			    " (%d failed)", st.digests, st.mailed, st.mail_failed, st.pushed,
			    st.push_failed);
	}
	return db;
}

static void *notifier_main(void *arg)
{
	struct px_notifier *n = arg;
	struct px_db *db = NULL;
	long long waited = 0;

	while (!n->app->stopping) {
		struct px_snap_ref *ref;
		const struct px_cfg *cfg;
		long long every;

		px_app_maybe_reload(n->app);
		cfg = px_app_cfg_acquire(n->app, &ref);
		every = px_cfg_int(cfg, "notify_interval_seconds");
		if (every > 0 && waited >= every) {
			db = pass(n, cfg, db);
			waited = 0;
		}
		px_app_cfg_release(n->app, ref);
		sleep(1);
		waited++;
	}
	px_db_free(db);
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
