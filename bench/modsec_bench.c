/* modsec_bench.c: runs the WAF corpus through libmodsecurity3 with the
 * Debian OWASP CRS (paranoia level 1) and through PlexiChat's WAF in the
 * same run, and prints both detection / false-positive rates and the
 * latency ratio. Not part of the main build: bench/modsec-bench.sh builds
 * it against an existing build directory's libplexi.a.
 *
 * usage: modsec_bench MODSEC_CONF PX_RULES CORPUS.jsonl */
#include "core/http.h"
#include "waf/waf.h"
#include "waf/waf_magic.h"
#include "bench/waf_corpus.h"

#include <modsecurity/intervention.h>
#include <modsecurity/modsecurity.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_us(void)
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

static double median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_d);
	return v[n / 2];
}

static double maxv(const double *v, size_t n)
{
	double m = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

static void quiet(void *data, const void *msg)
{
	(void)data;
	(void)msg;
}

/* Runs one request through ModSecurity; 1 when it intervenes. */
static int modsec_run(ModSecurity *ms, RulesSet *rules, const struct px_corpus_entry *e)
{
	const struct px_request *r = &e->req;
	Transaction *t = msc_new_transaction(ms, rules, NULL);
	ModSecurityIntervention it;
	char uri[65536];
	size_t i;
	int blocked;

	snprintf(uri, sizeof(uri), "%s%s%s", r->raw_path, r->raw_query[0] ? "?" : "",
		 r->raw_query);
	msc_process_connection(t, "192.0.2.10", 40000, "127.0.0.1", 80);
	msc_process_uri(t, uri, r->method, "1.1");
	for (i = 0; i < r->headers.n; i++)
		msc_add_n_request_header(t, (const unsigned char *)r->headers.items[i].name,
					 strlen(r->headers.items[i].name),
					 (const unsigned char *)r->headers.items[i].value,
					 r->headers.items[i].value_len);
	msc_process_request_headers(t);
	if (r->body_len)
		msc_append_request_body(t, (const unsigned char *)r->body, r->body_len);
	msc_process_request_body(t);
	memset(&it, 0, sizeof(it));
	it.status = 200;
	blocked = msc_intervention(t, &it) && it.disruptive;
	free(it.url);
	free(it.log);
	msc_process_logging(t);
	msc_transaction_cleanup(t);
	return blocked;
}

struct side {
	const char *name;
	unsigned att_b, ben_b;
	double *all, *small, *large;
	size_t nsmall, nlarge;
};

int main(int argc, char **argv)
{
	struct px_buf err = PX_BUF_INIT;
	struct px_corpus c;
	struct px_waf *waf = NULL;
	ModSecurity *ms;
	RulesSet *rules;
	const char *msg = NULL;
	struct side sd[2] = {{"ModSecurity+CRS PL1", 0, 0, NULL, NULL, NULL, 0, 0},
			     {"PlexiChat WAF", 0, 0, NULL, NULL, NULL, 0, 0}};
	unsigned att = 0, ben = 0;
	size_t i, k;
	const int reps = 20;

	if (argc != 4) {
		fprintf(stderr, "usage: modsec_bench MODSEC_CONF PX_RULES CORPUS.jsonl\n");
		return 2;
	}
	ms = msc_init();
	msc_set_connector_info(ms, "plexichat-bench");
	msc_set_log_cb(ms, quiet);
	rules = msc_create_rules_set();
	if (msc_rules_add_file(rules, argv[1], &msg) < 0) {
		fprintf(stderr, "modsec_bench: %s\n", msg ? msg : "cannot load rules");
		return 1;
	}
	if (px_waf_load(argv[2], &waf, &err) != 0 || px_corpus_load(argv[3], &c, &err) != 0) {
		fprintf(stderr, "modsec_bench: %s\n", err.data ? err.data : "error");
		return 1;
	}
	(void)px_waf_magic_preload(); /* as plexichat.fcgi does at start-up */
	for (k = 0; k < 2; k++) {
		sd[k].all = calloc(c.n, sizeof(double));
		sd[k].small = calloc(c.n, sizeof(double));
		sd[k].large = calloc(c.n, sizeof(double));
		if (!sd[k].all || !sd[k].small || !sd[k].large)
			return 1;
	}
	for (i = 0; i < c.n; i++) {
		const struct px_corpus_entry *e = &c.e[i];
		const char *prof = px_waf_profile_for_path(e->req.method, e->req.raw_path);
		struct px_waf_verdict v;
		int b[2], r;
		double t0, dt[2];

		t0 = cpu_us();
		b[0] = modsec_run(ms, rules, e);
		dt[0] = cpu_us() - t0;
		t0 = cpu_us();
		for (r = 0; r < reps; r++)
			b[1] = px_waf_inspect(waf, &e->req, prof, &v) != PX_OK;
		dt[1] = (cpu_us() - t0) / reps;
		if (e->expect_block)
			att++;
		else
			ben++;
		for (k = 0; k < 2; k++) {
			if (e->expect_block)
				sd[k].att_b += (unsigned)b[k];
			else
				sd[k].ben_b += (unsigned)b[k];
			sd[k].all[i] = dt[k];
			if (e->wire_bytes < 1024)
				sd[k].small[sd[k].nsmall++] = dt[k];
			if (e->req.body_len > 10240)
				sd[k].large[sd[k].nlarge++] = dt[k];
		}
	}
	printf("corpus: %zu requests (%u attacks, %u harmless); CPU time per request\n", c.n, att, ben);
	printf("%-22s %9s %9s %12s %12s %12s %12s\n", "engine", "detect", "FP", "p50 all us",
	       "p50 <1KB us", "p50 >10KB us", "max us");
	for (k = 0; k < 2; k++) {
		double mx = maxv(sd[k].all, c.n);

		printf("%-22s %8.1f%% %8.1f%% %12.1f %12.1f %12.1f %12.1f\n", sd[k].name,
		       100.0 * sd[k].att_b / (att ? att : 1), 100.0 * sd[k].ben_b / (ben ? ben : 1),
		       median(sd[k].all, c.n), median(sd[k].small, sd[k].nsmall),
		       median(sd[k].large, sd[k].nlarge), mx);
	}
	printf("latency ratio ModSecurity / PlexiChat: p50 <1KB %.0fx, p50 >10KB %.0fx, all p50 %.0fx\n",
	       median(sd[0].small, sd[0].nsmall) / median(sd[1].small, sd[1].nsmall),
	       median(sd[0].large, sd[0].nlarge) / median(sd[1].large, sd[1].nlarge),
	       median(sd[0].all, c.n) / median(sd[1].all, c.n));
	for (k = 0; k < 2; k++) {
		free(sd[k].all);
		free(sd[k].small);
		free(sd[k].large);
	}
	px_corpus_free(&c);
	px_waf_free(waf);
	msc_rules_cleanup(rules);
	msc_cleanup(ms);
	px_buf_free(&err);
	return 0;
}
