/* px_bk_writer.h: turns byte streams into stored shards. Each stream
 * (the schema, one table, one file) starts a new shard; inside a stream,
 * content-defined boundaries (px_bk_cdc) cut shards. A shard already in
 * the known set is only referenced; a new one is compressed, sealed and
 * queued for upload by the writer's sealing thread. Between
 * px_bk_writer_new and px_bk_writer_drain the store belongs to that
 * thread: the caller must not use it. Memory: four chunk buffers of at
 * most 4 x the target size plus the backend's queue. */
#ifndef PX_BK_WRITER_H
#define PX_BK_WRITER_H

#include <json-c/json.h>
#include <stdint.h>

#include "core/err.h"
#include "backup/px_bk_repo.h"

struct px_bk_writer_stats {
	uint64_t bytes_in;        /* plaintext bytes of all streams */
	uint64_t bytes_stored;    /* sealed bytes uploaded (new shards) */
	uint64_t bytes_new;       /* plaintext bytes of new shards */
	uint64_t shards, shards_new;
};

struct px_bk_writer;

/* NULL on ENOMEM. The repository must have its known set loaded.
 * on_progress (may be NULL) is called in the caller's thread after every
 * shard; tick (may be NULL) in the sealing thread after every stored
 * shard, where it may use the store (e.g. to refresh a lock). */
struct px_bk_writer *px_bk_writer_new(struct px_bk_repo *r,
				      void (*on_progress)(void *, uint64_t),
				      void (*tick)(void *), void *arg);
/* Waits until every queued shard is handed to the store; returns the
 * first sealing or storing error. The caller may use the store again
 * (flush it before writing a manifest). */
enum px_err px_bk_writer_drain(struct px_bk_writer *w)
	__attribute__((warn_unused_result));
void px_bk_writer_free(struct px_bk_writer *w);
/* Starts a stream. */
void px_bk_writer_begin(struct px_bk_writer *w);
enum px_err px_bk_writer_write(struct px_bk_writer *w, const void *p, size_t n)
	__attribute__((warn_unused_result));
/* Ends the stream and adds to item: "shards" (array of [id hex, size])
 * and "bytes". Shard ids authenticate the content, the sealed manifest
 * their order, so no separate stream hash is kept. */
enum px_err px_bk_writer_end(struct px_bk_writer *w, json_object *item)
	__attribute__((warn_unused_result));
/* Adds an already-stored shard list (unchanged file) to the totals. */
void px_bk_writer_reuse(struct px_bk_writer *w, json_object *shards,
			uint64_t bytes);
const struct px_bk_writer_stats *px_bk_writer_stats(const struct px_bk_writer *w);

#endif
