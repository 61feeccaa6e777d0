/* files.c: reading and removing files. Every read checks, on every
 * request, that the caller may see the file: a draft only its owner, a
 * channel's file only who may read the channel, a deleted message's file
 * nobody, a quarantined file nobody (FILES_QUARANTINED to who could see
 * it otherwise). Downloads from a local store are answered with
 * X-Sendfile: the web server sends the bytes (and handles Range),
 * PlexiChat only decides and names them; or, with files_send = direct
 * (a web server without X-Sendfile), PlexiChat sends them itself with one
 * byte range at most; from S3, GCS or Azure with a redirect to a signed
 * URL (presigned GET, or Azure service SAS) valid files_s3_url_ttl
 * seconds, which carries the safe Content-Type and Content-Disposition
 * for the store to answer with. Also the
 * channel's retention setting (PATCH /api/v1/channels/{id}). */
#include "handlers/files.h"
#include "handlers/files_image.h"
#include "handlers/files_sign.h"
#include "handlers/files_store.h"
#include "handlers/files_util.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "model/channels.h"
#include "model/files.h"
#include "model/files_gc.h"
#include "model/images.h"
#include "core/cfg.h"
#include "core/log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Loads route file {fid} if the caller may read it; *a (may be NULL)
 * gets the caller's standing in its channel. Everything the caller may
 * not see is VALIDATION_NOT_FOUND or the channel gate's error. */
static enum px_err readable(struct px_ctx *ctx, struct px_m_file *f, struct px_buf *json,
			    struct px_chan_access *a)
{
	long long id = px_path_int(&ctx->path, "fid");
	struct px_chan_access standing;
	char state[16] = "ready";
	int quarantined = 0;
	enum px_err e;

	if (a)
		memset(a, 0, sizeof(*a));
	if (id <= 0)
		return PX_E_VALIDATION_NOT_FOUND;
	e = px_m_files_get_as(ctx->db, id, ctx->who.user_id, f, json, &standing);
	/* a quarantined file: its own error, to those who could see it */
	if (e == PX_E_VALIDATION_NOT_FOUND &&
	    (e = px_m_files_get_any(ctx->db, id, f, state)) == PX_OK) {
		if (strcmp(state, "quarantined") != 0)
			return PX_E_VALIDATION_NOT_FOUND;
		quarantined = 1;
	}
	if (e != PX_OK)
		return e;
	if (f->unreachable)
		return PX_E_VALIDATION_NOT_FOUND;
	if (f->channel == 0) {
		e = f->owner == ctx->who.user_id ? PX_OK : PX_E_VALIDATION_NOT_FOUND;
	} else if (quarantined) {
		e = px_m_channels_authorize(ctx->db, f->channel, ctx->who.user_id, ctx->who.role,
					    PX_CHAN_READ, a);
	} else if (standing.channel_id == 0) {
		/* a channel the caller may not know of is as missing as the file */
		e = PX_E_VALIDATION_NOT_FOUND;
	} else {
		standing.sys = ctx->who.role;
		if (a)
			*a = standing;
		e = px_chan_check(&standing, PX_CHAN_READ);
	}
	return e == PX_OK && quarantined ? PX_E_FILES_QUARANTINED : e;
}

/* The Content-Type *type and Content-Disposition (into cd) GET
 * .../content answers file f with: active content never renders from the
 * chat origin, archives and office documents are downloads, and download
 * asks for an attachment. -1 when cd failed. */
static int content_headers(const struct px_m_file *f, int download, const char **type,
			   struct px_buf *cd)
{
	const struct px_hf_family *fam = px_hf_family_of_file(f->detected, f->name);
	int attach = !fam || (fam->flags & (PX_HF_ACTIVE | PX_HF_DOWNLOAD)) || download;

	*type = fam ? fam->served : "application/octet-stream";
	px_hf_disposition(cd, attach, f->name);
	return cd->failed ? -1 : 0;
}

