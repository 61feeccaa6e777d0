/* auth_sessions.c: listing and revoking sessions (own; admins anyone's
 * below them) and personal access tokens with scopes. */
#include "handlers/auth.h"
#include "handlers/auth_util.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "auth/perm.h"
#include "model/sessions.h"
#include "model/users.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

struct list_arg {
	struct json_object *arr;
	long long current;
};

static void add_session(const struct px_m_session *s, void *arg)
{
	struct list_arg *l = arg;
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(s->id));
	json_object_object_add(o, "created_at", json_object_new_string(s->created_at));
	json_object_object_add(o, "last_used_at", json_object_new_string(s->last_used_at));
	json_object_object_add(o, "expires_at", json_object_new_string(s->expires_at));
	json_object_object_add(o, "user_agent", json_object_new_string(s->user_agent));
	json_object_object_add(o, "ip", json_object_new_string(s->ip));
	json_object_object_add(o, "current", json_object_new_boolean(s->id == l->current));
	json_object_array_add(l->arr, o);
}

static enum px_err list_sessions(struct px_ctx *ctx, long long user_id)
{
	struct list_arg l = { json_object_new_array(), ctx->who.session_id };
	struct json_object *o;
	enum px_err e;

	e = px_m_sessions_list(ctx->db, user_id,
			       px_cfg_int(ctx->cfg, "session_idle_timeout"), add_session, &l);
	if (e != PX_OK) {
		json_object_put(l.arr);
		return e;
	}
	o = json_object_new_object();
	json_object_object_add(o, "sessions", l.arr);
	return px_ctx_json(ctx, 200, o);
}

static enum px_err revoked(struct px_ctx *ctx, long long user_id, long long sid)
{
	char f[64];
	struct json_object *o = json_object_new_object();

	snprintf(f, sizeof(f), "{\"session_id\":%lld}", sid);
	px_auth_audit_user(ctx, "auth.session_revoked", ctx->who.user_id, user_id, f);
	json_object_object_add(o, "revoked", json_object_new_int64(sid));
	return px_ctx_json(ctx, 200, o);
}

enum px_err px_h_auth_sessions(struct px_ctx *ctx)
{
	return list_sessions(ctx, ctx->who.user_id);
}

enum px_err px_h_auth_session_revoke(struct px_ctx *ctx)
{
	long long sid = px_path_int(&ctx->path, "id");
	enum px_err e = px_m_sessions_revoke(ctx->db, sid, ctx->who.user_id);

	return e != PX_OK ? e : revoked(ctx, ctx->who.user_id, sid);
}

enum px_err px_h_auth_sessions_revoke_others(struct px_ctx *ctx)
{
	struct json_object *o;
	char f[48];
	int n = 0;
	enum px_err e;

	e = px_m_sessions_revoke_all(ctx->db, ctx->who.user_id, ctx->who.session_id, &n);
	if (e != PX_OK)
		return e;
	snprintf(f, sizeof(f), "{\"count\":%d}", n);
	px_auth_audit_user(ctx, "auth.sessions_revoked", ctx->who.user_id,
			   ctx->who.user_id, f);
	o = json_object_new_object();
	json_object_object_add(o, "revoked_count", json_object_new_int(n));
	return px_ctx_json(ctx, 200, o);
}

/* Loads the target account of an admin route and checks the caller may
 * manage it (px_perm_can_manage). */
enum px_err px_auth_admin_target(struct px_ctx *ctx, struct px_m_user *u)
{
	enum px_err e = px_m_users_get(ctx->db, px_path_int(&ctx->path, "id"), u);
	int role;

	if (e != PX_OK)
		return e;
	role = px_perm_role_parse(u->role);
	if (u->id != ctx->who.user_id &&
	    !px_perm_can_manage(ctx->who.role, (enum px_role)role, (enum px_role)role))
		return PX_E_AUTH_FORBIDDEN;
	return PX_OK;
}

enum px_err px_h_admin_user_sessions(struct px_ctx *ctx)
{
	struct px_m_user u;
	/* where someone signs in from is theirs: only for whom one may manage */
	enum px_err e = px_auth_admin_target(ctx, &u);

	return e != PX_OK ? e : list_sessions(ctx, u.id);
}

enum px_err px_h_admin_session_revoke(struct px_ctx *ctx)
{
	long long sid = px_path_int(&ctx->path, "sid");
	struct px_m_user u;
	enum px_err e;

	if ((e = px_auth_admin_target(ctx, &u)) != PX_OK ||
	    (e = px_m_sessions_revoke(ctx->db, sid, u.id)) != PX_OK)
		return e;
	return revoked(ctx, u.id, sid);
}

/* A time the row may lack ("" from the model) is null, not "". */
static struct json_object *time_or_null(const char *iso)
{
	return *iso ? json_object_new_string(iso) : NULL;
}

