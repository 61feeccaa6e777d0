/* auth_password.c: password change (needs the current one), reset by a
 * single-use expiring token sent by e-mail, and admin-issued resets. */
#include "handlers/auth.h"
#include "handlers/auth_ldap.h"
#include "handlers/auth_util.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/mail.h"
#include "auth/password.h"
#include "auth/pwpolicy.h"
#include "model/auth_invites.h"
#include "model/sessions.h"
#include "model/users.h"

#include <json-c/json.h>
#include <string.h>

/* Checks pw against the policy and stores its hash for user u; then ends
 * every session except keep. */
static enum px_err set_password(struct px_ctx *ctx, const struct px_m_user *u,
				const char *pw, long long keep)
{
	struct px_buf h = PX_BUF_INIT;
	const char *reason = "";
	enum px_err e;

	if ((e = px_auth_ldap_local_password(ctx, u->id)) != PX_OK)
		return e; /* the directory's password is changed there */
	if ((e = px_pwpolicy_check(pw, u->username, &reason)) != PX_OK) {
		px_ctx_detail(ctx, "reason", reason);
		return e;
	}
	if (px_password_hash(pw, strlen(pw), &h) != 0)
		e = PX_E_SYSTEM_INTERNAL;
	else if ((e = px_m_users_set_password_id(ctx->db, u->id, h.data)) == PX_OK)
		e = px_m_sessions_revoke_all(ctx->db, u->id, keep, NULL);
	px_buf_free(&h);
	return e;
}

enum px_err px_h_auth_password_change(struct px_ctx *ctx)
{
	const char *cur = NULL, *pw = NULL;
	struct px_m_user u;
	enum px_err e;

	if ((e = px_in_str(ctx, "current_password", 1, 1, 4096, &cur)) != PX_OK ||
	    (e = px_in_str(ctx, "new_password", 1, 0, 4096, &pw)) != PX_OK ||
	    (e = px_m_users_get(ctx->db, ctx->who.user_id, &u)) != PX_OK ||
	    (e = px_auth_ldap_local_password(ctx, u.id)) != PX_OK)
		return e;
	if (!px_password_verify(u.password_hash, cur, strlen(cur))) {
		px_auth_audit_user(ctx, "auth.password_change_failed", u.id, u.id, NULL);
		return PX_E_AUTH_INVALID_CREDENTIALS;
	}
	if ((e = set_password(ctx, &u, pw, ctx->who.session_id)) != PX_OK)
		return e;
	px_auth_audit_user(ctx, "auth.password_changed", u.id, u.id, NULL);
	return px_ctx_json(ctx, 200, json_object_new_object());
}

/* Creates a reset token for u into tok and mails it when possible.
 * *mailed tells whether a message went out. */
static enum px_err issue_reset(struct px_ctx *ctx, const struct px_m_user *u,
			       char tok[PX_TOKEN_MAX], int *mailed)
{
	long long ttl = px_cfg_int(ctx->cfg, "password_reset_ttl");
	struct px_buf body = PX_BUF_INIT;
	char hash[65];
	enum px_err e;

	*mailed = 0;
	if (px_crypto_token("pxr_", tok, PX_TOKEN_MAX) != 0)
		return PX_E_SYSTEM_INTERNAL;
	px_crypto_sha256_hex(tok, strlen(tok), hash);
	if ((e = px_m_resets_create(ctx->db, u->id, hash, ttl)) != PX_OK)
		return e;
	if (!u->email[0] || !px_mail_enabled(ctx->cfg))
		return PX_OK;
	px_buf_printf(&body, "Hello %s,\n\nsomeone asked to reset your PlexiChat password.\n"
			     "Use this link within %lld minutes:\n\n%s/reset-password?token=%s\n\n"
			     "Reset code: %s\n\nIf this was not you, ignore this message.\n",
		      u->username, ttl / 60, px_cfg_str(ctx->cfg, "public_url"), tok, tok);
	e = body.failed ? PX_E_SYSTEM_INTERNAL
			: px_mail_send(ctx->cfg, u->email, "Reset your PlexiChat password",
				       body.data);
	px_buf_free(&body);
	if (e != PX_OK)
		px_log_warn("auth", ctx->req->correlation_id, "reset mail not sent: %s",
			    px_err_name(e));
	*mailed = e == PX_OK;
	return PX_OK;
}

