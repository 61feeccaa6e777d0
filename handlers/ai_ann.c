/* ai_ann.c: the index as the server uses it (ai_ann.h). The mapped index
 * is this module's own process-wide state: one snapshot holder (readers
 * keep the index they acquired while a newer one is swapped in) and the
 * identity of the file it came from, both behind one mutex. */
#include "handlers/ai_ann.h"
#include "ai/ai_builtin.h"
#include "core/log.h"
#include "core/snap.h"
#include "model/ai_ann.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* --- the mapped index ------------------------------------------------------ */

static struct {
	pthread_mutex_t lock;
	struct px_snap *snap;      /* holds a struct px_ai_ann *, or NULL */
	char path[4096];           /* the file the snapshot came from */
	struct stat st;            /* its identity when mapped (st_ino 0: none) */
	time_t checked;            /* last look at the file */
} held = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void free_index(void *p)
{
	px_ai_ann_free(p);
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* With held.lock: maps path again when it is another file than the one
 * held (a rebuild renamed a new one over it) or has gone. */
static void refresh(const char *path)
{
	struct px_ai_ann *ix = NULL;
	struct stat st;
	const char *why = NULL;

	memset(&st, 0, sizeof(st));
	if (stat(path, &st) != 0)
		memset(&st, 0, sizeof(st));
	if (strcmp(path, held.path) == 0 && same_file(&st, &held.st))
		return;
	if (st.st_ino && !(ix = px_ai_ann_open(path, &why)))
		px_log_warn("ai", NULL, "ann index %s not used: %s", path, why);
	if (px_snap_swap(held.snap, ix) != 0) {
		px_ai_ann_free(ix);
		return;
	}
	snprintf(held.path, sizeof(held.path), "%s", path);
	held.st = st;
	if (ix)
		px_log_info("ai", NULL, "ann index %s mapped", path);
}

static const struct px_ai_ann *acquire(const char *path, struct px_snap_ref **ref)
{
	time_t now = time(NULL);
	struct px_snap *s;

	pthread_mutex_lock(&held.lock);
	if (!held.snap)
		held.snap = px_snap_new(NULL, free_index);
	if (held.snap && (now != held.checked || strcmp(path, held.path) != 0)) {
		held.checked = now;
		refresh(path);
	}
	s = held.snap;
	pthread_mutex_unlock(&held.lock);
	return s ? px_snap_acquire(s, ref) : NULL;
}

static void release(struct px_snap_ref *ref)
{
	px_snap_release(held.snap, ref);
}

int px_hai_ann_path(const struct px_cfg *cfg, char *out, size_t cap)
{
	const char *f = px_cfg_str(cfg, "ai_ann_file");
	int n = *f ? snprintf(out, cap, "%s", f)
		   : snprintf(out, cap, "%s/ai-ann.idx", px_cfg_str(cfg, "data_dir"));

	return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* --- search ---------------------------------------------------------------- */

struct cands {
	struct px_ai_ann_hit *v;
	size_t n, k;
	const signed char *q;
	int dim;
};

static void put(struct cands *c, long long id, int score)
{
	size_t pos, i;

	for (i = 0; i < c->n; i++)
		if (c->v[i].id == id)
			return;    /* already there: from the newer vector */
	if (c->n == c->k && (score < c->v[c->k - 1].score ||
			     (score == c->v[c->k - 1].score && id < c->v[c->k - 1].id)))
		return;
	pos = c->n < c->k ? c->n++ : c->k - 1;
	while (pos > 0 && (c->v[pos - 1].score < score ||
			   (c->v[pos - 1].score == score && c->v[pos - 1].id < id))) {
		c->v[pos] = c->v[pos - 1];
		pos--;
	}
	c->v[pos] = (struct px_ai_ann_hit){ id, 0, score };
}

static void delta_fn(void *arg, long long id, const signed char *v, int dim)
{
	struct cands *c = arg;
	int s = 0, i;

	if (dim != c->dim)
		return;
	for (i = 0; i < dim; i++)
		s += c->q[i] * v[i];
	if (s > 0)
		put(c, id, s);
}

enum px_err px_hai_ann_search(struct px_db *db, const struct px_cfg *cfg, long long user,
			      const char *model, const signed char *q, int dim,
			      struct px_ai_ann_hit *hits, size_t k, size_t *n, int *used)
{
	struct cands c = { hits, 0, k, q, dim };
	struct px_snap_ref *ref = NULL;
	struct px_ai_ann_hit *found = NULL;
	const struct px_ai_ann *ix;
	struct px_ai_ann_info info;
	long long *chans = NULL;
	long max_delta = (long)px_cfg_int(cfg, "ai_ann_max_delta");
	size_t nch = 0, rows = 0, nf, i;
	char path[4096];
	enum px_err e = PX_OK;

	*n = 0;
	*used = 0;
	if (!px_cfg_bool(cfg, "ai_ann") || k == 0 || px_hai_ann_path(cfg, path, sizeof(path)))
		return PX_OK;
	if (!(ix = acquire(path, &ref)))
		goto out;
	px_ai_ann_info(ix, &info);
	if (info.dim != dim || strcmp(info.model, model) != 0)
		goto out;
	/* the newer vectors first, exactly; too many: the index is stale */
	if ((e = px_m_ai_ann_since(db, user, model, info.watermark, max_delta + 1, delta_fn, &c,
				   &rows)) != PX_OK || rows > (size_t)max_delta)
		goto out;
	/* membership read in SQL, applied to every index entry */
	if ((e = px_m_ai_ann_channels(db, user, &chans, &nch)) != PX_OK)
		goto out;
	if (!(found = calloc(k, sizeof(*found)))) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	nf = px_ai_ann_search(ix, q, (int)px_cfg_int(cfg, "ai_ann_nprobe"), chans, nch, found, k);
	for (i = 0; i < nf; i++)
		put(&c, found[i].id, found[i].score);
	*used = 1;
out:
	if (!*used)
		c.n = 0;
	*n = c.n;
	if (ref)
		release(ref);
	free(found);
	free(chans);
	return e;
}

/* --- building ---------------------------------------------------------------- */

struct load {
	long long *ids, *chans;
	signed char *vecs;
	size_t n, cap;
	int dim;
};

static int load_row(void *arg, long long id, long long channel, const signed char *v, int dim)
{
	struct load *l = arg;

	if (dim != l->dim)
		return 0;     /* not of this model's size: left out */
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 65536;
		long long *a = realloc(l->ids, cap * sizeof(*a)), *b;
		signed char *c;

		if (!a)
			return -1;
		l->ids = a;
		if (!(b = realloc(l->chans, cap * sizeof(*b))))
			return -1;
		l->chans = b;
		if (!(c = realloc(l->vecs, cap * (size_t)dim)))
			return -1;
		l->vecs = c;
		l->cap = cap;
	}
	l->ids[l->n] = id;
	l->chans[l->n] = channel;
	memcpy(l->vecs + l->n * (size_t)dim, v, (size_t)dim);
	l->n++;
	return 0;
}

enum job { NOTHING, UPDATE, BUILD };

/* What the index at path needs: a build when there is none (and enough
 * vectors), when its change numbers are above the database's (a restored
 * database) or when it grew by half since its lists were trained; an
 * update when ai_ann_update_after vectors were stored since. */
static enum px_err due(struct px_db *db, const struct px_cfg *cfg, const char *path,
		       enum job *job)
{
	struct px_ai_ann_info info;
	long long n = 0, top = 0;
	long min = (long)px_cfg_int(cfg, "ai_ann_min_vectors");
	long after = (long)px_cfg_int(cfg, "ai_ann_update_after");
	enum px_err e;

	*job = NOTHING;
	if (px_ai_ann_peek(path, &info) != 0 || strcmp(info.model, PX_HAI_EMBED_MODEL) != 0 ||
	    info.dim != PX_AI_BUILTIN_DIM) {
		if ((e = px_m_ai_ann_count(db, PX_HAI_EMBED_MODEL, -1, min, &n)) == PX_OK && n >= min)
			*job = BUILD;
		return e;
	}
	if ((e = px_m_ai_ann_max_seq(db, &top)) != PX_OK)
		return e;
	if (top < info.watermark) {
		*job = BUILD;
		return PX_OK;
	}
	if ((e = px_m_ai_ann_count(db, PX_HAI_EMBED_MODEL, info.watermark, after, &n)) != PX_OK ||
	    n < after)
		return e;
	*job = info.count + (size_t)n > info.trained + info.trained / 2 ? BUILD : UPDATE;
	return PX_OK;
}

/* A build (k-means and every vector) or an update (the vectors stored
 * since the current file's mark, added to its lists; a build when the
 * file cannot be mapped). */
static enum px_err run_job(struct px_db *db, const struct px_cfg *cfg, const char *path,
			   enum job job, int *built)
{
	struct load l = { NULL, NULL, NULL, 0, 0, PX_AI_BUILTIN_DIM };
	struct px_ai_ann_opt opt = { (int)px_cfg_int(cfg, "ai_ann_lists"), 0, 0, 1 };
	struct px_ai_ann *old = NULL;
	struct px_ai_ann_info info;
	struct timespec t0, t1;
	const char *why = NULL;
	long long mark = 0;
	enum px_err e;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* a file whose header reads but whose body does not is built anew */
	if (job == UPDATE && !(old = px_ai_ann_open(path, &why)))
		px_log_warn("ai", NULL, "ann index %s built again: %s", path, why);
	if (old)
		px_ai_ann_info(old, &info);
	e = px_m_ai_ann_load(db, PX_HAI_EMBED_MODEL, old ? info.watermark : -1, load_row, &l,
			     &mark);
	if (e != PX_OK || (!old && l.n == 0))
		goto out;
	{
		struct px_ai_ann_input in = { l.n, l.dim, l.ids, l.chans, l.vecs };

		rc = old ? px_ai_ann_update(old, &in, mark, path)
			 : px_ai_ann_build(&in, PX_HAI_EMBED_MODEL, mark, &opt, path);
		if (rc != 0) {
			px_log_error("ai", NULL, "ann index %s not written: %s", path, strerror(errno));
			e = PX_E_SYSTEM_INTERNAL;
			goto out;
		}
	}
	*built = 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	px_log_info("ai", NULL, "ann index %s %s: %zu vectors %s, up to change %lld, in %.1f s",
		    path, old ? "updated" : "built", l.n, old ? "added" : "indexed", mark,
		    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
out:
	px_ai_ann_free(old);
	free(l.ids);
	free(l.chans);
	free(l.vecs);
	return e;
}

enum px_err px_hai_ann_maintain(struct px_db *db, const struct px_cfg *cfg, int *built)
{
	char path[4096], lockpath[4200];
	enum job job = NOTHING;
	enum px_err e;
	int fd = -1;

	*built = 0;
	if (!px_cfg_bool(cfg, "ai_ann") || px_hai_ann_path(cfg, path, sizeof(path)))
		return PX_OK;
	if ((e = due(db, cfg, path, &job)) != PX_OK || job == NOTHING)
		return e;
	/* one builder per file: the others (other processes of this node, or
	 * other nodes sharing the file) skip this round */
	snprintf(lockpath, sizeof(lockpath), "%s.lock", path);
	if ((fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0) {
		px_log_error("ai", NULL, "ann lock %s: %s", lockpath, strerror(errno));
		return PX_E_SYSTEM_INTERNAL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
		goto out;
	/* another builder may have finished just before the lock was ours */
	if ((e = due(db, cfg, path, &job)) != PX_OK || job == NOTHING)
		goto out;
	e = run_job(db, cfg, path, job, built);
out:
	close(fd);     /* releases the lock */
	return e;
}
