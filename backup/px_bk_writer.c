/* px_bk_writer.c: the streaming chunk -> shard pipeline. */
#include "px_bk_writer.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct px_bk_writer {
	struct px_bk_repo *repo;
	struct px_bk_cdc_state cdc;
	struct px_buf chunk;     /* bytes of the shard being cut */
	struct px_buf sealed;
	json_object *shards;     /* the current stream's list */
	EVP_MD_CTX *sha;
	uint64_t stream_bytes;
	struct px_bk_writer_stats st;
	void (*on_progress)(void *, uint64_t);
	void *arg;
};

struct px_bk_writer *px_bk_writer_new(struct px_bk_repo *r,
				      void (*on_progress)(void *, uint64_t),
				      void *arg)
{
	struct px_bk_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->repo = r;
	w->on_progress = on_progress;
	w->arg = arg;
	w->sha = EVP_MD_CTX_new();
	if (!w->sha || px_buf_reserve(&w->chunk, r->cdc.max) != 0) {
		px_bk_writer_free(w);
		return NULL;
	}
	return w;
}

void px_bk_writer_free(struct px_bk_writer *w)
{
	if (!w)
		return;
	px_buf_free(&w->chunk);
	px_buf_free(&w->sealed);
	json_object_put(w->shards);
	EVP_MD_CTX_free(w->sha);
	free(w);
}

void px_bk_writer_begin(struct px_bk_writer *w)
{
	px_bk_cdc_reset(&w->cdc);
	px_buf_reset(&w->chunk);
	json_object_put(w->shards);
	w->shards = json_object_new_array();
	w->stream_bytes = 0;
	EVP_DigestInit_ex(w->sha, EVP_sha256(), NULL);
}

static void add_ref(json_object *list, const char *hex, size_t n)
{
	json_object *ref = json_object_new_array_ext(2);

	json_object_array_add(ref, json_object_new_string(hex));
	json_object_array_add(ref, json_object_new_int64((int64_t)n));
	json_object_array_add(list, ref);
}

/* Stores the current chunk as a shard (unless known) and empties it. */
static enum px_err emit(struct px_bk_writer *w)
{
	struct px_bk_repo *r = w->repo;
	const struct px_bk_datakey *k = px_bk_keys_current(&r->keys);
	unsigned char id[32];
	char hex[65], name[80];
	enum px_err rc;

	if (!w->chunk.len)
		return PX_OK;
	if (px_bk_repo_shard_id(r, w->chunk.data, w->chunk.len, id) != 0)
		return PX_E_SYSTEM_INTERNAL;
	px_bk_hex(id, 32, hex);
	add_ref(w->shards, hex, w->chunk.len);
	w->st.shards++;
	if (!px_bk_known_has(r->known, id)) {
		if (px_bk_box_seal(r->codec, "PXSH", k->enc, k->id, id, 32,
				   w->chunk.data, w->chunk.len, 1,
				   &w->sealed) != 0)
			return PX_E_SYSTEM_INTERNAL;
		px_bk_shard_name(id, name);
		w->st.bytes_stored += w->sealed.len;
		w->st.bytes_new += w->chunk.len;
		w->st.shards_new++;
		/* the store takes the buffer; keep ours for the next shard */
		rc = px_bk_put_async(r->store, name, &w->sealed);
		if (rc != PX_OK)
			return rc;
		if (px_bk_known_add(r->known, id) != 0)
			return PX_E_SYSTEM_INTERNAL;
	}
	px_buf_reset(&w->chunk);
	if (w->on_progress)
		w->on_progress(w->arg, w->st.bytes_in);
	return PX_OK;
}

enum px_err px_bk_writer_write(struct px_bk_writer *w, const void *p, size_t n)
{
	const unsigned char *b = p;
	enum px_err rc;

	EVP_DigestUpdate(w->sha, p, n);
	w->stream_bytes += n;
	w->st.bytes_in += n;
	while (n) {
		int cut;
		size_t take = px_bk_cdc_feed(&w->repo->cdc, &w->cdc, b, n, &cut);

		px_buf_append(&w->chunk, b, take);
		if (w->chunk.failed)
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
	unsigned char h[32];
	unsigned int hl = 32;
	char hex[65];
	enum px_err rc = emit(w);

	if (rc != PX_OK)
		return rc;
	EVP_DigestFinal_ex(w->sha, h, &hl);
	px_bk_hex(h, 32, hex);
	json_object_object_add(item, "bytes",
			       json_object_new_int64((int64_t)w->stream_bytes));
	json_object_object_add(item, "sha256", json_object_new_string(hex));
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
