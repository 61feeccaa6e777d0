/* metrics.h: process-wide counters and latency histograms, rendered in the
 * Prometheus text format. The registry is owned by this module and safe to
 * use from any thread. Names follow Prometheus rules; labels are given as a
 * ready-made label set such as route="/api/v1/x",status="200". */
#ifndef PX_METRICS_H
#define PX_METRICS_H

#include <stdint.h>

#include "core/buf.h"

/* Adds delta to a counter, creating it on first use (labels NULL: none). */
void px_metrics_count(const char *name, const char *labels, uint64_t delta)
	__attribute__((nonnull(1)));
/* Records one observation in microseconds into a histogram. */
void px_metrics_observe_us(const char *name, const char *labels, uint64_t us)
	__attribute__((nonnull(1)));
/* Sets a gauge. */
void px_metrics_gauge(const char *name, const char *labels, double value)
	__attribute__((nonnull(1)));
/* Monotonic clock in microseconds, for timers. */
uint64_t px_metrics_now_us(void);
/* Estimated quantile q (0..1) of a histogram in microseconds; -1 if empty. */
double px_metrics_quantile(const char *name, const char *labels, double q)
	__attribute__((nonnull(1)));
/* Appends the whole registry in Prometheus text format 0.0.4. */
void px_metrics_render(struct px_buf *out) __attribute__((nonnull));

#endif
