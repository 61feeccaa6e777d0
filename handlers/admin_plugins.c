/* admin_plugins.c: the admin API of installed plugins (admin_plugins.h). */
#include "handlers/admin_plugins.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "model/plugins.h"
#include "plugins/px_pl_manifest.h"

#include <json-c/json.h>

#include <string.h>

enum px_err px_h_admin_plugins_list(struct px_ctx *ctx)
{
	struct px_buf b = PX_BUF_INIT;
	enum px_err e = px_m_plugins_json(ctx->db, &b);

	if (e == PX_OK)
		e = px_hm_reply(ctx, 200, &b);
	px_buf_free(&b);
	return e;
}

/* The current manifest of the plugin in the path; NOT_FOUND when none. */
static enum px_err manifest_of(struct px_ctx *ctx, const char *name, struct px_pl_manifest *m)
{
	struct px_buf text = PX_BUF_INIT, err = PX_BUF_INIT;
	enum px_err e = px_m_plugin_manifest(ctx->db, name, &text);

	if (e == PX_OK && px_pl_manifest_parse(text.data ? text.data : "", text.len, m, &err) != 0)
		e = PX_E_SYSTEM_INTERNAL;  /* it was checked when installed */
	px_buf_free(&text);
	px_buf_free(&err);
	return e;
}

struct change {
	const char *name;
	struct json_object *body;
};

static enum px_err apply_tx(struct px_db *db, void *arg)
{
	struct change *c = arg;

	json_object_object_foreach(c->body, k, v) {
		enum px_err e = px_m_plugin_setting_set(db, c->name, k,
							json_object_is_type(v, json_type_null)
								? NULL : json_object_get_string(v));

		if (e != PX_OK)
			return e;
	}
	return PX_OK;
}

enum px_err px_h_admin_plugin_settings(struct px_ctx *ctx)
{
	const char *name = px_path_str(&ctx->path, "name");
	struct json_object *body = ctx->req->json;
	struct px_pl_manifest m;
	struct change c = { name, body };
	enum px_err e;

	if (!name || (e = manifest_of(ctx, name, &m)) == PX_E_VALIDATION_NOT_FOUND)
		return PX_E_VALIDATION_NOT_FOUND;
	if (e != PX_OK)
		return e;
	if (!body || !json_object_is_type(body, json_type_object)) {
		px_ctx_detail(ctx, "field", "body");
		return PX_E_VALIDATION_FIELD_TYPE;
	}
	json_object_object_foreach(body, k, v) {
		const struct px_pl_setting *s = px_pl_setting_find(&m, k);

		if (!s || (!json_object_is_type(v, json_type_null) &&
			   (!json_object_is_type(v, json_type_string) ||
			    !px_pl_setting_ok(s, json_object_get_string(v))))) {
			px_ctx_detail(ctx, "field", k);
			return PX_E_VALIDATION_FIELD_FORMAT;
		}
	}
	if ((e = px_db_tx(ctx->db, apply_tx, &c)) != PX_OK)
		return e;
	px_auth_audit(ctx, "admin.plugin.setting_set", ctx->who.user_id, name, NULL);
	return px_h_admin_plugins_list(ctx);
}

enum px_err px_h_admin_plugin_enabled(struct px_ctx *ctx)
{
	const char *name = px_path_str(&ctx->path, "name");
	struct json_object *body = ctx->req->json, *v;
	int on;
	enum px_err e;

	if (!body || !json_object_object_get_ex(body, "enabled", &v) ||
	    !json_object_is_type(v, json_type_boolean)) {
		px_ctx_detail(ctx, "field", "enabled");
		return body && json_object_object_get_ex(body, "enabled", &v)
			       ? PX_E_VALIDATION_FIELD_TYPE : PX_E_VALIDATION_MISSING_FIELD;
	}
	on = json_object_get_boolean(v);
	if (!name || (e = px_m_plugin_set_enabled(ctx->db, name, on)) == PX_E_VALIDATION_NOT_FOUND) {
		px_ctx_detail(ctx, "reason", on ? "not installed, or never enabled with grants"
						: "not installed");
		return PX_E_VALIDATION_NOT_FOUND;
	}
	if (e != PX_OK)
		return e;
	px_auth_audit(ctx, on ? "admin.plugin.enabled" : "admin.plugin.disabled", ctx->who.user_id,
		      name, NULL);
	return px_h_admin_plugins_list(ctx);
}
