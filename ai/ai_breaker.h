/* ai_breaker.h: a circuit breaker per AI provider. Closed: calls pass and
 * consecutive failures are counted; after `threshold` of them it opens
 * and refuses calls for `cooldown_ms`; then it lets exactly one probe
 * through (half-open): the probe's success closes it, its failure opens
 * it for another cooldown. Thread-safe (one mutex per breaker); time is
 * passed in so tests need no clock. */
#ifndef PX_AI_BREAKER_H
#define PX_AI_BREAKER_H

#include <pthread.h>

enum px_ai_breaker_state { PX_AI_BR_CLOSED, PX_AI_BR_OPEN, PX_AI_BR_HALF_OPEN };

struct px_ai_breaker {
	pthread_mutex_t mu;
	int threshold;            /* failures in a row that open it (>= 1) */
	long long cooldown_ms;    /* how long it stays open */
	int failures;             /* consecutive failures while closed */
	enum px_ai_breaker_state state;
	long long open_until_ms;  /* while open: when the probe may go */
	int probing;              /* half-open: the probe is out */
};

void px_ai_breaker_init(struct px_ai_breaker *b, int threshold, long long cooldown_ms)
	__attribute__((nonnull));
void px_ai_breaker_destroy(struct px_ai_breaker *b) __attribute__((nonnull));
/* 1 when a call may go now (closed, or this caller is the half-open
 * probe), 0 when refused. A caller given 1 must report with _result. */
int px_ai_breaker_allow(struct px_ai_breaker *b, long long now_ms) __attribute__((nonnull));
/* Reports the outcome of an allowed call: ok 1 success, 0 failure. */
void px_ai_breaker_result(struct px_ai_breaker *b, int ok, long long now_ms) __attribute__((nonnull));
enum px_ai_breaker_state px_ai_breaker_state(struct px_ai_breaker *b) __attribute__((nonnull));
/* Milliseconds since an arbitrary start (CLOCK_MONOTONIC). */
long long px_ai_now_ms(void);

#endif
