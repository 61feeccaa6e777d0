/* auth_mfa_api.c: /api/v1/auth/mfa (status, enrol, confirm, disable) and
 * /api/v1/auth/devices (trusted devices). */
#include "handlers/auth.h"
#include "handlers/auth_ldap.h"
#include "handlers/auth_mfa.h"
#include "handlers/auth_util.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "auth/totp.h"
#include "model/auth_mfa.h"
#include "model/users.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#define RECOVERY_CODES 10

enum px_err px_h_auth_mfa_status(struct px_ctx *ctx)
{
	struct json_object *o = json_object_new_object();
	struct px_m_totp t;
	enum px_err e = px_m_mfa_get(ctx->db, ctx->who.user_id, &t);
	int enabled = e == PX_OK && t.confirmed;

	if (e != PX_OK && e != PX_E_VALIDATION_NOT_FOUND) {
		json_object_put(o);
		return e;
	}
	json_object_object_add(o, "enabled", json_object_new_boolean(enabled));
	json_object_object_add(o, "recovery_codes_left",
			       json_object_new_int(enabled ? px_m_mfa_codes_left(
						   ctx->db, ctx->who.user_id) : 0));
	return px_ctx_json(ctx, 200, o);
}

enum px_err px_h_auth_mfa_enroll(struct px_ctx *ctx)
{
	struct px_buf sealed = PX_BUF_INIT, b32 = PX_BUF_INIT, uri = PX_BUF_INIT,
		      svg = PX_BUF_INIT;
	unsigned char secret[PX_TOTP_SECRET_BYTES];
	struct json_object *o = NULL;
	char context[40];
	enum px_err e = PX_E_SYSTEM_INTERNAL;

	snprintf(context, sizeof(context), "totp:%lld", ctx->who.user_id);
	if (px_crypto_random(secret, sizeof(secret)) != 0)
		goto out;
	if ((e = px_crypto_seal(ctx->cfg, context, secret, sizeof(secret), &sealed)) ||
	    (e = px_m_mfa_put_pending(ctx->db, ctx->who.user_id, sealed.data)))
		goto out;
	px_base32_encode(&b32, secret, sizeof(secret));
	px_totp_uri(&uri, px_cfg_str(ctx->cfg, "mfa_issuer"), ctx->who.username, b32.data);
	e = PX_E_SYSTEM_INTERNAL;
	if (b32.failed || uri.failed || px_totp_qr_svg(uri.data, &svg) != 0 ||
	    !(o = json_object_new_object()))
		goto out;
	json_object_object_add(o, "secret", json_object_new_string(b32.data));
	json_object_object_add(o, "otpauth_uri", json_object_new_string(uri.data));
	json_object_object_add(o, "qr_svg", json_object_new_string(svg.data));
	px_auth_audit_user(ctx, "auth.mfa_enrol_started", ctx->who.user_id,
			   ctx->who.user_id, NULL);
	e = px_ctx_json(ctx, 201, o);
out:
	px_crypto_wipe(secret, sizeof(secret));
	if (b32.data)
		px_crypto_wipe(b32.data, b32.len);
	px_buf_free(&sealed);
	px_buf_free(&b32);
	px_buf_free(&uri);
	px_buf_free(&svg);
	return e;
}

/* Makes 10 codes of three dash-separated groups of four characters into
 * arr and their hashes (of the canonical form without dashes) into
 * hashes. */
static int make_codes(struct json_object *arr, char hashes[][65])
{
	static const char alpha[] = "abcdefghjkmnpqrstuvwxyz23456789";
	unsigned char r[12];
	char code[16], canon[13];
	int i, j, k;

	for (i = 0; i < RECOVERY_CODES; i++) {
		if (px_crypto_random(r, sizeof(r)) != 0)
			return -1;
		for (j = 0, k = 0; j < 12; j++) {
			canon[j] = alpha[r[j] % (sizeof(alpha) - 1)];
			if (j && j % 4 == 0)
				code[k++] = '-';
			code[k++] = canon[j];
		}
		canon[12] = code[k] = '\0';
		px_crypto_sha256_hex(canon, 12, hashes[i]);
		json_object_array_add(arr, json_object_new_string(code));
	}
	return 0;
}