/* Adds member name with the signed URL of object hex of f to o. */
static int add_url(struct px_ctx *ctx, struct json_object *o, const char *name,
		   const struct px_m_file *f, const char *hex, const char *type, const char *cd,
		   long long expires)
{
	struct px_buf url = PX_BUF_INIT;
	int rc = px_hf_sign_url(ctx->cfg, f->id, hex, f->mtime, type, cd, expires, &url);

	if (rc == 0)
		json_object_object_add(o, name, json_object_new_string(url.data));
	px_buf_free(&url);
	return rc;
}

/* The "signed" member of a file's metadata: URLs the web server answers
 * without asking PlexiChat again (files_sign.h), for files of the local
 * store whose objects are known (an image without derivatives yet has
 * none: its content route makes them). NULL when there are none. */
static struct json_object *signed_urls(struct px_ctx *ctx, const struct px_m_file *f)
{
	struct json_object *o;
	struct px_buf cd = PX_BUF_INIT, dl = PX_BUF_INIT;
	const char *hex = f->sha256, *type;
	long long expires = (long long)time(NULL) + px_cfg_int(ctx->cfg, "files_url_ttl");
	int image = px_hf_image_format(px_hf_family_of_file(f->detected, f->name)) !=
		    PX_HF_IMG_NONE;
	int rc;

	if (!px_hf_sign_enabled(ctx->cfg) || strcmp(px_cfg_str(ctx->cfg, "files_store"), "local") ||
	    (image && (!f->clean[0] || !f->thumb[0] || !f->preview[0])))
		return NULL;
	if (image)
		hex = f->clean;
	if (!(o = json_object_new_object()))
		return NULL;
	rc = content_headers(f, 0, &type, &cd) | content_headers(f, 1, &type, &dl);
	rc = rc || add_url(ctx, o, "url", f, hex, type, cd.data, expires) ||
	     add_url(ctx, o, "download_url", f, hex, type, dl.data, expires);
	if (!rc && image)
		rc = add_url(ctx, o, "thumbnail_url", f, f->thumb, "image/webp", "inline", expires) ||
		     add_url(ctx, o, "preview_url", f, f->preview, "image/webp", "inline", expires);
	json_object_object_add(o, "expires_at", json_object_new_int64(expires));
	px_buf_free(&cd);
	px_buf_free(&dl);
	if (rc) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

enum px_err px_h_files_get(struct px_ctx *ctx)
{
	struct px_buf json = PX_BUF_INIT;
	struct json_object *sig;
	struct px_m_file f;
	enum px_err e = readable(ctx, &f, &json, NULL);

