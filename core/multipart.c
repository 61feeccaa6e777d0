/* multipart.c: the streaming multipart/form-data reader (see multipart.h).
 * Invariant: the window never holds more than PX_MULTIPART_WINDOW bytes and
 * bytes leave it only by consume(), which keeps the body offset. */
#include "core/multipart.h"
#include "core/mediatype.h"
#include "core/http.h"
#include "core/utf8.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { START, HEADERS, BODY, DONE };

/* Reads more into the window; 1 when bytes came, 0 at the end (or full). */
static int fill(struct px_multipart *m)
{
	long n;

	if (m->eof || m->len == PX_MULTIPART_WINDOW)
		return 0;
	n = m->read(m->arg, m->win + m->len, PX_MULTIPART_WINDOW - m->len);
	if (n <= 0) {
		m->eof = n < 0 ? -1 : 1;
		return 0;
	}
	m->len += (size_t)n;
	return 1;
}

static void consume(struct px_multipart *m, size_t n)
{
	memmove(m->win, m->win + n, m->len - n);
	m->len -= n;
	m->consumed += n;
}

/* The error of a body that stopped where more was needed. */
static enum px_err ended(const struct px_multipart *m)
{
	return m->eof < 0 ? PX_E_VALIDATION_BODY_INCOMPLETE : PX_E_FILES_MULTIPART_INVALID;
}

/* Offset of needle in the window, filling it as needed; -1 when absent. */
static long find(struct px_multipart *m, const char *needle, size_t nl)
{
	const char *p;

	for (;;) {
		p = memmem(m->win, m->len, needle, nl);
		if (p)
			return p - m->win;
		if (!fill(m))
			return -1;
	}
}

/* Value of parameter name in a header value (name="v" or name=v) into
 * out, "" when absent; 1 when present. The name must follow ';' or a
 * space, so that "name" does not match inside "filename". */
static int hparam(const char *h, size_t n, const char *name, struct px_buf *out)
{
	size_t nl = strlen(name), i;

	px_buf_reset(out);
	px_buf_puts(out, "");
	for (i = 0; i + nl < n; i++) {
		const char *v;
		size_t k;

		if (strncasecmp(h + i, name, nl) != 0 || h[i + nl] != '=' ||
		    (i > 0 && h[i - 1] != ';' && h[i - 1] != ' ' && h[i - 1] != '\t'))
			continue;
		v = h + i + nl + 1;
		k = (size_t)(h + n - v);
		if (k && *v == '"') {
			const char *q = memchr(v + 1, '"', k - 1);

			if (q)
				px_buf_append(out, v + 1, (size_t)(q - v - 1));
		} else {
			size_t j = 0;

			while (j < k && v[j] != ';' && v[j] != ' ' && v[j] != '\r')
				j++;
			px_buf_append(out, v, j);
		}
		return 1;
	}
	return 0;
}

/* Header value of name (lower case) in a part's header block, as a view. */
static const char *part_header(const char *h, size_t n, const char *name, size_t *vl)
{
	size_t nl = strlen(name);
	const char *p = h, *end = h + n;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;

		if ((size_t)(le - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;

			while (v < le && (*v == ' ' || *v == '\t'))
				v++;
			*vl = (size_t)(le - v);
			if (*vl && v[*vl - 1] == '\r')
				(*vl)--;
			return v;
		}
		p = le + 1;
	}
	return NULL;
}

enum px_err px_multipart_open(struct px_multipart *m, const char *content_type,
			      px_multipart_read_fn read, void *arg)
{
	const char *ct = content_type ? content_type : "";
	struct px_mediatype mt;
	enum px_err e = PX_OK;

	memset(m, 0, sizeof(*m));
	/* read as the WAF and the HTTP layer read it (core/mediatype.h) */
	if (px_mediatype_parse(ct, strlen(ct), &mt) != 0 ||
	    !px_mediatype_is(&mt, "multipart/form-data") || mt.boundary_len == 0 ||
	    mt.boundary_len > 70) {
		e = PX_E_VALIDATION_CONTENT_TYPE;
		goto out;
	}
	m->read = read;
	m->arg = arg;
	memcpy(m->delim, "\r\n--", 4);
	memcpy(m->delim + 4, mt.boundary, mt.boundary_len);
	m->dl = mt.boundary_len + 4;
	if (!(m->win = malloc(PX_MULTIPART_WINDOW)))
		e = PX_E_SYSTEM_INTERNAL;
out:
	return e;
}

enum px_err px_multipart_body(struct px_multipart *m, px_multipart_sink_fn sink, void *arg)
{
	enum px_err e;

