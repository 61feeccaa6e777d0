/* notifications.c: the caller's notifications and their read state. */
#include "handlers/notifications.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "model/notifications.h"

#include <json-c/json.h>
#include <string.h>

#define MAX_IDS 500

enum px_err px_h_notifications_list(struct px_ctx *ctx)
{
	const char *unread = px_request_query(ctx->req, "unread");
	struct px_buf out = PX_BUF_INIT;
	long long before;
	int limit;
	enum px_err e;

	if ((e = px_hm_cursor(ctx, "before", &before)) != PX_OK ||
	    (e = px_hm_limit(ctx, 50, 200, &limit)) != PX_OK)
		return e;
	e = px_m_notifications_list(ctx->db, ctx->who.user_id,
				    unread && strcmp(unread, "1") == 0, before, limit, &out);
	if (e == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

/* Reads {"ids":[1,2]} into "1,2", or {"all":true} into NULL. */
static enum px_err read_ids(struct px_ctx *ctx, struct px_buf *csv, int *all)
{
	struct json_object *ids = NULL, *it;
	size_t i, n;

	*all = 0;
	if (ctx->req->json && json_object_object_get_ex(ctx->req->json, "all", &it) &&
	    json_object_is_type(it, json_type_boolean) && json_object_get_boolean(it)) {
		*all = 1;
		return PX_OK;
	}
	if (!ctx->req->json || !json_object_object_get_ex(ctx->req->json, "ids", &ids)) {
		px_ctx_detail(ctx, "field", "ids");
		return PX_E_VALIDATION_MISSING_FIELD;
	}
	n = json_object_is_type(ids, json_type_array) ? json_object_array_length(ids) : 0;
	if (!json_object_is_type(ids, json_type_array) || n == 0 || n > MAX_IDS) {
		px_ctx_detail(ctx, "field", "ids");
		return PX_E_VALIDATION_FIELD_LENGTH;
	}
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(ids, i);
		if (!json_object_is_type(it, json_type_int) || json_object_get_int64(it) < 1) {
			px_ctx_detail(ctx, "field", "ids");
			return PX_E_VALIDATION_FIELD_TYPE;
		}
		px_buf_printf(csv, "%s%lld", i ? "," : "", (long long)json_object_get_int64(it));
	}
	return PX_OK;
}

static enum px_err mark(struct px_ctx *ctx, const char *csv, long long one)
{
	struct px_buf out = PX_BUF_INIT;
	enum px_err e = one ? px_m_notifications_read_one(ctx->db, ctx->who.user_id, one, &out)
			    : px_m_notifications_read(ctx->db, ctx->who.user_id, csv, &out);

	if (e == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

enum px_err px_h_notifications_read(struct px_ctx *ctx)
{
	struct px_buf csv = PX_BUF_INIT;
	int all;
	enum px_err e = read_ids(ctx, &csv, &all);

	if (e == PX_OK)
		e = mark(ctx, all ? NULL : csv.data, 0);
	px_buf_free(&csv);
	return e;
}

enum px_err px_h_notifications_read_one(struct px_ctx *ctx)
{
	return mark(ctx, NULL, px_path_int(&ctx->path, "nid"));
}
