/* snap.c: reference-counted snapshots behind one mutex. */
#include "core/snap.h"

#include <pthread.h>
#include <stdlib.h>

struct px_snap_ref {
	void *obj;
	int refs; /* readers, plus 1 while current */
};

struct px_snap {
	pthread_mutex_t lock;
	struct px_snap_ref *cur;
	void (*free_fn)(void *);
};

static struct px_snap_ref *ref_new(void *obj)
{
	struct px_snap_ref *r = calloc(1, sizeof(*r));

	if (r) {
		r->obj = obj;
		r->refs = 1;
	}
	return r;
}

/* Drops one reference; locked by the caller. */
static void ref_put(struct px_snap *s, struct px_snap_ref *r)
{
	if (--r->refs == 0) {
		if (r->obj)
			s->free_fn(r->obj);
		free(r);
	}
}

struct px_snap *px_snap_new(void *obj, void (*free_fn)(void *))
{
	struct px_snap *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cur = ref_new(obj);
	if (!s->cur) {
		free(s);
		return NULL;
	}
	s->free_fn = free_fn;
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

void px_snap_free(struct px_snap *s)
{
	if (!s)
		return;
	ref_put(s, s->cur);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void *px_snap_acquire(struct px_snap *s, struct px_snap_ref **ref)
{
	pthread_mutex_lock(&s->lock);
	*ref = s->cur;
	s->cur->refs++;
	pthread_mutex_unlock(&s->lock);
	return (*ref)->obj;
}

void px_snap_release(struct px_snap *s, struct px_snap_ref *ref)
{
	pthread_mutex_lock(&s->lock);
	ref_put(s, ref);
	pthread_mutex_unlock(&s->lock);
}

void *px_snap_peek(struct px_snap *s)
{
	void *obj;

	pthread_mutex_lock(&s->lock);
	obj = s->cur->obj;
	pthread_mutex_unlock(&s->lock);
	return obj;
}

int px_snap_swap(struct px_snap *s, void *obj)
{
	struct px_snap_ref *fresh = ref_new(obj), *old;

	if (!fresh)
		return -1;
	pthread_mutex_lock(&s->lock);
	old = s->cur;
	s->cur = fresh;
	ref_put(s, old);
	pthread_mutex_unlock(&s->lock);
	return 0;
}
