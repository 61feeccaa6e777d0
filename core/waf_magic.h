/* waf_magic.h: the content type of uploaded bytes as libmagic names it,
 * for the WAF's upload checks. libmagic handles are not thread-safe, so
 * each thread lazily opens its own (loaded once, warmed up, closed when the
 * thread exits); this per-thread handle is the module's only state. */
#ifndef PX_WAF_MAGIC_H
#define PX_WAF_MAGIC_H

#include <stddef.h>

/* Writes the MIME type libmagic gives the first bytes of b[0..n) (at most
 * 64 KB are examined) into mime, e.g. "image/png", "text/x-php",
 * "application/x-executable". Returns 0, or -1 when libmagic or its
 * database is unavailable in this thread (mime is then ""). */
int px_waf_magic_mime(const char *b, size_t n, char *mime, size_t mimesz);

/* Closes the calling thread's handle now (tests, short-lived threads);
 * the next call opens a new one. */
void px_waf_magic_thread_end(void);

#endif
