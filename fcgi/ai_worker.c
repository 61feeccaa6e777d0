/* ai_worker.c: the embedding thread (ai_worker.h). It drains the queue in
 * batches while there is work and otherwise polls every 200 ms; a
 * database failure backs off for a second. When idle it also keeps the
 * approximate index of ask up to date. About once a second it asks the
 * moderation provider again about posts it did not answer for in time
 * (handlers/ai_recheck.h). */
#include "fcgi/ai_worker.h"
#include "handlers/ai_ann.h"
#include "handlers/ai_embed.h"
#include "handlers/ai_recheck.h"
#include "core/db.h"
#include "core/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 500
#define INDEX_EVERY_S 5   /* how often an idle worker checks the index */
#define INDEX_RETRY_S 600 /* after a failed build */
#define INDEX_DB_RETRY_S 30
#define RECHECK_BATCH 4   /* a remote call each: keep the embedding going */

struct px_ai_worker {
	pthread_t thread;
	struct px_app *app;
	struct px_db *db;
};

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* With the queue drained: builds or updates the approximate index when it
 * is due (handlers/ai_ann.h); new messages wait in the queue meanwhile.
 * Returns the seconds until the next check: a failed build (a full disk,
 * a folder it may not write) is not retried at once, as it costs a core;
 * a database that is away is asked again sooner. */
static int maintain_index(struct px_ai_worker *w)
{
	struct px_snap_ref *ref = NULL;
	const struct px_cfg *cfg = px_app_cfg_acquire(w->app, &ref);
	int built = 0, wait;
	enum px_err e = px_hai_ann_maintain(w->db, cfg, &built);

	px_app_cfg_release(w->app, ref);
	if (e == PX_OK)
		return INDEX_EVERY_S;
	wait = e == PX_E_SYSTEM_DB_UNAVAILABLE ? INDEX_DB_RETRY_S : INDEX_RETRY_S;
	px_log_warn("ai", NULL, "ann index check failed: %s; next try in %d s", px_err_name(e),
		    wait);
	return wait;
}

/* Asks the moderation provider again about due posts. */
static void recheck(struct px_ai_worker *w)
{
	struct px_snap_ref *ref = NULL;
	const struct px_cfg *cfg = px_app_cfg_acquire(w->app, &ref);
	int done = 0;
	enum px_err e = px_hai_recheck_batch(w->db, cfg, RECHECK_BATCH, &done);

	px_app_cfg_release(w->app, ref);
	if (e != PX_OK)
		px_log_warn("ai", NULL, "moderation recheck failed: %s", px_err_name(e));
}

/* One batch of embeddings; with the queue drained, the sweep that queues
 * vectors of the wrong model again. 1 when the queue may hold more. */
static int embed(struct px_ai_worker *w, struct px_hai_embed_state *st)
{
	struct px_snap_ref *ref = NULL;
	const struct px_cfg *cfg = px_app_cfg_acquire(w->app, &ref);
	int done = 0, more = 0;
	long queued = 0;
	enum px_err e = px_hai_embed_batch(w->db, cfg, st, BATCH, &done);

	if (e == PX_OK && done > 0)
		more = 1;
	else if (e == PX_OK && (e = px_hai_embed_sweep(w->db, cfg, st, &queued)) == PX_OK)
		more = queued > 0;
	px_app_cfg_release(w->app, ref);
	if (e != PX_OK) {
		px_log_warn("ai", NULL, "embedding batch failed: %s", px_err_name(e));
		nap(1000);
	}
	return more;
}

static void *run(void *arg)
{
	struct px_ai_worker *w = arg;
	struct px_hai_embed_state st;
	time_t next_check = 0, next_recheck = 0;

	memset(&st, 0, sizeof(st));
	while (!atomic_load(&w->app->stopping)) {
		if (time(NULL) >= next_recheck) {
			recheck(w);
			next_recheck = time(NULL) + 1;
		}
		if (!embed(w, &st)) {
			if (time(NULL) >= next_check)
				next_check = time(NULL) + maintain_index(w);
			nap(200);
		}
	}
	return NULL;
}

struct px_ai_worker *px_ai_worker_start(struct px_app *app, const char *conninfo)
{
	struct px_ai_worker *w = calloc(1, sizeof(*w));

	if (!w || !(w->db = px_db_new(conninfo)))
		goto fail;
	w->app = app;
	if (pthread_create(&w->thread, NULL, run, w) != 0)
		goto fail;
	return w;
fail:
	px_log_error("ai", NULL, "the embedding worker could not start");
	if (w && w->db)
		px_db_free(w->db);
	free(w);
	return NULL;
}

void px_ai_worker_stop(struct px_ai_worker *w)
{
	if (!w)
		return;
	pthread_join(w->thread, NULL);
	px_db_free(w->db);
	free(w);
}
