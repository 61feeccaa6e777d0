/* users_admin.c: /api/v1/admin/users: the full account list, role changes,
 * deactivation and reactivation, and admin-issued password resets. */
#include "handlers/auth.h"
#include "handlers/auth_util.h"
#include "auth/perm.h"
#include "model/users.h"

#include <json-c/json.h>
#include <stdio.h>

enum px_err px_h_admin_users_list(struct px_ctx *ctx)
{
	return px_auth_list_users(ctx, 1);
}

/* Changes u's role when the caller may grant it; never the caller's own. */
static enum px_err change_role(struct px_ctx *ctx, const struct px_m_user *u,
			       const char *role)
{
	int to = px_perm_role_parse(role), from = px_perm_role_parse(u->role);
	char f[96];
	enum px_err e;

	if (to < 0) {
		px_ctx_detail(ctx, "field", "role");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	if (u->id == ctx->who.user_id ||
	    !px_perm_can_manage(ctx->who.role, (enum px_role)from, (enum px_role)to))
		return PX_E_AUTH_FORBIDDEN;
	if ((e = px_m_users_set_role(ctx->db, u->id, role)) != PX_OK)
		return e;
	snprintf(f, sizeof(f), "{\"from\":\"%s\",\"to\":\"%s\"}", u->role, role);
	px_auth_audit_user(ctx, "auth.role_changed", ctx->who.user_id, u->id, f);
	return PX_OK;
}

enum px_err px_h_admin_user_update(struct px_ctx *ctx)
{
	const char *role = NULL;
	struct json_object *v;
	struct px_m_user u;
	int has_active, active = 1;
	enum px_err e;

	if ((e = px_auth_admin_target(ctx, &u)) != PX_OK ||
	    (e = px_in_str(ctx, "role", 0, 1, 16, &role)) != PX_OK ||
	    (e = px_in_bool(ctx, "active", &active)) != PX_OK)
		return e;
	has_active = (ctx->req->json && json_object_object_get_ex(ctx->req->json, "active", &v)) ||
		     px_kvlist_get(&ctx->req->form, "active");
	if (role && (e = change_role(ctx, &u, role)) != PX_OK)
		return e;
	if (has_active && active == u.deactivated) {
		if (u.id == ctx->who.user_id)
			return PX_E_AUTH_FORBIDDEN;
		if ((e = px_auth_set_active(ctx, u.id, active)) != PX_OK)
			return e;
	}
	if ((e = px_m_users_get(ctx->db, u.id, &u)) != PX_OK)
		return e;
	return px_ctx_json(ctx, 200, px_auth_user_json(&u, 1));
}
