/* files.c: reading and removing files. Every read checks, on every
 * request, that the caller may see the file: a draft only its owner, a
 * channel's file only who may read the channel, a deleted message's file
 * nobody. Downloads are answered with X-Sendfile: the web server sends
 * the bytes (and handles Range), PlexiChat only decides and names them. */
#include "handlers/files.h"
#include "handlers/files_image.h"
#include "handlers/files_store.h"
#include "handlers/files_util.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "model/channels.h"
#include "model/files.h"
#include "model/images.h"
#include "core/cfg.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
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
	enum px_err e;

	if (a)
		memset(a, 0, sizeof(*a));
	if (id <= 0)
		return PX_E_VALIDATION_NOT_FOUND;
	e = px_m_files_get_as(ctx->db, id, ctx->who.user_id, f, json, &standing);
	if (e != PX_OK)
		return e;
	if (f->unreachable)
		return PX_E_VALIDATION_NOT_FOUND;
	if (f->channel == 0)
		return f->owner == ctx->who.user_id ? PX_OK : PX_E_VALIDATION_NOT_FOUND;
	/* a channel the caller may not know of is as missing as the file */
	if (standing.channel_id == 0)
		return PX_E_VALIDATION_NOT_FOUND;
	standing.sys = ctx->who.role;
	if (a)
		*a = standing;
	return px_chan_check(&standing, PX_CHAN_READ);
}

enum px_err px_h_files_get(struct px_ctx *ctx)
{
	struct px_buf json = PX_BUF_INIT;
	struct px_m_file f;
	enum px_err e = readable(ctx, &f, &json, NULL);

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

enum px_err px_hf_send(struct px_ctx *ctx, const struct px_st_files *st, const char *hex,
		       const char *type, const char *disposition, long long mtime,
		       const char *cache)
{
	char path[PX_ST_FILES_PATH], etag[70], date[64];
	struct px_response *w = ctx->resp;

	if (px_st_files_path(st, hex, path) != 0)
		return PX_E_SYSTEM_INTERNAL;
	snprintf(etag, sizeof(etag), "\"%s\"", hex);
	http_date(mtime, date, sizeof(date));
	px_response_header(w, "ETag", etag);
	px_response_header(w, "Last-Modified", date);
	px_response_header(w, "Cache-Control", cache ? cache : "private, no-cache");
	px_response_header(w, "X-Content-Type-Options", "nosniff");
	px_response_header(w, "Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'");
	px_response_header(w, "Cross-Origin-Resource-Policy", "same-origin");
	if (not_modified(ctx->req, etag)) {
		w->status = 304;
		return PX_OK;
	}
	px_response_header(w, "Content-Type", type);
	if (disposition)
		px_response_header(w, "Content-Disposition", disposition);
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
	enum px_err e = px_m_images_get(ctx->db, f->sha256, m);

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
	const struct px_hf_family *fam;
	const char *dl = px_request_query(ctx->req, "download");
	const char *hex;
	struct px_st_files st;
	struct px_m_image img;
	struct px_m_file f;
	enum px_hf_img fmt;
	enum px_err e;
	int attach;

	if ((e = readable(ctx, &f, NULL, NULL)) != PX_OK || (e = px_hf_store(ctx, &st)) != PX_OK)
		goto out;
	fam = px_hf_family_of_type(f.detected);
	/* active content never renders from the chat origin */
	attach = !fam || fam->active || (dl && strcmp(dl, "0") != 0);
	/* an image is served as its copy without metadata (EXIF, GPS); its
	 * ETag names those bytes, the file's sha256 stays the upload's */
	hex = f.sha256;
	fmt = px_hf_image_format(fam);
	if (fmt != PX_HF_IMG_NONE) {
		if ((e = image_of(ctx, &st, &f, fmt, &img)) != PX_OK)
			goto out;
		hex = img.clean;
	}
	px_hf_disposition(&cd, attach, f.name);
	if (cd.failed) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	e = px_hf_send(ctx, &st, hex, fam ? fam->served : "application/octet-stream", cd.data,
		       f.mtime, NULL);
out:
	px_buf_free(&cd);
	return e;
}

enum px_err px_h_files_thumbnail(struct px_ctx *ctx)
{
	const char *size = px_request_query(ctx->req, "size");
	struct px_st_files st;
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
		return e;
	fmt = px_hf_image_format(px_hf_family_of_type(f.detected));
	if (fmt == PX_HF_IMG_NONE)
		return PX_E_VALIDATION_NOT_FOUND; /* only images have one */
	if ((e = image_of(ctx, &st, &f, fmt, &img)) != PX_OK)
		return e;
	return px_hf_send(ctx, &st, preview ? img.preview : img.thumb, "image/webp", "inline",
			  f.mtime, NULL);
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
