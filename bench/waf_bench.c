/* waf_bench.c: runs WAF corpora through px_waf_inspect in-process and
 * prints, for each, detection and false-positive rates (per class and
 * overall), the time per request (median, p99, max; by request size) and
 * the requests per second one core sustains.
 *
 * usage: waf_bench [-v] [-r reps] RULES [LABEL=]CORPUS.jsonl...
 * A corpus that cannot be read is reported and skipped; the exit status
 * is then 1. WAF_BENCH_ONLY=<id> inspects that one request only. */
#include "core/http.h"
#include "waf/waf.h"
#include "bench/waf_corpus.h"
#include "waf/waf_magic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct cls {
	char name[32];
	int expect_block;
	unsigned total, blocked;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_d);
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i];
}

static struct cls *class_of(struct cls *cs, size_t *n, const char *name, int eb)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(cs[i].name, name) == 0)
			return &cs[i];
	memset(&cs[*n], 0, sizeof(cs[*n]));
	snprintf(cs[*n].name, sizeof(cs[*n].name), "%s", name);
	cs[*n].expect_block = eb;
	return &cs[(*n)++];
}

/* Per-corpus tallies and timings; the arrays hold one entry per request. */
struct run {
	struct cls cs[64];
	size_t ncls, nsmall, nlarge;
	unsigned att, att_b, ben, ben_b;
	double *t, *small, *large, total;
};

static int class_known(const struct run *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->ncls; i++)
		if (strcmp(r->cs[i].name, name) == 0)
			return 1;
	return 0;
}

/* Inspects entry e reps times; records the verdict and the mean time. */
static void inspect_one(const struct px_waf *waf, struct px_corpus_entry *e, int reps,
			int verbose, struct run *r, size_t i)
{
	const char *prof = px_waf_profile_for_path(e->req.method, e->req.raw_path);
	struct px_waf_verdict v;
	enum px_err res = PX_OK;
	struct cls *k;
	double t0;
	int blocked, n;

	if (r->ncls == sizeof(r->cs) / sizeof(r->cs[0]) && !class_known(r, e->cls))
		return; /* more classes than the table holds: not counted */
	k = class_of(r->cs, &r->ncls, e->cls, e->expect_block);
	t0 = now_us();
	for (n = 0; n < reps; n++)
		res = px_waf_inspect(waf, &e->req, prof, &v);
	r->t[i] = (now_us() - t0) / reps;
	r->total += r->t[i];
	if (e->wire_bytes < 1024)
		r->small[r->nsmall++] = r->t[i];
	if (e->req.body_len > 10240)
		r->large[r->nlarge++] = r->t[i];
	blocked = res != PX_OK;
	k->total++;
	k->blocked += (unsigned)blocked;
	if (e->expect_block)
		r->att++, r->att_b += (unsigned)blocked;
	else
		r->ben++, r->ben_b += (unsigned)blocked;
	if (verbose && blocked != e->expect_block) {
		struct px_buf js = PX_BUF_INIT;

		px_waf_verdict_json(&v, &js);
		printf("MISS %-22s %-8s %s\n", e->id, e->expect_block ? "attack" : "benign", js.data);
		px_buf_free(&js);
	}
	if (verbose > 1)
		printf("time %-22s %8.1f us %6zu bytes\n", e->id, r->t[i], e->wire_bytes);
}

