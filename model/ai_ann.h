/* model/ai_ann.h: SQL behind the approximate index of ask (ai/ai_ann.h):
 * the readable channels of a user (the membership filter of a search),
 * the vectors stored after an index was built (searched exactly beside
 * it), the counts that decide a rebuild, and the consistent read of every
 * vector a build starts from. The vectors of record stay in PostgreSQL;
 * the index is a cache built from them. */
#ifndef PX_M_AI_ANN_H
#define PX_M_AI_ANN_H

#include <stddef.h>

#include "core/db.h"
#include "core/err.h"

/* The advisory lock of sql/141_ai_ann.sql: the store takes it shared, the
 * builder exclusively while it reads the highest change number. */
#define PX_M_AI_ANN_LOCK 7243141

/* The channels user is a member of (the channels ask may read), sorted
 * ascending, in a malloc'd array *out (the caller frees; NULL when none). */
enum px_err px_m_ai_ann_channels(struct px_db *db, long long user, long long **out, size_t *n)
	__attribute__((nonnull, warn_unused_result));

/* Calls fn for each vector of model in the channels user may read whose
 * change number is above after, at most limit of them; *rows gets how
 * many there were (limit + 1 tells the caller there are more). */
typedef void (*px_m_ai_ann_vec_fn)(void *arg, long long id, const signed char *v, int dim);
enum px_err px_m_ai_ann_since(struct px_db *db, long long user, const char *model,
			      long long after, long limit, px_m_ai_ann_vec_fn fn, void *arg,
			      size_t *rows) __attribute__((nonnull(1, 3, 6, 8), warn_unused_result));

/* How many vectors of model have a change number above after (after < 0:
 * how many there are at all), counting no further than cap. */
enum px_err px_m_ai_ann_count(struct px_db *db, const char *model, long long after, long cap,
			      long long *n) __attribute__((nonnull, warn_unused_result));

/* The highest change number stored (0 when none). */
enum px_err px_m_ai_ann_max_seq(struct px_db *db, long long *seq)
	__attribute__((nonnull, warn_unused_result));

/* Reads the vectors of model in one repeatable-read snapshot, calling fn
 * for each: every one (after < 0; in message id order, pages of 20,000),
 * or those whose change number is above after (an update; one query). Sets
 * *watermark to the highest change number in that snapshot: every vector
 * with a higher number is newer than what fn saw. Takes PX_M_AI_ANN_LOCK exclusively
 * just long enough to start the snapshot. fn returns 0, or -1 to stop
 * (then SYSTEM_INTERNAL). Meant for the background builder's own
 * connection; it leaves no transaction open. */
typedef int (*px_m_ai_ann_row_fn)(void *arg, long long id, long long channel,
				  const signed char *v, int dim);
enum px_err px_m_ai_ann_load(struct px_db *db, const char *model, long long after,
			     px_m_ai_ann_row_fn fn, void *arg, long long *watermark)
	__attribute__((nonnull(1, 2, 4, 6), warn_unused_result));

#endif
