/* ai_ann.h: the approximate index of ask as the server uses it (the index
 * itself is ai/ai_ann.h, its SQL model/ai_ann.h). The FastCGI process maps
 * the index file on first use and maps it again when the file changes
 * (checked at most once a second); the embedding worker builds it and
 * updates it when enough vectors were stored since. The index is a cache:
 * the vectors of record are in PostgreSQL, and without the file (or with a
 * stale one) ask uses the exact scan. */
#ifndef PX_H_AI_ANN_H
#define PX_H_AI_ANN_H

#include <stddef.h>

#include "ai/ai_ann.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/err.h"

/* The embedding model the worker stores (the built-in provider's). */
#define PX_HAI_EMBED_MODEL "builtin-hash-256"

/* The index file of cfg (ai_ann_file, or ai-ann.idx under data_dir) into
 * out[cap]; 0, or -1 when the path does not fit. */
int px_hai_ann_path(const struct px_cfg *cfg, char *out, size_t cap) __attribute__((nonnull));

/* Semantic candidates through the index: the k best vectors of model
 * (largest int8 dot product with q, dim components) in the channels user
 * is a member of (read in SQL), best first, into hits; *n gets how many.
 * Vectors stored since the index was built are scored exactly and merged
 * in. *used is 0 (and nothing was searched) when ai_ann is off, there is
 * no index for model and dim, or it is stale (more than ai_ann_max_delta
 * newer vectors): the caller then uses the exact scan. Errors are the
 * database's. */
enum px_err px_hai_ann_search(struct px_db *db, const struct px_cfg *cfg, long long user,
			      const char *model, const signed char *q, int dim,
			      struct px_ai_ann_hit *hits, size_t k, size_t *n, int *used)
	__attribute__((nonnull, warn_unused_result));

/* The builder's check, for the embedding worker when its queue is empty:
 * builds the index when there is none and at least ai_ann_min_vectors
 * vectors exist; once ai_ann_update_after vectors were stored since, adds
 * them to its lists (an update, no k-means), or builds it again when it
 * grew by half since its lists were trained; builds it again when the
 * database's change numbers went backwards (a restored database). One process per index file builds at a time (a
 * lock file beside it); others skip. *built is 1 when a file was written.
 * Errors: the database's, or SYSTEM_INTERNAL (out of memory, the file
 * could not be written; logged). */
enum px_err px_hai_ann_maintain(struct px_db *db, const struct px_cfg *cfg, int *built)
	__attribute__((nonnull, warn_unused_result));

#endif
