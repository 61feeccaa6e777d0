/* vcache.c: one mutex, one array of slots, each owning its bytes. */
#include "core/vcache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct slot {
	long long id, version;
	int variant;
	time_t stored;      /* CLOCK_MONOTONIC seconds */
	char *data;         /* NULL when free */
	size_t len;
};

struct px_vcache {
	pthread_mutex_t lock;
	struct slot *t;
	unsigned n;
	size_t max_bytes;
	int max_age;
};

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static struct slot *slot_for(struct px_vcache *c, long long id, int variant)
{
	uint64_t h = ((uint64_t)id * 0x9E3779B97F4A7C15ull) ^ (uint64_t)variant;

	return &c->t[(h >> 32) % c->n];
}

struct px_vcache *px_vcache_new(unsigned slots, size_t max_bytes, int max_age)
{
	struct px_vcache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (slots && !(c->t = calloc(slots, sizeof(*c->t)))) {
		free(c);
		return NULL;
	}
	c->n = slots;
	c->max_bytes = max_bytes;
	c->max_age = max_age;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void px_vcache_free(struct px_vcache *c)
{
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		free(c->t[i].data);
	free(c->t);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int px_vcache_get(struct px_vcache *c, long long id, int variant,
		  long long version, struct px_buf *out)
{
	struct slot *s;
	int rc = 0;

	if (!c || !c->n)
		return 0;
	pthread_mutex_lock(&c->lock);
	s = slot_for(c, id, variant);
	if (s->data && s->id == id && s->variant == variant && s->version == version &&
	    now_s() - s->stored < c->max_age) {
		if (px_buf_reserve(out, s->len) != 0) {
			rc = -1;
		} else {
			px_buf_append(out, s->data, s->len);
			rc = 1;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void px_vcache_put(struct px_vcache *c, long long id, int variant,
		   long long version, const void *p, size_t n)
{
	struct slot *s;
	char *copy;

	if (!c || !c->n || n > c->max_bytes || !(copy = malloc(n ? n : 1)))
		return;
	memcpy(copy, p, n);
	pthread_mutex_lock(&c->lock);
	s = slot_for(c, id, variant);
	free(s->data);
	s->data = copy;
	s->len = n;
	s->id = id;
	s->variant = variant;
	s->version = version;
	s->stored = now_s();
	pthread_mutex_unlock(&c->lock);
}
