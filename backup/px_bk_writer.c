/* px_bk_writer.c: the streaming chunk -> shard pipeline. The caller's
 * thread cuts chunks and names them (CDC + HMAC) and decides whether each
 * is new; new chunks go through a small bounded queue to NSEAL sealing
 * threads that compress and encrypt them and hand them to the store, one
 * at a time (store_mu), which only they use until px_bk_writer_drain. So
 * the database read, the chunking and the compression overlap, and memory
 * stays at NBUF chunk buffers. Two sealers: zstd is the largest single
 * cost, and with one sealer the pipeline waited on it while a core idled. */
#include "backup/px_bk_writer.h"
#include "core/codec.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NSEAL 2
/* One being filled, one per sealer, one queued: each is touched up to
 * the largest chunk (4 MiB), so this bounds the writer's memory at
 * NBUF + NSEAL (the sealed copies) chunk sizes, about 24 MiB. */
#define NBUF (NSEAL + 2)

struct job {
	struct px_buf data;
	unsigned char id[32];
};

struct px_bk_writer {
	struct px_bk_repo *repo;
	struct px_bk_cdc_state cdc;
	struct job jobs[NBUF];
	struct job *cur;           /* being filled by the caller */
	json_object *shards;       /* the current stream's list */
	uint64_t stream_bytes;
	struct px_bk_writer_stats st;
	void (*on_progress)(void *, uint64_t);
	void (*tick)(void *);
	void *arg;

	struct sealer {
		struct px_bk_writer *w;
		struct px_bk_codec *codec;   /* this thread's own */
		pthread_t thread;
	} sealers[NSEAL];
	int started;               /* sealer threads running */
	pthread_mutex_t mu;        /* the queue, busy, stop, err, sealed_bytes */
	pthread_mutex_t store_mu;  /* the store and the tick callback */
	pthread_cond_t cv;
	struct job *free_list[NBUF], *queue[NBUF];
	size_t nfree, qhead, qlen;
	int busy, stop;            /* busy: sealers at work */
	enum px_err err;           /* first sealing/storing error */
	uint64_t sealed_bytes;
};

/* Seals and stores one chunk. */
static enum px_err seal_one(struct sealer *me, const struct px_bk_datakey *k,
			    struct job *j, struct px_buf *sealed)
{
	struct px_bk_writer *w = me->w;
	enum px_err rc;
	char name[80];
	size_t len;

