/* files_store.c: the upload path every upload route shares. Invariant: no
 * files row exists before its bytes are committed (fsynced and renamed)
 * in the store, so nothing half-written is ever visible. */
#include "handlers/files_store.h"
#include "handlers/files_util.h"
#include "model/channels.h"
#include "model/files.h"
#include "waf/waf_magic.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/log.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum px_err px_hf_store(struct px_ctx *ctx, struct px_st_files *st)
{
	const char *dir = px_cfg_str(ctx->cfg, "files_dir");
	struct px_buf err = PX_BUF_INIT, def = PX_BUF_INIT;
	enum px_err e = PX_OK;

	if (strcmp(px_cfg_str(ctx->cfg, "files_store"), "local") != 0)
		return PX_E_SYSTEM_UNAVAILABLE;
	if (!*dir) {
		px_buf_printf(&def, "%s/files", px_cfg_str(ctx->cfg, "data_dir"));
		dir = def.data;
	}
	if (px_st_files_init(st, dir, &err) != 0) {
		px_log_error("files", ctx->req->correlation_id, "%s", err.data ? err.data : "");
		e = PX_E_STORAGE_FAILED;
	}
	px_buf_free(&err);
	px_buf_free(&def);
	return e;
}

enum px_err px_hf_sink_open(struct px_hf_sink *s, const struct px_st_files *st, uint64_t max)
{
	memset(s, 0, sizeof(*s));
	s->max = max;
	s->head.max = PX_STREAM_PREFIX;
	s->fd = px_st_files_temp(st, s->path);
	s->md = EVP_MD_CTX_new();
	if (s->fd < 0 || !s->md || EVP_DigestInit_ex(s->md, EVP_sha256(), NULL) != 1) {
		px_hf_sink_drop(s);
		return PX_E_STORAGE_FAILED;
	}
	return PX_OK;
}

enum px_err px_hf_sink_write(struct px_hf_sink *s, const void *p, size_t n)
{
	const char *c = p;
	size_t done = 0;

	if (s->n + n > s->max)
		return PX_E_FILES_TOO_LARGE;
	if (s->head.len < PX_STREAM_PREFIX) {
		size_t k = PX_STREAM_PREFIX - s->head.len;

		px_buf_append(&s->head, c, n < k ? n : k);
	}
	if (EVP_DigestUpdate(s->md, c, n) != 1)
		return PX_E_SYSTEM_INTERNAL;
	while (done < n) {
		ssize_t w = write(s->fd, c + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return errno == ENOSPC || errno == EDQUOT ? PX_E_STORAGE_FULL
								  : PX_E_STORAGE_FAILED;
		done += (size_t)w;
	}
	s->n += n;
	return PX_OK;
}

long px_hf_src_read(void *arg, void *p, size_t n)
{
	struct px_hf_src *s = arg;
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
		return -1;
	r = w->ops->read(w->io, p, n);
	if (r > 0)
		s->got += (uint64_t)r;
	return r > 0 ? r : -1; /* 0 here: the body ended before its length */
}

enum px_err px_hf_sink_take(void *arg, const void *p, size_t n)
{
	return px_hf_sink_write(arg, p, n);
}

void px_hf_sink_drop(struct px_hf_sink *s)
{
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	if (s->path[0]) {
		unlink(s->path);
		s->path[0] = '\0';
	}
	EVP_MD_CTX_free(s->md);
	s->md = NULL;
	px_buf_free(&s->head);
}

enum px_err px_hf_quota(struct px_ctx *ctx, uint64_t size)
{
	long long user = 0, total = 0, qu = px_cfg_int(ctx->cfg, "files_quota_user"),
		  qt = px_cfg_int(ctx->cfg, "files_quota_total");
	enum px_err e;

	if (size > (uint64_t)px_cfg_int(ctx->cfg, "files_max_size"))
		return PX_E_FILES_TOO_LARGE;
	if (qu == 0 && qt == 0)
		return PX_OK;
	if ((e = px_m_files_usage(ctx->db, ctx->who.user_id, &user, &total)) != PX_OK)
		return e;
	if (qu && (uint64_t)user + size > (uint64_t)qu)
		return PX_E_FILES_QUOTA_USER;
	if (qt && (uint64_t)total + size > (uint64_t)qt)
		return PX_E_FILES_QUOTA_TOTAL;
	return PX_OK;
}

enum px_err px_hf_channel(struct px_ctx *ctx, const char *value, long long *channel)
{
	char *end = NULL;
	long long id;

	*channel = 0;
	if (!value || !*value)
		return PX_OK;
	id = strtoll(value, &end, 10);
	if (id <= 0 || *end) {
		px_ctx_detail(ctx, "field", "channel_id");
		return PX_E_VALIDATION_FIELD_TYPE;
	}
	*channel = id;
	return px_m_channels_authorize(ctx->db, id, ctx->who.user_id, ctx->who.role,
				       PX_CHAN_POST, NULL);
}

enum px_err px_hf_finish(struct px_ctx *ctx, const struct px_st_files *st,
			 struct px_hf_sink *s, const struct px_hf_meta *m, struct px_buf *out)
{
	const struct px_hf_family *fam = NULL;
	unsigned char h[EVP_MAX_MD_SIZE];
	char hex[65], mime[128] = "";
	unsigned hl = 0;
	int existed = 0;
	struct px_m_file_new f;
	enum px_err e;

	if (s->n == 0) {
		e = PX_E_FILES_EMPTY;
		goto out;
	}
	if (px_waf_magic_mime(s->head.data, s->head.len, mime, sizeof(mime)) != 0) {
		e = PX_E_SYSTEM_UNAVAILABLE; /* no libmagic: nothing is stored unjudged */
		goto out;
	}
	if ((e = px_hf_type_check(mime, m->name, m->declared, &fam)) != PX_OK) {
		px_ctx_detail(ctx, "detected_type", mime);
		goto out;
	}
	if ((e = px_hf_quota(ctx, s->n)) != PX_OK)
		goto out;
	if (EVP_DigestFinal_ex(s->md, h, &hl) != 1 || hl != 32) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	px_crypto_hex_str(h, 32, hex);
	if (fsync(s->fd) != 0 || close(s->fd) != 0) {
		s->fd = -1;
		e = PX_E_STORAGE_FAILED;
		goto out;
	}
	s->fd = -1;
	e = px_st_files_commit(st, s->path, hex, &existed);
	s->path[0] = '\0'; /* commit removed or renamed it */
	if (e != PX_OK)
		goto out;
	f.owner = ctx->who.user_id;
	f.channel = m->channel;
	f.name = m->name;
	f.declared = m->declared ? m->declared : "";
	f.detected = mime;
	f.size = (long long)s->n;
	f.sha256 = hex;
	e = px_m_files_insert(ctx->db, &f, out);
out:
	px_hf_sink_drop(s);
	return e;
}
