/* ai_ann.h: an approximate nearest-neighbour index (IVF-flat) over int8
 * message vectors, for ask's semantic candidates. A spherical k-means
 * coarse quantiser splits the vectors into lists; a search scores the
 * query against the list centroids and scans the nprobe closest lists
 * exactly, keeping only entries whose channel is in the caller's allowed
 * set. The index is a file (written to a temporary name, then renamed, so
 * readers never see half of one) that is mapped read-only: many processes
 * share its pages and an open index is immutable, so threads may search
 * it at once. It is a cache: PostgreSQL holds the vectors of record and
 * the index can always be rebuilt from them (docs/AI.md). No SQL here. */
#ifndef PX_AI_ANN_H
#define PX_AI_ANN_H

#include <stddef.h>

/* Vectors to index: n rows, dim int8 components each (dim <= 4096). */
struct px_ai_ann_input {
	size_t n;
	int dim;
	const long long *ids;      /* message ids */
	const long long *channels; /* their channels, for the membership filter */
	const signed char *vecs;   /* n * dim */
};

struct px_ai_ann_opt {
	int lists;            /* coarse lists; 0: about sqrt(n), within 1..4096 */
	int iters;            /* k-means rounds; 0: 10 */
	int train_per_list;   /* k-means sample per list; 0: 48 */
	unsigned seed;        /* sampling seed (builds are reproducible) */
};

struct px_ai_ann_info {
	int dim;
	int lists;
	size_t count;
	long long watermark;  /* the builder's mark of what the index holds */
	size_t trained;       /* entries when its lists were last trained */
	char model[64];       /* the embedding model of the vectors */
};

struct px_ai_ann_hit {
	long long id;
	long long channel;
	int score;            /* int8 dot product with the query */
};

struct px_ai_ann;

/* Builds the index of in (k-means on a sample, then every vector to its
 * closest list) and writes it to path via path.tmp.<pid> and rename(2).
 * model (< 64 bytes) and watermark are stored for the reader. Returns 0,
 * or -1 with errno set (EINVAL: bad input or model name; ENOMEM; or the
 * file system's error); no temporary file is left behind. */
int px_ai_ann_build(const struct px_ai_ann_input *in, const char *model, long long watermark,
		    const struct px_ai_ann_opt *opt, const char *path)
	__attribute__((nonnull(1, 2, 5), warn_unused_result));

/* Writes an updated copy of ix to path (as px_ai_ann_build does): the same
 * lists and centroids (no k-means), ix's entries except those whose id is
 * in add (a newer vector replaces them), and add's entries each in its
 * closest list, with the new watermark. ix stays valid (path may be its
 * own file: the copy is renamed over it). Returns 0, or -1 with errno
 * (EINVAL: add's dim differs, or nothing would be left; ENOMEM; the file
 * system's error). */
int px_ai_ann_update(const struct px_ai_ann *ix, const struct px_ai_ann_input *add,
		     long long watermark, const char *path)
	__attribute__((nonnull, warn_unused_result));

/* Maps the index file at path read-only and checks its header, sizes and
 * list offsets. NULL with *why (a static string) when it is missing,
 * truncated, of another format or inconsistent. Free with px_ai_ann_free. */
struct px_ai_ann *px_ai_ann_open(const char *path, const char **why)
	__attribute__((nonnull(2), warn_unused_result));
void px_ai_ann_free(struct px_ai_ann *ix);

/* Reads only the header of the file at path into *info: 0, or -1 (missing
 * or not an index). For the builder's "is it time to rebuild" check. */
int px_ai_ann_peek(const char *path, struct px_ai_ann_info *info) __attribute__((nonnull));

void px_ai_ann_info(const struct px_ai_ann *ix, struct px_ai_ann_info *info)
	__attribute__((nonnull));

/* The k best entries (largest positive dot product with the int8 query q
 * of the index's dim), best first, ties by larger id, whose channel is in
 * allowed (n_allowed ids sorted ascending); returns how many were written
 * to hits. It scans the nprobe lists closest to q, then further lists in
 * order until it has seen as many allowed entries as nprobe lists hold on
 * average and found k, up to 8 * nprobe lists (so that a caller allowed
 * only a few channels gets about the recall of one allowed all).
 * Entries scoring <= 0 are never returned. */
size_t px_ai_ann_search(const struct px_ai_ann *ix, const signed char *q, int nprobe,
			const long long *allowed, size_t n_allowed, struct px_ai_ann_hit *hits,
			size_t k) __attribute__((nonnull(1, 2, 6)));

#endif
