/* check_ai_ann.c: the IVF index (ai/ai_ann.h) against an exact scan of
 * the same vectors: with every list probed it must return exactly the
 * exact top k; with few lists it must find most of it; the channel filter
 * must never let another channel through, however many lists are probed;
 * a damaged file must be refused; a rebuild must not disturb an index
 * already open. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ai/ai_ann.h"
#include "ai/ai_builtin.h"
#include "tests/unit/run_suite.h"

#define DIM PX_AI_BUILTIN_DIM
#define K 10

static const char *const vocab[] = {
	"deploy", "release", "database", "migration", "lunch", "coffee", "review", "merge",
	"branch", "server", "backup", "restore", "ticket", "customer", "invoice", "meeting",
	"standup", "sprint", "design", "kubernetes", "docker", "cache", "latency", "error",
	"timeout", "network", "firewall", "password", "token", "login", "holiday", "friday",
};
#define NV (sizeof(vocab) / sizeof(vocab[0]))

struct data {
	size_t n;
	long long *ids, *chans;
	signed char *vecs;
	char path[256];
};

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static void embed_text(unsigned seed, signed char *out)
{
	char buf[256];
	size_t used = 0;
	float f[DIM];
	int i, words = 2 + (int)(rnd(&seed) % 5);

	buf[0] = '\0';
	for (i = 0; i < words; i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s ",
					 vocab[rnd(&seed) % NV]);
	px_ai_builtin_embed(buf, strlen(buf), f, DIM);
	px_ai_quantise(f, out, DIM);
}

/* n message vectors in 7 channels: texts of the vocabulary (sparse, like
 * the built-in embeddings) or dense random components. */
static void make(struct data *d, size_t n, int dense)
{
	unsigned s = 42;
	size_t i, k;

	d->n = n;
	d->ids = malloc(sizeof(long long) * n);
	d->chans = malloc(sizeof(long long) * n);
	d->vecs = malloc(n * DIM);
	ck_assert(d->ids && d->chans && d->vecs);
	for (i = 0; i < n; i++) {
		d->ids[i] = 1000 + (long long)i * 3;
		d->chans[i] = 10 + (long long)(rnd(&s) % 7);
		if (!dense) {
			embed_text((unsigned)i * 2654435761u + 7, d->vecs + i * DIM);
			continue;
		}
		for (k = 0; k < DIM; k++)
			d->vecs[i * DIM + k] = (signed char)((int)(rnd(&s) % 255) - 127);
	}
	snprintf(d->path, sizeof(d->path), "/tmp/check_ai_ann.%ld.%d.idx", (long)getpid(), dense);
}

static void drop(struct data *d)
{
	unlink(d->path);
	free(d->ids);
	free(d->chans);
	free(d->vecs);
}

static struct px_ai_ann *build_open(struct data *d, int lists, long long mark)
{
	struct px_ai_ann_input in = { d->n, DIM, d->ids, d->chans, d->vecs };
	struct px_ai_ann_opt o = { lists, 0, 0, 7 };
	const char *why = NULL;
	struct px_ai_ann *ix;

	ck_assert_int_eq(px_ai_ann_build(&in, "builtin-hash-256", mark, &o, d->path), 0);
	ix = px_ai_ann_open(d->path, &why);
	ck_assert_msg(ix != NULL, "open: %s", why ? why : "?");
	return ix;
}

static int allowed_has(const long long *a, size_t n, long long c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] == c)
			return 1;
	return 0;
}

/* The exact top k (score desc, then id desc) among allowed channels. */
static size_t exact(const struct data *d, const signed char *q, const long long *allowed,
		    size_t na, struct px_ai_ann_hit *out, size_t k)
{
	size_t i, n = 0, pos;
	int j;

	for (i = 0; i < d->n; i++) {
		int s = 0;

		for (j = 0; j < DIM; j++)
			s += q[j] * d->vecs[i * DIM + (size_t)j];
		if (s <= 0 || !allowed_has(allowed, na, d->chans[i]))
			continue;
		if (n == k && (s < out[k - 1].score || (s == out[k - 1].score && d->ids[i] < out[k - 1].id)))
			continue;
		pos = n < k ? n++ : k - 1;
		while (pos > 0 && (out[pos - 1].score < s ||
				   (out[pos - 1].score == s && out[pos - 1].id < d->ids[i]))) {
			out[pos] = out[pos - 1];
			pos--;
		}
		out[pos] = (struct px_ai_ann_hit){ d->ids[i], d->chans[i], s };
	}
	return n;
}

static const long long all_channels[] = { 10, 11, 12, 13, 14, 15, 16 };

