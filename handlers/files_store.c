/* files_store.c: the upload path every upload route shares. Invariant: no
 * files row exists before its bytes are committed (fsynced and renamed,
 * or put to S3) in the store, so nothing half-written is ever visible;
 * the commit and the row happen under the object's lock
 * (px_m_files_object_lock), so a deletion of the same bytes meanwhile
 * cannot remove the object from under the new row. */
#include "handlers/files_store.h"
#include "handlers/files_clamd.h"
#include "handlers/files_image.h"
#include "handlers/files_scan.h"
#include "handlers/files_util.h"
#include "model/channels.h"
#include "model/files.h"
#include "model/images.h"
#include "waf/waf_ftype.h"
#include "waf/waf_magic.h"
#include "core/audit.h"
#include "core/cfg.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "core/log.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum px_err px_hf_store(struct px_ctx *ctx, struct px_st_files *st)
{
	struct px_buf err = PX_BUF_INIT;
	enum px_err e = PX_OK;

	if (px_st_files_open_config(ctx->cfg, st, &err) != 0) {
		px_log_error("files", ctx->req->correlation_id, "%s", err.data ? err.data : "");
		e = PX_E_STORAGE_FAILED;
	}
	px_buf_free(&err);
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
	long long user = 0, total = 0, own = -1, qu = px_cfg_int(ctx->cfg, "files_quota_user"),
		  qt = px_cfg_int(ctx->cfg, "files_quota_total");
	enum px_err e;

	if (size > (uint64_t)px_cfg_int(ctx->cfg, "files_max_size"))
		return PX_E_FILES_TOO_LARGE;
	if ((e = px_m_files_usage_quota(ctx->db, ctx->who.user_id, &user, &total, &own)) != PX_OK)
		return e;
	if (own >= 0)
		qu = own; /* the account's own quota (plexichat-admin files quota) */
	if (qu && (uint64_t)user + size > (uint64_t)qu)
		return PX_E_FILES_QUOTA_USER;
	if (qt && (uint64_t)total + size > (uint64_t)qt)
		return PX_E_FILES_QUOTA_TOTAL;
	return PX_OK;
}

enum px_err px_hf_channel(struct px_ctx *ctx, const char *value, long long *channel)
{
	long long id;

	*channel = 0;
	if (!value || !*value)
		return PX_OK;
	if (px_http_parse_int(value, 1, LLONG_MAX, &id) != 0) {
		px_ctx_detail(ctx, "field", "channel_id");
		return PX_E_VALIDATION_FIELD_TYPE;
	}
	*channel = id;
	return px_m_channels_authorize(ctx->db, id, ctx->who.user_id, ctx->who.role,
				       PX_CHAN_POST, NULL);
}

/* What the scanner said; quarantine: 1 when it flagged the file. */
struct verdict {
	int quarantine;
	char note[256];
};

/* Scans the complete temporary file when files_clamd_socket is set.
 * FILES_SCAN_UNAVAILABLE when clamd fails and files_clamd_required is
 * on; with it off the file is let through unscanned, with a warning. */
static enum px_err scan(struct px_ctx *ctx, const struct px_hf_sink *s, struct verdict *v)
{
	const char *sock = px_cfg_str(ctx->cfg, "files_clamd_socket");
	enum px_hf_scan r;

	memset(v, 0, sizeof(*v));
	if (!*sock)
		return PX_OK;
	r = px_hf_clamd_scan(sock, s->fd, (int)px_cfg_int(ctx->cfg, "files_clamd_timeout") * 1000,
			     v->note, sizeof(v->note));
	if (r == PX_HF_SCAN_FOUND) {
		v->quarantine = 1;
		return PX_OK;
	}
	if (r == PX_HF_SCAN_CLEAN)
		return PX_OK;
	if (px_cfg_bool(ctx->cfg, "files_clamd_required")) {
		px_log_error("files", ctx->req->correlation_id, "upload refused: virus scan failed: %s",
			     v->note);
		return PX_E_FILES_SCAN_UNAVAILABLE;
	}
	px_log_warn("files", ctx->req->correlation_id, "upload stored UNSCANNED: %s", v->note);
	return PX_OK;
}

struct commit_args {
	struct px_ctx *ctx;
	const struct px_st_files *st;
	struct px_hf_sink *s;
	const struct px_m_file_new *f;
	const struct verdict *v;
	struct px_buf *out;
	long long id;
};

/* Under the object's lock: the bytes into the store, then the row. A new
 * object whose row cannot be written goes again. */
