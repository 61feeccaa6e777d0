/* app.c: config snapshot ownership and live reload for one process. */
#include "fcgi/app.h"
#include "fcgi/wafmw.h"
#include "handlers/plugin_host.h"
#include "core/log.h"
#include "core/ratelease.h"
#include "web/tmpl.h"
#include "core/vcache.h"

#include <stdlib.h>
#include <string.h>

/* Token lookups kept: about 300 bytes each, so at most ~1.2 MiB. */
#define PX_AUTH_CACHE_SLOTS 4096
#define PX_AUTH_CACHE_BYTES 512

static void cfg_free(void *p)
{
	px_cfg_free(p);
}

int px_app_init(struct px_app *app, const char *cfg_path, struct px_buf *err)
{
	struct px_cfg *cfg = NULL;

	memset(app, 0, sizeof(*app));
	app->listen_fd = -1;
	pthread_mutex_init(&app->lock, NULL);
	if (cfg_path && !(app->cfg_path = strdup(cfg_path)))
		return -1;
	if (px_cfg_load(cfg_path, &cfg, err) != 0)
		return -1;
	app->cfg = px_snap_new(cfg, cfg_free);
	if (!app->cfg) {
		px_cfg_free(cfg);
		return -1;
	}
	app->last_check = time(NULL);
	app->tmpl = px_tmpl_cache_new(px_cfg_str(cfg, "templates_dir"),
				      px_cfg_bool(cfg, "dev_mode"));
	if (!app->tmpl)
		return -1;
	app->rl = px_ratelease_new(8192);
	app->pages = px_vcache_new((unsigned)px_cfg_int(cfg, "message_page_cache"),
				   PX_PAGE_CACHE_BYTES, PX_PAGE_CACHE_SECONDS);
	if (px_cfg_int(cfg, "auth_cache_seconds") > 0 &&
	    !(app->auth = px_vcache_new(PX_AUTH_CACHE_SLOTS, PX_AUTH_CACHE_BYTES,
					(int)px_cfg_int(cfg, "auth_cache_seconds"))))
		return -1;
	app->waf = px_wafmw_new(cfg, err);
	app->plugins = px_plugin_host_new(px_cfg_str(cfg, "plugins_user"),
					   px_cfg_str(cfg, "db_conninfo"));
	return app->waf && app->rl && app->pages && app->plugins ? 0 : -1;
}

void px_app_free(struct px_app *app)
{
	px_wafmw_free(app->waf);
	px_ratelease_free(app->rl);
	px_vcache_free(app->pages);
	px_vcache_free(app->auth);
	px_plugin_host_free(app->plugins);
	px_snap_free(app->cfg);
	px_tmpl_cache_free(app->tmpl);
	free(app->cfg_path);
	pthread_mutex_destroy(&app->lock);
}

const struct px_cfg *px_app_cfg_acquire(struct px_app *app, struct px_snap_ref **ref)
{
	return px_snap_acquire(app->cfg, ref);
}

void px_app_cfg_release(struct px_app *app, struct px_snap_ref *ref)
{
	px_snap_release(app->cfg, ref);
}

/* Decides under the lock whether a look is due (once a second); returns 2
 * when a config reload is due, 1 when only the periodic checks are. */
static int check_due(struct px_app *app, const struct px_cfg *cur)
{
	time_t now = time(NULL);
	long long stamp;
	int due = 0;

	pthread_mutex_lock(&app->lock);
	if (atomic_exchange(&app->reload_requested, 0)) {
		due = 2;
	} else if (now != app->last_check) {
		app->last_check = now;
		due = 1;
		stamp = app->cfg_path ? px_cfg_file_stamp(app->cfg_path) : -1;
		if (stamp >= 0 && stamp != px_cfg_stamp(cur) && stamp != app->bad_stamp)
			due = 2;
	}
	pthread_mutex_unlock(&app->lock);
	return due;
}

static void reload_config(struct px_app *app)
{
	struct px_buf err = PX_BUF_INIT;
	struct px_cfg *cfg = NULL;

	if (px_cfg_load(app->cfg_path, &cfg, &err) != 0) {
		px_log_error("config", NULL, "reload refused, keeping the old configuration: %s",
			     err.data ? err.data : "out of memory");
		/* remember the broken file so it is not re-read every second */
		pthread_mutex_lock(&app->lock);
		app->bad_stamp = app->cfg_path ? px_cfg_file_stamp(app->cfg_path) : 0;
		pthread_mutex_unlock(&app->lock);
		goto out;
	}
	px_log_open(px_cfg_str(cfg, "log_file"),
		    (enum px_log_level)px_log_level_parse(px_cfg_str(cfg, "log_level")));
	px_wafmw_configure(app->waf, cfg);
	if (px_snap_swap(app->cfg, cfg) != 0) {
		px_cfg_free(cfg);
		goto out;
	}
	px_log_info("config", NULL, "configuration reloaded");
out:
	px_buf_free(&err);
}

int px_app_cfg_exposed(struct px_app *app, const char *docroot)
{
	int known = atomic_load(&app->cfg_exposed), exposed;
	char *cfg, *root;
	size_t n;

	if (known)
		return known == 2;
	if (!app->cfg_path || !docroot || !*docroot)
		return 0;
	cfg = realpath(app->cfg_path, NULL);
	root = realpath(docroot, NULL);
	n = root ? strlen(root) : 0;
	exposed = cfg && root && strncmp(cfg, root, n) == 0 &&
		  (cfg[n] == '/' || (n > 0 && root[n - 1] == '/'));
	if (exposed)
		px_log_error("config", NULL, "%s is inside the document root %s, where the web "
			     "server could send it to anyone: every request is refused until "
			     "it is moved out (docs/APACHE.md)", cfg, root);
	/* a root that cannot be resolved now is looked at again next time */
	if (root)
		atomic_store(&app->cfg_exposed, exposed ? 2 : 1);
	free(cfg);
	free(root);
	return exposed;
}

void px_app_maybe_reload(struct px_app *app)
{
	struct px_snap_ref *ref;
	const struct px_cfg *cur = px_app_cfg_acquire(app, &ref);
	int due = check_due(app, cur);

	px_app_cfg_release(app, ref);
	if (due == 2)
		reload_config(app);
	if (due >= 1)
		px_wafmw_maybe_reload(app->waf);
}
