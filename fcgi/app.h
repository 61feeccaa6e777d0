/* app.h: the long-lived state one plexichat.fcgi process shares between its
 * worker threads: the live config snapshot (swapped atomically on reload),
 * the stop flag and the shared engines (WAF, templates). */
#ifndef PX_APP_H
#define PX_APP_H

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "core/cfg.h"

struct cfg_ref;
struct px_tmpl_cache;

struct px_app {
	pthread_mutex_t lock;
	struct cfg_ref *cur;          /* guarded by lock */
	char *cfg_path;               /* NULL: defaults and environment only */
	time_t last_check;            /* guarded by lock */
	long long bad_stamp;          /* stamp of a file that failed to load */
	volatile sig_atomic_t reload_requested;
	volatile sig_atomic_t stopping;
	int listen_fd;
	struct px_tmpl_cache *tmpl;   /* page templates, shared by all workers */
};

/* Loads the first snapshot; -1 with "path:line: key: reason" in err. */
int px_app_init(struct px_app *app, const char *cfg_path, struct px_buf *err)
	__attribute__((warn_unused_result));
void px_app_free(struct px_app *app);

/* The current snapshot, held until released; never NULL after init. */
struct cfg_ref *px_app_cfg_acquire(struct px_app *app);
const struct px_cfg *px_app_cfg(const struct cfg_ref *ref);
void px_app_cfg_release(struct px_app *app, struct cfg_ref *ref);

/* Between requests: reloads when SIGHUP asked for it or the file's mtime
 * changed (checked at most once a second). A broken file is logged with
 * its key and line and the old snapshot stays. */
void px_app_maybe_reload(struct px_app *app);

#endif
