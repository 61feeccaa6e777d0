/* auth.c: the session endpoints: logout, who am I, CSRF token. */
#include "handlers/auth.h"
#include "handlers/auth_session.h"
#include "handlers/auth_util.h"
#include "auth/perm.h"
#include "model/sessions.h"
#include "model/users.h"

#include <json-c/json.h>

enum px_err px_h_auth_logout(struct px_ctx *ctx)
{
	enum px_err e = PX_OK;

	if (ctx->who.session_id)
		e = px_m_sessions_revoke(ctx->db, ctx->who.session_id, ctx->who.user_id);
	if (e != PX_OK && e != PX_E_VALIDATION_NOT_FOUND)
		return e;
	px_auth_cookie_clear(ctx);
	px_auth_audit_user(ctx, "auth.logout", ctx->who.user_id, ctx->who.user_id, NULL);
	return px_ctx_json(ctx, 200, json_object_new_object());
}

enum px_err px_h_auth_me(struct px_ctx *ctx)
{
	struct json_object *o;
	char csrf[PX_CSRF_LEN];
	struct px_m_user u;
	enum px_err e;

	if ((e = px_m_users_get(ctx->db, ctx->who.user_id, &u)) != PX_OK)
		return e == PX_E_VALIDATION_NOT_FOUND ? PX_E_AUTH_SESSION_EXPIRED : e;
	if (!(o = json_object_new_object()))
		return PX_E_SYSTEM_INTERNAL;
	json_object_object_add(o, "user", px_auth_user_json(&u, 1));
	json_object_object_add(o, "session_id", ctx->who.session_id
			       ? json_object_new_int64(ctx->who.session_id) : NULL);
	json_object_object_add(o, "via", json_object_new_string(
			       ctx->who.session_id ? (ctx->who.via_cookie ? "cookie" : "bearer")
						   : "token"));
	if (px_auth_csrf_token(ctx, csrf) == 0)
		json_object_object_add(o, "csrf_token", json_object_new_string(csrf));
	return px_ctx_json(ctx, 200, o);
}

enum px_err px_h_auth_csrf(struct px_ctx *ctx)
{
	struct json_object *o;
	char csrf[PX_CSRF_LEN];

	if (px_auth_csrf_token(ctx, csrf) != 0)
		return PX_E_AUTH_REQUIRED;
	if (!(o = json_object_new_object()))
		return PX_E_SYSTEM_INTERNAL;
	json_object_object_add(o, "csrf_token", json_object_new_string(csrf));
	return px_ctx_json(ctx, 200, o);
}
