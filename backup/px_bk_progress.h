/* px_bk_progress.h: the progress line shown on a terminal: bar, bytes
 * done of the estimated total, throughput and ETA, redrawn at most five
 * times a second on stderr. Silent when stderr is not a terminal (cron). */
#ifndef PX_BK_PROGRESS_H
#define PX_BK_PROGRESS_H

#include <stdint.h>

struct px_bk_progress {
	int enabled;
	const char *label;
	uint64_t total, done;
	double start, last_draw;
};

/* enabled: -1 = when stderr is a tty, 0 = never, 1 = always. */
void px_bk_progress_init(struct px_bk_progress *p, const char *label, int enabled);
void px_bk_progress_total(void *p, uint64_t total);
void px_bk_progress_update(void *p, uint64_t done);
/* Draws the final line and a newline. */
void px_bk_progress_end(struct px_bk_progress *p);

#endif
