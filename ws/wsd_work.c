/* wsd_work.c: the frame worker (ws/wsd_work.h). */
#include "ws/wsd_work.h"
#include "fcgi/pipeline.h"
#include "core/db.h"
#include "core/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct px_wsd_work {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct px_wsd_job *queue, **queue_tail;   /* guarded by lock */
	struct px_wsd_job *done, **done_tail;   /* guarded by lock */
	int stopping;                            /* guarded by lock */
	int efd;
	struct px_app *app;
	struct px_db *db;                        /* the worker thread's only */
	pthread_t thread;
};

void px_wsd_job_free(struct px_wsd_job *j)
{
	if (!j)
		return;
	px_request_clear(&j->req);
	px_response_clear(&j->resp);
	free(j->ref);
	free(j);
}

static void free_list(struct px_wsd_job *j)
{
	while (j) {
		struct px_wsd_job *next = j->next;

		px_wsd_job_free(j);
		j = next;
	}
}

static struct px_wsd_job *take(struct px_wsd_work *w)
{
	struct px_wsd_job *j = NULL;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping && !w->queue)
		pthread_cond_wait(&w->cond, &w->lock);
	if (!w->stopping) {
		j = w->queue;
		w->queue = j->next;
		if (!w->queue)
			w->queue_tail = &w->queue;
		/* out of the queue: px_wsd_work_skip no longer reaches it, so
		 * skip is settled (a skip after this comes too late, as it would
		 * have for a frame the loop ran itself) */
		j->next = NULL;
	}
	pthread_mutex_unlock(&w->lock);
	return j;
}

static void give_back(struct px_wsd_work *w, struct px_wsd_job *j)
{
	uint64_t one = 1;

	pthread_mutex_lock(&w->lock);
	*w->done_tail = j;
	w->done_tail = &j->next;
	pthread_mutex_unlock(&w->lock);
	if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		px_log_warn("ws", NULL, "frame worker wake-up failed");
}

static void *work_main(void *arg)
{
	struct px_wsd_work *w = arg;
	struct px_wsd_job *j;

	while ((j = take(w))) {
		if (j->skip) {
			j->resp.status = 0;
		} else if (j->pre == PX_E_SYSTEM_INTERNAL) {
			j->resp.status = 500;
		} else {
			px_app_maybe_reload(w->app);
			px_pipeline_run(w->app, w->db, &j->req, &j->resp, j->pre);
		}
		give_back(w, j);
	}
	return NULL;
}

struct px_wsd_work *px_wsd_work_new(struct px_app *app, const char *conninfo)
{
	struct px_wsd_work *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->queue_tail = &w->queue;
	w->done_tail = &w->done;
	w->app = app;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->db = px_db_new(conninfo);
	if (w->efd < 0 || !w->db || pthread_create(&w->thread, NULL, work_main, w) != 0) {
		if (w->efd >= 0)
			close(w->efd);
		px_db_free(w->db);
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		free(w);
		return NULL;
	}
	return w;
}

int px_wsd_work_fd(const struct px_wsd_work *w)
{
	return w->efd;
}

void px_wsd_work_submit(struct px_wsd_work *w, struct px_wsd_job *j)
{
	j->next = NULL;
	pthread_mutex_lock(&w->lock);
	*w->queue_tail = j;
	w->queue_tail = &j->next;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void px_wsd_work_skip(struct px_wsd_work *w, const struct conn *c)
{
	struct px_wsd_job *j;

	pthread_mutex_lock(&w->lock);
	for (j = w->queue; j; j = j->next)
		if (j->c == c)
			j->skip = 1;
	pthread_mutex_unlock(&w->lock);
}

struct px_wsd_job *px_wsd_work_done(struct px_wsd_work *w)
{
	struct px_wsd_job *list;
	uint64_t n;

	if (read(w->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		px_log_debug("ws", NULL, "frame worker counter unread");
	pthread_mutex_lock(&w->lock);
	list = w->done;
	w->done = NULL;
	w->done_tail = &w->done;
	pthread_mutex_unlock(&w->lock);
	return list;
}

void px_wsd_work_free(struct px_wsd_work *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	free_list(w->queue);
	free_list(w->done);
	close(w->efd);
	px_db_free(w->db);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}
