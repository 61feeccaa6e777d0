/* buf.h: growable, NUL-terminated, binary-safe byte buffers and string views.
 *
 * A px_buf owns its storage. Appends never fail loudly: on allocation
 * failure the buffer sets its sticky `failed` flag and ignores further
 * appends, so a caller can do many appends and check once. */
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

void px_buf_init(struct px_buf *b);
void px_buf_free(struct px_buf *b);
/* Empties the buffer but keeps its storage for reuse. */
void px_buf_reset(struct px_buf *b);
/* Removes the first n bytes (all, when n >= len), keeping the rest. */
void px_buf_drop(struct px_buf *b, size_t n);
/* Shortens the buffer to its first len bytes (nothing when it is shorter). */
void px_buf_truncate(struct px_buf *b, size_t len);
/* Makes room for `extra` more bytes; returns 0, or -1 and sets failed. */
int px_buf_reserve(struct px_buf *b, size_t extra);
void px_buf_append(struct px_buf *b, const void *p, size_t n);
void px_buf_puts(struct px_buf *b, const char *s);
void px_buf_putc(struct px_buf *b, char c);
void px_buf_printf(struct px_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void px_buf_vprintf(struct px_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Appends s as a JSON string literal, quotes included. Control characters,
 * quotes and backslashes are escaped; invalid UTF-8 becomes U+FFFD. */
void px_buf_json_str(struct px_buf *b, const char *s, size_t n);
/* Appends s with &, <, >, ", ' replaced by HTML entities. */
void px_buf_html(struct px_buf *b, const char *s, size_t n);
/* Detaches the storage: returns it (caller frees) and empties b.
 * Returns NULL when the buffer failed (b is then freed). */
char *px_buf_steal(struct px_buf *b);

struct px_str px_str_c(const char *s);
int px_str_eq(struct px_str a, const char *s);

#endif
