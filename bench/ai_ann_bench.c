/* ai_ann_bench.c: recall@10 and search time of ask's approximate index
 * (ai/ai_ann.h) against the exact scan of the same vectors, for
 * bench/ai-bench.sh.
 *
 *   ai_ann_bench CONNINFO INDEX TUNE TEST TARGET [NPROBE]
 *
 * reads from PostgreSQL every stored vector the index holds (change
 * number up to its mark), maps INDEX, and makes two disjoint sets of
 * questions (1-3 words of the chat vocabulary, embedded like ask does):
 * TUNE questions pick nprobe (the smallest reaching recall TARGET), TEST
 * questions, never used for that, give the recall reported. Recall counts
 * ties: a hit whose score equals the exact 10th score is as good as the
 * exact one (the built-in embeddings tie often); the strict id overlap is
 * printed too; NPROBE: the held-out recall at that nprobe as well. The
 * last line is "nprobe=N" for the script. */
#include "ai/ai_ann.h"
#include "ai/ai_builtin.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DIM PX_AI_BUILTIN_DIM
#define K 10

static const char *const vocab[] = {
	"deploy", "release", "database", "migration", "lunch", "coffee", "review", "merge",
	"branch", "server", "backup", "restore", "ticket", "customer", "invoice", "meeting",
	"standup", "sprint", "design", "kubernetes", "docker", "cache", "latency", "error",
	"timeout", "network", "firewall", "password", "rotate", "token", "login", "holiday",
	"weekend", "monday", "friday", "budget", "report", "metrics", "dashboard", "alert",
	"incident", "postmortem", "roadmap", "feature", "bug", "fix", "test", "build",
	"pipeline", "runner", "queue", "worker",
};
#define NV (sizeof(vocab) / sizeof(vocab[0]))

struct data {
	size_t n, cap;
	long long *ids, *chans;
	signed char *vecs;
};

struct result {
	double recall, strict;   /* tie-aware, and plain id overlap */
	double p50, p95;         /* ms per search */
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long long be64(const char *p)
{
	const unsigned char *b = (const unsigned char *)p;
	unsigned long long v = 0;
	int k;

	for (k = 0; k < 8; k++)
		v = (v << 8) | b[k];
	return (long long)v;
}

static int add(struct data *d, long long id, long long ch, const char *v)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 65536;

		if (!(d->ids = realloc(d->ids, cap * sizeof(long long))) ||
		    !(d->chans = realloc(d->chans, cap * sizeof(long long))) ||
		    !(d->vecs = realloc(d->vecs, cap * DIM)))
			return -1;
		d->cap = cap;
	}
	d->ids[d->n] = id;
	d->chans[d->n] = ch;
	memcpy(d->vecs + d->n * DIM, v, DIM);
	d->n++;
	return 0;
}

/* The vectors the index holds: change number up to mark (or none). */
static int load(const char *conninfo, long long mark, struct data *d)
{
	PGconn *c = PQconnectdb(conninfo);
	char after[32] = "0", m[32];
	int rc = -1;

	snprintf(m, sizeof(m), "%lld", mark);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "ai_ann_bench: %s", PQerrorMessage(c));
		goto out;
	}
	for (;;) {
		const char *params[2] = { after, m };
		PGresult *r = PQexecParams(c,
					   "SELECT message_id, channel_id, vec FROM ai_embeddings"
					   " WHERE model = 'builtin-hash-256' AND message_id > $1::bigint"
					   " AND (seq IS NULL OR seq <= $2::bigint)"
					   " ORDER BY message_id LIMIT 50000", 2, NULL, params, NULL, NULL, 1);
		int i, n;

		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			fprintf(stderr, "ai_ann_bench: %s", PQerrorMessage(c));
			PQclear(r);
			goto out;
		}
		n = PQntuples(r);
		for (i = 0; i < n; i++)
			if (PQgetlength(r, i, 2) == DIM &&
			    add(d, be64(PQgetvalue(r, i, 0)), be64(PQgetvalue(r, i, 1)),
				PQgetvalue(r, i, 2))) {
				PQclear(r);
				goto out;
			}
		if (n)
			snprintf(after, sizeof(after), "%lld", be64(PQgetvalue(r, n - 1, 0)));
		PQclear(r);
		if (n < 50000)
			break;
	}
	rc = 0;
out:
	PQfinish(c);
	return rc;
}

static void question(unsigned seed, signed char *q)
{
	char buf[128];
	size_t used = 0;
	float f[DIM];
	int i, words;

	seed = seed * 2654435761u + 977u;
	words = 1 + (int)((seed >> 8) % 3);
	buf[0] = '\0';
	for (i = 0; i < words; i++) {
		seed = seed * 1103515245u + 12345u;
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s ",
					 vocab[(seed >> 8) % NV]);
	}
	px_ai_builtin_embed(buf, strlen(buf), f, DIM);
	px_ai_quantise(f, q, DIM);
}