enum px_err px_auth_mfa_codes_new(struct px_ctx *ctx, long long uid, struct json_object **out)
{
	char hashes[RECOVERY_CODES][65];
	struct json_object *arr = json_object_new_array();
	enum px_err e = PX_E_SYSTEM_INTERNAL;

	if (arr && make_codes(arr, hashes) == 0)
		e = px_m_mfa_codes_replace(ctx->db, uid, hashes, RECOVERY_CODES);
	if (e != PX_OK) {
		json_object_put(arr);
		arr = NULL;
	}
	*out = arr;
	return e;
}

enum px_err px_h_auth_mfa_confirm(struct px_ctx *ctx)
{
	struct json_object *o, *arr;
	const char *code = NULL;
	enum px_err e;

	if ((e = px_in_str(ctx, "code", 1, 1, 16, &code)) != PX_OK)
		return e;
	if ((e = px_auth_mfa_verify(ctx, ctx->who.user_id, code, 1)) != PX_OK)
		return e == PX_E_VALIDATION_NOT_FOUND ? PX_E_AUTH_MFA_INVALID : e;
	if ((e = px_auth_mfa_codes_new(ctx, ctx->who.user_id, &arr)) != PX_OK)
		return e;
	px_auth_audit_user(ctx, "auth.mfa_enabled", ctx->who.user_id, ctx->who.user_id, NULL);
	o = json_object_new_object();
	json_object_object_add(o, "enabled", json_object_new_boolean(1));
	json_object_object_add(o, "recovery_codes", arr);
	return px_ctx_json(ctx, 200, o);
}

enum px_err px_h_auth_mfa_disable(struct px_ctx *ctx)
{
	const char *pw = NULL, *code = NULL;
	struct px_m_user u;
	enum px_err e;

	if ((e = px_in_str(ctx, "password", 1, 1, 4096, &pw)) != PX_OK ||
	    (e = px_in_str(ctx, "code", 1, 1, 32, &code)) != PX_OK ||
	    (e = px_m_users_get(ctx->db, ctx->who.user_id, &u)) != PX_OK)
		return e;
	/* a directory account's password is the directory's */
	if (!px_auth_ldap_password_ok(ctx, &u, pw)) {
		px_auth_audit_user(ctx, "auth.mfa_disable_refused", u.id, u.id, NULL);
		return PX_E_AUTH_INVALID_CREDENTIALS;
	}
	if ((e = px_auth_mfa_verify(ctx, u.id, code, 0)) != PX_OK) {
		px_auth_audit_user(ctx, "auth.mfa_disable_refused", u.id, u.id, NULL);
		return e == PX_E_VALIDATION_NOT_FOUND ? PX_E_AUTH_MFA_INVALID : e;
	}
	if ((e = px_m_mfa_delete(ctx->db, u.id)) != PX_OK)
		return e;
	px_auth_audit_user(ctx, "auth.mfa_disabled", u.id, u.id, NULL);
	return px_ctx_json(ctx, 200, json_object_new_object());
}

static void add_device(const struct px_m_device *d, void *arg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(d->id));
	json_object_object_add(o, "created_at", json_object_new_string(d->created_at));
	json_object_object_add(o, "expires_at", json_object_new_string(d->expires_at));
	json_object_object_add(o, "user_agent", json_object_new_string(d->user_agent));
	json_object_object_add(o, "ip", json_object_new_string(d->ip));
	json_object_array_add(arg, o);
}

enum px_err px_h_auth_devices(struct px_ctx *ctx)
{
	struct json_object *arr = json_object_new_array(), *o;
	enum px_err e = px_m_devices_list(ctx->db, ctx->who.user_id, add_device, arr);

	if (e != PX_OK) {
		json_object_put(arr);
		return e;
	}
	o = json_object_new_object();
	json_object_object_add(o, "devices", arr);
	return px_ctx_json(ctx, 200, o);
}

enum px_err px_h_auth_device_revoke(struct px_ctx *ctx)
{
	long long id = px_path_int(&ctx->path, "id");
	enum px_err e = px_m_devices_revoke(ctx->db, id, ctx->who.user_id);

	if (e != PX_OK)
		return e;
	px_auth_audit_user(ctx, "auth.device_revoked", ctx->who.user_id,
			   ctx->who.user_id, NULL);
	return px_ctx_json(ctx, 200, json_object_new_object());
}
