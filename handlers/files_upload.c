/* files_upload.c: the upload routes. Bodies are streamed: the pipeline
 * read their first bytes for the WAF (req->body, req->body_partial), the
 * rest comes in chunks through the response's stream ops straight into a
 * temporary file of the store while it is hashed; memory stays bounded by
 * the window below whatever the file's size. */
#include "handlers/files.h"
#include "core/mediatype.h"
#include "handlers/files_store.h"
#include "handlers/files_util.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "model/files.h"
#include "core/cfg.h"
#include "core/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

#define WIN (128 * 1024) /* multipart window: headers and a delimiter fit */
#define CHUNK 65536

/* ---- the body, prefix first ------------------------------------------- */

struct src {
	struct px_ctx *ctx;
	size_t pre;       /* bytes of req->body handed out */
	uint64_t got;     /* bytes handed out in all */
};

/* Up to n bytes of the body: 0 at its end, -1 when the connection failed. */
static long src_read(struct src *s, void *p, size_t n)
{
	struct px_request *req = s->ctx->req;
	struct px_response *w = s->ctx->resp;
	uint64_t left = req->content_length - s->got;
	long r;

	if (left == 0)
		return 0;
	if (n > left)
		n = (size_t)left;
	if (s->pre < req->body_len) {
		size_t k = req->body_len - s->pre;

		if (k > n)
			k = n;
		memcpy(p, req->body + s->pre, k);
		s->pre += k;
		s->got += k;
		return (long)k;
	}
	if (!w->ops || !w->ops->read)
		return 0;
	r = w->ops->read(w->io, p, n);
	if (r > 0)
		s->got += (uint64_t)r;
	return r;
}

/* ---- raw bodies ------------------------------------------------------- */

/* Copies the whole remaining body into the sink: BODY_INCOMPLETE when it
 * ends before its Content-Length. */
static enum px_err pump(struct src *in, struct px_hf_sink *s)
{
	char *buf = malloc(CHUNK);
	enum px_err e = PX_OK;
	long n;

	if (!buf)
		return PX_E_SYSTEM_INTERNAL;
	while ((n = src_read(in, buf, CHUNK)) > 0)
		if ((e = px_hf_sink_write(s, buf, (size_t)n)) != PX_OK)
			goto out;
	if (n < 0 || in->got != in->ctx->req->content_length)
		e = PX_E_VALIDATION_BODY_INCOMPLETE;
out:
	free(buf);
	return e;
}

static enum px_err reply_file(struct px_ctx *ctx, struct px_buf *out)
{
	return px_hm_reply(ctx, 201, out);
}

enum px_err px_h_files_upload_raw(struct px_ctx *ctx)
{
	struct px_buf name = PX_BUF_INIT, out = PX_BUF_INIT;
	const char *raw = px_request_query(ctx->req, "name");
	struct src in = { ctx, 0, 0 };
	struct px_hf_sink s = { .fd = -1 };
	struct px_hf_meta m = { 0 };
	struct px_st_files st = { .remote = NULL };
	enum px_err e;

	if (!raw) {
		px_ctx_detail(ctx, "field", "name");
		e = PX_E_VALIDATION_MISSING_FIELD;
		goto out;
	}
	if ((e = px_hf_name_normalise(raw, strlen(raw), &name)) != PX_OK) {
		px_ctx_detail(ctx, "field", "name");
		goto out;
	}
	if (ctx->req->content_length == 0) {
		e = PX_E_FILES_EMPTY;
		goto out;
	}
	/* before any byte is read: size, quotas, channel */
	if ((e = px_hf_quota(ctx, ctx->req->content_length)) != PX_OK ||
	    (e = px_hf_channel(ctx, px_request_query(ctx->req, "channel_id"), &m.channel)) != PX_OK ||
	    (e = px_hf_store(ctx, &st)) != PX_OK ||
	    (e = px_hf_sink_open(&s, &st, (uint64_t)px_cfg_int(ctx->cfg, "files_max_size"))) != PX_OK ||
	    (e = pump(&in, &s)) != PX_OK)
		goto out;
	m.name = name.data;
	m.declared = ctx->req->content_type ? ctx->req->content_type : "";
	if ((e = px_hf_finish(ctx, &st, &s, &m, &out)) == PX_OK)
		e = reply_file(ctx, &out);
out:
	px_hf_sink_drop(&s);
	px_st_files_close(&st);
	px_buf_free(&name);
	px_buf_free(&out);
	return e;
}

/* ---- multipart/form-data ---------------------------------------------- */

struct win {
	char *b;
	size_t len;
	struct src *in;
	int eof;
};

