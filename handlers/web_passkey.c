/* web_passkey.c: passkeys in the browser UI: the list on the security
 * page (renaming and removing work without JavaScript; adding one needs
 * it, static/js/passkey.js), the passkey choice on the second-factor page
 * of a sign-in, and /login/verify, the second-factor step that follows a
 * sign-in through an identity provider when mfa_required covers the
 * account. The forms reuse the API handlers. */
#include "handlers/web.h"
#include "handlers/auth_webauthn.h"
#include "handlers/web_util.h"
#include "web/webpage.h"
#include "model/users.h"

#include <json-c/json.h>
#include <string.h>

void px_web_passkeys(struct px_ctx *ctx, struct json_object *d)
{
	struct json_object *r = NULL, *list = NULL, *out = json_object_new_array();
	size_t i, n;

	if (px_web_call(ctx, px_h_auth_wa_credentials, &r) != PX_OK || !r ||
	    !json_object_object_get_ex(r, "credentials", &list))
		list = NULL;
	n = list ? json_object_array_length(list) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(list, i);
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int64(px_web_int(c, "id")));
		px_web_str(o, "name", px_web_get(c, "name"));
		px_web_str(o, "algorithm", px_web_get(c, "algorithm"));
		px_web_time(ctx, o, "created", px_web_get(c, "created_at"));
		if (px_web_get(c, "last_used_at"))
			px_web_time(ctx, o, "used", px_web_get(c, "last_used_at"));
		json_object_array_add(out, o);
	}
	json_object_object_add(d, "passkeys", out);
	json_object_put(r);
}

void px_web_passkey_step(struct px_ctx *ctx, struct json_object *d)
{
	struct json_object *det = ctx->details.len ? json_tokener_parse(ctx->details.data) : NULL;
	struct json_object *w;

	if (det && json_object_object_get_ex(det, "webauthn", &w))
		px_web_str(d, "passkey_options",
			   json_object_to_json_string_ext(w, JSON_C_TO_STRING_PLAIN));
	json_object_put(det);
}

enum px_err px_h_web_passkey_rename(struct px_ctx *ctx)
{
	enum px_err e = px_web_call(ctx, px_h_auth_wa_credential_rename, NULL);

	return e == PX_OK ? px_web_done(ctx, "/settings/security", "saved") : e;
}

enum px_err px_h_web_passkey_delete(struct px_ctx *ctx)
{
	enum px_err e = px_web_call(ctx, px_h_auth_wa_credential_delete, NULL);

	return e == PX_OK ? px_web_done(ctx, "/settings/security", "passkey_removed") : e;
}

/* The second-factor page of the identity-provider step, with fresh
 * passkey options when the account has passkeys. */
static enum px_err verify_page(struct px_ctx *ctx, int status, enum px_err err)
{
	struct json_object *d = json_object_new_object();
	char via[80], next[512];
	struct px_m_user u;
	long long uid = 0;
	int keys = 0;

	if (!d)
		return PX_E_SYSTEM_INTERNAL;
	/* an old or forged step, or a vanished account: sign in again */
	if (px_auth_mfa_step_open(ctx, &uid, via, next) != PX_OK ||
	    px_m_users_get(ctx->db, uid, &u) != PX_OK) {
		json_object_put(d);
		return px_webpage_redirect(ctx, "/login?expired=1");
	}
	if (err == PX_OK && px_auth_wa_count(ctx, uid, &keys) == PX_OK)
		px_auth_wa_mfa_details(ctx, &u, keys, NULL);
	json_object_object_add(d, "mfa", json_object_new_boolean(1));
	json_object_object_add(d, "verify_step", json_object_new_boolean(1));
	px_web_str(d, "next", next);
	px_web_passkey_step(ctx, d);
	if (err != PX_OK)
		px_web_error(ctx, d, err);
	return px_web_render(ctx, status, "page/login", "Sign in", d);
}

enum px_err px_h_web_login_verify_page(struct px_ctx *ctx)
{
	return verify_page(ctx, 200, PX_OK);
}

enum px_err px_h_web_login_verify(struct px_ctx *ctx)
{
	char via[80], next[512];
	long long uid = 0;
	enum px_err e;

	if (px_auth_mfa_step_open(ctx, &uid, via, next) != PX_OK)
		return px_webpage_redirect(ctx, "/login?expired=1");
	if (!px_web_form_token_valid(ctx))
		return verify_page(ctx, 403, PX_E_AUTH_CSRF_FAILED);
	e = px_web_call(ctx, px_auth_mfa_step_finish, NULL);
	if (e == PX_OK)
		return px_webpage_redirect(ctx, next);
	if (e == PX_E_AUTH_MFA_INVALID || e == PX_E_AUTH_MFA_REQUIRED || e == PX_E_AUTH_LOCKED_OUT)
		return verify_page(ctx, px_err_status(e),
				   e == PX_E_AUTH_LOCKED_OUT ? e : PX_E_AUTH_MFA_INVALID);
	if (e == PX_E_AUTH_SESSION_EXPIRED)
		return px_webpage_redirect(ctx, "/login?expired=1");
	return e;
}