	if (px_bk_box_seal(me->codec, "PXSH", k->enc, k->id, j->id, 32,
			   j->data.data, j->data.len, 1, sealed) != 0)
		return PX_E_SYSTEM_INTERNAL;
	px_bk_shard_name(j->id, name);
	len = sealed->len;   /* the store may take the bytes */
	pthread_mutex_lock(&w->store_mu);
	rc = px_st_put_async(w->repo->store, name, sealed);
	if (rc == PX_OK && w->tick)
		w->tick(w->arg);
	pthread_mutex_unlock(&w->store_mu);
	pthread_mutex_lock(&w->mu);
	w->sealed_bytes += len;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

static void *sealer(void *arg)
{
	struct sealer *me = arg;
	struct px_bk_writer *w = me->w;
	struct px_bk_repo *r = w->repo;
	const struct px_bk_datakey *k = px_bk_keys_current(&r->keys);
	struct px_buf sealed = PX_BUF_INIT;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct job *j;
		enum px_err rc = PX_OK;

		while (!w->qlen && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->qlen)
			break;
		j = w->queue[w->qhead];
		w->qhead = (w->qhead + 1) % NBUF;
		w->qlen--;
		w->busy++;
		rc = w->err;
		pthread_mutex_unlock(&w->mu);
		if (rc == PX_OK)
			rc = seal_one(me, k, j, &sealed);
		pthread_mutex_lock(&w->mu);
		if (rc != PX_OK && w->err == PX_OK)
			w->err = rc;
		px_buf_reset(&j->data);
		w->free_list[w->nfree++] = j;
		w->busy--;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	px_buf_free(&sealed);
	return NULL;
}

struct px_bk_writer *px_bk_writer_new(struct px_bk_repo *r,
				      void (*on_progress)(void *, uint64_t),
				      void (*tick)(void *), void *arg)
{
	struct px_bk_writer *w = calloc(1, sizeof(*w));
	size_t i;

	if (!w)
		return NULL;
	w->repo = r;
	w->on_progress = on_progress;
	w->tick = tick;
	w->arg = arg;
	pthread_mutex_init(&w->mu, NULL);
	pthread_mutex_init(&w->store_mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	for (i = 0; i < NBUF; i++)
		if (px_buf_reserve(&w->jobs[i].data, r->cdc.max) != 0)
			goto fail;
	w->cur = &w->jobs[0];
	for (i = 1; i < NBUF; i++)
		w->free_list[w->nfree++] = &w->jobs[i];
	for (i = 0; i < NSEAL; i++) {
		struct sealer *sl = &w->sealers[i];

		sl->w = w;
		sl->codec = px_bk_codec_new(px_bk_codec_level(r->codec));
		if (!sl->codec || pthread_create(&sl->thread, NULL, sealer, sl) != 0)
			goto fail;
		w->started++;
	}
	return w;
fail:
	px_bk_writer_free(w);
	return NULL;
}

enum px_err px_bk_writer_drain(struct px_bk_writer *w)
{
	enum px_err rc;

	pthread_mutex_lock(&w->mu);
	while (w->qlen || w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	rc = w->err;
	w->st.bytes_stored = w->sealed_bytes;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

void px_bk_writer_free(struct px_bk_writer *w)
{
	size_t i;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < (size_t)w->started; i++)
		pthread_join(w->sealers[i].thread, NULL);
	for (i = 0; i < NSEAL; i++)
		px_bk_codec_free(w->sealers[i].codec);
	for (i = 0; i < NBUF; i++)
		px_buf_free(&w->jobs[i].data);
	json_object_put(w->shards);
	pthread_mutex_destroy(&w->mu);
	pthread_mutex_destroy(&w->store_mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}

void px_bk_writer_begin(struct px_bk_writer *w)
{
	px_bk_cdc_reset(&w->cdc);
	px_buf_reset(&w->cur->data);
	json_object_put(w->shards);
	w->shards = json_object_new_array();
	w->stream_bytes = 0;
}

static void add_ref(json_object *list, const char *hex, size_t n)
{
	json_object *ref = json_object_new_array_ext(2);

	json_object_array_add(ref, json_object_new_string(hex));
	json_object_array_add(ref, json_object_new_int64((int64_t)n));
	json_object_array_add(list, ref);
}

/* Names the current chunk; queues it for sealing unless known. */
static enum px_err emit(struct px_bk_writer *w)
{
	struct px_bk_repo *r = w->repo;
	struct job *j = w->cur;
	char hex[65];
	enum px_err rc;

	if (!j->data.len)
		return PX_OK;
	if (px_bk_repo_shard_id(r, j->data.data, j->data.len, j->id) != 0)
		return PX_E_SYSTEM_INTERNAL;
	px_codec_hex_str(hex, j->id, 32);
	add_ref(w->shards, hex, j->data.len);
	w->st.shards++;
	if (px_bk_known_has(r->known, j->id)) {
		px_buf_reset(&j->data);
	} else {
		if (px_bk_known_add(r->known, j->id) != 0)
			return PX_E_SYSTEM_INTERNAL;
		w->st.bytes_new += j->data.len;
		w->st.shards_new++;
		pthread_mutex_lock(&w->mu);
		w->queue[(w->qhead + w->qlen) % NBUF] = j;
		w->qlen++;
		pthread_cond_broadcast(&w->cv);
		while (!w->nfree && w->err == PX_OK)
			pthread_cond_wait(&w->cv, &w->mu);
		rc = w->err;
		w->cur = w->nfree ? w->free_list[--w->nfree] : NULL;
		w->st.bytes_stored = w->sealed_bytes;
		pthread_mutex_unlock(&w->mu);
		if (rc != PX_OK || !w->cur)
			return rc != PX_OK ? rc : PX_E_SYSTEM_INTERNAL;
	}
	if (w->on_progress)
		w->on_progress(w->arg, w->st.bytes_in);
	return PX_OK;
}

enum px_err px_bk_writer_write(struct px_bk_writer *w, const void *p, size_t n)
{
	const unsigned char *b = p;
	enum px_err rc;

	w->stream_bytes += n;
	w->st.bytes_in += n;
	while (n) {
		int cut;
		size_t take = px_bk_cdc_feed(&w->repo->cdc, &w->cdc, b, n, &cut);

		px_buf_append(&w->cur->data, b, take);
		if (w->cur->data.failed)
			return PX_E_SYSTEM_INTERNAL;
		b += take;
		n -= take;
		if (cut && (rc = emit(w)) != PX_OK)
			return rc;
	}
	return PX_OK;
}

enum px_err px_bk_writer_end(struct px_bk_writer *w, json_object *item)
{
	enum px_err rc = emit(w);

	if (rc != PX_OK)
		return rc;
	json_object_object_add(item, "bytes",
			       json_object_new_int64((int64_t)w->stream_bytes));
	json_object_object_add(item, "shards", w->shards);
	w->shards = NULL;
	return PX_OK;
}

void px_bk_writer_reuse(struct px_bk_writer *w, json_object *shards,
			uint64_t bytes)
{
	w->st.bytes_in += bytes;
	w->st.shards += json_object_array_length(shards);
	if (w->on_progress)
		w->on_progress(w->arg, w->st.bytes_in);
}

const struct px_bk_writer_stats *px_bk_writer_stats(const struct px_bk_writer *w)
{
	return &w->st;
}