enum px_err px_h_auth_password_forgot(struct px_ctx *ctx)
{
	char tok[PX_TOKEN_MAX];
	const char *name = NULL;
	struct px_m_user u;
	int mailed = 0;
	enum px_err e;

	if ((e = px_in_str(ctx, "email", 1, 1, 256, &name)) != PX_OK)
		return e;
	e = px_m_users_find_login(ctx->db, name, &u);
	if (e == PX_OK && !u.deactivated && u.email[0]) {
		if ((e = issue_reset(ctx, &u, tok, &mailed)) != PX_OK)
			return e;
		px_crypto_wipe(tok, sizeof(tok));
		px_auth_audit_user(ctx, "auth.password_reset_requested", 0, u.id,
				   mailed ? "{\"mailed\":true}" : "{\"mailed\":false}");
	} else if (e != PX_OK && e != PX_E_VALIDATION_NOT_FOUND) {
		return e;
	}
	/* the same answer whether or not the account exists */
	return px_ctx_json(ctx, 202, json_object_new_object());
}

enum px_err px_h_auth_password_reset(struct px_ctx *ctx)
{
	const char *tok = NULL, *pw = NULL, *reason = "", *why = "";
	long long uid = 0, used_by = 0;
	struct px_m_user u;
	char hash[65];
	enum px_err e;

	if ((e = px_in_str(ctx, "token", 1, 1, 128, &tok)) != PX_OK ||
	    (e = px_in_str(ctx, "new_password", 1, 0, 4096, &pw)) != PX_OK)
		return e;
	px_crypto_sha256_hex(tok, strlen(tok), hash);
	/* the token names the account first, so the whole policy (with the
	 * username) is checked before the single-use token is spent */
	if ((e = px_m_resets_peek(ctx->db, hash, &uid, &why)) != PX_OK)
		goto refused;
	if ((e = px_m_users_get(ctx->db, uid, &u)) != PX_OK ||
	    (e = px_auth_ldap_local_password(ctx, u.id)) != PX_OK)
		return e;
	if ((e = px_pwpolicy_check(pw, u.username, &reason)) != PX_OK) {
		px_ctx_detail(ctx, "reason", reason);
		return e;
	}
	why = "used"; /* lost a race with another use of the same token */
	if ((e = px_m_resets_consume(ctx->db, hash, &used_by)) != PX_OK)
		goto refused;
	if (used_by != uid)
		return PX_E_SYSTEM_INTERNAL;
	if ((e = set_password(ctx, &u, pw, 0)) != PX_OK)
		return e;
	px_auth_audit_user(ctx, "auth.password_reset", uid, uid, NULL);
	return px_ctx_json(ctx, 200, json_object_new_object());
refused:
	if (e == PX_E_AUTH_TOKEN_INVALID) {
		px_ctx_detail(ctx, "reason", why);
		px_auth_audit(ctx, "auth.password_reset_refused", 0, NULL, NULL);
	}
	return e;
}

enum px_err px_h_admin_user_password_reset(struct px_ctx *ctx)
{
	char tok[PX_TOKEN_MAX];
	struct json_object *o;
	struct px_m_user u;
	int mailed = 0;
	enum px_err e;

	if ((e = px_auth_admin_target(ctx, &u)) != PX_OK ||
	    (e = issue_reset(ctx, &u, tok, &mailed)) != PX_OK)
		return e;
	px_auth_audit_user(ctx, "auth.password_reset_issued", ctx->who.user_id, u.id, NULL);
	o = json_object_new_object();
	json_object_object_add(o, "reset_token", json_object_new_string(tok));
	json_object_object_add(o, "mailed", json_object_new_boolean(mailed));
	px_crypto_wipe(tok, sizeof(tok));
	return px_ctx_json(ctx, 201, o);
}
