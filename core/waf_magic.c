/* waf_magic.c: one libmagic handle per thread, behind px_waf_magic_mime(). */
#include "waf_magic.h"

#include <magic.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define EXAMINE_MAX (64 * 1024)

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_ok;
static const char load_failed; /* its address marks a thread whose load failed */

static void close_handle(void *m)
{
	if (m != (void *)&load_failed)
		magic_close(m);
}

static void make_key(void)
{
	key_ok = pthread_key_create(&key, close_handle) == 0;
}

/* A loaded handle; a handle that failed to load is remembered as a
 * sentinel so the database is not re-read on every upload. */
static magic_t handle(void)
{
	static const char warm[] = "#!/bin/sh\necho warm-up\n";
	magic_t m;
	size_t bytes = EXAMINE_MAX;

	pthread_once(&key_once, make_key);
	if (!key_ok)
		return NULL;
	m = pthread_getspecific(key);
	if (m)
		return m == (void *)&load_failed ? NULL : m;
	m = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_JSON |
		       MAGIC_NO_CHECK_CSV | MAGIC_ERROR);
	if (!m || magic_load(m, NULL) != 0) {
		if (m)
			magic_close(m);
		(void)pthread_setspecific(key, (void *)&load_failed);
		return NULL;
	}
	magic_setparam(m, MAGIC_PARAM_BYTES_MAX, &bytes);
	/* the first text lookup compiles libmagic's text patterns; pay that
	 * when the handle opens, not inside a request */
	(void)magic_buffer(m, warm, sizeof(warm) - 1);
	if (pthread_setspecific(key, m) != 0) {
		magic_close(m);
		return NULL;
	}
	return m;
}

int px_waf_magic_mime(const char *b, size_t n, char *mime, size_t mimesz)
{
	magic_t m = handle();
	const char *r;

	if (mimesz)
		mime[0] = '\0';
	if (!m)
		return -1;
	r = magic_buffer(m, n ? b : "", n < EXAMINE_MAX ? n : EXAMINE_MAX);
	if (!r)
		return -1;
	snprintf(mime, mimesz, "%s", r);
	return 0;
}

void px_waf_magic_thread_end(void)
{
	magic_t m;

	if (!key_ok || !(m = pthread_getspecific(key)))
		return;
	(void)pthread_setspecific(key, NULL);
	close_handle(m);
}
