/* buf.c: growable byte buffers with a sticky failure flag. */
#include "core/buf.h"
#include "core/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void px_buf_init(struct px_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void px_buf_free(struct px_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

void px_buf_reset(struct px_buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->data)
		b->data[0] = '\0';
}

void px_buf_drop(struct px_buf *b, size_t n)
{
	if (!b->data)
		return;
	n = n < b->len ? n : b->len;
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

void px_buf_truncate(struct px_buf *b, size_t len)
{
	if (b->data && len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

int px_buf_reserve(struct px_buf *b, size_t extra)
{
	size_t need, ncap;
	char *p;

	if (b->failed)
		return -1;
	if (extra > (size_t)-1 - b->len - 1)
		goto fail;
	need = b->len + extra + 1;
	if (b->max && need > b->max + 1)
		goto fail;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > ((size_t)-1) / 2 ? need : ncap * 2;
	p = realloc(b->data, ncap);
	if (!p)
		goto fail;
	b->data = p;
	b->cap = ncap;
	return 0;
fail:
	b->failed = 1;
	return -1;
}

void px_buf_append(struct px_buf *b, const void *p, size_t n)
{
	if (px_buf_reserve(b, n) != 0)
		return;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void px_buf_puts(struct px_buf *b, const char *s)
{
	px_buf_append(b, s, strlen(s));
}

void px_buf_putc(struct px_buf *b, char c)
{
	px_buf_append(b, &c, 1);
}

void px_buf_vprintf(struct px_buf *b, const char *fmt, va_list ap)
{
	size_t room;
	va_list cp;
	int n;

	if (b->failed || px_buf_reserve(b, 64) != 0)
		return;
	/* one pass when the text fits in the room there is, two otherwise */
	room = b->cap - b->len;
	va_copy(cp, ap);
	n = vsnprintf(b->data + b->len, room, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->data[b->len] = '\0';
		b->failed = 1;
		return;
	}
	if ((size_t)n >= room) {
		if (px_buf_reserve(b, (size_t)n) != 0) {
			b->data[b->len] = '\0';
			return;
		}
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	}
	b->len += (size_t)n;
}

void px_buf_printf(struct px_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	px_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void px_buf_json_str(struct px_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	px_buf_putc(b, '"');
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t cl;

		if (c == '"' || c == '\\') {
			px_buf_putc(b, '\\');
			px_buf_putc(b, (char)c);
			i++;
		} else if (c == '\n') {
			px_buf_puts(b, "\\n");
			i++;
		} else if (c == '\r') {
			px_buf_puts(b, "\\r");
			i++;
		} else if (c == '\t') {
			px_buf_puts(b, "\\t");
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			px_buf_append(b, e, 6);
			i++;
		} else if (c < 0x80) {
			px_buf_putc(b, (char)c);
			i++;
		} else if ((cl = px_utf8_seq_len(s + i, n - i)) > 0) {
			px_buf_append(b, s + i, cl);
			i += cl;
		} else {
			px_buf_puts(b, "\xef\xbf\xbd");
			i++;
		}
	}
	px_buf_putc(b, '"');
}

void px_buf_html(struct px_buf *b, const char *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		const char *rep;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		px_buf_append(b, s + start, i - start);
		px_buf_puts(b, rep);
		start = i + 1;
	}
	px_buf_append(b, s + start, n - start);
}

char *px_buf_steal(struct px_buf *b)
{
	char *p;

	if (b->failed) {
		px_buf_free(b);
		return NULL;
	}
	if (!b->data && px_buf_reserve(b, 0) != 0)
		return NULL;
	p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

struct px_str px_str_c(const char *s)
{
	struct px_str v = { s, s ? strlen(s) : 0 };
	return v;
}

int px_str_eq(struct px_str a, const char *s)
{
	size_t n = strlen(s);
	return a.len == n && memcmp(a.ptr, s, n) == 0;
}
