/* files_resume.c: resumable uploads. A session (uploads row) owns one
 * temporary file in the store; PATCH appends bytes at exactly the offset
 * the server has (Content-Range: bytes FIRST-LAST/SIZE, FIRST = offset),
 * keeping what arrived even when the connection breaks mid-request, so a
 * client asks for the offset (GET or HEAD) and sends the rest. The last
 * byte completes it: the file is hashed, judged like any upload and
 * committed; until then it is never listed or served. */
#include "handlers/files.h"
#include "handlers/files_store.h"
#include "handlers/files_util.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "model/files.h"
#include "core/cfg.h"
#include "core/codec.h"
#include "core/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define CHUNK 65536

static enum px_err status_reply(struct px_ctx *ctx, int status, const struct px_m_upload *u)
{
	struct px_buf out = PX_BUF_INIT;
	char off[24];
	enum px_err e;

	snprintf(off, sizeof(off), "%lld", u->received);
	px_response_header(ctx->resp, "Upload-Offset", off);
	px_buf_printf(&out, "{\"id\":%lld,\"offset\":%lld,\"size\":%lld,\"name\":", u->id,
		      u->received, u->size);
	px_buf_json_str(&out, u->name, strlen(u->name));
	px_buf_puts(&out, "}");
	e = px_hm_reply(ctx, status, &out);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_uploads_create(struct px_ctx *ctx)
{
	struct px_buf name = PX_BUF_INIT, err = PX_BUF_INIT;
	const char *raw = NULL, *type = NULL;
	long long size = 0, chan = 0, id = 0;
	struct px_m_upload u;
	struct px_st_files st = { .remote = NULL };
	char tok[16];
	int fd;
	enum px_err e;

	memset(&u, 0, sizeof(u));
	if ((e = px_in_str(ctx, "name", 1, 1, 1024, &raw)) != PX_OK ||
	    (e = px_in_str(ctx, "type", 0, 0, 127, &type)) != PX_OK ||
	    (e = px_in_int(ctx, "size", 0, 9223372036854775807LL, &size)) != PX_OK ||
	    (e = px_in_int(ctx, "channel_id", 1, 9223372036854775807LL, &chan)) != PX_OK)
		goto out;
	if ((e = px_hf_name_normalise(raw, strlen(raw), &name)) != PX_OK) {
		px_ctx_detail(ctx, "field", "name");
		goto out;
	}
	if (size == 0) {
		e = PX_E_FILES_EMPTY;
		goto out;
	}
	if ((e = px_hf_quota(ctx, (uint64_t)size)) != PX_OK)
		goto out;
	if (chan && (e = px_m_channels_authorize(ctx->db, chan, ctx->who.user_id, ctx->who.role,
						PX_CHAN_POST, NULL)) != PX_OK)
		goto out;
	if ((e = px_hf_store(ctx, &st)) != PX_OK)
		goto out;
	fd = px_st_files_temp(&st, u.temp_path);
	if (fd < 0) {
		e = PX_E_STORAGE_FAILED;
		goto out;
	}
	close(fd);
	if (px_crypto_random(tok, sizeof(tok)) != 0) {
		unlink(u.temp_path);
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	px_codec_hex_str(u.token, tok, sizeof(tok));
	u.owner = ctx->who.user_id;
	u.channel = chan;
	snprintf(u.name, sizeof(u.name), "%s", name.data);
	snprintf(u.declared, sizeof(u.declared), "%s", type ? type : "");
	u.size = size;
	e = px_m_uploads_create(ctx->db, &u, (long)px_cfg_int(ctx->cfg, "files_upload_ttl"), &id);
	if (e != PX_OK) {
		unlink(u.temp_path);
		goto out;
	}
	u.id = id;
	px_buf_printf(&err, "/api/v1/files/uploads/%lld", id);
	px_response_header(ctx->resp, "Location", err.data);
	e = status_reply(ctx, 201, &u);
out:
	px_st_files_close(&st);
	px_buf_free(&name);
	px_buf_free(&err);
	return e;
}

static enum px_err load(struct px_ctx *ctx, struct px_m_upload *u)
{
	long long id = px_path_int(&ctx->path, "id");

	if (id <= 0)
		return PX_E_VALIDATION_NOT_FOUND;
	return px_m_uploads_get(ctx->db, id, ctx->who.user_id, u);
}

enum px_err px_h_uploads_status(struct px_ctx *ctx)
{
	struct px_m_upload u;
	enum px_err e = load(ctx, &u);

	return e == PX_OK ? status_reply(ctx, 200, &u) : e;
}

enum px_err px_h_uploads_cancel(struct px_ctx *ctx)
{
	struct px_m_upload u;
	enum px_err e = load(ctx, &u);

	if (e != PX_OK || (e = px_m_uploads_delete(ctx->db, u.id)) != PX_OK)
		return e;
	unlink(u.temp_path);
	return px_ctx_json(ctx, 200, json_object_new_object());
}

/* Hashes the complete temporary file into a sink (which then owns the
 * path) and finishes it like any upload. */
static enum px_err complete(struct px_ctx *ctx, const struct px_st_files *st,
			    struct px_m_upload *u, int fd, struct px_buf *out)
{
	struct px_hf_sink s = { .fd = -1 };
	struct px_hf_meta m;
	char *buf = malloc(CHUNK);
	enum px_err e = PX_OK;
	ssize_t n;

	memset(&s, 0, sizeof(s));
	s.fd = -1;
	s.md = EVP_MD_CTX_new();
	s.head.max = PX_STREAM_PREFIX;
	s.max = (uint64_t)u->size;
	if (!buf || !s.md || EVP_DigestInit_ex(s.md, EVP_sha256(), NULL) != 1 ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	while ((n = read(fd, buf, CHUNK)) > 0) {
		if (s.head.len < PX_STREAM_PREFIX)
			px_buf_append(&s.head, buf,
				      PX_STREAM_PREFIX - s.head.len < (size_t)n
					      ? PX_STREAM_PREFIX - s.head.len : (size_t)n);
		EVP_DigestUpdate(s.md, buf, (size_t)n);
		s.n += (uint64_t)n;
	}
	if (n < 0 || s.n != (uint64_t)u->size) {
		e = PX_E_FILES_SIZE_MISMATCH;
		goto out;
	}
	/* the sink takes the file over: finish closes, commits or removes it */
	s.fd = dup(fd);
	snprintf(s.path, sizeof(s.path), "%s", u->temp_path);
	m.name = u->name;
	m.declared = u->declared;
	m.channel = u->channel;
	e = px_hf_finish(ctx, st, &s, &m, out);
	if (px_m_uploads_delete(ctx->db, u->id) != PX_OK && e == PX_OK)
		e = PX_E_SYSTEM_INTERNAL;
out:
	px_hf_sink_drop(&s);
	free(buf);
	return e;
}

enum px_err px_h_uploads_append(struct px_ctx *ctx)
{
	struct px_request *req = ctx->req;
	struct px_buf out = PX_BUF_INIT;
	uint64_t first, last, total, want, got = 0;
	struct px_m_upload u;
	struct px_st_files st = { .remote = NULL };
	char *buf = NULL;
	int fd = -1, broken = 0;
	enum px_err e;
	size_t pre = 0;

	if ((e = load(ctx, &u)) != PX_OK)
		goto out;
	if (px_hf_content_range(px_request_header(req, "content-range"), &first, &last, &total) != 0 ||
	    total != (uint64_t)u.size || req->content_length != last - first + 1) {
		e = PX_E_FILES_RANGE_INVALID;
		goto out;
	}
	if (first != (uint64_t)u.received) {
		px_buf_reset(&ctx->details);
		px_buf_printf(&ctx->details, "{\"offset\":%lld,\"size\":%lld}", u.received, u.size);
		e = PX_E_FILES_OFFSET_MISMATCH;
		goto out;
	}
	if ((e = px_hf_store(ctx, &st)) != PX_OK)
		goto out;
	fd = open(u.temp_path, O_RDWR | O_CLOEXEC);
	buf = malloc(CHUNK);
	if (fd < 0 || !buf) {
		e = PX_E_STORAGE_FAILED;
		goto out;
	}
	/* one writer per session; a second request waits for none */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		e = PX_E_VALIDATION_CONFLICT;
		goto out;
	}
	/* bytes past the offset are from a request that failed after writing */
	if (ftruncate(fd, (off_t)u.received) != 0 || lseek(fd, (off_t)u.received, SEEK_SET) < 0) {
		e = PX_E_STORAGE_FAILED;
		goto out;
	}
	want = req->content_length;
	while (got < want) {
		long n;

		if (pre < req->body_len) {
			n = (long)(req->body_len - pre);
			memcpy(buf, req->body + pre, (size_t)n);
			pre += (size_t)n;
		} else {
			size_t ask = want - got < CHUNK ? (size_t)(want - got) : CHUNK;

			n = ctx->resp->ops && ctx->resp->ops->read
				    ? ctx->resp->ops->read(ctx->resp->io, buf, ask) : 0;
		}
		if (n <= 0) {
			broken = 1;
			break;
		}
		if ((uint64_t)n > want - got)
			n = (long)(want - got);
		if (write(fd, buf, (size_t)n) != n) {
			e = errno == ENOSPC ? PX_E_STORAGE_FULL : PX_E_STORAGE_FAILED;
			goto out;
		}
		got += (uint64_t)n;
	}
	/* what arrived is kept, even from a broken connection */
	if (got && (fsync(fd) != 0 ||
		    (e = px_m_uploads_advance(ctx->db, u.id, u.received,
					      u.received + (long long)got)) != PX_OK)) {
		if (e == PX_OK)
			e = PX_E_STORAGE_FAILED;
		goto out;
	}
	u.received += (long long)got;
	if (broken) {
		e = PX_E_VALIDATION_BODY_INCOMPLETE;
		goto out;
	}
	if (u.received < u.size) {
		e = status_reply(ctx, 200, &u);
		goto out;
	}
	if ((e = complete(ctx, &st, &u, fd, &out)) == PX_OK)
		e = px_hm_reply(ctx, 201, &out);
out:
	if (fd >= 0)
		close(fd);
	px_st_files_close(&st);
	free(buf);
	px_buf_free(&out);
	return e;
}