/* Reads more into the window; 1 when bytes came, 0 at the end (or full). */
static int fill(struct win *w)
{
	long n;

	if (w->eof || w->len == WIN)
		return 0;
	n = src_read(w->in, w->b + w->len, WIN - w->len);
	if (n <= 0) {
		w->eof = 1;
		return 0;
	}
	w->len += (size_t)n;
	return 1;
}

static void consume(struct win *w, size_t n)
{
	memmove(w->b, w->b + n, w->len - n);
	w->len -= n;
}

/* Offset of needle in the window, filling it as needed; -1 when absent. */
static long find(struct win *w, const char *needle, size_t nl)
{
	const char *p;

	for (;;) {
		p = memmem(w->b, w->len, needle, nl);
		if (p)
			return p - w->b;
		if (!fill(w))
			return -1;
	}
}

/* Value of parameter name in a part's Content-Disposition (name="v" or
 * name=v) into out, "" when absent. The parameter name must follow ';' or a space so
 * that "name" does not match inside "filename". */
static void hparam(const char *h, size_t n, const char *name, struct px_buf *out)
{
	size_t nl = strlen(name), i;

	px_buf_reset(out);
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
		return;
	}
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

/* Streams a part's body up to delim into the sink (s) or into small (at
 * most 1 KiB); the delimiter is consumed. FILES_MULTIPART_INVALID when
 * the body ends first. */
static enum px_err part_body(struct win *w, const char *delim, size_t dl,
			     struct px_hf_sink *s, struct px_buf *small)
{
	enum px_err e;

	for (;;) {
		const char *p = memmem(w->b, w->len, delim, dl);
		size_t take;

		if (p) {
			take = (size_t)(p - w->b);
		} else {
			take = w->len >= dl ? w->len - (dl - 1) : 0;
		}
		if (s) {
			if (take && (e = px_hf_sink_write(s, w->b, take)) != PX_OK)
				return e;
		} else if (small) {
			px_buf_append(small, w->b, take);
			if (small->len > 1024)
				return PX_E_FILES_MULTIPART_INVALID;
		}
		consume(w, take);
		if (p) {
			consume(w, dl);
			return PX_OK;
		}
		if (!fill(w))
			return w->in->got < w->in->ctx->req->content_length
				       ? PX_E_VALIDATION_BODY_INCOMPLETE
				       : PX_E_FILES_MULTIPART_INVALID;
	}
}

/* Streams a multipart/form-data body into s: the bytes of its one "file"
 * part, whose normalised file name goes to name and declared type to
 * declared, and the "channel_id" field into chan (untouched when absent).
 * VALIDATION_CONTENT_TYPE, FILES_MULTIPART_INVALID, FILES_NAME_INVALID,
 * VALIDATION_BODY_INCOMPLETE and the sink's errors. */
static enum px_err multipart_in(struct px_ctx *ctx, struct px_hf_sink *s, struct px_buf *name,
				struct px_buf *declared, struct px_buf *chan)
{
	struct px_buf boundary = PX_BUF_INIT, delim = PX_BUF_INIT, fname = PX_BUF_INIT,
		      pname = PX_BUF_INIT, ptype = PX_BUF_INIT;
	const char *ct = ctx->req->content_type ? ctx->req->content_type : "";
	struct src in = { ctx, 0, 0 };
	struct win w = { NULL, 0, &in, 0 };
	struct px_mediatype mt;
	int have_file = 0;
	enum px_err e;
	long at;

