/* ai_ann.c: the IVF-flat index of ai_ann.h. File layout (native byte
 * order, checked by the endian mark; every section 8-byte aligned):
 *
 *   header (128 bytes) | centroids float[lists * dim]
 *   | offsets uint64[lists + 1] | ids int64[count] | channels int64[count]
 *   | vectors int8[count * dim]
 *
 * Entries are grouped by list: list l holds entries offsets[l] up to
 * offsets[l + 1]. Built-in embeddings have few non-zero components, so
 * dot products walk the non-zero components of one side only; that gives
 * the same integer as the full sum, for dense vectors too. */
#include "ai/ai_ann.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "PXANN1\n"
#define ENDIAN 0x01020304u
#define MAX_DIM 4096
#define MAX_LISTS 4096

struct hdr {
	char magic[8];
	uint32_t endian;
	uint32_t dim;
	uint32_t lists;
	uint32_t reserved;
	uint64_t count;
	int64_t watermark;
	char model[64];
	uint64_t trained;     /* entries when the centroids were trained */
	char pad[16];
};
_Static_assert(sizeof(struct hdr) == 128, "the header is 128 bytes");

struct px_ai_ann {
	void *map;
	size_t size;
	const struct hdr *h;
	const float *cent;
	const uint64_t *off;
	const int64_t *ids;
	const int64_t *chans;
	const signed char *vecs;
};

/* A vector's non-zero components: index and value. */
struct sparse {
	int n;
	int idx[MAX_DIM];
	int ival[MAX_DIM];
	float val[MAX_DIM];
};

static void sparse_of(const signed char *v, int dim, struct sparse *s)
{
	int i;

	s->n = 0;
	for (i = 0; i < dim; i++)
		if (v[i]) {
			s->idx[s->n] = i;
			s->ival[s->n] = v[i];
			s->val[s->n++] = (float)v[i];
		}
}

static float sparse_dot(const struct sparse *s, const float *c)
{
	float sum = 0;
	int i;

	for (i = 0; i < s->n; i++)
		sum += s->val[i] * c[s->idx[i]];
	return sum;
}

static int closest(const struct sparse *s, const float *cent, int lists, int dim, float *best)
{
	int l, arg = 0;

	*best = -INFINITY;
	for (l = 0; l < lists; l++) {
		float d = sparse_dot(s, cent + (size_t)l * (size_t)dim);

		if (d > *best) {
			*best = d;
			arg = l;
		}
	}
	return arg;
}

static void normalise(float *c, int dim)
{
	double n = 0;
	int i;

	for (i = 0; i < dim; i++)
		n += (double)c[i] * c[i];
	if (n <= 0)
		return;
	n = sqrt(n);
	for (i = 0; i < dim; i++)
		c[i] = (float)(c[i] / n);
}

static unsigned next_rand(unsigned *r)
{
	*r = *r * 1103515245u + 12345u;
	return *r >> 4;
}

static void seed_centroid(float *c, const signed char *v, int dim)
{
	int i;

	for (i = 0; i < dim; i++)
		c[i] = (float)v[i];
	normalise(c, dim);
}

/* Spherical k-means on ns sample rows (indices into in): centroids are
 * the normalised sums of their members; an empty list takes a random
 * sample row. Returns 0 or -1 (ENOMEM). */
