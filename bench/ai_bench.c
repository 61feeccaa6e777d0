/* ai_bench.c: in-process figures of the AI layer for bench/ai-bench.sh.
 *
 *   ai_bench recall N Q     N synthetic chat messages, Q queries: recall@10
 *                           of the stored int8 vectors against exact float
 *                           search, and the built-in embedding rate
 *   ai_bench client URL N   N summaries through px_ai_run against an
 *                           OpenAI-compatible server at URL, beside N plain
 *                           libcurl POSTs of the same body to it (the
 *                           server's own time): p50 of each, interleaved */
#include "ai/ai_builtin.h"
#include "ai/ai_provider.h"
#include "ai/ai_wire.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const vocab[] = {
	"deploy", "release", "database", "migration", "lunch", "coffee", "review", "merge",
	"branch", "server", "backup", "restore", "ticket", "customer", "invoice", "meeting",
	"standup", "sprint", "design", "mockup", "kubernetes", "docker", "cache", "latency",
	"error", "timeout", "network", "firewall", "password", "rotate", "token", "login",
	"holiday", "weekend", "monday", "friday", "budget", "report", "metrics", "dashboard",
	"alert", "pager", "incident", "postmortem", "roadmap", "feature", "bug", "fix",
	"test", "build", "pipeline", "runner", "queue", "worker", "thread", "memory",
};
#define NV (sizeof(vocab) / sizeof(vocab[0]))

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void text(unsigned seed, char *out, size_t cap)
{
	size_t used = 0;
	int i, n = 5 + (int)(seed % 7);

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? " " : "",
					 vocab[(seed >> 8) % NV]);
		if (used >= cap)
			break;
	}
}

static void top10(const float *sc, int n, int *out)
{
	int i, k;

	for (k = 0; k < 10; k++)
		out[k] = -1;
	for (i = 0; i < n; i++)
		for (k = 0; k < 10; k++)
			if (out[k] < 0 || sc[i] > sc[out[k]]) {
				memmove(&out[k + 1], &out[k], sizeof(int) * (size_t)(9 - k));
				out[k] = i;
				break;
			}
}

static int recall(int n, int q)
{
	float *f = malloc(sizeof(float) * (size_t)n * PX_AI_BUILTIN_DIM);
	signed char *v = malloc((size_t)n * PX_AI_BUILTIN_DIM);
	float *se = malloc(sizeof(float) * (size_t)n), *sq = malloc(sizeof(float) * (size_t)n);
	float qv[PX_AI_BUILTIN_DIM];
	signed char qq[PX_AI_BUILTIN_DIM];
	double t0, hits = 0;
	char buf[256];
	int i, j, d, a[10], b[10];

	if (!f || !v || !se || !sq)
		return 1;
	t0 = now_s();
	for (i = 0; i < n; i++) {
		text((unsigned)i * 2654435761u, buf, sizeof(buf));
		px_ai_builtin_embed(buf, strlen(buf), f + (size_t)i * PX_AI_BUILTIN_DIM, PX_AI_BUILTIN_DIM);
		px_ai_quantise(f + (size_t)i * PX_AI_BUILTIN_DIM, v + (size_t)i * PX_AI_BUILTIN_DIM,
			       PX_AI_BUILTIN_DIM);
	}
	printf("built-in embedding in process: %.0f messages/s (embed + quantise, one core)\n",
	       n / (now_s() - t0));
	for (j = 0; j < q; j++) {
		text((unsigned)(j + 7) * 40503u, buf, sizeof(buf));
		px_ai_builtin_embed(buf, strlen(buf), qv, PX_AI_BUILTIN_DIM);
		px_ai_quantise(qv, qq, PX_AI_BUILTIN_DIM);
		for (i = 0; i < n; i++) {
			float s = 0;
			int si = 0;

			for (d = 0; d < PX_AI_BUILTIN_DIM; d++) {
				s += qv[d] * f[(size_t)i * PX_AI_BUILTIN_DIM + d];
				si += qq[d] * v[(size_t)i * PX_AI_BUILTIN_DIM + d];
			}
			se[i] = s;
			sq[i] = (float)si + (float)i * 1e-9f;
		}
		top10(se, n, a);
		top10(sq, n, b);
		/* ties: a stored item counts as found when its exact score equals
		 * that of an exact top-10 item */
		for (i = 0; i < 10; i++)
			for (d = 0; d < 10; d++)
				if (b[d] >= 0 && a[i] >= 0 && (b[d] == a[i] || se[b[d]] == se[a[i]])) {
					hits++;
					break;
				}
	}
	printf("recall@10 of the int8 vectors against exact float search: %.3f (%d messages, %d queries)\n",
	       hits / (10.0 * q), n, q);
	free(f);
	free(v);
	free(se);
	free(sq);
	return 0;
}

