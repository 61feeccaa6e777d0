/* ratelease.c: a small open-addressed table of leased tokens per key. */
#include "core/ratelease.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 128
#define PROBES 8

struct slot {
	char key[KEY_MAX];  /* "" when free */
	int tokens;         /* leased, not spent yet */
	int spent;          /* of the current lease, the asking request's included */
	int empty;          /* the shared bucket had nothing to give */
	time_t expires;
	time_t asked;       /* when this process last asked the bucket */
};

struct px_ratelease {
	pthread_mutex_t lock;
	struct slot *t;
	unsigned mask;
};

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

struct px_ratelease *px_ratelease_new(unsigned slots)
{
	struct px_ratelease *rl = calloc(1, sizeof(*rl));
	unsigned n = 16;

	if (!rl)
		return NULL;
	while (n < slots && n < (1u << 24))
		n <<= 1;
	rl->t = calloc(n, sizeof(*rl->t));
	if (!rl->t) {
		free(rl);
		return NULL;
	}
	rl->mask = n - 1;
	pthread_mutex_init(&rl->lock, NULL);
	return rl;
}

void px_ratelease_free(struct px_ratelease *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->t);
	free(rl);
}

/* The slot holding key, or NULL; locked by the caller. */
static struct slot *find(struct px_ratelease *rl, const char *key)
{
	uint32_t h = hash(key);
	unsigned i;

	for (i = 0; i < PROBES; i++) {
		struct slot *s = &rl->t[(h + i) & rl->mask];

		if (strcmp(s->key, key) == 0)
			return s;
	}
	return NULL;
}

int px_ratelease_take(struct px_ratelease *rl, const char *key, time_t now)
{
	struct slot *s;
	int ok = 0;

	pthread_mutex_lock(&rl->lock);
	s = find(rl, key);
	if (s && s->expires > now) {
		if (s->tokens > 0) {
			s->tokens--;
			s->spent++;
			ok = 1;
		} else if (s->empty) {
			ok = -1;
		}
	}
	pthread_mutex_unlock(&rl->lock);
	return ok;
}

static void store(struct px_ratelease *rl, const char *key, int n, int empty,
		  time_t now, time_t until)
{
	uint32_t h = hash(key);
	struct slot *s, *victim = NULL;
	unsigned i;

	if (strlen(key) >= KEY_MAX)
		return; /* never leased: such a client always asks the database */
	pthread_mutex_lock(&rl->lock);
	s = find(rl, key);
	for (i = 0; !s && i < PROBES; i++) {
		struct slot *c = &rl->t[(h + i) & rl->mask];

		if (!c->key[0] || c->expires <= now) {
			s = c;
			break;
		}
		if (!victim || c->expires < victim->expires)
			victim = c;
	}
	if (!s)
		s = victim;
	memcpy(s->key, key, strlen(key) + 1);
	s->tokens = n;
	s->spent = 1;
	s->empty = empty;
	s->expires = until;
	s->asked = now;
	pthread_mutex_unlock(&rl->lock);
}

void px_ratelease_put(struct px_ratelease *rl, const char *key, int n,
		      time_t now, time_t until)
{
	store(rl, key, n, n == 0, now, until);
}

void px_ratelease_note(struct px_ratelease *rl, const char *key, time_t now)
{
	store(rl, key, 0, 0, now, now + PX_RATELEASE_SECONDS);
}

int px_ratelease_plan(struct px_ratelease *rl, const char *key, time_t now, int max,
		      int *refund)
{
	struct slot *s;
	int want = 1;

	pthread_mutex_lock(&rl->lock);
	s = find(rl, key);
	*refund = s ? s->tokens : 0;
	if (s) {
		s->tokens = 0;
		if (s->asked >= now - 2 * PX_RATELEASE_SECONDS)
			want = 2 * s->spent;
	}
	pthread_mutex_unlock(&rl->lock);
	return want < 1 ? 1 : want > max ? max : want;
}