static enum px_err commit_tx(struct px_db *db, void *arg)
{
	struct commit_args *a = arg;
	struct json_object *j = NULL, *id = NULL;
	int existed = 0;
	enum px_err e;

	if ((e = px_m_files_object_lock(db, a->f->sha256, 0, NULL)) != PX_OK)
		return e;
	errno = 0;
	e = px_st_files_commit(a->st, a->s->path, a->f->sha256, &existed);
	a->s->path[0] = '\0'; /* commit removed or renamed it */
	if (e != PX_OK) {
		px_log_error("files", a->ctx->req->correlation_id, "cannot store object %s: %s",
			     a->f->sha256, a->st->remote && a->st->remote->errmsg.data
						   ? a->st->remote->errmsg.data : strerror(errno));
		return e;
	}
	e = px_m_files_insert(db, a->f, a->out);
	if (e == PX_OK && a->v->quarantine) {
		j = json_tokener_parse(a->out->data ? a->out->data : "");
		a->id = j && json_object_object_get_ex(j, "id", &id) ? json_object_get_int64(id) : 0;
		json_object_put(j);
		e = a->id > 0 ? px_m_files_quarantine(db, a->id, a->v->note) : PX_E_SYSTEM_INTERNAL;
	}
	if (e != PX_OK && !existed && px_st_files_remove(a->st, a->f->sha256, NULL) != PX_OK)
		px_log_warn("files", a->ctx->req->correlation_id,
			    "object %s left without a row (files cleanup removes it)", a->f->sha256);
	return e;
}

/* Logs, audits and answers a file the scanner flagged. */
static enum px_err quarantined(struct px_ctx *ctx, const struct commit_args *a)
{
	struct px_audit_event ev = { 0 };
	struct px_buf fields = PX_BUF_INIT;
	char actor[24], target[40];

	snprintf(actor, sizeof(actor), "%lld", ctx->who.user_id);
	snprintf(target, sizeof(target), "file:%lld", a->id);
	px_buf_puts(&fields, "{\"sha256\":");
	px_buf_json_str(&fields, a->f->sha256, strlen(a->f->sha256));
	px_buf_puts(&fields, ",\"signature\":");
	px_buf_json_str(&fields, a->v->note, strlen(a->v->note));
	px_buf_puts(&fields, ",\"name\":");
	px_buf_json_str(&fields, a->f->name, strlen(a->f->name));
	px_buf_putc(&fields, '}');
	px_log_warn("files", ctx->req->correlation_id, "file %lld quarantined: %s", a->id,
		    a->v->note);
	ev.action = "files.quarantined";
	ev.actor_id = actor;
	ev.target = target;
	ev.ip = ctx->req->remote_addr;
	ev.correlation_id = ctx->req->correlation_id;
	ev.fields_json = fields.failed ? NULL : fields.data;
	(void)px_audit(ctx->db, &ev);
	px_buf_reset(&ctx->details);
	px_buf_printf(&ctx->details, "{\"id\":%lld,\"signature\":", a->id);
	px_buf_json_str(&ctx->details, a->v->note, strlen(a->v->note));
	px_buf_putc(&ctx->details, '}');
	px_buf_free(&fields);
	return PX_E_FILES_QUARANTINED;
}

/* libmagic's type of s's content into mime: of its first bytes, or of
 * those after a leading ID3 tag (an MP3's cover art can fill the first
 * 64 KiB, and libmagic names the audio by its first frame); a ZIP that
 * libmagic calls plain is named by its directory when that shows an
 * OOXML package. SYSTEM_UNAVAILABLE without libmagic, STORAGE_FAILED. */
static enum px_err detect(const struct px_hf_sink *s, const struct px_hf_zip *z, char *mime,
			  size_t cap)
{
	size_t tag = px_waf_ftype_id3_len(s->head.data, s->head.len);
	const char *ooxml = px_hf_zip_ooxml(z);
	int rc;

	if (tag) {
		char *buf = malloc(PX_STREAM_PREFIX);
		ssize_t k = 0;

		if (!buf)
			return PX_E_SYSTEM_INTERNAL;
		if (tag < s->n)
			do
				k = pread(s->fd, buf, PX_STREAM_PREFIX, (off_t)tag);
			while (k < 0 && errno == EINTR);
		if (k < 0) {
			free(buf);
			return PX_E_STORAGE_FAILED;
		}
		rc = px_waf_magic_mime(buf, (size_t)k, mime, cap);
		free(buf);
	} else {
		rc = px_waf_magic_mime(s->head.data, s->head.len, mime, cap);
	}
	if (rc != 0)
		return PX_E_SYSTEM_UNAVAILABLE; /* no libmagic: nothing is stored unjudged */
	if (ooxml && strcmp(mime, "application/zip") == 0)
		snprintf(mime, cap, "%s", ooxml);
	return PX_OK;
}