START_TEST(test_roundtrip_info)
{
	struct data d;
	struct px_ai_ann_info a, b;
	struct px_ai_ann *ix;

	make(&d, 2000, 0);
	ix = build_open(&d, 16, 12345);
	px_ai_ann_info(ix, &a);
	ck_assert_int_eq(a.dim, DIM);
	ck_assert_int_eq(a.lists, 16);
	ck_assert_uint_eq(a.count, 2000);
	ck_assert_int_eq(a.watermark, 12345);
	ck_assert_str_eq(a.model, "builtin-hash-256");
	ck_assert_int_eq(px_ai_ann_peek(d.path, &b), 0);
	ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
	px_ai_ann_free(ix);
	drop(&d);
}
END_TEST

/* every list probed: the index must be the exact scan (sparse and dense) */
START_TEST(test_all_lists_is_exact)
{
	struct data d;
	struct px_ai_ann *ix;
	struct px_ai_ann_hit got[K], want[K];
	signed char q[DIM];
	size_t ng, nw, i;
	int t;

	make(&d, 3000, _i);
	ix = build_open(&d, 32, 1);
	for (t = 0; t < 40; t++) {
		if (_i)
			memcpy(q, d.vecs + (size_t)(t * 71) * DIM, DIM);
		else
			embed_text(900000u + (unsigned)t * 31u, q);
		ng = px_ai_ann_search(ix, q, 32, all_channels, 7, got, K);
		nw = exact(&d, q, all_channels, 7, want, K);
		ck_assert_uint_eq(ng, nw);
		for (i = 0; i < nw; i++) {
			ck_assert_msg(got[i].id == want[i].id && got[i].score == want[i].score,
				      "query %d rank %zu: got id %lld score %d, want id %lld score %d", t,
				      i, got[i].id, got[i].score, want[i].id, want[i].score);
			ck_assert_int_eq(got[i].channel, want[i].channel);
		}
	}
	px_ai_ann_free(ix);
	drop(&d);
}
END_TEST

/* a few lists: most of the exact top 10, counted with ties (a hit whose
 * score equals an exact top-10 score is as good); the same for an asker
 * who reads only one of the 7 channels (_i 1), for whom the search goes
 * on through more lists */
START_TEST(test_few_lists_recall)
{
	static const long long one[] = { 12 };
	const long long *allowed = _i ? one : all_channels;
	size_t na = _i ? 1 : 7;
	struct data d;
	struct px_ai_ann *ix;
	struct px_ai_ann_hit got[K], want[K];
	signed char q[DIM];
	size_t ng, nw, i, hit = 0, tot = 0;
	int t;

	make(&d, 20000, 0);
	ix = build_open(&d, 0, 1);   /* auto: 141 lists */
	for (t = 0; t < 50; t++) {
		embed_text(777000u + (unsigned)t * 13u, q);
		ng = px_ai_ann_search(ix, q, 6, allowed, na, got, K);
		nw = exact(&d, q, allowed, na, want, K);
		tot += nw;
		for (i = 0; i < ng && i < nw; i++)
			hit += got[i].score >= want[nw - 1].score;
	}
	ck_assert_msg(hit * 100 >= tot * 90, "recall %zu/%zu", hit, tot);
	px_ai_ann_free(ix);
	drop(&d);
}
END_TEST

/* the membership filter: never another channel, with 1 list or with all */
START_TEST(test_channel_filter)
{
	static const long long mine[] = { 11, 14 };
	struct data d;
	struct px_ai_ann *ix;
	struct px_ai_ann_hit got[K], want[K];
	signed char q[DIM];
	size_t ng, nw, i;
	int t, probe;

	make(&d, 4000, 0);
	ix = build_open(&d, 40, 1);
	for (t = 0; t < 30; t++) {
		embed_text(5000u + (unsigned)t, q);
		for (probe = 1; probe <= 40; probe += 39) {
			ng = px_ai_ann_search(ix, q, probe, mine, 2, got, K);
			for (i = 0; i < ng; i++)
				ck_assert_msg(got[i].channel == 11 || got[i].channel == 14,
					      "hit %lld from channel %lld", got[i].id, got[i].channel);
		}
		nw = exact(&d, q, mine, 2, want, K);
		ng = px_ai_ann_search(ix, q, 40, mine, 2, got, K);
		ck_assert_uint_eq(ng, nw);
		for (i = 0; i < nw; i++)
			ck_assert_int_eq(got[i].id, want[i].id);
	}
	/* no readable channel: nothing, even with every list */
	ck_assert_uint_eq(px_ai_ann_search(ix, q, 40, mine, 0, got, K), 0);
	ck_assert_uint_eq(px_ai_ann_search(ix, q, 40, (const long long[]){ 99 }, 1, got, K), 0);
	/* a question without words: nothing */
	memset(q, 0, sizeof(q));
	ck_assert_uint_eq(px_ai_ann_search(ix, q, 40, all_channels, 7, got, K), 0);
	px_ai_ann_free(ix);
	drop(&d);
}
END_TEST

