/* auth_invite.c: POST /api/v1/admin/invites: admins issue single-use
 * invites (optionally bound to an e-mail address and a role). */
#include "handlers/auth.h"
#include "handlers/auth_util.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "auth/ident.h"
#include "auth/perm.h"
#include "model/auth_invites.h"

#include <json-c/json.h>
#include <string.h>

/* Checks the invite's role: a known non-owner role the caller may grant. */
static enum px_err check_role(struct px_ctx *ctx, const char *role)
{
	int r = px_perm_role_parse(role);

	if (r < 0 || r == PX_ROLE_OWNER) {
		px_ctx_detail(ctx, "field", "role");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	return px_perm_can_manage(ctx->who.role, PX_ROLE_GUEST, (enum px_role)r)
		       ? PX_OK : PX_E_AUTH_FORBIDDEN;
}

enum px_err px_h_admin_invite_create(struct px_ctx *ctx)
{
	const char *email = NULL, *role = NULL;
	long long ttl = px_cfg_int(ctx->cfg, "invite_ttl"), id = 0;
	char code[PX_TOKEN_MAX], hash[65];
	struct json_object *o;
	enum px_err e;

	if ((e = px_in_str(ctx, "email", 0, 0, PX_EMAIL_MAX, &email)) != PX_OK ||
	    (e = px_in_str(ctx, "role", 0, 1, 16, &role)) != PX_OK)
		return e;
	if (email && *email && (e = px_ident_email(email)) != PX_OK) {
		px_ctx_detail(ctx, "field", "email");
		return e;
	}
	role = role ? role : "member";
	if ((e = check_role(ctx, role)) != PX_OK)
		return e;
	if (px_crypto_token("pxi_", code, sizeof(code)) != 0)
		return PX_E_SYSTEM_INTERNAL;
	px_crypto_sha256_hex(code, strlen(code), hash);
	e = px_m_invites_create(ctx->db, hash, ctx->who.user_id,
				email && *email ? email : NULL, role, ttl, &id);
	if (e != PX_OK)
		return e;
	px_auth_audit(ctx, "auth.invite_created", ctx->who.user_id, role, NULL);
	if (!(o = json_object_new_object()))
		return PX_E_SYSTEM_INTERNAL;
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "code", json_object_new_string(code));
	json_object_object_add(o, "role", json_object_new_string(role));
	json_object_object_add(o, "expires_in", json_object_new_int64(ttl));
	return px_ctx_json(ctx, 201, o);
}