enum px_err px_hf_finish(struct px_ctx *ctx, const struct px_st_files *st,
			 struct px_hf_sink *s, const struct px_hf_meta *m, struct px_buf *out)
{
	const struct px_hf_family *fam = NULL;
	unsigned char h[EVP_MAX_MD_SIZE];
	char hex[65], mime[128] = "";
	unsigned hl = 0;
	struct px_hf_zip zip;
	struct px_hf_img_info info;
	struct px_m_image img;
	struct px_m_file_new f;
	struct verdict v;
	struct commit_args a;
	enum px_hf_img fmt;
	enum px_err e;

	memset(&img, 0, sizeof(img));
	if (s->n == 0) {
		e = PX_E_FILES_EMPTY;
		goto out;
	}
	/* the bytes took a while: the uploader may have left the channel (or
	 * been removed) since the upload began */
	if (m->channel && (e = px_m_channels_authorize(ctx->db, m->channel, ctx->who.user_id,
						       ctx->who.role, PX_CHAN_POST, NULL)) != PX_OK)
		goto out;
	/* ZIP readers start from the end: a file that ends with an archive is
	 * judged as one (FILES_ARCHIVE_BOMB) before its type is */
	if ((e = px_hf_zip_check(s->fd, s->n, (uint64_t)px_cfg_int(ctx->cfg, "files_zip_max_ratio"),
				 (uint64_t)px_cfg_int(ctx->cfg, "files_zip_max_unpacked"),
				 &zip)) != PX_OK)
		goto out;
	if ((e = detect(s, &zip, mime, sizeof(mime))) != PX_OK)
		goto out;
	if ((e = px_hf_type_check(mime, m->name, m->declared, &fam)) != PX_OK) {
		px_ctx_detail(ctx, "detected_type", mime);
		goto out;
	}
	/* an archive is one of the ZIP families from its first byte; one
	 * behind another format (a PDF, an image) is a polyglot, and a ZIP
	 * family without a readable directory is damaged */
	if (zip.found && (!(fam->flags & PX_HF_ZIP) || zip.start != 0)) {
		e = PX_E_FILES_POLYGLOT;
		goto out;
	}
	if (!zip.found && (fam->flags & PX_HF_ZIP)) {
		e = PX_E_FILES_ARCHIVE_INVALID;
		goto out;
	}
	/* an image is judged from its structure before anything decodes it */
	fmt = px_hf_image_format(fam);
	if (fmt != PX_HF_IMG_NONE && (e = px_hf_image_check(ctx, s->fd, s->n, fmt, &info)) != PX_OK)
		goto out;
	if ((e = px_hf_quota(ctx, s->n)) != PX_OK)
		goto out;
	if (EVP_DigestFinal_ex(s->md, h, &hl) != 1 || hl != 32) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	px_codec_hex_str(hex, h, 32);
	if (fsync(s->fd) != 0) {
		e = PX_E_STORAGE_FAILED;
		goto out;
	}
	/* the whole file, before it can become visible */
	if ((e = scan(ctx, s, &v)) != PX_OK)
		goto out;
	if (close(s->fd) != 0) {
		s->fd = -1;
		e = PX_E_STORAGE_FAILED;
		goto out;
	}
	s->fd = -1;
	/* derivatives before the original is committed: an image libvips
	 * cannot decode leaves nothing behind; the same content uploaded
	 * again reuses them */
	if (fmt != PX_HF_IMG_NONE && (e = px_m_images_get(ctx->db, hex, &img)) != PX_OK) {
		if (e != PX_E_VALIDATION_NOT_FOUND ||
		    (e = px_hf_image_derive(ctx, st, s->path, hex, fmt, &img)) != PX_OK)
			goto out;
	}
	f.owner = ctx->who.user_id;
	f.channel = m->channel;
	f.name = m->name;
	f.declared = m->declared ? m->declared : "";
	f.detected = mime;
	f.size = (long long)s->n;
	f.sha256 = hex;
	f.width = img.width;
	f.height = img.height;
	memset(&a, 0, sizeof(a));
	a.ctx = ctx;
	a.st = st;
	a.s = s;
	a.f = &f;
	a.v = &v;
	a.out = out;
	e = px_db_tx(ctx->db, commit_tx, &a);
	if (e == PX_OK && v.quarantine)
		e = quarantined(ctx, &a);
out:
	px_hf_sink_drop(s);
	return e;
}
