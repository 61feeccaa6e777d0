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
struct px_ws_hook;

struct px_app {
	pthread_mutex_t lock;
	struct px_snap *cfg;          /* struct px_cfg */
	char *cfg_path;               /* NULL: defaults and environment only */
	time_t last_check;            /* guarded by lock */
	long long bad_stamp;          /* stamp of a file that failed to load */
	/* set by the signal thread, read by every worker: C11 atomics, not
	 * volatile sig_atomic_t, because signals are taken by sigtimedwait()
	 * in a thread, never by a handler */
	atomic_int reload_requested;
	atomic_int stopping;
	int listen_fd;
	atomic_ulong served;          /* requests answered: raised by every
				       * worker, read by the main thread */
	struct px_tmpl_cache *tmpl;   /* page templates, shared by all workers */
	struct px_vcache *pages;      /* latest pages of channels (core/vcache.h) */
	struct px_vcache *auth;       /* recent token lookups (fcgi/authmw.c); NULL: off */
	struct px_wafmw *waf;         /* WAF rules, IP lists, automatic blocks */
	struct px_ratelease *rl;      /* rate-limit tokens leased to this process */
	struct px_plugin_host *plugins; /* enabled plugins (handlers/plugin_host.h) */
	atomic_int cfg_exposed;       /* 0 not checked yet, 1 safe, 2 inside
				       * the document root (px_app_cfg_exposed) */
	/* plexichat-ws only: takes over an accepted WebSocket upgrade
	 * (fcgi/events_ws.h); NULL in plexichat.fcgi */
	const struct px_ws_hook *ws;
};

/* Loads the first snapshot and the shared engines into app (cfg_path NULL:
 * defaults and environment); -1 with "path:line: key: reason" in err.
 * Either way px_app_free releases what app holds. */
int px_app_init(struct px_app *app, const char *cfg_path, struct px_buf *err)
	__attribute__((nonnull(1, 3), warn_unused_result));
/* Frees what app holds (app itself is the caller's); no worker may run. */
void px_app_free(struct px_app *app) __attribute__((nonnull));

/* The current config, held until px_app_cfg_release(app, *ref); never
 * NULL after init. The snapshot is shared: never free it. */
const struct px_cfg *px_app_cfg_acquire(struct px_app *app, struct px_snap_ref **ref)
	__attribute__((nonnull));
void px_app_cfg_release(struct px_app *app, struct px_snap_ref *ref)
	__attribute__((nonnull));

/* 1 when the configuration file lies inside docroot (the web server's
 * DOCUMENT_ROOT), where a web server could send it to anyone: the process
 * then refuses every request (logged once), so that the mistake is seen
 * before the file is. Decided at the first request with a document root
 * (symbolic links resolved) and remembered; 0 without a file or root. */
int px_app_cfg_exposed(struct px_app *app, const char *docroot) __attribute__((nonnull(1)));

/* Between requests: reloads when SIGHUP asked for it or the file changed
 * (checked at most once a second), and lets the WAF reload its rules. A
 * broken file is logged with its key and line and the old snapshot stays. */
void px_app_maybe_reload(struct px_app *app) __attribute__((nonnull));

#endif
