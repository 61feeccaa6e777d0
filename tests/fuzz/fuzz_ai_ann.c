/* fuzz_ai_ann.c: libFuzzer target of the approximate index (ai/ai_ann.h).
 * First byte even: the rest is an index file, opened (it must be refused
 * or searched without reading outside the mapping). Odd: the rest is int8
 * vectors (64 components each), built into an index, opened again and
 * searched, then updated with half of them as newer vectors; every hit
 * must come from an allowed channel. */
#include "ai/ai_ann.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define DIM 64

static void search_all(const struct px_ai_ann *ix, int dim, const uint8_t *seed, size_t n)
{
	static const long long allowed[] = { 1, 3 };
	struct px_ai_ann_hit hits[10];
	signed char *q = calloc((size_t)dim, 1);
	size_t i, got;

	if (!q)
		return;
	for (i = 0; i < (size_t)dim; i++)
		q[i] = (signed char)(n ? seed[i % n] : (uint8_t)i);
	got = px_ai_ann_search(ix, q, 3, allowed, 2, hits, 10);
	for (i = 0; i < got; i++)
		if (hits[i].channel != 1 && hits[i].channel != 3)
			abort();
	free(q);
}

static void as_file(const uint8_t *data, size_t n, const char *path)
{
	struct px_ai_ann_info info;
	struct px_ai_ann *ix;
	const char *why;
	FILE *f = fopen(path, "wb");

	if (!f)
		return;
	fwrite(data, 1, n, f);
	fclose(f);
	(void)px_ai_ann_peek(path, &info);
	if ((ix = px_ai_ann_open(path, &why)) != NULL) {
		px_ai_ann_info(ix, &info);
		search_all(ix, info.dim, data, n);
		px_ai_ann_free(ix);
	}
}

static void as_vectors(const uint8_t *data, size_t n, const char *path)
{
	size_t rows = n / DIM, i;
	long long *ids = calloc(rows + 1, sizeof(long long));
	long long *ch = calloc(rows + 1, sizeof(long long));
	struct px_ai_ann_input in = { rows, DIM, ids, ch, (const signed char *)data };
	struct px_ai_ann_opt opt = { rows > 1 ? (int)(data[0] % rows) : 0, 2, 4, 1 };
	struct px_ai_ann *ix;
	const char *why;

	for (i = 0; ids && ch && i < rows; i++) {
		ids[i] = (long long)i + 1;
		ch[i] = (long long)(data[i * DIM] % 4);
	}
	if (ids && ch && rows && px_ai_ann_build(&in, "fuzz", 1, &opt, path) == 0) {
		struct px_ai_ann_input add = { rows / 2, DIM, ids + rows / 2, ch + rows / 2,
					       (const signed char *)data + rows / 2 * DIM };
		struct px_ai_ann_info info;

		if (!(ix = px_ai_ann_open(path, &why)))
			abort();    /* what we wrote must open */
		search_all(ix, DIM, data, n);
		/* an update with the second half as newer vectors keeps the count */
		if (px_ai_ann_update(ix, &add, 2, path) == 0) {
			struct px_ai_ann *up = px_ai_ann_open(path, &why);

			if (!up)
				abort();
			px_ai_ann_info(up, &info);
			if (info.count != rows || info.watermark != 2)
				abort();
			search_all(up, DIM, data, n);
			px_ai_ann_free(up);
		}
		px_ai_ann_free(ix);
	}
	free(ids);
	free(ch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/fuzz_ai_ann.%ld.idx", (long)getpid());
	if (size < 1)
		return 0;
	if (data[0] & 1)
		as_vectors(data + 1, size - 1, path);
	else
		as_file(data + 1, size - 1, path);
	unlink(path);
	return 0;
}