static int allowed_has(const long long *a, size_t n, long long c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] == c)
			return 1;
	return 0;
}

/* The exact top k by the same order as the index (score, then id). */
static size_t exact(const struct data *d, const signed char *q, const long long *allowed,
		    size_t na, struct px_ai_ann_hit *out)
{
	int idx[DIM], val[DIM], nz = 0, j;
	size_t i, n = 0, pos;

	for (j = 0; j < DIM; j++)
		if (q[j]) {
			idx[nz] = j;
			val[nz++] = q[j];
		}
	for (i = 0; i < d->n; i++) {
		const signed char *v = d->vecs + i * DIM;
		int s = 0;

		for (j = 0; j < nz; j++)
			s += val[j] * v[idx[j]];
		if (s <= 0 || (n == K && (s < out[K - 1].score ||
					  (s == out[K - 1].score && d->ids[i] < out[K - 1].id))))
			continue;
		if (na && !allowed_has(allowed, na, d->chans[i]))
			continue;
		pos = n < K ? n++ : K - 1;
		while (pos > 0 && (out[pos - 1].score < s ||
				   (out[pos - 1].score == s && out[pos - 1].id < d->ids[i]))) {
			out[pos] = out[pos - 1];
			pos--;
		}
		out[pos] = (struct px_ai_ann_hit){ d->ids[i], d->chans[i], s };
	}
	return n;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Recall and search time of nq questions from seed base at nprobe. */
static struct result run(const struct px_ai_ann *ix, unsigned base, int nq,
			 int nprobe, const long long *allowed, size_t na,
			 struct px_ai_ann_hit (*want)[K], const size_t *nwant)
{
	size_t p95 = (size_t)((double)nq * 0.95);
	struct px_ai_ann_hit got[K];
	struct result r = { 0, 0, 0, 0 };
	double *ms = calloc((size_t)nq, sizeof(double)), hit = 0, strict = 0, tot = 0;
	signed char q[DIM];
	size_t ng, i, j;
	int t;

	for (t = 0; t < nq; t++) {
		double t0;

		question(base + (unsigned)t, q);
		t0 = now_ms();
		ng = px_ai_ann_search(ix, q, nprobe, allowed, na, got, K);
		ms[t] = now_ms() - t0;
		tot += (double)nwant[t];
		for (i = 0; i < ng && i < nwant[t]; i++)
			hit += got[i].score >= want[t][nwant[t] - 1].score;
		for (i = 0; i < ng; i++)
			for (j = 0; j < nwant[t]; j++)
				strict += got[i].id == want[t][j].id;
	}
	qsort(ms, (size_t)nq, sizeof(double), cmp_d);
	r.recall = tot ? hit / tot : 1;
	r.strict = tot ? strict / tot : 1;
	r.p50 = ms[nq / 2];
	r.p95 = ms[p95 < (size_t)nq ? p95 : (size_t)nq - 1];
	free(ms);
	return r;
}

/* The exact answers of nq questions from seed base; prints the exact
 * scan's own time per question. */
static void answers(const struct data *d, unsigned base, int nq, const long long *allowed,
		    size_t na, struct px_ai_ann_hit (*want)[K], size_t *nwant, double *p50)
{
	double *ms = calloc((size_t)nq, sizeof(double));
	signed char q[DIM];
	int t;

	for (t = 0; t < nq; t++) {
		double t0 = now_ms();

		question(base + (unsigned)t, q);
		nwant[t] = exact(d, q, allowed, na, want[t]);
		ms[t] = now_ms() - t0;
	}
	qsort(ms, (size_t)nq, sizeof(double), cmp_d);
	*p50 = ms[nq / 2];
	free(ms);
}

/* The time of an update like the worker's: the newest 2,000 vectors as
 * if edited (replacing their entries), added to the index at path. */
static void update_time(const struct data *d, const char *path)
{
	size_t n = d->n < 2000 ? d->n : 2000, at = d->n - n;
	struct px_ai_ann_input add = { n, DIM, d->ids + at, d->chans + at, d->vecs + at * DIM };
	struct px_ai_ann *ix;
	const char *why = NULL;
	double t0 = now_ms();

	if (!(ix = px_ai_ann_open(path, &why))) {
		fprintf(stderr, "ai_ann_bench: %s\n", why);
		return;
	}
	if (px_ai_ann_update(ix, &add, 1, path) != 0)
		perror("ai_ann_bench: update");
	else
		printf("  index update (%zu vectors to their lists, file written anew): %.1f s\n", n,
		       (now_ms() - t0) / 1e3);
	px_ai_ann_free(ix);
}

/* The time of a build like the worker's (same lists) in this process,
 * written beside the index and removed. */
static void build_time(const struct data *d, int lists, const char *index)
{
	struct px_ai_ann_input in = { d->n, DIM, d->ids, d->chans, d->vecs };
	struct px_ai_ann_opt opt = { lists, 0, 0, 1 };
	char path[4096];
	double t0 = now_ms();

	snprintf(path, sizeof(path), "%s.bench", index);
	if (px_ai_ann_build(&in, "builtin-hash-256", 0, &opt, path) != 0) {
		perror("ai_ann_bench: build");
		return;
	}
	printf("  index build (k-means on a sample, every vector to its list, file written), one "
	       "core: %.1f s for %zu vectors\n", (now_ms() - t0) / 1e3, d->n);
	update_time(d, path);
	unlink(path);
}

int main(int argc, char **argv)
{
	static const int probes[] = { 1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128 };
	struct px_ai_ann_hit (*tune)[K], (*test)[K], (*one)[K];
	size_t *ntune, *ntest, *none, nch = 0, i;
	struct data d = { 0, 0, NULL, NULL, NULL };
	struct px_ai_ann_info info;
	struct px_ai_ann *ix;
	struct result r;
	long long *chans;
	const char *why = NULL;
	double target, exact_ms;
	int nt, ne, p, chosen = 0, also;

	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: ai_ann_bench CONNINFO INDEX TUNE TEST TARGET [NPROBE]\n");
		return 2;
	}
	also = argc == 7 ? atoi(argv[6]) : 0;
	nt = atoi(argv[3]);
	ne = atoi(argv[4]);
	target = atof(argv[5]);
	if (!(ix = px_ai_ann_open(argv[2], &why))) {
		fprintf(stderr, "ai_ann_bench: %s: %s\n", argv[2], why);
		return 1;
	}
	px_ai_ann_info(ix, &info);
	if (nt < 1 || ne < 1 || load(argv[1], info.watermark, &d) != 0 || d.n == 0)
		return 1;
	/* every channel (the bench user reads them all), and one of them */
	chans = malloc(sizeof(long long) * d.n);
	for (i = 0; i < d.n; i++)
		if (!allowed_has(chans, nch, d.chans[i]))
			chans[nch++] = d.chans[i];
	qsort(chans, nch, sizeof(long long), cmp_ll);
	tune = calloc((size_t)nt, sizeof(*tune));
	ntune = calloc((size_t)nt, sizeof(size_t));
	test = calloc((size_t)ne, sizeof(*test));
	ntest = calloc((size_t)ne, sizeof(size_t));
	one = calloc((size_t)ne, sizeof(*one));
	none = calloc((size_t)ne, sizeof(size_t));
	printf("ann index: %zu vectors in %d lists (%s); %zu channels\n", info.count, info.lists,
	       argv[2], nch);
	answers(&d, 1000u, nt, NULL, 0, tune, ntune, &exact_ms);
	answers(&d, 5000000u, ne, NULL, 0, test, ntest, &exact_ms);
	printf("  anchor, exact scan of the same %zu vectors in process: p50 %.2f ms per question\n",
	       d.n, exact_ms);
	build_time(&d, info.lists, argv[2]);
	for (p = 0; p < (int)(sizeof(probes) / sizeof(probes[0])) && probes[p] <= info.lists; p++) {
		r = run(ix, 1000u, nt, probes[p], chans, nch, tune, ntune);
		printf("  tuning set (%d questions), nprobe %3d: recall@10 %.3f (ids %.3f), search p50 "
		       "%.2f ms p95 %.2f ms\n", nt, probes[p], r.recall, r.strict, r.p50, r.p95);
		if (!chosen && r.recall >= target)
			chosen = probes[p];
	}
	if (!chosen)
		chosen = info.lists < 128 ? info.lists : 128;
	r = run(ix, 5000000u, ne, chosen, chans, nch, test, ntest);
	printf("recall@10 of the ann index against the exact scan: %.3f (ids %.3f) on %d held-out "
	       "questions at nprobe %d (smallest reaching %.2f on the %d tuning questions); search "
	       "p50 %.2f ms p95 %.2f ms\n", r.recall, r.strict, ne, chosen, target, nt, r.p50, r.p95);
	if (also > 0 && also != chosen) {
		r = run(ix, 5000000u, ne, also, chans, nch, test, ntest);
		printf("  held-out questions at nprobe %d (the configured default): recall@10 %.3f "
		       "(ids %.3f), search p50 %.2f ms p95 %.2f ms\n", also, r.recall, r.strict, r.p50,
		       r.p95);
	}
	answers(&d, 5000000u, ne, chans, 1, one, none, &exact_ms);
	r = run(ix, 5000000u, ne, chosen, chans, 1, one, none);
	printf("  asker reading 1 of %zu channels: recall@10 %.3f (ids %.3f), search p50 %.2f ms "
	       "p95 %.2f ms\n", nch, r.recall, r.strict, r.p50, r.p95);
	printf("nprobe=%d\n", chosen);
	px_ai_ann_free(ix);
	free(d.ids);
	free(d.chans);
	free(d.vecs);
	free(chans);
	free(tune);
	free(ntune);
	free(test);
	free(ntest);
	free(one);
	free(none);
	return 0;
}
