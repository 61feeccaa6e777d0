/* app.c: config snapshot ownership and live reload for one process. */
#include "app.h"
#include "core/log.h"
#include "core/tmpl.h"

#include <stdlib.h>
#include <string.h>

struct cfg_ref {
	struct px_cfg *cfg;
	int refs; /* requests holding it, plus 1 while current */
};

static struct cfg_ref *ref_new(struct px_cfg *cfg)
{
	struct cfg_ref *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cfg = cfg;
	r->refs = 1;
	return r;
}

/* Drops one reference; locked by the caller. */
static void ref_put(struct cfg_ref *r)
{
	if (--r->refs == 0) {
		px_cfg_free(r->cfg);
		free(r);
	}
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
	app->cur = ref_new(cfg);
	if (!app->cur) {
		px_cfg_free(cfg);
		return -1;
	}
	app->last_check = time(NULL);
	app->tmpl = px_tmpl_cache_new(px_cfg_str(cfg, "templates_dir"),
				      px_cfg_bool(cfg, "dev_mode"));
	return app->tmpl ? 0 : -1;
}

void px_app_free(struct px_app *app)
{
	if (app->cur)
		ref_put(app->cur);
	px_tmpl_cache_free(app->tmpl);
	free(app->cfg_path);
	pthread_mutex_destroy(&app->lock);
}

struct cfg_ref *px_app_cfg_acquire(struct px_app *app)
{
	struct cfg_ref *r;

	pthread_mutex_lock(&app->lock);
	r = app->cur;
	r->refs++;
	pthread_mutex_unlock(&app->lock);
	return r;
}

const struct px_cfg *px_app_cfg(const struct cfg_ref *ref)
{
	return ref->cfg;
}

void px_app_cfg_release(struct px_app *app, struct cfg_ref *ref)
{
	pthread_mutex_lock(&app->lock);
	ref_put(ref);
	pthread_mutex_unlock(&app->lock);
}

/* Decides under the lock whether a reload is due; returns 1 to reload. */
static int reload_due(struct px_app *app)
{
	time_t now = time(NULL);
	long long stamp;
	int due = 0;

	pthread_mutex_lock(&app->lock);
	if (app->reload_requested) {
		app->reload_requested = 0;
		due = 1;
	} else if (app->cfg_path && now != app->last_check) {
		app->last_check = now;
		stamp = px_cfg_file_stamp(app->cfg_path);
		if (stamp >= 0 && stamp != px_cfg_stamp(app->cur->cfg) &&
		    stamp != app->bad_stamp)
			due = 1;
	}
	pthread_mutex_unlock(&app->lock);
	return due;
}

void px_app_maybe_reload(struct px_app *app)
{
	struct px_buf err = PX_BUF_INIT;
	struct px_cfg *cfg = NULL;
	struct cfg_ref *fresh, *old;

	if (!reload_due(app))
		return;
	if (px_cfg_load(app->cfg_path, &cfg, &err) != 0) {
		px_log_error("config", NULL, "reload refused, keeping the old configuration: %s",
			     err.data ? err.data : "out of memory");
		/* remember the broken file so it is not re-read every second */
		pthread_mutex_lock(&app->lock);
		app->bad_stamp = app->cfg_path ? px_cfg_file_stamp(app->cfg_path) : 0;
		pthread_mutex_unlock(&app->lock);
		goto out;
	}
	fresh = ref_new(cfg);
	if (!fresh) {
		px_cfg_free(cfg);
		goto out;
	}
	pthread_mutex_lock(&app->lock);
	old = app->cur;
	app->cur = fresh;
	ref_put(old);
	pthread_mutex_unlock(&app->lock);
	px_log_open(px_cfg_str(cfg, "log_file"),
		    (enum px_log_level)px_log_level_parse(px_cfg_str(cfg, "log_level")));
	px_log_info("config", NULL, "configuration reloaded");
out:
	px_buf_free(&err);
}