static void write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	ck_assert(f != NULL);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* damaged files are refused with a reason, never mapped as an index */
START_TEST(test_damaged_files)
{
	struct data d;
	struct px_ai_ann *ix;
	struct px_ai_ann_info info;
	const char *why = NULL;
	char *buf;
	FILE *f;
	long size;

	make(&d, 500, 0);
	px_ai_ann_free(build_open(&d, 8, 1));
	f = fopen(d.path, "rb");
	ck_assert(f != NULL);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	buf = malloc((size_t)size);
	ck_assert_uint_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	/* truncated by one byte */
	write_bytes(d.path, buf, (size_t)size - 1);
	ck_assert_ptr_null(px_ai_ann_open(d.path, &why));
	ck_assert_str_eq(why, "the index file's size does not match its header");
	/* only half a header */
	write_bytes(d.path, buf, 60);
	ck_assert_ptr_null(px_ai_ann_open(d.path, &why));
	ck_assert_int_eq(px_ai_ann_peek(d.path, &info), -1);
	/* another format */
	buf[0] = 'X';
	write_bytes(d.path, buf, (size_t)size);
	ck_assert_ptr_null(px_ai_ann_open(d.path, &why));
	ck_assert_int_eq(px_ai_ann_peek(d.path, &info), -1);
	buf[0] = 'P';
	/* list offsets that do not add up: the last offset (count) changed */
	{
		size_t off_last = 128 + sizeof(float) * 8 * DIM + sizeof(unsigned long long) * 8;
		unsigned long long v;

		memcpy(&v, buf + off_last, sizeof(v));
		v--;
		memcpy(buf + off_last, &v, sizeof(v));
		write_bytes(d.path, buf, (size_t)size);
		ck_assert_ptr_null(px_ai_ann_open(d.path, &why));
		ck_assert_str_eq(why, "the index's list offsets are inconsistent");
	}
	unlink(d.path);
	ck_assert_ptr_null(px_ai_ann_open(d.path, &why));
	ck_assert_str_eq(why, "the index file cannot be opened");
	ix = NULL;
	px_ai_ann_free(ix);
	free(buf);
	drop(&d);
}
END_TEST