	if (m->state != BODY)
		return PX_E_FILES_MULTIPART_INVALID;
	for (;;) {
		const char *p = memmem(m->win, m->len, m->delim, m->dl);
		size_t take;

		if (p)
			take = (size_t)(p - m->win);
		else
			take = m->len >= m->dl ? m->len - (m->dl - 1) : 0;
		if (take && sink && (e = sink(arg, m->win, take)) != PX_OK)
			return e;
		consume(m, take);
		if (p) {
			consume(m, m->dl);
			m->state = HEADERS;
			return PX_OK;
		}
		if (!fill(m))
			return ended(m);
	}
}

enum px_err px_multipart_next(struct px_multipart *m, struct px_multipart_part *p, int *end)
{
	const char *cd, *pt;
	size_t cdl = 0, ptl = 0;
	enum px_err e;
	long at;

	assert(m->win);
	*end = 0;
	if (m->state == START) {
		/* the first delimiter may open the body without the line end */
		if ((at = find(m, m->delim + 2, m->dl - 2)) < 0)
			return ended(m);
		consume(m, (size_t)at + m->dl - 2);
		m->state = HEADERS;
	} else if (m->state == BODY && (e = px_multipart_body(m, NULL, NULL)) != PX_OK) {
		return e;
	}
	if (m->state == DONE) {
		*end = 1;
		return PX_OK;
	}
	while (m->len < 2 && fill(m))
		;
	if (m->len >= 2 && m->win[0] == '-' && m->win[1] == '-') {
		m->state = DONE; /* the closing delimiter */
		*end = 1;
		return PX_OK;
	}
	if ((at = find(m, "\r\n\r\n", 4)) < 0)
		return ended(m);
	cd = part_header(m->win, (size_t)at + 2, "content-disposition", &cdl);
	pt = part_header(m->win, (size_t)at + 2, "content-type", &ptl);
	hparam(cd ? cd : "", cd ? cdl : 0, "name", &p->name);
	p->has_filename = hparam(cd ? cd : "", cd ? cdl : 0, "filename", &p->filename);
	px_buf_reset(&p->type);
	px_buf_puts(&p->type, "");
	if (pt)
		px_buf_append(&p->type, pt, ptl);
	if (p->name.failed || p->filename.failed || p->type.failed)
		return PX_E_SYSTEM_INTERNAL;
	consume(m, (size_t)at + 4);
	m->state = BODY;
	return PX_OK;
}

uint64_t px_multipart_offset(const struct px_multipart *m)
{
	return m->consumed;
}

void px_multipart_part_free(struct px_multipart_part *p)
{
	px_buf_free(&p->name);
	px_buf_free(&p->filename);
	px_buf_free(&p->type);
}

void px_multipart_close(struct px_multipart *m)
{
	free(m->win);
	m->win = NULL;
}

/* ---- the text fields of a body's first bytes -------------------------- */

struct prefix {
	const struct px_request *r;
	size_t at;
};

static long prefix_read(void *arg, void *p, size_t n)
{
	struct prefix *s = arg;
	size_t left = s->r->body_len - s->at;

	if (n > left)
		n = left;
	memcpy(p, s->r->body + s->at, n);
	s->at += n;
	return (long)n;
}

static enum px_err collect(void *arg, const void *p, size_t n)
{
	px_buf_append(arg, p, n);
	return ((struct px_buf *)arg)->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}

enum px_err px_multipart_prefix_form(struct px_request *r)
{
	struct px_multipart_part p = { PX_BUF_INIT, PX_BUF_INIT, 0, PX_BUF_INIT };
	struct px_buf v = PX_BUF_INIT;
	struct prefix src = { r, 0 };
	struct px_multipart m;
	enum px_err e;
	int end = 0;

	if (!r->body || r->body_len == 0)
		return PX_OK;
	if (px_multipart_open(&m, r->content_type, prefix_read, &src) != PX_OK) {
		px_multipart_close(&m);
		return PX_OK; /* the handler reports it */
	}
	e = PX_OK;
	while (px_multipart_next(&m, &p, &end) == PX_OK && !end) {
		px_buf_reset(&v);
		if (p.has_filename || !p.name.len) {
			if (px_multipart_body(&m, NULL, NULL) != PX_OK)
				break;
			continue;
		}
		if (px_multipart_body(&m, collect, &v) != PX_OK)
			break; /* cut at the end of the prefix, or malformed */
		if (p.name.len != strlen(p.name.data) || (v.len && memchr(v.data, '\0', v.len)) ||
		    !px_utf8_valid(p.name.data, p.name.len) ||
		    !px_utf8_valid(v.data ? v.data : "", v.len)) {
			e = PX_E_VALIDATION_INVALID_ENCODING;
			break;
		}
		if (px_kvlist_add(&r->form, p.name.data, p.name.len, v.data ? v.data : "", v.len) != 0) {
			e = r->form.n >= PX_MAX_PARAMS ? PX_E_VALIDATION_MALFORMED_QUERY
						       : PX_E_SYSTEM_INTERNAL;
			break;
		}
	}
	px_buf_free(&v);
	px_multipart_part_free(&p);
	px_multipart_close(&m);
	return e;
}