static void add_token(const struct px_m_token *t, void *arg)
{
	struct json_object *o = json_object_new_object();
	struct px_buf sc = PX_BUF_INIT;

	px_perm_scopes_format(t->scopes, &sc);
	json_object_object_add(o, "id", json_object_new_int64(t->id));
	json_object_object_add(o, "name", json_object_new_string(t->name));
	json_object_object_add(o, "scopes", json_object_new_string(sc.data ? sc.data : ""));
	json_object_object_add(o, "created_at", json_object_new_string(t->created_at));
	json_object_object_add(o, "last_used_at", time_or_null(t->last_used_at));
	json_object_object_add(o, "expires_at", time_or_null(t->expires_at));
	json_object_array_add(arg, o);
	px_buf_free(&sc);
}

enum px_err px_h_auth_tokens(struct px_ctx *ctx)
{
	struct json_object *arr = json_object_new_array(), *o;
	enum px_err e = px_m_tokens_list(ctx->db, ctx->who.user_id, add_token, arr);

	if (e != PX_OK) {
		json_object_put(arr);
		return e;
	}
	o = json_object_new_object();
	json_object_object_add(o, "tokens", arr);
	return px_ctx_json(ctx, 200, o);
}

/* AUTH_SCOPE_EXCEEDS_ROLE, audited, with details naming the field, the
 * scopes asked for and those the caller's role allows. */
static enum px_err scope_refused(struct px_ctx *ctx, unsigned asked)
{
	struct px_buf want = PX_BUF_INIT, may = PX_BUF_INIT;
	char f[96];

	px_perm_scopes_format(asked, &want);
	px_perm_scopes_format(px_auth_role_scopes(ctx->who.role), &may);
	px_buf_reset(&ctx->details);
	/* scope names are fixed ASCII words: nothing to escape */
	px_buf_printf(&ctx->details,
		      "{\"field\":\"scopes\",\"requested\":\"%s\",\"allowed\":\"%s\"}",
		      want.data ? want.data : "", may.data ? may.data : "");
	snprintf(f, sizeof(f), "{\"scopes\":%u}", asked);
	px_auth_audit_user(ctx, "auth.token_scope_refused", ctx->who.user_id,
			   ctx->who.user_id, f);
	px_buf_free(&want);
	px_buf_free(&may);
	return PX_E_AUTH_SCOPE_EXCEEDS_ROLE;
}

enum px_err px_h_auth_token_create(struct px_ctx *ctx)
{
	const char *name = NULL, *scopes = NULL;
	long long days = 0, id = 0;
	char tok[PX_TOKEN_MAX], hash[65], f[160];
	struct json_object *o;
	long bits;
	enum px_err e;

	if ((e = px_in_str(ctx, "name", 1, 1, 100, &name)) != PX_OK ||
	    (e = px_in_str(ctx, "scopes", 1, 1, 100, &scopes)) != PX_OK ||
	    (e = px_in_int(ctx, "expires_days", 0, 3650, &days)) != PX_OK)
		return e;
	if ((bits = px_perm_scopes_parse(scopes)) <= 0) {
		px_ctx_detail(ctx, "field", "scopes");
		return PX_E_VALIDATION_FIELD_FORMAT;
	}
	/* else a member's admin-scope token would wake up on promotion */
	if ((unsigned)bits & ~px_auth_role_scopes(ctx->who.role))
		return scope_refused(ctx, (unsigned)bits);
	if (px_crypto_token("pxp_", tok, sizeof(tok)) != 0)
		return PX_E_SYSTEM_INTERNAL;
	px_crypto_sha256_hex(tok, strlen(tok), hash);
	e = px_m_tokens_create(ctx->db, ctx->who.user_id, name, hash, (unsigned)bits,
			       (int)days, &id);
	if (e != PX_OK)
		return e;
	snprintf(f, sizeof(f), "{\"token_id\":%lld,\"scopes\":%ld}", id, bits);
	px_auth_audit_user(ctx, "auth.token_created", ctx->who.user_id, ctx->who.user_id, f);
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "token", json_object_new_string(tok));
	json_object_object_add(o, "name", json_object_new_string(name));
	px_crypto_wipe(tok, sizeof(tok));
	return px_ctx_json(ctx, 201, o);
}

enum px_err px_h_auth_token_revoke(struct px_ctx *ctx)
{
	long long id = px_path_int(&ctx->path, "id");
	enum px_err e = px_m_tokens_revoke(ctx->db, id, ctx->who.user_id);
	struct json_object *o;
	char f[48];

	if (e != PX_OK)
		return e;
	snprintf(f, sizeof(f), "{\"token_id\":%lld}", id);
	px_auth_audit_user(ctx, "auth.token_revoked", ctx->who.user_id, ctx->who.user_id, f);
	o = json_object_new_object();
	json_object_object_add(o, "revoked", json_object_new_int64(id));
	return px_ctx_json(ctx, 200, o);
}
