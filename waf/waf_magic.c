/* waf_magic.c: a mutex-guarded pool of loaded libmagic handles. A handle is
 * used by one thread at a time: borrowed, used, given back. */
#include "waf/waf_magic.h"

#include <magic.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define EXAMINE_MAX (64 * 1024)
#define POOL_MAX 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static magic_t pool[POOL_MAX]; /* idle handles, guarded by lock */
static int idle;
static int unavailable;        /* the database failed to load once: stop trying */

/* A loaded and warmed-up handle, or NULL. */
static magic_t open_handle(void)
{
	static const char *const warm[] = {
		"#!/bin/sh\necho warm-up\n", "<?php echo 1; ?>\n",
		"<html><body>warm-up</body></html>\n", "plain words for the warm-up\n",
	};
	size_t bytes = EXAMINE_MAX, i;
	magic_t m;

	m = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_JSON |
		       MAGIC_NO_CHECK_CSV | MAGIC_ERROR);
	if (!m)
		return NULL;
	if (magic_load(m, NULL) != 0) {
		magic_close(m);
		return NULL;
	}
	magic_setparam(m, MAGIC_PARAM_BYTES_MAX, &bytes);
	/* the first text lookups compile libmagic's text patterns; pay that
	 * here rather than in the first uploads it judges */
	for (i = 0; i < sizeof(warm) / sizeof(warm[0]); i++)
		(void)magic_buffer(m, warm[i], strlen(warm[i]));
	return m;
}

/* Borrows an idle handle or opens a new one; NULL when unavailable. */
static magic_t borrow(void)
{
	magic_t m = NULL;
	int dead;

	pthread_mutex_lock(&lock);
	if (idle > 0)
		m = pool[--idle];
	dead = unavailable;
	pthread_mutex_unlock(&lock);
	if (m || dead)
		return m;
	m = open_handle();
	if (!m) {
		pthread_mutex_lock(&lock);
		unavailable = 1;
		pthread_mutex_unlock(&lock);
	}
	return m;
}

static void give_back(magic_t m)
{
	pthread_mutex_lock(&lock);
	if (idle < POOL_MAX) {
		pool[idle++] = m;
		m = NULL;
	}
	pthread_mutex_unlock(&lock);
	if (m)
		magic_close(m);
}

int px_waf_magic_preload(void)
{
	magic_t m;
	int have;

	pthread_mutex_lock(&lock);
	have = idle > 0;
	pthread_mutex_unlock(&lock);
	if (have)
		return 0;
	if (!(m = borrow()))
		return -1;
	give_back(m);
	return 0;
}

int px_waf_magic_mime(const char *b, size_t n, char *mime, size_t mimesz)
{
	magic_t m = borrow();
	const char *r = NULL;

	if (mimesz)
		mime[0] = '\0';
	if (!m)
		return -1;
	r = magic_buffer(m, n ? b : "", n < EXAMINE_MAX ? n : EXAMINE_MAX);
	if (r)
		snprintf(mime, mimesz, "%s", r);
	give_back(m); /* r points into the handle: copied above */
	return r ? 0 : -1;
}

void px_waf_magic_cleanup(void)
{
	magic_t m[POOL_MAX];
	int n, i;

	pthread_mutex_lock(&lock);
	n = idle;
	memcpy(m, pool, sizeof(m));
	idle = 0;
	unavailable = 0;
	pthread_mutex_unlock(&lock);
	for (i = 0; i < n; i++)
		magic_close(m[i]);
}
