/* heartbeat.c: the node registry's heartbeat thread (heartbeat.h). */
#include "fcgi/heartbeat.h"
#include "fcgi/app.h"
#include "config.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/log.h"
#include "core/node.h"
#include "model/nodes.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct px_heartbeat {
	struct px_app *app;
	struct px_db *db;
	pthread_t thread;
	int schema;           /* the newest migration this build ships */
	char caps[128];       /* PostgreSQL text[] literal */
};

/* The highest NNN of sql_dir/NNN_*.sql: the schema this node was built
 * for (the database may be newer during a rolling upgrade). */
static int newest_migration(const char *sql_dir)
{
	DIR *d = opendir(sql_dir);
	struct dirent *e;
	int best = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		int v = atoi(e->d_name);
		size_t n = strlen(e->d_name);

		if (v > best && n > 4 && strcmp(e->d_name + n - 4, ".sql") == 0)
			best = v;
	}
	closedir(d);
	return best;
}

static void beat(struct px_heartbeat *hb, const struct px_cfg *cfg, int *was_ok)
{
	struct px_m_node n = { px_node_id(), px_node_address(), PACKAGE_VERSION, hb->caps,
			       px_node_started(), hb->schema };
	int draining = 0, before = px_node_draining();
	enum px_err e = px_m_nodes_beat(hb->db, &n, (int)px_cfg_int(cfg, "node_expire_seconds"),
					&draining);

	if (e != PX_OK) {
		if (*was_ok)
			px_log_warn("cluster", NULL, "heartbeat failed: %s", px_err_name(e));
		*was_ok = 0;
		return;
	}
	if (!*was_ok)
		px_log_info("cluster", NULL, "node %s registered", px_node_id());
	*was_ok = 1;
	px_node_set_draining(draining);
	if (draining != before)
		px_log_info("cluster", NULL, "node %s %s", px_node_id(),
			    draining ? "draining: streams end, readiness answers 503" : "undrained");
}

static void *hb_main(void *arg)
{
	struct px_heartbeat *hb = arg;
	time_t next = 0;
	int ok = 0;

	while (!hb->app->stopping) {
		struct px_snap_ref *ref;
		const struct px_cfg *cfg = px_app_cfg_acquire(hb->app, &ref);
		time_t now = time(NULL);

		if (now >= next) {
			beat(hb, cfg, &ok);
			next = now + px_cfg_int(cfg, "node_heartbeat_seconds");
		}
		px_app_cfg_release(hb->app, ref);
		/* a short sleep, so that a stop is noticed quickly */
		usleep(200 * 1000);
	}
	return NULL;
}

struct px_heartbeat *px_heartbeat_start(struct px_app *app, const char *conninfo)
{
	struct px_heartbeat *hb = calloc(1, sizeof(*hb));
	struct px_snap_ref *ref;
	const struct px_cfg *cfg;

	if (!hb || !(hb->db = px_db_new(conninfo)))
		goto fail;
	hb->app = app;
	cfg = px_app_cfg_acquire(app, &ref);
	hb->schema = newest_migration(px_cfg_str(cfg, "sql_dir"));
	snprintf(hb->caps, sizeof(hb->caps), "{api,events,files-%s,%s}",
		 px_cfg_str(cfg, "files_store"), px_cfg_str(cfg, "files_send"));
	px_app_cfg_release(app, ref);
	if (pthread_create(&hb->thread, NULL, hb_main, hb) != 0)
		goto fail;
	return hb;
fail:
	px_log_error("cluster", NULL, "cannot start the heartbeat; this node is not registered");
	if (hb)
		px_db_free(hb->db);
	free(hb);
	return NULL;
}

void px_heartbeat_stop(struct px_heartbeat *hb)
{
	if (!hb)
		return;
	pthread_join(hb->thread, NULL);
	if (px_m_nodes_remove(hb->db, px_node_id()) != PX_OK)
		px_log_warn("cluster", NULL, "node row not removed; it expires by itself");
	px_db_free(hb->db);
	free(hb);
}
