/* ai_breaker.c: the per-provider circuit breaker (ai_breaker.h). All state
 * changes happen under the breaker's mutex. */
#include "ai/ai_breaker.h"

#include <time.h>

void px_ai_breaker_init(struct px_ai_breaker *b, int threshold, long long cooldown_ms)
{
	pthread_mutex_init(&b->mu, NULL);
	b->threshold = threshold < 1 ? 1 : threshold;
	b->cooldown_ms = cooldown_ms < 0 ? 0 : cooldown_ms;
	b->failures = 0;
	b->state = PX_AI_BR_CLOSED;
	b->open_until_ms = 0;
	b->probing = 0;
}

void px_ai_breaker_destroy(struct px_ai_breaker *b)
{
	pthread_mutex_destroy(&b->mu);
}

int px_ai_breaker_allow(struct px_ai_breaker *b, long long now_ms)
{
	int ok = 0;

	pthread_mutex_lock(&b->mu);
	if (b->state == PX_AI_BR_CLOSED) {
		ok = 1;
	} else if (b->state == PX_AI_BR_OPEN && now_ms >= b->open_until_ms) {
		b->state = PX_AI_BR_HALF_OPEN;
		b->probing = 1;
		ok = 1;
	} else if (b->state == PX_AI_BR_HALF_OPEN && !b->probing) {
		b->probing = 1;
		ok = 1;
	}
	pthread_mutex_unlock(&b->mu);
	return ok;
}

void px_ai_breaker_result(struct px_ai_breaker *b, int ok, long long now_ms)
{
	pthread_mutex_lock(&b->mu);
	if (ok) {
		b->state = PX_AI_BR_CLOSED;
		b->failures = 0;
	} else if (b->state == PX_AI_BR_HALF_OPEN || ++b->failures >= b->threshold) {
		/* a failed probe, or too many failures in a row */
		b->state = PX_AI_BR_OPEN;
		b->open_until_ms = now_ms + b->cooldown_ms;
		b->failures = 0;
	}
	b->probing = 0;
	pthread_mutex_unlock(&b->mu);
}

enum px_ai_breaker_state px_ai_breaker_state(struct px_ai_breaker *b)
{
	enum px_ai_breaker_state s;

	pthread_mutex_lock(&b->mu);
	s = b->state;
	pthread_mutex_unlock(&b->mu);
	return s;
}

long long px_ai_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
