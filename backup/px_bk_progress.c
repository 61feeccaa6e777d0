/* px_bk_progress.c: terminal progress line. The total is an estimate
 * (table heap sizes, file sizes), so the bar is capped at 99% until the
 * end. */
#include "backup/px_bk_progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void px_bk_progress_init(struct px_bk_progress *p, const char *label, int enabled)
{
	p->enabled = enabled < 0 ? isatty(2) : enabled;
	p->label = label;
	p->total = p->done = 0;
	p->start = now_s();
	p->last_draw = 0;
}

void px_bk_progress_total(void *arg, uint64_t total)
{
	struct px_bk_progress *p = arg;

	p->total += total;
}

static void draw(struct px_bk_progress *p, int final)
{
	double el = now_s() - p->start, rate = el > 0 ? p->done / el : 0;
	double frac = p->total ? (double)p->done / p->total : 0;
	char bar[31];
	int i, fill, eta = -1;

	if (!final && frac > 0.99)
		frac = 0.99;
	if (final)
		frac = 1;
	fill = (int)(frac * 30);
	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	if (!final && rate > 0 && p->total > p->done)
		eta = (int)((p->total - p->done) / rate);
	fprintf(stderr, "\r%s [%s] %3d%% %8.1f MiB %7.1f MiB/s", p->label, bar,
		(int)(frac * 100), p->done / 1048576.0, rate / 1048576.0);
	if (eta >= 0)
		fprintf(stderr, " ETA %d:%02d:%02d ", eta / 3600, eta / 60 % 60, eta % 60);
	else
		fprintf(stderr, " %d:%02d:%02d     ", (int)el / 3600, (int)el / 60 % 60,
			(int)el % 60);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

void px_bk_progress_update(void *arg, uint64_t done)
{
	struct px_bk_progress *p = arg;
	double t;

	p->done = done;
	if (!p->enabled)
		return;
	t = now_s();
	if (t - p->last_draw < 0.2)
		return;
	p->last_draw = t;
	draw(p, 0);
}

void px_bk_progress_end(struct px_bk_progress *p)
{
	if (p->enabled)
		draw(p, 1);
}