	/* the row's JSON is an object: "signed" goes in before its '}' */
	if (e == PX_OK && (sig = signed_urls(ctx, &f)) != NULL) {
		if (json.len > 2 && json.data[json.len - 1] == '}') {
			json.data[--json.len] = '\0';
			px_buf_printf(&json, ",\"signed\":%s}",
				      json_object_to_json_string_ext(sig, JSON_C_TO_STRING_PLAIN));
		}
		json_object_put(sig);
	}
	if (e == PX_OK)
		e = px_hm_reply(ctx, 200, &json);
	px_buf_free(&json);
	return e;
}

static void http_date(long long t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* Whether If-None-Match names etag (or is "*"). */
static int not_modified(const struct px_request *req, const char *etag)
{
	const char *inm = px_request_header(req, "if-none-match");

	return inm && (strstr(inm, etag) || strcmp(inm, "*") == 0);
}

/* The endpoint clients reach the configured remote store at, for signed
 * URLs ("": the store's own). */
static const char *public_endpoint(const struct px_ctx *ctx)
{
	const char *kind = px_cfg_str(ctx->cfg, "files_store");

	return px_cfg_str(ctx->cfg, !strcmp(kind, "azure") ? "files_azure_public_endpoint"
				    : !strcmp(kind, "gcs") ? "files_gcs_public_endpoint"
							   : "files_s3_public_endpoint");
}

/* Answers 302 to a signed GET of object hex in the remote store (S3/GCS
 * presigned URL, Azure SAS), with the response headers the store is to
 * send. The URL is never cached. */
static enum px_err redirect_presigned(struct px_ctx *ctx, const struct px_st_files *st,
				      const char *hex, const char *type, const char *cd)
{
	struct px_st_files_url p = { 0 };
	struct px_buf url = PX_BUF_INIT;
	enum px_err e = PX_OK;

	p.endpoint = public_endpoint(ctx);
	p.expires = (long)px_cfg_int(ctx->cfg, "files_s3_url_ttl");
	p.content_type = type;
	p.content_disposition = cd;
	p.cache_control = "private, max-age=60";
	if (px_st_files_signed_url(st, hex, &p, &url) != 0) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	px_response_header(ctx->resp, "Location", url.data);
	px_response_header(ctx->resp, "Cache-Control", "private, no-store");
	px_response_header(ctx->resp, "Referrer-Policy", "no-referrer");
	ctx->resp->status = 302;
out:
	px_buf_free(&url);
	return e;
}

/* One range of RFC 9110 "bytes=a-b", "bytes=a-" or "bytes=-n" against a
 * file of size bytes: 1 with *from and *to (inclusive) set, 0 when the
 * header is absent or not one plain range (the whole file is sent, as the
 * RFC allows), -1 when no byte of it exists (416). */
static int parse_range(const char *h, long long size, long long *from, long long *to)
{
	long long a, b;
	char *end;

	if (!h || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
		return 0;
	h += 6;
	if (*h == '-') {
		if (!isdigit((unsigned char)h[1]))
			return 0;
		b = strtoll(h + 1, &end, 10);
		if (*end)
			return 0;
		if (b == 0 || size == 0)
			return -1;
		*from = b >= size ? 0 : size - b;
		*to = size - 1;
		return 1;
	}
	if (!isdigit((unsigned char)*h))
		return 0;
	a = strtoll(h, &end, 10);
	if (*end != '-')
		return 0;
	h = end + 1;
	b = size - 1;
	if (*h) {
		if (!isdigit((unsigned char)*h))
			return 0;
		b = strtoll(h, &end, 10);
		if (*end || b < a)
			return 0;
		if (b >= size)
			b = size - 1;
	}
	if (a >= size)
		return -1;
	*from = a;
	*to = b;
	return 1;
}

/* files_send = direct: the bytes of path (or of the one range asked for,
 * unless If-Range names another version) streamed by PlexiChat itself;
 * headers only for HEAD. A client gone mid-way ends the answer quietly. */
static enum px_err send_direct(struct px_ctx *ctx, const char *path, const char *etag)
{
	struct px_response *w = ctx->resp;
	const char *if_range = px_request_header(ctx->req, "if-range");
	long long from = 0, to, left;
	char num[96], chunk[65536];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;
	enum px_err e = PX_OK;

	if (fd < 0 || fstat(fd, &st) != 0) {
		px_log_error("files", ctx->req->correlation_id, "%s: %s", path, strerror(errno));
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	to = (long long)st.st_size - 1;
	r = if_range && strcmp(if_range, etag) != 0
		    ? 0 : parse_range(px_request_header(ctx->req, "range"), st.st_size, &from, &to);
	px_response_header(w, "Accept-Ranges", "bytes");
	if (r < 0) {
		snprintf(num, sizeof(num), "bytes */%lld", (long long)st.st_size);
		px_response_header(w, "Content-Range", num);
		w->status = 416;
		goto out;
	}
	if (r > 0) {
		snprintf(num, sizeof(num), "bytes %lld-%lld/%lld", from, to, (long long)st.st_size);
		px_response_header(w, "Content-Range", num);
	}
	w->status = r > 0 ? 206 : 200;
	snprintf(num, sizeof(num), "%lld", to - from + 1);
	px_response_header(w, "Content-Length", num);
	if (px_response_stream_begin(w) != 0 || strcmp(ctx->req->method, "HEAD") == 0)
		goto out;
	for (left = to - from + 1; left > 0;) {
		ssize_t n = pread(fd, chunk, left < (long long)sizeof(chunk) ? (size_t)left : sizeof(chunk),
				  (off_t)from);

		if (n <= 0 || px_response_stream_write(w, chunk, (size_t)n) != 0)
			break;
		from += n;
		left -= n;
	}
out:
	if (fd >= 0)
		close(fd);
	return e;
}

enum px_err px_hf_send(struct px_ctx *ctx, const struct px_st_files *st, const char *hex,
		       const char *type, const char *disposition, long long mtime,
		       const char *cache)
{
	char path[PX_ST_FILES_PATH], etag[70], date[64];
	struct px_response *w = ctx->resp;

	if (!st->remote && px_st_files_path(st, hex, path) != 0)
		return PX_E_SYSTEM_INTERNAL;
	snprintf(etag, sizeof(etag), "\"%s\"", hex);
	http_date(mtime, date, sizeof(date));
	px_response_header(w, "ETag", etag);
	px_response_header(w, "Last-Modified", date);
	px_response_header(w, "Cache-Control", cache ? cache : "private, no-cache");
	px_response_header(w, "X-Content-Type-Options", "nosniff");
	/* media-src: a browser plays audio and video opened directly in a
	 * media document that loads the URL again under this policy */
	px_response_header(w, "Content-Security-Policy",
			   "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; "
			   "style-src 'unsafe-inline'");
	px_response_header(w, "Cross-Origin-Resource-Policy", "same-origin");
	if (not_modified(ctx->req, etag)) {
		w->status = 304;
		return PX_OK;
	}
	if (st->remote)
		return redirect_presigned(ctx, st, hex, type, disposition);
	px_response_header(w, "Content-Type", type);
	if (disposition)
		px_response_header(w, "Content-Disposition", disposition);
	if (strcmp(px_cfg_str(ctx->cfg, "files_send"), "direct") == 0)
		return send_direct(ctx, path, etag);
	px_response_header(w, "X-Sendfile", path);
	w->status = 200;
	w->no_length = 1;
	return PX_OK;
}

/* The derivatives of image file f, made now when missing (a file stored
 * before they existed, or objects lost). */
static enum px_err image_of(struct px_ctx *ctx, const struct px_st_files *st,
			    const struct px_m_file *f, enum px_hf_img fmt, struct px_m_image *m)
{
	char orig[PX_ST_FILES_PATH], p1[PX_ST_FILES_PATH], p2[PX_ST_FILES_PATH],
		p3[PX_ST_FILES_PATH];
	enum px_err e = PX_OK;

	/* the file's read brought the derivatives' names along */
	if (f->clean[0]) {
		memset(m, 0, sizeof(*m));
		snprintf(m->clean, sizeof(m->clean), "%s", f->clean);
		snprintf(m->thumb, sizeof(m->thumb), "%s", f->thumb);
		snprintf(m->preview, sizeof(m->preview), "%s", f->preview);
	} else {
		e = px_m_images_get(ctx->db, f->sha256, m);
	}

	/* in S3 the derivatives were made at upload and are not checked on
	 * every read; none made (an older file) is answered as missing */
	if (st->remote)
		return e;
	if (e == PX_OK && px_st_files_path(st, m->clean, p1) == 0 &&
	    px_st_files_path(st, m->thumb, p2) == 0 && px_st_files_path(st, m->preview, p3) == 0 &&
	    access(p1, F_OK) == 0 && access(p2, F_OK) == 0 && access(p3, F_OK) == 0)
		return PX_OK;
	if (e != PX_OK && e != PX_E_VALIDATION_NOT_FOUND)
		return e;
	if (px_st_files_path(st, f->sha256, orig) != 0)
		return PX_E_SYSTEM_INTERNAL;
	return px_hf_image_derive(ctx, st, orig, f->sha256, fmt, m);
}

enum px_err px_h_files_content(struct px_ctx *ctx)
{
	struct px_buf cd = PX_BUF_INIT;
	const char *dl = px_request_query(ctx->req, "download");
	const char *hex, *type;
	struct px_st_files st = { .remote = NULL };
	struct px_m_image img;
	struct px_m_file f;
	enum px_hf_img fmt;
	enum px_err e;

	if ((e = readable(ctx, &f, NULL, NULL)) != PX_OK || (e = px_hf_store(ctx, &st)) != PX_OK)
		goto out;
	/* an image is served as its copy without metadata (EXIF, GPS); its
	 * ETag names those bytes, the file's sha256 stays the upload's */
	hex = f.sha256;
	fmt = px_hf_image_format(px_hf_family_of_file(f.detected, f.name));
	if (fmt != PX_HF_IMG_NONE) {
		e = image_of(ctx, &st, &f, fmt, &img);
		if (e == PX_OK)
			hex = img.clean;
		else if (!(st.remote && e == PX_E_VALIDATION_NOT_FOUND))
			goto out; /* in S3 without derivatives: the upload as stored */
	}
	if (content_headers(&f, dl && strcmp(dl, "0") != 0, &type, &cd) != 0) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	e = px_hf_send(ctx, &st, hex, type, cd.data, f.mtime, NULL);
out:
	px_st_files_close(&st);
	px_buf_free(&cd);
	return e;
}

/* A signed URL (files_sign.h) where no web server script answered it: the
 * same check and the same answer, without the database. */
enum px_err px_h_files_signed(struct px_ctx *ctx)
{
	const struct px_request *q = ctx->req;
	struct px_st_files st = { .remote = NULL };
	char path[PX_ST_FILES_PATH];
	struct px_hf_signed v;
	enum px_err e;

	e = px_hf_sign_check(ctx->cfg, px_path_int(&ctx->path, "fid"), px_request_query(q, "o"),
			     px_request_query(q, "m"), px_request_query(q, "e"),
			     px_request_query(q, "t"), px_request_query(q, "d"),
			     px_request_query(q, "s"), (long long)time(NULL), &v);
	if (e == PX_OK)
		e = px_hf_store(ctx, &st);
	/* a file of another store, or an object gone since */
	if (e == PX_OK && (st.remote || px_st_files_path(&st, v.object, path) != 0 ||
			   access(path, F_OK) != 0))
		e = PX_E_VALIDATION_NOT_FOUND;
	if (e == PX_OK)
		e = px_hf_send(ctx, &st, v.object, v.type.data, v.disposition.data, v.mtime, NULL);
	px_st_files_close(&st);
	px_hf_signed_free(&v);
	return e;
}

enum px_err px_h_files_thumbnail(struct px_ctx *ctx)
{
	const char *size = px_request_query(ctx->req, "size");
	struct px_st_files st = { .remote = NULL };
	struct px_m_image img;
	struct px_m_file f;
	enum px_hf_img fmt;
	enum px_err e;
	int preview;

	if (size && strcmp(size, "thumb") != 0 && strcmp(size, "preview") != 0) {
		px_ctx_detail(ctx, "field", "size");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	preview = size && strcmp(size, "preview") == 0;
	if ((e = readable(ctx, &f, NULL, NULL)) != PX_OK || (e = px_hf_store(ctx, &st)) != PX_OK)
		goto out;
	fmt = px_hf_image_format(px_hf_family_of_type(f.detected));
	if (fmt == PX_HF_IMG_NONE) {
		e = PX_E_VALIDATION_NOT_FOUND; /* only images have one */
		goto out;
	}
	if ((e = image_of(ctx, &st, &f, fmt, &img)) == PX_OK)
		e = px_hf_send(ctx, &st, preview ? img.preview : img.thumb, "image/webp", "inline",
			       f.mtime, NULL);
out:
	px_st_files_close(&st);
	return e;
}

/* Removes the object once no row names it. Best effort: the file is
 * already gone for clients, and `files cleanup` removes what is left. */
static void release_object(struct px_ctx *ctx, const char *hex)
{
	struct px_st_files st = { .remote = NULL };
	struct px_m_files_objects ob = PX_ST_FILES_OBJECTS(&st);
	int removed = 0;

	if (px_hf_store(ctx, &st) != PX_OK ||
	    px_m_files_release(ctx->db, &ob, hex, &removed) != PX_OK)
		px_log_warn("files", ctx->req->correlation_id,
			    "object %s not removed now (files cleanup will)", hex);
	px_st_files_close(&st);
}

enum px_err px_h_files_delete(struct px_ctx *ctx)
{
	struct px_chan_access a;
	struct px_m_file f;
	enum px_err e = readable(ctx, &f, NULL, &a);

	if (e != PX_OK)
		return e;
	/* the owner, a moderator or owner of the channel, an administrator */
	if (f.owner != ctx->who.user_id && ctx->who.role < PX_ROLE_ADMIN &&
	    (f.channel == 0 || px_chan_check(&a, PX_CHAN_DELETE_ANY) != PX_OK))
		return PX_E_AUTH_FORBIDDEN;
	if ((e = px_m_files_delete(ctx->db, f.id)) != PX_OK)
		return e;
	release_object(ctx, f.sha256);
	return px_ctx_json(ctx, 200, json_object_new_object());
}

enum px_err px_h_files_channel_list(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	struct px_chan_access a;
	long long before = 0;
	int limit = 50;
	enum px_err e;

	if ((e = px_hm_cursor(ctx, "before", &before)) != PX_OK ||
	    (e = px_hm_limit(ctx, 50, 200, &limit)) != PX_OK ||
	    (e = px_hm_gate(ctx, PX_CHAN_READ, &a)) != PX_OK ||
	    (e = px_m_files_list(ctx->db, a.channel_id, before, limit, &out)) != PX_OK)
		goto out;
	e = px_hm_reply(ctx, 200, &out);
out:
	px_buf_free(&out);
	return e;
}

enum px_err px_hf_file_ids(struct px_ctx *ctx, struct px_buf *csv, int *count)
{
	struct json_object *arr = NULL;
	long long seen[10];
	size_t i, n;

	*count = 0;
	if (!ctx->req->json || !json_object_object_get_ex(ctx->req->json, "file_ids", &arr) ||
	    !arr)
		return PX_OK;
	if (!json_object_is_type(arr, json_type_array) || (n = json_object_array_length(arr)) > 10)
		goto bad;
	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		long long id;
		size_t j;

		if (!json_object_is_type(v, json_type_int) || (id = json_object_get_int64(v)) <= 0)
			goto bad;
		for (j = 0; j < i; j++)
			if (seen[j] == id)
				goto bad;
		seen[i] = id;
		px_buf_printf(csv, "%s%lld", i ? "," : "", id);
	}
	*count = (int)n;
	return csv->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
bad:
	px_ctx_detail(ctx, "field", "file_ids");
	return PX_E_VALIDATION_FIELD_TYPE;
}

enum px_err px_hf_retention_value(struct px_ctx *ctx, int *present, int *days)
{
	struct json_object *v = NULL;
	long long n;

	*present = 0;
	*days = 0;
	if (!ctx->req->json ||
	    !json_object_object_get_ex(ctx->req->json, "files_retention_days", &v))
		return PX_OK;
	*present = 1;
	if (!v || json_object_is_type(v, json_type_null))
		return PX_OK;
	if (!json_object_is_type(v, json_type_int) || (n = json_object_get_int64(v)) < 1 ||
	    n > 36500) {
		px_ctx_detail(ctx, "field", "files_retention_days");
		return PX_E_VALIDATION_FIELD_TYPE;
	}
	*days = (int)n;
	return PX_OK;
}

enum px_err px_hf_retention_set(struct px_ctx *ctx, int days)
{
	struct px_chan_access a;
	enum px_err e;

	if ((e = px_hm_gate(ctx, PX_CHAN_MANAGE, &a)) != PX_OK)
		return e;
	return px_m_files_retention_set(ctx->db, a.channel_id, days);
}
