/* notify.c: settings, push subscriptions and unsubscribe (see notify.h).
 * Push endpoints are checked against push_services when saved and again
 * when sent to (model/notify_run.c), so the server only ever posts to the
 * push services an operator allows. */
#include "handlers/notify.h"
#include "handlers/auth_util.h"
#include "handlers/channels_util.h"
#include "handlers/web_util.h"
#include "core/cfg.h"
#include "core/codec.h"
#include "core/http.h"
#include "core/mail.h"
#include "core/webpush.h"
#include "model/notify.h"
#include "model/notify_run.h"
#include "model/users.h"
#include "web/webpage.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define ENDPOINT_MAX 1024

/* The settings object of the signed-in account, with what the UI needs. */
static enum px_err settings_json(struct px_ctx *ctx, struct json_object **out)
{
	static const int delays[] = PX_M_NOTIFY_MAIL_DELAYS;
	struct px_buf b = PX_BUF_INIT;
	struct json_object *o = NULL, *arr;
	struct px_m_user u;
	enum px_err e;
	size_t i;

	*out = NULL;
	if ((e = px_m_notify_prefs_get(ctx->db, ctx->who.user_id, &b)) != PX_OK ||
	    (e = px_m_users_get(ctx->db, ctx->who.user_id, &u)) != PX_OK)
		goto out;
	e = PX_E_SYSTEM_INTERNAL;
	if (!(o = px_web_json(&b)) || !(arr = json_object_new_array()))
		goto out;
	for (i = 0; i < sizeof(delays) / sizeof(delays[0]); i++)
		json_object_array_add(arr, json_object_new_int(delays[i]));
	json_object_object_add(o, "mail_delays", arr);
	json_object_object_add(o, "mail_available", json_object_new_boolean(
		px_mail_enabled(ctx->cfg)));
	json_object_object_add(o, "has_email", json_object_new_boolean(u.email[0] != '\0'));
	*out = o;
	o = NULL;
	e = PX_OK;
out:
	json_object_put(o);
	px_buf_free(&b);
	return e;
}

enum px_err px_h_notify_settings_get(struct px_ctx *ctx)
{
	struct json_object *o;
	enum px_err e = settings_json(ctx, &o);

	return e != PX_OK ? e : px_ctx_json(ctx, 200, o);
}

enum px_err px_h_notify_settings_patch(struct px_ctx *ctx)
{
	long long minutes = -1;
	int push = 0, desktop = 0, has_push, has_desktop;
	struct json_object *v;
	enum px_err e;

	if ((e = px_in_int(ctx, "mail_minutes", 0, 1440, &minutes)) != PX_OK)
		return e;
	/* the settings form sends push_present: an unchecked box is "off" */
	has_push = (ctx->req->json && json_object_object_get_ex(ctx->req->json, "push", &v)) ||
		   px_web_form(ctx, "push") || px_web_form(ctx, "push_present");
	if (has_push && (e = px_in_bool(ctx, "push", &push)) != PX_OK)
		return e;
	has_desktop = (ctx->req->json && json_object_object_get_ex(ctx->req->json, "desktop", &v)) ||
		      px_web_form(ctx, "desktop") || px_web_form(ctx, "push_present");
	if (has_desktop && (e = px_in_bool(ctx, "desktop", &desktop)) != PX_OK)
		return e;
	e = px_m_notify_prefs_set(ctx->db, ctx->who.user_id, (int)minutes, has_push ? push : -1,
				  has_desktop ? desktop : -1);
	if (e == PX_E_VALIDATION_FIELD_FORMAT)
		px_ctx_detail(ctx, "field", "mail_minutes");
	return e != PX_OK ? e : px_h_notify_settings_get(ctx);
}

enum px_err px_h_push_key(struct px_ctx *ctx)
{
	struct px_buf key = PX_BUF_INIT;
	struct json_object *o;
	enum px_err e = px_m_notify_vapid_public(ctx->db, ctx->cfg, &key);

	if (e != PX_OK) {
		px_buf_free(&key);
		return e;
	}
	o = json_object_new_object();
	json_object_object_add(o, "public_key", json_object_new_string(key.data));
	px_buf_free(&key);
	return px_ctx_json(ctx, 200, o);
}

enum px_err px_h_push_subs_list(struct px_ctx *ctx)
{
	struct px_buf out = PX_BUF_INIT;
	enum px_err e = px_m_push_sub_list(ctx->db, ctx->who.user_id, &out);

	if (e == PX_OK)
		e = px_hm_reply(ctx, 200, &out);
	px_buf_free(&out);
	return e;
}

/* keys.<name> of the body: base64url text of exactly n bytes into *out. */
static enum px_err key_field(struct px_ctx *ctx, const char *name, size_t n, const char **out)
{
	struct json_object *keys = NULL, *v = NULL;
	struct px_buf raw = PX_BUF_INIT;
	const char *s;
	enum px_err e = PX_E_VALIDATION_FIELD_FORMAT;