static int train(const struct px_ai_ann_input *in, const size_t *sample, size_t ns, int lists,
		 int iters, unsigned seed, float *cent)
{
	size_t dim = (size_t)in->dim, i;
	float *sum = malloc(sizeof(float) * (size_t)lists * dim);
	size_t *cnt = malloc(sizeof(size_t) * (size_t)lists);
	struct sparse *s = malloc(sizeof(*s));
	int it, l, rc = -1;

	if (!sum || !cnt || !s)
		goto out;
	for (l = 0; l < lists; l++)
		seed_centroid(cent + (size_t)l * dim,
			      in->vecs + sample[(size_t)l * ns / (size_t)lists] * dim, in->dim);
	for (it = 0; it < iters; it++) {
		memset(sum, 0, sizeof(float) * (size_t)lists * dim);
		memset(cnt, 0, sizeof(size_t) * (size_t)lists);
		for (i = 0; i < ns; i++) {
			float best;
			int k;

			sparse_of(in->vecs + sample[i] * dim, in->dim, s);
			if (s->n == 0)
				continue;
			l = closest(s, cent, lists, in->dim, &best);
			cnt[l]++;
			for (k = 0; k < s->n; k++)
				sum[(size_t)l * dim + (size_t)s->idx[k]] += s->val[k];
		}
		for (l = 0; l < lists; l++) {
			float *c = cent + (size_t)l * dim;

			if (cnt[l] == 0) {
				seed_centroid(c, in->vecs + sample[next_rand(&seed) % ns] * dim, in->dim);
				continue;
			}
			memcpy(c, sum + (size_t)l * dim, sizeof(float) * dim);
			normalise(c, in->dim);
		}
	}
	rc = 0;
out:
	if (rc)
		errno = ENOMEM;
	free(sum);
	free(cnt);
	free(s);
	return rc;
}

static int write_all(FILE *f, const void *p, size_t n)
{
	return n == 0 || fwrite(p, 1, n, f) == n ? 0 : -1;
}

/* Writes the sections in list order (order: entry indices grouped by
 * list, off: the list boundaries) to path through a temporary file. */
static int write_file(const char *path, const struct hdr *h, const float *cent,
		      const uint64_t *off, const size_t *order, const struct px_ai_ann_input *in)
{
	char tmp[4096];
	FILE *f = NULL;
	size_t i, dim = (size_t)in->dim;
	int rc = -1, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!(f = fopen(tmp, "wb")))
		return -1;
	if (write_all(f, h, sizeof(*h)) ||
	    write_all(f, cent, sizeof(float) * h->lists * dim) ||
	    write_all(f, off, sizeof(uint64_t) * (h->lists + 1)))
		goto out;
	for (i = 0; i < in->n; i++) {
		int64_t v = in->ids[order[i]];

		if (write_all(f, &v, sizeof(v)))
			goto out;
	}
	for (i = 0; i < in->n; i++) {
		int64_t v = in->channels[order[i]];

		if (write_all(f, &v, sizeof(v)))
			goto out;
	}
	for (i = 0; i < in->n; i++)
		if (write_all(f, in->vecs + order[i] * dim, dim))
			goto out;
	/* the data must be on disk before the name points at it */
	if (fflush(f) || fsync(fileno(f)))
		goto out;
	rc = 0;
out:
	saved = errno;
	if (fclose(f) && rc == 0) {
		saved = errno;
		rc = -1;
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		saved = errno;
		rc = -1;
	}
	if (rc)
		unlink(tmp);
	errno = saved;
	return rc;
}

static int auto_lists(size_t n)
{
	int l = (int)sqrt((double)n);

	return l < 1 ? 1 : l > MAX_LISTS ? MAX_LISTS : l;
}

/* Puts every entry of in in a list (list[i] >= 0: already known, else
 * its closest centroid) and writes the file. Returns 0 or -1 (errno). */
static int assign_write(const struct px_ai_ann_input *in, const float *cent, int lists,
			int *list, const char *model, long long watermark, uint64_t trained,
			const char *path)
{
	size_t dim = (size_t)in->dim, i, *order = malloc(sizeof(size_t) * in->n),
	       *fill = calloc((size_t)lists, sizeof(size_t));
	uint64_t *off = calloc((size_t)lists + 1, sizeof(uint64_t));
	struct sparse *s = malloc(sizeof(*s));
	struct hdr h;
	int rc = -1;

	if (!order || !fill || !off || !s) {
		errno = ENOMEM;
		goto out;
	}
	for (i = 0; i < in->n; i++) {
		float best;

		if (list[i] < 0) {
			sparse_of(in->vecs + i * dim, in->dim, s);
			list[i] = s->n ? closest(s, cent, lists, in->dim, &best) : 0;
		}
		off[list[i] + 1]++;
	}
	for (i = 1; i <= (size_t)lists; i++)
		off[i] += off[i - 1];
	for (i = 0; i < in->n; i++)
		order[off[list[i]] + fill[list[i]]++] = i;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, MAGIC, sizeof(h.magic));
	h.endian = ENDIAN;
	h.dim = (uint32_t)in->dim;
	h.lists = (uint32_t)lists;
	h.count = in->n;
	h.watermark = watermark;
	h.trained = trained;
	strcpy(h.model, model);
	rc = write_file(path, &h, cent, off, order, in);