static void report(const char *label, const struct px_corpus *c, struct run *r, int reps)
{
	size_t i, n = r->att + r->ben;

	printf("== %s: %zu requests (%u attacks, %u harmless), profile from px_waf_profile_for_path\n",
	       label, c->n, r->att, r->ben);
	printf("%-18s %8s %8s %8s\n", "class", "total", "blocked", "rate");
	for (i = 0; i < r->ncls; i++)
		printf("%-18s %8u %8u %7.1f%% %s\n", r->cs[i].name, r->cs[i].total, r->cs[i].blocked,
		       100.0 * r->cs[i].blocked / r->cs[i].total,
		       r->cs[i].expect_block ? "detected" : "false positives");
	if (r->att)
		printf("detection rate:       %6.2f%% (%u/%u)\n", 100.0 * r->att_b / r->att, r->att_b, r->att);
	else
		printf("detection rate:       n/a (no attacks in this corpus)\n");
	if (r->ben)
		printf("false-positive rate:  %6.2f%% (%u/%u)\n", 100.0 * r->ben_b / r->ben, r->ben_b, r->ben);
	else
		printf("false-positive rate:  n/a (no harmless requests in this corpus)\n");
	printf("time per request (us, mean of %d runs each): median %.1f  p99 %.1f  max %.1f\n",
	       reps, pct(r->t, n, 0.5), pct(r->t, n, 0.99), pct(r->t, n, 1.0));
	printf("  requests < 1 KB (%zu): median %.1f us\n", r->nsmall, pct(r->small, r->nsmall, 0.5));
	printf("  bodies > 10 KB (%zu):  median %.1f us  max %.1f us\n", r->nlarge,
	       pct(r->large, r->nlarge, 0.5), pct(r->large, r->nlarge, 1.0));
	printf("requests per second per core: %.0f\n", r->total > 0 ? n * 1e6 / r->total : 0);
}

/* Loads and measures one corpus given as [LABEL=]PATH; 0, or -1 when it
 * cannot be loaded (reported on stderr). */
static int bench_corpus(const struct px_waf *waf, const char *arg, int reps, int verbose)
{
	const char *eq = strchr(arg, '='), *path = eq ? eq + 1 : arg;
	const char *only = getenv("WAF_BENCH_ONLY");
	char label[64];
	struct px_buf err = PX_BUF_INIT;
	struct px_corpus c;
	struct run r;
	size_t i, n = 0;
	int rc = -1;

	snprintf(label, sizeof(label), "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
	memset(&r, 0, sizeof(r));
	if (px_corpus_load(path, &c, &err) != 0) {
		fprintf(stderr, "waf_bench: %s\n", err.data ? err.data : "error");
		px_buf_free(&err);
		return -1;
	}
	r.t = calloc(c.n + 1, sizeof(*r.t));
	r.small = calloc(c.n + 1, sizeof(*r.small));
	r.large = calloc(c.n + 1, sizeof(*r.large));
	if (!r.t || !r.small || !r.large)
		goto out;
	for (i = 0; i < c.n; i++)
		if (!only || strcmp(only, c.e[i].id) == 0)
			inspect_one(waf, &c.e[i], reps, verbose, &r, n++);
	report(label, &c, &r, reps);
	rc = 0;
out:
	free(r.t);
	free(r.small);
	free(r.large);
	px_corpus_free(&c);
	px_buf_free(&err);
	return rc;
}

int main(int argc, char **argv)
{
	struct px_buf err = PX_BUF_INIT;
	struct px_waf *waf = NULL;
	int verbose = 0, reps = 20, opt, rc = 0;

	while ((opt = getopt(argc, argv, "vr:")) != -1) {
		if (opt == 'v')
			verbose++;
		else if (opt == 'r')
			reps = atoi(optarg) > 0 ? atoi(optarg) : 1;
		else
			goto usage;
	}
	if (argc - optind < 2)
		goto usage;
	if (px_waf_load(argv[optind], &waf, &err) != 0) {
		fprintf(stderr, "waf_bench: %s\n", err.data ? err.data : "error");
		px_buf_free(&err);
		return 1;
	}
	/* as the server does at start-up: no request pays for loading libmagic */
	if (px_waf_magic_preload() != 0)
		fprintf(stderr, "waf_bench: libmagic unavailable; uploads judged by signatures only\n");
	for (optind++; optind < argc; optind++) {
		if (bench_corpus(waf, argv[optind], reps, verbose) != 0)
			rc = 1;
		if (optind + 1 < argc)
			printf("\n");
	}
	px_waf_free(waf);
	return rc;
usage:
	fprintf(stderr, "usage: waf_bench [-v] [-r reps] RULES [LABEL=]CORPUS.jsonl...\n");
	return 2;
}
