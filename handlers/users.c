/* users.c: /api/v1/users: the directory (list, search, get) and the
 * signed-in user's own profile and deactivation. */
#include "handlers/auth.h"
#include "handlers/auth_ldap.h"
#include "handlers/auth_util.h"
#include "auth/ident.h"
#include "auth/perm.h"
#include "model/sessions.h"
#include "model/users.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

struct list_arg {
	struct json_object *arr;
	int full;
};

static void add_user(const struct px_m_user *u, void *arg)
{
	struct list_arg *l = arg;

	json_object_array_add(l->arr, px_auth_user_json(u, l->full));
}

/* Lists accounts; admin views include deactivated ones and e-mails. */
enum px_err px_auth_list_users(struct px_ctx *ctx, int admin)
{
	struct list_arg l = { json_object_new_array(), admin };
	const char *q = px_request_query(ctx->req, "q");
	long long limit = 50, offset = 0;
	struct json_object *o;
	enum px_err e;

	if ((e = px_in_query_int(ctx, "limit", 1, 200, PX_E_VALIDATION_FIELD_LENGTH,
				 &limit)) != PX_OK ||
	    (e = px_in_query_int(ctx, "offset", 0, 1000000, PX_E_VALIDATION_FIELD_LENGTH,
				 &offset)) != PX_OK) {
		json_object_put(l.arr);
		return e;
	}
	if (q && strlen(q) > 100) {
		json_object_put(l.arr);
		px_ctx_detail(ctx, "field", "q");
		return PX_E_VALIDATION_FIELD_LENGTH;
	}
	e = px_m_users_list(ctx->db, q && *q ? q : NULL, admin, (int)limit,
			    (int)offset, add_user, &l);
	if (e != PX_OK) {
		json_object_put(l.arr);
		return e;
	}
	o = json_object_new_object();
	json_object_object_add(o, "users", l.arr);
	return px_ctx_json(ctx, 200, o);
}

enum px_err px_h_users_list(struct px_ctx *ctx)
{
	return px_auth_list_users(ctx, 0);
}

enum px_err px_h_users_get(struct px_ctx *ctx)
{
	struct px_m_user u;
	enum px_err e = px_m_users_get(ctx->db, px_path_int(&ctx->path, "id"), &u);
	int full;

	if (e != PX_OK)
		return e;
	full = u.id == ctx->who.user_id ||
	       px_perm_principal_allowed(&ctx->who, "admin.users.read");
	if (u.deactivated && !full)
		return PX_E_VALIDATION_NOT_FOUND;
	return px_ctx_json(ctx, 200, px_auth_user_json(&u, full));
}

/* Validates the optional profile fields of a PATCH body. */
static enum px_err read_profile(struct px_ctx *ctx, const char **dn,
				const char **bio, const char **email)
{
	enum px_err e;

	if ((e = px_in_str(ctx, "display_name", 0, 0, 256, dn)) != PX_OK ||
	    (e = px_in_str(ctx, "bio", 0, 0, 500, bio)) != PX_OK ||
	    (e = px_in_str(ctx, "email", 0, 0, 512, email)) != PX_OK)
		return e;
	if (*dn && (e = px_ident_display_name(*dn)) != PX_OK) {
		px_ctx_detail(ctx, "field", "display_name");
		return e;
	}
	if (*dn && (e = px_auth_display_name_free(ctx, *dn, ctx->who.user_id)) != PX_OK)
		return e;
	/* "" clears the address */
	if (*email && **email && (e = px_ident_email(*email)) != PX_OK) {
		px_ctx_detail(ctx, "field", "email");
		return e;
	}
	return PX_OK;
}

enum px_err px_h_users_update_me(struct px_ctx *ctx)
{
	const char *dn = NULL, *bio = NULL, *email = NULL, *which = NULL;
	long long id = ctx->who.user_id;
	struct px_m_user u;
	enum px_err e;

	if ((e = read_profile(ctx, &dn, &bio, &email)) != PX_OK)
		return e;
	if (email && *email &&
	    (e = px_m_users_clash(ctx->db, "", "", email, id, &which)) != PX_OK)
		return e;
	if (which) {
		px_ctx_detail(ctx, "field", "email");
		return PX_E_VALIDATION_CONFLICT;
	}
	if ((e = px_m_users_update_profile(ctx->db, id, dn, bio)) != PX_OK ||
	    (email && (e = px_m_users_set_email(ctx->db, id, *email ? email : NULL, 0)) != PX_OK) ||
	    (e = px_m_users_get(ctx->db, id, &u)) != PX_OK)
		return e;
	if (email)
		px_auth_audit_user(ctx, "auth.email_changed", id, id, NULL);
	return px_ctx_json(ctx, 200, px_auth_user_json(&u, 1));
}

enum px_err px_auth_set_active(struct px_ctx *ctx, long long id, int active)
{
	enum px_err e = px_m_users_set_active(ctx->db, id, active);

	if (e == PX_OK)
		px_auth_audit_user(ctx, active ? "auth.account_reactivated"
					       : "auth.account_deactivated",
				   ctx->who.user_id, id, NULL);
	return e;
}

enum px_err px_h_users_deactivate_me(struct px_ctx *ctx)
{
	const char *pw = NULL;
	struct px_m_user u;
	enum px_err e;

	if ((e = px_in_str(ctx, "password", 1, 1, 4096, &pw)) != PX_OK ||
	    (e = px_m_users_get(ctx->db, ctx->who.user_id, &u)) != PX_OK)
		return e;
	if (!px_auth_ldap_password_ok(ctx, &u, pw))
		return PX_E_AUTH_INVALID_CREDENTIALS;
	if ((e = px_auth_set_active(ctx, u.id, 0)) != PX_OK)
		return e;
	return px_ctx_json(ctx, 200, json_object_new_object());
}