out:
	free(order);
	free(fill);
	free(off);
	free(s);
	return rc;
}

int px_ai_ann_build(const struct px_ai_ann_input *in, const char *model, long long watermark,
		    const struct px_ai_ann_opt *opt, const char *path)
{
	struct px_ai_ann_opt o = opt ? *opt : (struct px_ai_ann_opt){ 0, 0, 0, 0 };
	size_t dim = (size_t)in->dim, ns, i, *sample = NULL;
	float *cent = NULL;
	int *list = NULL, lists, rc = -1;
	unsigned r;

	if (in->dim <= 0 || in->dim > MAX_DIM || in->n == 0 || strlen(model) >= 64) {
		errno = EINVAL;
		return -1;
	}
	lists = o.lists > 0 ? o.lists : auto_lists(in->n);
	if (lists > MAX_LISTS)
		lists = MAX_LISTS;
	if ((size_t)lists > in->n)
		lists = (int)in->n;
	o.iters = o.iters > 0 ? o.iters : 10;
	o.train_per_list = o.train_per_list > 0 ? o.train_per_list : 48;
	ns = (size_t)lists * (size_t)o.train_per_list;
	if (ns > in->n)
		ns = in->n;
	sample = malloc(sizeof(size_t) * ns);
	cent = malloc(sizeof(float) * (size_t)lists * dim);
	list = malloc(sizeof(int) * in->n);
	if (!sample || !cent || !list) {
		errno = ENOMEM;
		goto out;
	}
	/* the sample: all rows, or ns rows drawn at random (with repeats) */
	r = o.seed ? o.seed : 1;
	for (i = 0; i < ns; i++)
		sample[i] = ns == in->n ? i : ((size_t)next_rand(&r) * 4099u + next_rand(&r)) % in->n;
	if (train(in, sample, ns, lists, o.iters, r, cent))
		goto out;
	for (i = 0; i < in->n; i++)
		list[i] = -1;
	rc = assign_write(in, cent, lists, list, model, watermark, in->n, path);
out:
	free(sample);
	free(cent);
	free(list);
	return rc;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

int px_ai_ann_update(const struct px_ai_ann *ix, const struct px_ai_ann_input *add,
		     long long watermark, const char *path)
{
	size_t dim = ix->h->dim, n = 0, i, l;
	long long *sorted = NULL;
	struct px_ai_ann_input all = { 0, (int)dim, NULL, NULL, NULL };
	long long *ids = NULL, *chans = NULL;
	signed char *vecs = NULL;
	int *list = NULL, rc = -1;

	if (add->dim != (int)dim || (add->n && (!add->ids || !add->channels || !add->vecs))) {
		errno = EINVAL;
		return -1;
	}
	/* the ids with a newer vector: their old entries are left out */
	if (add->n && !(sorted = malloc(sizeof(long long) * add->n)))
		goto nomem;
	for (i = 0; i < add->n; i++)
		sorted[i] = add->ids[i];
	if (add->n)
		qsort(sorted, add->n, sizeof(long long), cmp_ll);
	ids = malloc(sizeof(long long) * (ix->h->count + add->n));
	chans = malloc(sizeof(long long) * (ix->h->count + add->n));
	vecs = malloc(dim * (ix->h->count + add->n));
	list = malloc(sizeof(int) * (ix->h->count + add->n));
	if (!ids || !chans || !vecs || !list)
		goto nomem;
	for (l = 0; l < ix->h->lists; l++)
		for (i = ix->off[l]; i < ix->off[l + 1]; i++) {
			if (add->n && bsearch(&ix->ids[i], sorted, add->n, sizeof(long long), cmp_ll))
				continue;
			ids[n] = ix->ids[i];
			chans[n] = ix->chans[i];
			memcpy(vecs + n * dim, ix->vecs + i * dim, dim);
			list[n++] = (int)l;
		}
	for (i = 0; i < add->n; i++) {
		ids[n] = add->ids[i];
		chans[n] = add->channels[i];
		memcpy(vecs + n * dim, add->vecs + i * dim, dim);
		list[n++] = -1;    /* to its closest list */
	}
	if (n == 0) {
		errno = EINVAL;
		goto out;
	}
	all = (struct px_ai_ann_input){ n, (int)dim, ids, chans, vecs };
	rc = assign_write(&all, ix->cent, (int)ix->h->lists, list, ix->h->model, watermark,
			  ix->h->trained, path);
	goto out;
nomem:
	errno = ENOMEM;
out:
	free(sorted);
	free(ids);
	free(chans);
	free(vecs);
	free(list);
	return rc;
}

static const char *check_hdr(const struct hdr *h)
{
	if (memcmp(h->magic, MAGIC, sizeof(h->magic)) != 0 || h->endian != ENDIAN)
		return "not a PlexiChat ANN index (or another byte order)";
	if (h->dim == 0 || h->dim > MAX_DIM || h->lists == 0 || h->lists > MAX_LISTS ||
	    h->count == 0 || h->count > ((uint64_t)1 << 40) || h->model[sizeof(h->model) - 1])
		return "the index header is inconsistent";
	return NULL;
}

int px_ai_ann_peek(const char *path, struct px_ai_ann_info *info)
{
	struct hdr h;
	FILE *f = fopen(path, "rb");
	int ok;

	if (!f)
		return -1;
	ok = fread(&h, sizeof(h), 1, f) == 1 && !check_hdr(&h);
	fclose(f);
	if (!ok)
		return -1;
	info->dim = (int)h.dim;
	info->lists = (int)h.lists;
	info->count = h.count;
	info->watermark = h.watermark;
	info->trained = h.trained;
	memcpy(info->model, h.model, sizeof(info->model));
	return 0;
}

/* The address n bytes after base, for a section of the mapped file. */
static const void *section(const void *base, size_t n)
{
	return (const unsigned char *)base + n;
}

struct px_ai_ann *px_ai_ann_open(const char *path, const char **why)
{
	struct px_ai_ann *ix = calloc(1, sizeof(*ix));
	const unsigned char *p;
	struct stat st;
	uint64_t want, l;
	int fd = -1;

	*why = "out of memory";
	if (!ix)
		return NULL;
	ix->map = MAP_FAILED;
	*why = "the index file cannot be opened";
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0)
		goto fail;
	*why = "the index file is truncated";
	if ((uint64_t)st.st_size < sizeof(struct hdr))
		goto fail;
	ix->size = (size_t)st.st_size;
	*why = "the index file cannot be mapped";
	if ((ix->map = mmap(NULL, ix->size, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED)
		goto fail;
	p = ix->map;
	ix->h = (const struct hdr *)p;
	if ((*why = check_hdr(ix->h)) != NULL)
		goto fail;
	want = sizeof(struct hdr) + sizeof(float) * ix->h->lists * ix->h->dim +
	       sizeof(uint64_t) * (ix->h->lists + 1) + (16 + ix->h->dim) * ix->h->count;
	*why = "the index file's size does not match its header";
	if (want != ix->size || (sizeof(float) * ix->h->lists * ix->h->dim) % 8)
		goto fail;
	/* the sections by byte offset (the file is this machine's own cache:
	 * native byte order, 8-byte aligned sections, checked above) */
	ix->cent = section(p, sizeof(struct hdr));
	ix->off = section(p, sizeof(struct hdr) + sizeof(float) * ix->h->lists * ix->h->dim);
	ix->ids = section(ix->off, sizeof(uint64_t) * (ix->h->lists + 1));
	ix->chans = ix->ids + ix->h->count;
	ix->vecs = section(ix->chans, sizeof(int64_t) * ix->h->count);
	*why = "the index's list offsets are inconsistent";
	if (ix->off[0] != 0 || ix->off[ix->h->lists] != ix->h->count)
		goto fail;
	for (l = 0; l < ix->h->lists; l++)
		if (ix->off[l] > ix->off[l + 1])
			goto fail;
	close(fd);
	*why = NULL;
	return ix;
fail:
	if (fd >= 0)
		close(fd);
	px_ai_ann_free(ix);
	return NULL;
}

void px_ai_ann_free(struct px_ai_ann *ix)
{
	if (!ix)
		return;
	if (ix->map != MAP_FAILED && ix->map)
		munmap(ix->map, ix->size);
	free(ix);
}

void px_ai_ann_info(const struct px_ai_ann *ix, struct px_ai_ann_info *info)
{
	info->dim = (int)ix->h->dim;
	info->lists = (int)ix->h->lists;
	info->count = ix->h->count;
	info->watermark = ix->h->watermark;
	info->trained = ix->h->trained;
	memcpy(info->model, ix->h->model, sizeof(info->model));
}

struct ranked {
	float score;
	int list;
};

static int by_score_desc(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	return x->score < y->score ? 1 : x->score > y->score ? -1 : x->list - y->list;
}

static int allowed_has(const long long *v, size_t n, long long c)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] < c)
			lo = mid + 1;
		else if (v[mid] > c)
			hi = mid;
		else
			return 1;
	}
	return 0;
}

