/* files_upload.c: the upload routes. Bodies are streamed: the pipeline
 * read their first bytes for the WAF (req->body, req->body_partial), the
 * rest comes in chunks through the response's stream ops straight into a
 * temporary file of the store while it is hashed; memory stays bounded by
 * the reader's window (core/multipart.h) whatever the file's size. */
#include "handlers/files.h"
#include "handlers/files_store.h"
#include "handlers/files_util.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "model/files.h"
#include "core/cfg.h"
#include "core/mediatype.h"
#include "core/multipart.h"

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

#define CHUNK 65536

/* ---- raw bodies ------------------------------------------------------- */

/* Copies the whole remaining body into the sink: BODY_INCOMPLETE when it
 * ends before its Content-Length. */
static enum px_err pump(struct px_hf_src *in, struct px_hf_sink *s)
{
	char *buf = malloc(CHUNK);
	enum px_err e = PX_OK;
	long n;

	if (!buf)
		return PX_E_SYSTEM_INTERNAL;
	while ((n = px_hf_src_read(in, buf, CHUNK)) > 0)
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
	struct px_hf_src in = { ctx, 0, 0 };
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

/* Keeps a small text part's value (channel_id), at most 1 KiB. */
static enum px_err small(void *arg, const void *p, size_t n)
{
	struct px_buf *b = arg;

	px_buf_append(b, p, n);
	return b->len > 1024 ? PX_E_FILES_MULTIPART_INVALID : PX_OK;
}

/* Streams a multipart/form-data body into s: the bytes of its one "file"
 * part, whose normalised file name goes to name and declared type to
 * declared, and the "channel_id" field into chan (untouched when absent).
 * VALIDATION_CONTENT_TYPE, FILES_MULTIPART_INVALID, FILES_NAME_INVALID,
 * VALIDATION_BODY_INCOMPLETE and the sink's errors. */
static enum px_err multipart_in(struct px_ctx *ctx, struct px_hf_sink *s, struct px_buf *name,
				struct px_buf *declared, struct px_buf *chan)
{
	struct px_multipart_part p = { PX_BUF_INIT, PX_BUF_INIT, 0, PX_BUF_INIT };
	struct px_hf_src in = { ctx, 0, 0 };
	struct px_multipart mp = { 0 };
	int have_file = 0, end = 0;
	enum px_err e;

	if ((e = px_multipart_open(&mp, ctx->req->content_type, px_hf_src_read, &in)) != PX_OK)
		goto out;
	while ((e = px_multipart_next(&mp, &p, &end)) == PX_OK && !end) {
		if (strcmp(p.name.data, "file") == 0) {
			if (have_file++) {
				e = PX_E_FILES_MULTIPART_INVALID; /* one file per request */
				goto out;
			}
			if ((e = px_hf_name_normalise(p.filename.data, p.filename.len, name)) != PX_OK) {
				px_ctx_detail(ctx, "field", "filename");
				goto out;
			}
			if ((e = px_multipart_body(&mp, px_hf_sink_take, s)) != PX_OK)
				goto out;
			px_buf_reset(declared);
			px_buf_puts(declared, p.type.data);
		} else {
			struct px_buf v = PX_BUF_INIT;

			e = px_multipart_body(&mp, small, &v);
			if (e == PX_OK && strcmp(p.name.data, "channel_id") == 0) {
				px_buf_reset(chan);
				px_buf_append(chan, v.data ? v.data : "", v.len);
			}
			px_buf_free(&v);
			if (e != PX_OK)
				goto out;
		}
	}
	if (e == PX_OK && !have_file)
		e = PX_E_FILES_MULTIPART_INVALID;
out:
	px_multipart_close(&mp);
	px_multipart_part_free(&p);
	return e;
}

static int is_multipart(const struct px_request *req)
{
	struct px_mediatype mt;

	if (!req->content_type)
		return 0;
	px_mediatype_parse(req->content_type, strlen(req->content_type), &mt);
	return px_mediatype_is(&mt, "multipart/form-data");
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
	struct px_hf_src in = { ctx, 0, 0 };
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
