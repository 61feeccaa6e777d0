/* app.h: the long-lived state one plexichat.fcgi process shares between its
 * worker threads: the live config snapshot (swapped atomically on reload),
 * the stop flag and the shared engines (WAF, templates). */
#ifndef PX_APP_H
#define PX_APP_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#include "core/cfg.h"
#include "core/snap.h"

struct px_tmpl_cache;
struct px_vcache;
struct px_wafmw;
struct px_ratelease;

struct px_app {
	pthread_mutex_t lock;
	struct px_snap *cfg;          /* struct px_cfg */
	char *cfg_path;               /* NULL: defaults and environment only */
	time_t last_check;            /* guarded by lock */
	long long bad_stamp;          /* stamp of a file that failed to load */
	/* set by the signal thread, read by every worker */
	atomic_int reload_requested;
	atomic_int stopping;
	int listen_fd;
	unsigned long served;          /* requests answered (atomic) */
	struct px_tmpl_cache *tmpl;   /* page templates, shared by all workers */
	struct px_vcache *pages;      /* latest pages of channels (core/vcache.h) */
	struct px_vcache *auth;       /* recent token lookups (fcgi/authmw.c); NULL: off */
	struct px_wafmw *waf;         /* WAF rules, IP lists, automatic blocks */
	struct px_ratelease *rl;      /* rate-limit tokens leased to this process */
};

/* Loads the first snapshot and the shared engines; -1 with
 * "path:line: key: reason" in err. */
int px_app_init(struct px_app *app, const char *cfg_path, struct px_buf *err)
	__attribute__((warn_unused_result));
void px_app_free(struct px_app *app);

/* The current config, held until released; never NULL after init. */
const struct px_cfg *px_app_cfg_acquire(struct px_app *app, struct px_snap_ref **ref);
void px_app_cfg_release(struct px_app *app, struct px_snap_ref *ref);

/* Between requests: reloads when SIGHUP asked for it or the file changed
 * (checked at most once a second), and lets the WAF reload its rules. A
 * broken file is logged with its key and line and the old snapshot stays. */
void px_app_maybe_reload(struct px_app *app);

#endif