/* Inserts (id, score) into the sorted hits when it belongs to the top k. */
static void keep(struct px_ai_ann_hit *hits, size_t *n, size_t k, long long id, long long ch,
		 int score)
{
	size_t pos = *n < k ? (*n)++ : k - 1;

	while (pos > 0 && (hits[pos - 1].score < score ||
			   (hits[pos - 1].score == score && hits[pos - 1].id < id))) {
		hits[pos] = hits[pos - 1];
		pos--;
	}
	hits[pos] = (struct px_ai_ann_hit){ id, ch, score };
}

static int beats_last(const struct px_ai_ann_hit *hits, size_t n, size_t k, long long id,
		      int score)
{
	return n < k || score > hits[k - 1].score ||
	       (score == hits[k - 1].score && id > hits[k - 1].id);
}

size_t px_ai_ann_search(const struct px_ai_ann *ix, const signed char *q, int nprobe,
			const long long *allowed, size_t n_allowed, struct px_ai_ann_hit *hits,
			size_t k)
{
	size_t dim = ix->h->dim, lists = ix->h->lists, found = 0, seen = 0, probed, e;
	struct ranked *rank = malloc(sizeof(*rank) * lists);
	struct sparse *s = malloc(sizeof(*s));
	size_t limit, want;

	if (!rank || !s || k == 0 || n_allowed == 0)
		goto out;
	sparse_of(q, (int)dim, s);
	if (s->n == 0)
		goto out;
	for (e = 0; e < lists; e++)
		rank[e] = (struct ranked){ sparse_dot(s, ix->cent + e * dim), (int)e };
	qsort(rank, lists, sizeof(*rank), by_score_desc);
	if (nprobe < 1)
		nprobe = 1;
	/* as many of the asker's entries as nprobe lists hold on average:
	 * an asker reading few channels gets about the same recall */
	want = (size_t)nprobe * (size_t)(ix->h->count / lists);
	limit = (size_t)nprobe * 8;
	for (probed = 0; probed < lists; probed++) {
		size_t l = (size_t)rank[probed].list;

		if (probed >= (size_t)nprobe &&
		    ((found >= k && seen >= want) || probed >= limit))
			break;
		for (e = ix->off[l]; e < ix->off[l + 1]; e++) {
			const signed char *v = ix->vecs + e * dim;
			int score = 0, i;

			if (!allowed_has(allowed, n_allowed, ix->chans[e]))
				continue;
			seen++;
			for (i = 0; i < s->n; i++)
				score += s->ival[i] * v[s->idx[i]];
			if (score > 0 && beats_last(hits, found, k, ix->ids[e], score))
				keep(hits, &found, k, ix->ids[e], ix->chans[e], score);
		}
	}
out:
	free(rank);
	free(s);
	return found;
}