START_TEST(test_bad_input)
{
	struct data d;
	struct px_ai_ann_input in;
	char model[80];

	make(&d, 10, 0);
	in = (struct px_ai_ann_input){ 0, DIM, d.ids, d.chans, d.vecs };
	errno = 0;
	ck_assert_int_eq(px_ai_ann_build(&in, "m", 1, NULL, d.path), -1);
	ck_assert_int_eq(errno, EINVAL);
	memset(model, 'm', sizeof(model) - 1);
	model[sizeof(model) - 1] = '\0';
	in.n = 10;
	ck_assert_int_eq(px_ai_ann_build(&in, model, 1, NULL, d.path), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(access(d.path, F_OK), -1);
	/* more lists than vectors: as many lists as vectors */
	{
		struct px_ai_ann_opt o = { 50, 0, 0, 0 };
		struct px_ai_ann_info info;

		ck_assert_int_eq(px_ai_ann_build(&in, "m", 1, &o, d.path), 0);
		ck_assert_int_eq(px_ai_ann_peek(d.path, &info), 0);
		ck_assert_int_eq(info.lists, 10);
	}
	/* a folder that does not exist: an error, no file */
	ck_assert_int_eq(px_ai_ann_build(&in, "m", 1, NULL, "/nonexistent/dir/ann.idx"), -1);
	drop(&d);
}
END_TEST

/* a rebuild renames a new file over the old: an index already open keeps
 * answering from the old one, a new open sees the new one */
START_TEST(test_rebuild_while_open)
{
	struct data d;
	struct px_ai_ann *old, *cur;
	struct px_ai_ann_info info;
	struct px_ai_ann_hit a[K], b[K];
	signed char q[DIM];
	size_t na, i;

	make(&d, 3000, 0);
	old = build_open(&d, 20, 100);
	embed_text(4242u, q);
	na = px_ai_ann_search(old, q, 20, all_channels, 7, a, K);
	cur = build_open(&d, 30, 200);
	ck_assert_uint_eq(px_ai_ann_search(old, q, 20, all_channels, 7, b, K), na);
	for (i = 0; i < na; i++)
		ck_assert(a[i].id == b[i].id && a[i].score == b[i].score);
	px_ai_ann_info(old, &info);
	ck_assert_int_eq(info.watermark, 100);
	px_ai_ann_info(cur, &info);
	ck_assert_int_eq(info.watermark, 200);
	ck_assert_int_eq(info.lists, 30);
	px_ai_ann_free(old);
	px_ai_ann_free(cur);
	drop(&d);
}
END_TEST

/* an update: the same lists, old entries kept (edited ones replaced by
 * their newer vectors), new ones in their closest lists; with every list
 * probed it is again exactly the exact scan of the combined vectors */
START_TEST(test_update_adds_and_replaces)
{
	struct data d, all;
	struct px_ai_ann *old, *cur;
	struct px_ai_ann_input add;
	struct px_ai_ann_info info;
	struct px_ai_ann_hit got[K], want[K];
	signed char q[DIM];
	const char *why = NULL;
	size_t i, ng, nw;
	int t;

	make(&all, 2600, 0);
	/* edited: ids 1000 + 3*k for k < 100 get the vectors of rows 2500.. */
	for (i = 0; i < 100; i++) {
		memcpy(all.vecs + i * DIM, all.vecs + (2500 + i) * DIM, DIM);
		all.chans[i] = all.chans[2500 + i];
	}
	d = all;
	d.n = 2000;
	old = build_open(&d, 24, 10);
	/* the update: rows 2000..2499 are new, rows 0..99 carry new vectors */
	{
		long long *ids = malloc(sizeof(long long) * 600), *ch = malloc(sizeof(long long) * 600);
		signed char *v = malloc(600 * DIM);

		for (i = 0; i < 600; i++) {
			size_t src = i < 500 ? 2000 + i : i - 500;

			ids[i] = all.ids[src];
			ch[i] = all.chans[src];
			memcpy(v + i * DIM, all.vecs + src * DIM, DIM);
		}
		add = (struct px_ai_ann_input){ 600, DIM, ids, ch, v };
		ck_assert_int_eq(px_ai_ann_update(old, &add, 20, d.path), 0);
		free(ids);
		free(ch);
		free(v);
	}
	cur = px_ai_ann_open(d.path, &why);
	ck_assert_msg(cur != NULL, "open: %s", why ? why : "?");
	px_ai_ann_info(cur, &info);
	ck_assert_uint_eq(info.count, 2500);
	ck_assert_int_eq(info.watermark, 20);
	ck_assert_uint_eq(info.trained, 2000);
	ck_assert_int_eq(info.lists, 24);
	all.n = 2500;
	for (t = 0; t < 30; t++) {
		embed_text(31337u + (unsigned)t, q);
		ng = px_ai_ann_search(cur, q, 24, all_channels, 7, got, K);
		nw = exact(&all, q, all_channels, 7, want, K);
		ck_assert_uint_eq(ng, nw);
		for (i = 0; i < nw; i++)
			ck_assert_msg(got[i].id == want[i].id && got[i].score == want[i].score,
				      "query %d rank %zu: got %lld/%d want %lld/%d", t, i, got[i].id,
				      got[i].score, want[i].id, want[i].score);
	}
	/* the old mapping still answers from the old file */
	px_ai_ann_info(old, &info);
	ck_assert_uint_eq(info.count, 2000);
	ck_assert_uint_gt(px_ai_ann_search(old, q, 24, all_channels, 7, got, K), 0);
	/* nothing new: the same entries under a new mark */
	add = (struct px_ai_ann_input){ 0, DIM, NULL, NULL, NULL };
	ck_assert_int_eq(px_ai_ann_update(cur, &add, 25, d.path), 0);
	ck_assert_int_eq(px_ai_ann_peek(d.path, &info), 0);
	ck_assert_uint_eq(info.count, 2500);
	ck_assert_int_eq(info.watermark, 25);
	/* a vector of another size is refused */
	add.dim = DIM / 2;
	add.n = 0;
	ck_assert_int_eq(px_ai_ann_update(cur, &add, 30, d.path), -1);
	px_ai_ann_free(old);
	px_ai_ann_free(cur);
	all.n = 2600;
	drop(&all);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ai_ann");
	TCase *t = tcase_create("core");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_roundtrip_info);
	tcase_add_loop_test(t, test_all_lists_is_exact, 0, 2);
	tcase_add_loop_test(t, test_few_lists_recall, 0, 2);
	tcase_add_test(t, test_channel_filter);
	tcase_add_test(t, test_damaged_files);
	tcase_add_test(t, test_bad_input);
	tcase_add_test(t, test_rebuild_while_open);
	tcase_add_test(t, test_update_adds_and_replaces);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return px_check_run(suite(), CK_FORK_GETENV);
}