static size_t sink(char *p, size_t s, size_t n, void *a)
{
	(void)p;
	(void)a;
	return s * n;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int client(const char *url, int n)
{
	static const struct px_ai_item items[] = {
		{ 1, "ann", "The release build fails on the database migration step." },
		{ 2, "bob", "The migration fails because the release build skips the lock." },
	};
	struct px_ai_req q = { PX_AI_TASK_SUMMARY, items, 2, NULL, NULL, 200, NULL, NULL, 0 };
	struct px_buf sys = PX_BUF_INIT, user = PX_BUF_INIT, u = PX_BUF_INIT, body = PX_BUF_INIT,
		      auth = PX_BUF_INIT;
	double *raw = calloc((size_t)n, sizeof(double)), *ours = calloc((size_t)n, sizeof(double));
	struct px_ai_set set;
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	char json[1024];
	const char *why;
	int i;

	snprintf(json, sizeof(json), "{\"providers\":[{\"name\":\"local\",\"kind\":\"openai\","
				     "\"base_url\":\"%s\",\"chat_model\":\"m\",\"retries\":0}]}", url);
	if (!raw || !ours || px_ai_set_parse(json, &set, &why) != PX_OK) {
		free(raw);
		free(ours);
		curl_slist_free_all(h);
		return 1;
	}
	px_ai_wire_prompt(&q, &sys, &user);
	if (px_ai_wire_chat(&set.v[1], sys.data, user.data, 200, 0, &u, &body, &auth) != PX_OK) {
		free(raw);
		free(ours);
		curl_slist_free_all(h);
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct px_ai_answer a;
		CURL *c = curl_easy_init();
		double t0 = now_s();

		/* the baseline: the same request, the answer read and dropped */
		curl_easy_setopt(c, CURLOPT_URL, u.data);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
		curl_easy_perform(c);
		curl_easy_cleanup(c);
		raw[i] = now_s() - t0;
		px_ai_answer_init(&a);
		t0 = now_s();
		if (px_ai_run(&set.v[1], &q, &a) != PX_OK) {
			fprintf(stderr, "px_ai_run failed\n");
			return 1;
		}
		ours[i] = now_s() - t0;
		px_ai_answer_free(&a);
	}
	qsort(raw, (size_t)n, sizeof(double), cmp);
	qsort(ours, (size_t)n, sizeof(double), cmp);
	printf("provider client: p50 %.3f ms through px_ai_run vs %.3f ms plain libcurl POST to the "
	       "same server: +%.3f ms (target <= 1 ms)\n",
	       ours[n / 2] * 1e3, raw[n / 2] * 1e3, (ours[n / 2] - raw[n / 2]) * 1e3);
	curl_slist_free_all(h);
	px_buf_free(&sys);
	px_buf_free(&user);
	px_buf_free(&u);
	px_buf_free(&body);
	px_buf_free(&auth);
	px_ai_set_free(&set);
	free(raw);
	free(ours);
	return 0;
}

int main(int argc, char **argv)
{
	curl_global_init(CURL_GLOBAL_ALL);
	if (argc == 4 && strcmp(argv[1], "recall") == 0)
		return recall(atoi(argv[2]), atoi(argv[3]));
	if (argc == 4 && strcmp(argv[1], "client") == 0)
		return client(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: ai_bench recall N Q | ai_bench client URL N\n");
	return 2;
}
