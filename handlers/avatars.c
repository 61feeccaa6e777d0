/* avatars.c: PUT and DELETE /api/v1/users/me/avatar, GET
 * /api/v1/users/{id}/avatar. An avatar passes the checks of any image
 * upload (type agreement, structure, pixel limit) before libvips decodes
 * it; only the two square derivatives are stored. */
#include "handlers/avatars.h"
#include "handlers/auth_util.h"
#include "handlers/files.h"
#include "handlers/files_image.h"
#include "handlers/files_store.h"
#include "handlers/files_util.h"
#include "model/images.h"
#include "model/users.h"
#include "waf/waf_magic.h"
#include "core/cfg.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#define LARGE 256
#define SMALL 64

enum px_err px_h_avatar_put(struct px_ctx *ctx)
{
	struct px_buf name = PX_BUF_INIT, declared = PX_BUF_INIT;
	struct px_hf_sink s = { .fd = -1 };
	const struct px_hf_family *fam = NULL;
	char mime[128] = "", large[65], small[65];
	struct px_hf_img_info info;
	struct px_st_files st = { .remote = NULL };
	struct px_m_user u;
	enum px_hf_img fmt;
	enum px_err e;

	if ((e = px_hf_store(ctx, &st)) != PX_OK ||
	    (e = px_hf_sink_open(&s, &st, (uint64_t)px_cfg_int(ctx->cfg, "files_max_size"))) != PX_OK ||
	    (e = px_hf_receive(ctx, &s, &name, &declared)) != PX_OK)
		goto out;
	if (s.n == 0) {
		e = PX_E_FILES_EMPTY;
		goto out;
	}
	if (px_waf_magic_mime(s.head.data, s.head.len, mime, sizeof(mime)) != 0) {
		e = PX_E_SYSTEM_UNAVAILABLE;
		goto out;
	}
	if ((e = px_hf_type_check(mime, name.data ? name.data : "", declared.data, &fam)) != PX_OK) {
		px_ctx_detail(ctx, "detected_type", mime);
		goto out;
	}
	if ((fmt = px_hf_image_format(fam)) == PX_HF_IMG_NONE) {
		px_ctx_detail(ctx, "detected_type", mime);
		e = PX_E_FILES_TYPE_NOT_ALLOWED;
		goto out;
	}
	if ((e = px_hf_image_check(ctx, s.fd, s.n, fmt, &info)) != PX_OK ||
	    (e = px_hf_image_webp(s.path, LARGE, 1, 1, &st, large, NULL, NULL)) != PX_OK ||
	    (e = px_hf_image_webp(s.path, SMALL, 1, 1, &st, small, NULL, NULL)) != PX_OK ||
	    (e = px_m_avatars_set(ctx->db, ctx->who.user_id, large, small)) != PX_OK ||
	    (e = px_m_users_get(ctx->db, ctx->who.user_id, &u)) != PX_OK)
		goto out;
	e = px_ctx_json(ctx, 200, px_auth_user_json(&u, 1));
out:
	px_hf_sink_drop(&s);
	px_st_files_close(&st);
	px_buf_free(&name);
	px_buf_free(&declared);
	return e;
}

enum px_err px_h_avatar_delete(struct px_ctx *ctx)
{
	struct px_m_user u;
	enum px_err e;

	if ((e = px_m_avatars_delete(ctx->db, ctx->who.user_id)) != PX_OK ||
	    (e = px_m_users_get(ctx->db, ctx->who.user_id, &u)) != PX_OK)
		return e;
	return px_ctx_json(ctx, 200, px_auth_user_json(&u, 1));
}

enum px_err px_h_avatar_get(struct px_ctx *ctx)
{
	const char *size = px_request_query(ctx->req, "size");
	const char *v = px_request_query(ctx->req, "v");
	struct px_st_files st = { .remote = NULL };
	struct px_m_avatar a;
	enum px_err e;
	int small;

	if (size && strcmp(size, "64") != 0 && strcmp(size, "256") != 0) {
		px_ctx_detail(ctx, "field", "size");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	small = size && strcmp(size, "64") == 0;
	if ((e = px_m_avatars_get(ctx->db, px_path_int(&ctx->path, "id"), &a)) == PX_OK &&
	    (e = px_hf_store(ctx, &st)) == PX_OK)
		/* the URL with the current version never changes its bytes */
		e = px_hf_send(ctx, &st, small ? a.small : a.large, "image/webp", "inline",
			       a.mtime, v && strncmp(v, a.large, strlen(v)) == 0 && strlen(v) == 16
					? "private, max-age=31536000, immutable"
					: "private, no-cache");
	px_st_files_close(&st);
	return e;
}
