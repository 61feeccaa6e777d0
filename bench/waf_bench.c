/* waf_bench.c: runs the whole WAF corpus through px_waf_inspect in-process
 * and prints detection and false-positive rates (per class and overall)
 * and the time per request (median, p99, max; by request size) and the
 * requests per second one core sustains.
 *
 * usage: waf_bench [-v] [-r reps] RULES CORPUS.jsonl */
#include "http.h"
#include "waf.h"
#include "waf_corpus.h"
#include "waf_magic.h"

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

int main(int argc, char **argv)
{
	struct px_buf err = PX_BUF_INIT;
	struct px_corpus c;
	struct px_waf *waf = NULL;
	struct cls cs[64];
	size_t ncls = 0, i, nsmall = 0, nlarge = 0;
	unsigned att = 0, att_b = 0, ben = 0, ben_b = 0;
	double *t, *small, *large, total = 0;
	int verbose = 0, reps = 20, opt, r;

	while ((opt = getopt(argc, argv, "vr:")) != -1) {
		if (opt == 'v')
			verbose++;
		else if (opt == 'r')
			reps = atoi(optarg) > 0 ? atoi(optarg) : 1;
		else
			goto usage;
	}
	if (argc - optind != 2)
		goto usage;
	if (px_waf_load(argv[optind], &waf, &err) != 0 ||
	    px_corpus_load(argv[optind + 1], &c, &err) != 0) {
		fprintf(stderr, "waf_bench: %s\n", err.data ? err.data : "error");
		return 1;
	}
	/* as the server does at start-up: no request pays for loading libmagic */
	if (px_waf_magic_preload() != 0)
		fprintf(stderr, "waf_bench: libmagic unavailable; uploads judged by signatures only\n");
	t = calloc(c.n, sizeof(*t));
	small = calloc(c.n, sizeof(*small));
	large = calloc(c.n, sizeof(*large));
	if (!t || !small || !large)
		return 1;
	for (i = 0; i < c.n; i++) {
		struct px_corpus_entry *e = &c.e[i];
		const char *only = getenv("WAF_BENCH_ONLY");
		const char *prof = px_waf_profile_for_path(e->req.method, e->req.raw_path);
		struct px_waf_verdict v;
		enum px_err res = PX_OK;
		struct cls *k = class_of(cs, &ncls, e->cls, e->expect_block);
		double t0;
		int blocked;

		if (only && strcmp(only, e->id) != 0)
			continue;
		t0 = now_us();

		for (r = 0; r < reps; r++)
			res = px_waf_inspect(waf, &e->req, prof, &v);
		t[i] = (now_us() - t0) / reps;
		total += t[i];
		if (e->wire_bytes < 1024)
			small[nsmall++] = t[i];
		if (e->req.body_len > 10240)
			large[nlarge++] = t[i];
		blocked = res != PX_OK;
		k->total++;
		k->blocked += (unsigned)blocked;
		if (e->expect_block)
			att++, att_b += (unsigned)blocked;
		else
			ben++, ben_b += (unsigned)blocked;
		if (verbose && blocked != e->expect_block) {
			struct px_buf js = PX_BUF_INIT;

			px_waf_verdict_json(&v, &js);
			printf("MISS %-22s %-8s %s\n", e->id, e->expect_block ? "attack" : "benign",
			       js.data);
			px_buf_free(&js);
		}
		if (verbose > 1)
			printf("time %-22s %8.1f us %6zu bytes\n", e->id, t[i], e->wire_bytes);
	}
	printf("WAF corpus: %zu requests (%u attacks, %u harmless), profile from px_waf_profile_for_path\n",
	       c.n, att, ben);
	printf("%-18s %8s %8s %8s\n", "class", "total", "blocked", "rate");
	for (i = 0; i < ncls; i++)
		printf("%-18s %8u %8u %7.1f%% %s\n", cs[i].name, cs[i].total, cs[i].blocked,
		       100.0 * cs[i].blocked / cs[i].total,
		       cs[i].expect_block ? "detected" : "false positives");
	printf("detection rate:       %6.2f%% (%u/%u)\n", att ? 100.0 * att_b / att : 0, att_b, att);
	printf("false-positive rate:  %6.2f%% (%u/%u)\n", ben ? 100.0 * ben_b / ben : 0, ben_b, ben);
	printf("time per request (us, mean of %d runs each): median %.1f  p99 %.1f  max %.1f\n",
	       reps, pct(t, c.n, 0.5), pct(t, c.n, 0.99), pct(t, c.n, 1.0));
	printf("  requests < 1 KB (%zu): median %.1f us\n", nsmall, pct(small, nsmall, 0.5));
	printf("  bodies > 10 KB (%zu):  median %.1f us  max %.1f us\n", nlarge,
	       pct(large, nlarge, 0.5), pct(large, nlarge, 1.0));
	printf("requests per second per core: %.0f\n", total > 0 ? c.n * 1e6 / total : 0);
	free(t);
	free(small);
	free(large);
	px_corpus_free(&c);
	px_waf_free(waf);
	px_buf_free(&err);
	return 0;
usage:
	fprintf(stderr, "usage: waf_bench [-v] [-r reps] RULES CORPUS.jsonl\n");
	return 2;
}
