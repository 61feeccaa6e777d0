/* waf_magic.h: the content type of uploaded bytes as libmagic names it,
 * for the WAF's upload checks. libmagic handles are not thread-safe and
 * slow to open (the database load and the first text lookup take a few
 * milliseconds), so the module keeps a small pool of loaded handles behind
 * a mutex: a caller borrows one for a lookup and returns it. The pool is
 * the module's only state. */
#ifndef PX_WAF_MAGIC_H
#define PX_WAF_MAGIC_H

#include <stddef.h>

/* Opens one handle into the pool ahead of the first upload, so no request
 * pays for loading the database; call at start-up. Returns 0, or -1 when
 * libmagic or its database is unavailable (uploads are then judged by the
 * built-in sniffer alone). */
int px_waf_magic_preload(void);

/* Writes the MIME type libmagic gives the first bytes of b[0..n) (at most
 * 64 KB are examined) into mime, e.g. "image/png", "text/x-php",
 * "application/x-executable". Returns 0, or -1 when libmagic is
 * unavailable (mime is then ""). Thread-safe. */
int px_waf_magic_mime(const char *b, size_t n, char *mime, size_t mimesz)
	__attribute__((nonnull(3)));

/* Closes the pooled handles (tests, shutdown); later calls open new ones. */
void px_waf_magic_cleanup(void);

#endif
