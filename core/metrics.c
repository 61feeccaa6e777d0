/* metrics.c: a small fixed-size metrics registry under one mutex.
 * Histograms use fixed exponential microsecond buckets; quantiles are
 * interpolated inside the bucket that holds them. */
#include "core/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Series kept per process: routes x statuses x histograms add up, and a
 * series that does not fit is dropped, so this is generous. */
#define MAX_METRICS 4096
#define INDEX_SLOTS (2 * MAX_METRICS)   /* open addressing, a power of two */
#define NAME_MAX_LEN 64
#define LABELS_MAX_LEN 256

static const uint64_t bucket_us[] = {
	50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000,
	100000, 250000, 500000, 1000000, 2500000, 10000000,
};
#define NBUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

enum kind { COUNTER, HISTOGRAM, GAUGE };

struct metric {
	enum kind kind;
	char name[NAME_MAX_LEN];
	char labels[LABELS_MAX_LEN];
	uint64_t count;               /* counter value or observations */
	uint64_t sum_us;
	uint64_t buckets[NBUCKETS + 1]; /* last is +Inf */
	double gauge;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct metric registry[MAX_METRICS];
static int nmetrics;
/* registry index + 1 of each series by hash; 0: empty */
static int slots[INDEX_SLOTS];

static uint32_t series_hash(enum kind k, const char *name, const char *labels)
{
	uint32_t h = 2166136261u ^ (uint32_t)k; /* FNV-1a */

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (; *labels; labels++)
		h = (h ^ (unsigned char)*labels) * 16777619u;
	return h;
}

/* Finds or creates; returns NULL when the registry is full. Locked. */
static struct metric *find(enum kind k, const char *name, const char *labels)
{
	uint32_t i;

	labels = labels ? labels : "";
	for (i = series_hash(k, name, labels) & (INDEX_SLOTS - 1); slots[i];
	     i = (i + 1) & (INDEX_SLOTS - 1)) {
		struct metric *m = &registry[slots[i] - 1];

		if (m->kind == k && strcmp(m->name, name) == 0 && strcmp(m->labels, labels) == 0)
			return m;
	}
	if (nmetrics == MAX_METRICS || strlen(name) >= NAME_MAX_LEN ||
	    strlen(labels) >= LABELS_MAX_LEN)
		return NULL;
	registry[nmetrics].kind = k;
	snprintf(registry[nmetrics].name, NAME_MAX_LEN, "%s", name);
	snprintf(registry[nmetrics].labels, LABELS_MAX_LEN, "%s", labels);
	slots[i] = ++nmetrics;
	return &registry[nmetrics - 1];
}

void px_metrics_count(const char *name, const char *labels, uint64_t delta)
{
	struct metric *m;

	pthread_mutex_lock(&lock);
	if ((m = find(COUNTER, name, labels)))
		m->count += delta;
	pthread_mutex_unlock(&lock);
}

void px_metrics_observe_us(const char *name, const char *labels, uint64_t us)
{
	struct metric *m;
	size_t b;

	for (b = 0; b < NBUCKETS && us > bucket_us[b]; b++)
		;
	pthread_mutex_lock(&lock);
	if ((m = find(HISTOGRAM, name, labels))) {
		m->count++;
		m->sum_us += us;
		m->buckets[b]++;
	}
	pthread_mutex_unlock(&lock);
}

void px_metrics_gauge(const char *name, const char *labels, double value)
{
	struct metric *m;

	pthread_mutex_lock(&lock);
	if ((m = find(GAUGE, name, labels)))
		m->gauge = value;
	pthread_mutex_unlock(&lock);
}

uint64_t px_metrics_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static double quantile_of(const struct metric *m, double q)
{
	uint64_t rank, seen = 0;
	size_t b;

	if (m->count == 0)
		return -1;
	rank = (uint64_t)(q * (double)m->count + 0.5);
	if (rank < 1)
		rank = 1;
	for (b = 0; b <= NBUCKETS; b++) {
		if (seen + m->buckets[b] >= rank) {
			double lo = b ? (double)bucket_us[b - 1] : 0;
			double hi = b < NBUCKETS ? (double)bucket_us[b] : lo * 2;
			double frac = (double)(rank - seen) / (double)m->buckets[b];
			return lo + (hi - lo) * frac;
		}
		seen += m->buckets[b];
	}
	return -1;
}

double px_metrics_quantile(const char *name, const char *labels, double q)
{
	struct metric *m;
	double v = -1;

	pthread_mutex_lock(&lock);
	if ((m = find(HISTOGRAM, name, labels)))
		v = quantile_of(m, q);
	pthread_mutex_unlock(&lock);
	return v;
}

static void render_one(struct px_buf *out, const struct metric *m, int typeline)
{
	const char *sep = m->labels[0] ? "," : "";
	static const double qs[] = { 0.5, 0.9, 0.99 };
	uint64_t cum = 0;
	size_t b;

	switch (m->kind) {
	case COUNTER:
		if (typeline)
			px_buf_printf(out, "# TYPE %s counter\n", m->name);
		px_buf_printf(out, "%s{%s} %llu\n", m->name, m->labels,
			      (unsigned long long)m->count);
		break;
	case GAUGE:
		if (typeline)
			px_buf_printf(out, "# TYPE %s gauge\n", m->name);
		px_buf_printf(out, "%s{%s} %.6g\n", m->name, m->labels, m->gauge);
		break;
	case HISTOGRAM:
		if (typeline)
			px_buf_printf(out, "# TYPE %s histogram\n", m->name);
		for (b = 0; b < NBUCKETS; b++) {
			cum += m->buckets[b];
			px_buf_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", m->name,
				      m->labels, sep, (double)bucket_us[b] / 1e6,
				      (unsigned long long)cum);
		}
		px_buf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", m->name,
			      m->labels, sep, (unsigned long long)m->count);
		px_buf_printf(out, "%s_sum{%s} %.6f\n", m->name, m->labels,
			      (double)m->sum_us / 1e6);
		px_buf_printf(out, "%s_count{%s} %llu\n", m->name, m->labels,
			      (unsigned long long)m->count);
		for (b = 0; b < 3; b++)
			px_buf_printf(out, "%s_quantile_seconds{%s%squantile=\"%g\"} %.6f\n",
				      m->name, m->labels, sep, qs[b],
				      quantile_of(m, qs[b]) / 1e6);
		break;
	}
}

void px_metrics_render(struct px_buf *out)
{
	int i, j;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nmetrics; i++) {
		int first = 1;

		for (j = 0; j < i; j++)
			if (strcmp(registry[j].name, registry[i].name) == 0)
				first = 0;
		if (!first)
			continue;
		/* group all label sets of one name after its TYPE line */
		for (j = i; j < nmetrics; j++)
			if (strcmp(registry[j].name, registry[i].name) == 0)
				render_one(out, &registry[j], j == i);
	}
	pthread_mutex_unlock(&lock);
}