	*out = NULL;
	if (!ctx->req->json || !json_object_object_get_ex(ctx->req->json, "keys", &keys) ||
	    !json_object_object_get_ex(keys, name, &v)) {
		px_ctx_detail(ctx, "field", name);
		return PX_E_VALIDATION_MISSING_FIELD;
	}
	if (!json_object_is_type(v, json_type_string)) {
		px_ctx_detail(ctx, "field", name);
		return PX_E_VALIDATION_FIELD_TYPE;
	}
	s = json_object_get_string(v);
	if (strlen(s) < 200 &&
	    px_codec_b64_decode(s, strlen(s), PX_CODEC_B64_URL, &raw) == 0 && raw.len == n &&
	    (n != PX_WEBPUSH_PUB || (unsigned char)raw.data[0] == 0x04)) {
		*out = s;
		e = PX_OK;
	} else {
		px_ctx_detail(ctx, "field", name);
	}
	px_buf_free(&raw);
	return e;
}

enum px_err px_h_push_subs_add(struct px_ctx *ctx)
{
	const char *endpoint = NULL, *p256 = NULL, *auth = NULL, *ua;
	struct json_object *o;
	long long id = 0;
	enum px_err e;

	if ((e = px_in_str(ctx, "endpoint", 1, 10, ENDPOINT_MAX, &endpoint)) != PX_OK ||
	    (e = key_field(ctx, "p256dh", PX_WEBPUSH_PUB, &p256)) != PX_OK ||
	    (e = key_field(ctx, "auth", PX_WEBPUSH_AUTH, &auth)) != PX_OK)
		return e;
	if (!px_webpush_allowed(endpoint, px_cfg_str(ctx->cfg, "push_services"))) {
		px_buf_reset(&ctx->details);
		px_buf_puts(&ctx->details,
			    "{\"field\":\"endpoint\",\"reason\":\"push_service_not_allowed\"}");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	ua = px_request_header(ctx->req, "user-agent");
	if ((e = px_m_push_sub_add(ctx->db, ctx->who.user_id, endpoint, p256, auth,
				   ua && strlen(ua) < 300 ? ua : "", &id)) != PX_OK)
		return e;
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(id));
	return px_ctx_json(ctx, 201, o);
}

enum px_err px_h_push_subs_delete(struct px_ctx *ctx)
{
	struct json_object *o;
	enum px_err e = px_m_push_sub_delete(ctx->db, ctx->who.user_id,
					     px_path_int(&ctx->path, "id"), NULL);

	if (e != PX_OK)
		return e;
	o = json_object_new_object();
	json_object_object_add(o, "deleted", json_object_new_boolean(1));
	return px_ctx_json(ctx, 200, o);
}

/* u and t from the query (the mail's URL) or the page's form. */
static int unsub_args(struct px_ctx *ctx, long long *user, const char **tok)
{
	const char *u = px_request_query(ctx->req, "u");

	*tok = px_request_query(ctx->req, "t");
	if (!u)
		u = px_web_form(ctx, "u");
	if (!*tok)
		*tok = px_web_form(ctx, "t");
	*user = u ? strtoll(u, NULL, 10) : 0;
	return *user > 0 && *tok && px_m_notify_unsub_valid(ctx->cfg, *user, *tok);
}

static enum px_err unsub_page(struct px_ctx *ctx, int status, const char *state,
			      long long user, const char *tok)
{
	struct json_object *d = json_object_new_object();

	if (!d)
		return PX_E_SYSTEM_INTERNAL;
	json_object_object_add(d, state, json_object_new_boolean(1));
	if (user > 0 && tok) {
		json_object_object_add(d, "u", json_object_new_int64(user));
		px_web_str(d, "unsub_token", tok);
	}
	return px_web_render(ctx, status, "page/unsubscribe", "E-mail notifications", d);
}

enum px_err px_h_web_unsubscribe_page(struct px_ctx *ctx)
{
	const char *tok;
	long long user;

	if (!unsub_args(ctx, &user, &tok))
		return unsub_page(ctx, 400, "invalid", 0, NULL);
	return unsub_page(ctx, 200, "ask", user, tok);
}

enum px_err px_h_web_unsubscribe(struct px_ctx *ctx)
{
	const char *tok;
	long long user;
	enum px_err e;

	if (!unsub_args(ctx, &user, &tok))
		return unsub_page(ctx, 400, "invalid", 0, NULL);
	if ((e = px_m_notify_prefs_set(ctx->db, user, 0, -1, -1)) != PX_OK)
		return e;
	px_auth_audit_user(ctx, "notify.mail_unsubscribed", user, user, NULL);
	return unsub_page(ctx, 200, "done", 0, NULL);
}

enum px_err px_h_web_notify_settings(struct px_ctx *ctx)
{
	enum px_err e = px_web_call(ctx, px_h_notify_settings_patch, NULL);

	if (e == PX_OK)
		return px_web_done(ctx, "/settings", "saved");
	return e;
}