	/* the Content-Type is read by the parser the WAF used */
	if (px_mediatype_parse(ct, strlen(ct), &mt) != 0 ||
	    !px_mediatype_is(&mt, "multipart/form-data") || mt.boundary_len == 0 ||
	    mt.boundary_len > 70) {
		e = PX_E_VALIDATION_CONTENT_TYPE;
		goto out;
	}
	px_buf_append(&boundary, mt.boundary, mt.boundary_len);
	w.b = malloc(WIN);
	if (!w.b) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	px_buf_printf(&delim, "\r\n--%s", boundary.data);
	/* the first delimiter may open the body without the line end */
	e = PX_E_FILES_MULTIPART_INVALID;
	if ((at = find(&w, delim.data + 2, delim.len - 2)) < 0)
		goto out;
	consume(&w, (size_t)at + delim.len - 2);
	for (;;) {
		const char *cd, *pt;
		size_t cdl = 0, ptl = 0;

		while (w.len < 2 && fill(&w))
			;
		if (w.len >= 2 && w.b[0] == '-' && w.b[1] == '-')
			break; /* the closing delimiter */
		if ((at = find(&w, "\r\n\r\n", 4)) < 0)
			goto out;
		cd = part_header(w.b, (size_t)at + 2, "content-disposition", &cdl);
		pt = part_header(w.b, (size_t)at + 2, "content-type", &ptl);
		px_buf_reset(&ptype);
		if (pt)
			px_buf_append(&ptype, pt, ptl);
		hparam(cd ? cd : "", cd ? cdl : 0, "name", &pname);
		hparam(cd ? cd : "", cd ? cdl : 0, "filename", &fname);
		consume(&w, (size_t)at + 4);
		if (pname.data && strcmp(pname.data, "file") == 0) {
			if (have_file++)
				goto out; /* one file per request */
			e = px_hf_name_normalise(fname.data, fname.len, name);
			if (e == PX_OK)
				e = part_body(&w, delim.data, delim.len, s, NULL);
			if (e != PX_OK) {
				if (e == PX_E_FILES_NAME_INVALID)
					px_ctx_detail(ctx, "field", "filename");
				goto out;
			}
			px_buf_reset(declared);
			px_buf_append(declared, ptype.data ? ptype.data : "", ptype.len);
		} else {
			struct px_buf v = PX_BUF_INIT;

			e = part_body(&w, delim.data, delim.len, NULL, &v);
			if (e == PX_OK && pname.data && strcmp(pname.data, "channel_id") == 0) {
				px_buf_reset(chan);
				px_buf_append(chan, v.data ? v.data : "", v.len);
			}
			px_buf_free(&v);
			if (e != PX_OK)
				goto out;
		}
		e = PX_E_FILES_MULTIPART_INVALID;
	}
	e = have_file ? PX_OK : PX_E_FILES_MULTIPART_INVALID;
out:
	free(w.b);
	px_buf_free(&boundary);
	px_buf_free(&delim);
	px_buf_free(&fname);
	px_buf_free(&pname);
	px_buf_free(&ptype);
	return e;
}

static int is_multipart(const struct px_request *req)
{
	return req->content_type && strncasecmp(req->content_type, "multipart/form-data", 19) == 0;
}

enum px_err px_h_files_upload_multipart(struct px_ctx *ctx)
{
	struct px_buf name = PX_BUF_INIT, declared = PX_BUF_INIT, chan = PX_BUF_INIT,
		      out = PX_BUF_INIT;
	struct px_hf_sink s = { .fd = -1 };
	struct px_hf_meta m = { 0 };
	struct px_st_files st = { .remote = NULL };
	enum px_err e;

	if (!is_multipart(ctx->req)) {
		e = PX_E_VALIDATION_CONTENT_TYPE;
		goto out;
	}
	/* the multipart envelope may add up to 16 KiB around the file */
	if ((e = px_hf_quota(ctx, ctx->req->content_length > 16384
					  ? ctx->req->content_length - 16384 : 0)) != PX_OK ||
	    (e = px_hf_store(ctx, &st)) != PX_OK ||
	    (e = px_hf_sink_open(&s, &st, (uint64_t)px_cfg_int(ctx->cfg, "files_max_size"))) != PX_OK ||
	    (e = multipart_in(ctx, &s, &name, &declared, &chan)) != PX_OK ||
	    (e = px_hf_channel(ctx, chan.data, &m.channel)) != PX_OK)
		goto out;
	m.name = name.data;
	m.declared = declared.data ? declared.data : "";
	if ((e = px_hf_finish(ctx, &st, &s, &m, &out)) == PX_OK)
		e = reply_file(ctx, &out);
out:
	px_hf_sink_drop(&s);
	px_st_files_close(&st);
	px_buf_free(&name);
	px_buf_free(&declared);
	px_buf_free(&chan);
	px_buf_free(&out);
	return e;
}

enum px_err px_hf_receive(struct px_ctx *ctx, struct px_hf_sink *s, struct px_buf *name,
			  struct px_buf *declared)
{
	struct px_buf chan = PX_BUF_INIT;
	struct src in = { ctx, 0, 0 };
	const char *raw;
	enum px_err e;

	px_buf_reset(name);
	px_buf_reset(declared);
	if (ctx->req->content_length == 0)
		return PX_E_FILES_EMPTY;
	if (is_multipart(ctx->req)) {
		e = multipart_in(ctx, s, name, declared, &chan);
		px_buf_free(&chan);
		return e;
	}
	if ((raw = px_request_query(ctx->req, "name")) && *raw &&
	    (e = px_hf_name_normalise(raw, strlen(raw), name)) != PX_OK) {
		px_ctx_detail(ctx, "field", "name");
		return e;
	}
	px_buf_puts(declared, ctx->req->content_type ? ctx->req->content_type : "");
	return pump(&in, s);
}
