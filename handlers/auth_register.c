/* auth_register.c: POST /api/v1/auth/register: open, invite-only or closed
 * by configuration; the account and the invite's use commit together. */
#include "handlers/auth.h"
#include "handlers/auth_session.h"
#include "handlers/auth_util.h"
#include "handlers/people.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "auth/ident.h"
#include "auth/password.h"
#include "auth/pwpolicy.h"
#include "model/auth_invites.h"
#include "model/users.h"

#include <json-c/json.h>
#include <string.h>

struct reg {
	const char *username, *email, *display_name, *password, *invite;
	struct px_buf skeleton;
	struct px_buf hash;
	char invite_hash[65];
	char role[16];
	long long id;
};

/* Reads and checks every field; details name the first bad one. */
static enum px_err read_fields(struct px_ctx *ctx, struct reg *g)
{
	const char *reason = "";
	enum px_err e;

	if ((e = px_in_str(ctx, "username", 1, 1, 256, &g->username)) ||
	    (e = px_in_str(ctx, "password", 1, 0, 4096, &g->password)) ||
	    (e = px_in_str(ctx, "email", 0, 0, 512, &g->email)) ||
	    (e = px_in_str(ctx, "display_name", 0, 0, 256, &g->display_name)) ||
	    (e = px_in_str(ctx, "invite", 0, 0, 128, &g->invite)))
		return e;
	if (g->email && !*g->email)
		g->email = NULL;
	if ((e = px_ident_username(g->username, &g->skeleton, &reason)) != PX_OK) {
		px_buf_reset(&ctx->details);
		px_buf_printf(&ctx->details, "{\"field\":\"username\",\"reason\":\"%s\"}",
			      reason);
		return e;
	}
	if (px_ident_reserved(g->username)) {
		px_ctx_detail(ctx, "field", "username");
		return PX_E_VALIDATION_USERNAME_RESERVED;
	}
	if (g->email && (e = px_ident_email(g->email)) != PX_OK) {
		px_ctx_detail(ctx, "field", "email");
		return e;
	}
	if (!g->display_name || !*g->display_name)
		g->display_name = g->username;
	if ((e = px_ident_display_name(g->display_name)) != PX_OK) {
		px_ctx_detail(ctx, "field", "display_name");
		return e;
	}
	if ((e = px_pwpolicy_check(g->password, g->username, &reason)) != PX_OK)
		px_ctx_detail(ctx, "reason", reason);
	return e;
}

/* The username, its look-alikes and the e-mail must be free. */
static enum px_err check_free(struct px_ctx *ctx, struct reg *g)
{
	const char *which = NULL;
	enum px_err e;

	e = px_m_users_clash(ctx->db, g->username, g->skeleton.data, g->email, 0,
			     &which);
	if (e != PX_OK)
		return e;
	if (which) {
		px_ctx_detail(ctx, "field", which[0] == 'e' ? "email" : "username");
		return which[0] == 's' ? PX_E_VALIDATION_USERNAME_CONFUSABLE
				       : PX_E_VALIDATION_CONFLICT;
	}
	/* a display name of one's own username was checked with it */
	if (strcmp(g->display_name, g->username) == 0)
		return PX_OK;
	return px_auth_display_name_free(ctx, g->display_name, 0);
}

static enum px_err create_tx(struct px_db *db, void *arg)
{
	struct reg *g = arg;
	struct px_m_user_new n;
	enum px_err e;

	if (g->invite_hash[0] &&
	    (e = px_m_invites_consume(db, g->invite_hash, g->email, g->role)) != PX_OK)
		return e;
	memset(&n, 0, sizeof(n));
	n.username = g->username;
	n.skeleton = g->skeleton.data;
	n.email = g->email;
	n.display_name = g->display_name;
	n.password_hash = g->hash.data;
	n.role = g->role;
	if ((e = px_m_users_create(db, &n, &g->id)) != PX_OK)
		return e;
	return g->invite_hash[0] ? px_m_invites_mark_used(db, g->invite_hash, g->id)
				 : PX_OK;
}

/* Applies the registration mode: closed, invite (code needed) or open. */
static enum px_err check_mode(struct px_ctx *ctx, struct reg *g)
{
	const char *mode = px_cfg_str(ctx->cfg, "registration");

	strcpy(g->role, "member");
	if (strcmp(mode, "closed") == 0)
		return PX_E_AUTH_REGISTRATION_CLOSED;
	if (g->invite && *g->invite) {
		px_crypto_sha256_hex(g->invite, strlen(g->invite), g->invite_hash);
		return PX_OK;
	}
	if (strcmp(mode, "invite") == 0) {
		px_ctx_detail(ctx, "field", "invite");
		return PX_E_AUTH_INVITE_INVALID;
	}
	return PX_OK;
}

static enum px_err reply(struct px_ctx *ctx, struct reg *g)
{
	struct json_object *o = json_object_new_object();
	char token[PX_TOKEN_MAX];
	struct px_m_user u;
	long long sid = 0;
	enum px_err e;

	if (!o)
		return PX_E_SYSTEM_INTERNAL;
	if ((e = px_m_users_get(ctx->db, g->id, &u)) != PX_OK ||
	    (e = px_auth_session_start(ctx, g->id, token, &sid)) != PX_OK) {
		json_object_put(o);
		return e;
	}
	json_object_object_add(o, "user", px_auth_user_json(&u, 1));
	json_object_object_add(o, "token", json_object_new_string(token));
	json_object_object_add(o, "token_type", json_object_new_string("Bearer"));
	json_object_object_add(o, "session_id", json_object_new_int64(sid));
	px_crypto_wipe(token, sizeof(token));
	return px_ctx_json(ctx, 201, o);
}

enum px_err px_h_auth_register(struct px_ctx *ctx)
{
	struct reg g;
	enum px_err e;

	memset(&g, 0, sizeof(g));
	if ((e = read_fields(ctx, &g)) != PX_OK || (e = check_mode(ctx, &g)) != PX_OK ||
	    (e = check_free(ctx, &g)) != PX_OK)
		goto out;
	if (px_password_hash(g.password, strlen(g.password), &g.hash) != 0) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	if ((e = px_db_tx(ctx->db, create_tx, &g)) != PX_OK) {
		if (e == PX_E_VALIDATION_CONFLICT)
			px_ctx_detail(ctx, "field", "username");
		if (e == PX_E_AUTH_INVITE_INVALID)
			px_auth_audit(ctx, "auth.invite_refused", 0, g.username, NULL);
		goto out;
	}
	px_auth_audit_user(ctx, "auth.register", g.id, g.id,
			   g.invite_hash[0] ? "{\"via\":\"invite\"}" : "{\"via\":\"open\"}");
	px_people_join_default(ctx, g.id); /* h-uirich: the default channel */
	e = reply(ctx, &g);
out:
	px_buf_free(&g.skeleton);
	px_buf_free(&g.hash);
	return e;
}
