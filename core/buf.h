/* buf.h: growable, NUL-terminated, binary-safe byte buffers and string views.
 *
 * A px_buf owns its storage, which px_buf_free releases (or px_buf_steal
 * hands over). Appends never fail loudly: on allocation failure the buffer
 * sets its sticky `failed` flag and ignores further appends, so a caller
 * can do many appends and check once. Every function takes a non-NULL
 * buffer. */
#ifndef PX_BUF_H
#define PX_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct px_buf {
	char *data;   /* NUL-terminated when non-NULL */
	size_t len;   /* bytes used, excluding the terminator */
	size_t cap;   /* bytes allocated */
	int failed;   /* sticky: an append ran out of memory or hit max */
	size_t max;   /* 0 = unlimited; otherwise appends past max fail */
};

/* A non-owning view into bytes held elsewhere. */
struct px_str {
	const char *ptr;
	size_t len;
};

#define PX_BUF_INIT { NULL, 0, 0, 0, 0 }

void px_buf_init(struct px_buf *b) __attribute__((nonnull));
/* Frees the storage and leaves an empty buffer, ready for reuse. */
void px_buf_free(struct px_buf *b) __attribute__((nonnull));
/* Empties the buffer but keeps its storage for reuse. */
void px_buf_reset(struct px_buf *b) __attribute__((nonnull));
/* Removes the first n bytes (all, when n >= len), keeping the rest. */
void px_buf_drop(struct px_buf *b, size_t n) __attribute__((nonnull));
/* Shortens the buffer to its first len bytes (nothing when it is shorter). */
void px_buf_truncate(struct px_buf *b, size_t len) __attribute__((nonnull));
/* Makes room for `extra` more bytes; returns 0, or -1 and sets failed. */
int px_buf_reserve(struct px_buf *b, size_t extra) __attribute__((nonnull));
/* Appends n bytes of p (p may be NULL when n is 0). */
void px_buf_append(struct px_buf *b, const void *p, size_t n) __attribute__((nonnull(1)));
void px_buf_puts(struct px_buf *b, const char *s) __attribute__((nonnull));
void px_buf_putc(struct px_buf *b, char c) __attribute__((nonnull));
void px_buf_printf(struct px_buf *b, const char *fmt, ...)
	__attribute__((nonnull(1, 2), format(printf, 2, 3)));
void px_buf_vprintf(struct px_buf *b, const char *fmt, va_list ap)
	__attribute__((nonnull(1, 2), format(printf, 2, 0)));
/* Appends s as a JSON string literal, quotes included. Control characters,
 * quotes and backslashes are escaped; invalid UTF-8 becomes U+FFFD. */
void px_buf_json_str(struct px_buf *b, const char *s, size_t n) __attribute__((nonnull(1)));
/* Appends s with &, <, >, ", ' replaced by HTML entities. */
void px_buf_html(struct px_buf *b, const char *s, size_t n) __attribute__((nonnull(1)));
/* Detaches the storage: returns it, NUL-terminated (the caller frees it
 * with free()), and empties b. Returns NULL when the buffer failed (b is
 * then freed). */
char *px_buf_steal(struct px_buf *b) __attribute__((nonnull, warn_unused_result));

/* A view of s (NULL gives the empty view). */
struct px_str px_str_c(const char *s);
int px_str_eq(struct px_str a, const char *s) __attribute__((nonnull(2)));

#endif
