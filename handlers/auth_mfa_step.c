/* auth_mfa_step.c: the mfa_required policy: which accounts it covers, the
 * pipeline gate that sends covered accounts without a second factor to
 * enrol, and the second-factor step after a sign-in through an identity
 * provider (a sealed, browser-bound cookie between the provider's callback
 * and /login/verify). */
#include "handlers/auth_mfa.h"
#include "handlers/auth_session.h"
#include "handlers/auth_util.h"
#include "handlers/auth_webauthn.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "core/log.h"
#include "auth/perm.h"
#include "model/auth_limits.h"
#include "model/auth_mfa.h"
#include "model/users.h"
#include "model/webauthn.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define STEP_SECONDS 300
#define STEP_CONTEXT "mfastep:v1"

static const char *step_cookie(const struct px_request *req)
{
	return req->https ? "__Host-px_mfa_step" : "px_mfa_step";
}

/* 1 when the policy covers an account of role r. */
static int covers(const struct px_ctx *ctx, int r)
{
	const char *p = px_cfg_str(ctx->cfg, "mfa_required");

	return strcmp(p, "all") == 0 || (strcmp(p, "admins") == 0 && r >= PX_ROLE_ADMIN);
}

int px_auth_mfa_policy(const struct px_ctx *ctx, const char *role)
{
	return covers(ctx, px_perm_role_parse(role));
}

enum px_err px_auth_mfa_gate(struct px_ctx *ctx, const char *action)
{
	enum px_err e;
	int yes = 0;

	if (!ctx->who.user_id || !covers(ctx, (int)ctx->who.role) ||
	    (action && (strcmp(action, "auth.session") == 0 || strcmp(action, "auth.account") == 0)))
		return PX_OK;
	if ((e = px_m_wa_has_factor(ctx->db, ctx->who.user_id, &yes)) != PX_OK || yes)
		return e;
	px_ctx_detail(ctx, "enrol", "/settings/security");
	return PX_E_AUTH_MFA_ENROLMENT_REQUIRED;
}

static void set_step_cookie(struct px_ctx *ctx, const char *value, int max_age)
{
	struct px_buf c = PX_BUF_INIT;

	px_buf_printf(&c, "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
		      step_cookie(ctx->req), value, max_age, ctx->req->https ? "; Secure" : "");
	if (!c.failed)
		px_response_header(ctx->resp, "Set-Cookie", c.data);
	px_buf_free(&c);
}

enum px_err px_auth_mfa_step_start(struct px_ctx *ctx, const struct px_m_user *u,
				   const char *next, const char *via, int *started)
{
	struct json_object *o = NULL;
	struct px_buf sealed = PX_BUF_INIT;
	const char *s;
	enum px_err e;
	long long now;
	int yes = 0;

	*started = 0;
	if (!px_auth_mfa_policy(ctx, u->role))
		return PX_OK;
	if ((e = px_m_wa_has_factor(ctx->db, u->id, &yes)) != PX_OK || !yes)
		return e; /* none yet: the session starts and the gate asks to enrol */
	if (!(o = json_object_new_object()))
		return PX_E_SYSTEM_INTERNAL;
	json_object_object_add(o, "u", json_object_new_int64(u->id));
	json_object_object_add(o, "v", json_object_new_string(via));
	json_object_object_add(o, "n", json_object_new_string(px_auth_safe_next(next) ? next : "/"));
	/* the database's clock: the step may be finished on another node */
	if ((e = px_m_mfa_clock(ctx->db, &now)) != PX_OK) {
		json_object_put(o);
		return e;
	}
	json_object_object_add(o, "x", json_object_new_int64(now + STEP_SECONDS));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if ((e = px_crypto_seal(ctx->cfg, STEP_CONTEXT, s, strlen(s), &sealed)) == PX_OK) {
		set_step_cookie(ctx, sealed.data, STEP_SECONDS);
		px_auth_audit_user(ctx, "auth.mfa_step_started", u->id, u->id, NULL);
		ctx->resp->status = 303;
		px_response_header(ctx->resp, "Location", "/login/verify");
		*started = 1;
	}
	json_object_put(o);
	px_buf_free(&sealed);
	return e;
}

enum px_err px_auth_mfa_step_open(struct px_ctx *ctx, long long *uid, char via[80],
				  char next[512])
{
	const char *tok = px_request_cookie(ctx->req, step_cookie(ctx->req));
	struct px_buf plain = PX_BUF_INIT;
	struct json_object *o = NULL, *u, *v, *n, *x;
	enum px_err e = PX_E_AUTH_SESSION_EXPIRED;
	long long now;

	if (tok && (e = px_m_mfa_clock(ctx->db, &now)) != PX_OK)
		return e;
	e = PX_E_AUTH_SESSION_EXPIRED;
	if (!tok || px_crypto_open(ctx->cfg, STEP_CONTEXT, tok, &plain) != PX_OK ||
	    !plain.data || !(o = json_tokener_parse(plain.data)) ||
	    !json_object_object_get_ex(o, "u", &u) || !json_object_object_get_ex(o, "v", &v) ||
	    !json_object_object_get_ex(o, "n", &n) || !json_object_object_get_ex(o, "x", &x) ||
	    json_object_get_int64(x) < now)
		goto out;
	*uid = json_object_get_int64(u);
	snprintf(via, 80, "%s", json_object_get_string(v));
	snprintf(next, 512, "%s", px_auth_safe_next(json_object_get_string(n))
					  ? json_object_get_string(n) : "/");
	e = *uid > 0 ? PX_OK : PX_E_AUTH_SESSION_EXPIRED;
out:
	json_object_put(o);
	px_buf_free(&plain);
	return e;
}

/* The throttle key of the account, as the password login names it. */
static void user_key(const struct px_m_user *u, char key[96])
{
	size_t i;

	snprintf(key, 96, "user:%s", u->username);
	for (i = 5; key[i]; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
}

/* Checks the form's passkey assertion or code for u. */
static enum px_err check_factor(struct px_ctx *ctx, const struct px_m_user *u, int keys,
				const char **why)
{
	struct json_object *cred = keys ? px_auth_wa_input(ctx, "webauthn") : NULL;
	const char *code = NULL;
	enum px_err e;

	if (cred) {
		e = px_auth_wa_second_factor(ctx, u->id, cred, why);
		json_object_put(cred);
		return e;
	}
	if ((e = px_in_str(ctx, "code", 0, 1, 64, &code)) != PX_OK || !code)
		return e != PX_OK ? PX_E_AUTH_MFA_INVALID : PX_E_AUTH_MFA_REQUIRED;
	e = px_auth_mfa_verify(ctx, u->id, code, 0);
	return e == PX_E_VALIDATION_NOT_FOUND ? PX_E_AUTH_MFA_INVALID : e;
}

enum px_err px_auth_mfa_step_finish(struct px_ctx *ctx)
{
	char via[80], next[512], key[96];
	const char *why = NULL;
	struct px_m_user u;
	long wait = 0, lock = 0;
	long long uid = 0;
	int keys = 0, fails = 0;
	enum px_err e;

	if ((e = px_auth_mfa_step_open(ctx, &uid, via, next)) != PX_OK ||
	    (e = px_m_users_get(ctx->db, uid, &u)) != PX_OK ||
	    (e = px_auth_wa_count(ctx, uid, &keys)) != PX_OK)
		return e == PX_E_VALIDATION_NOT_FOUND ? PX_E_AUTH_SESSION_EXPIRED : e;
	if (u.deactivated)
		return PX_E_AUTH_ACCOUNT_DISABLED;
	user_key(&u, key);
	if ((e = px_m_login_wait(ctx->db, key, &wait)) != PX_OK)
		return e;
	if (wait > 0) {
		px_auth_retry_after(ctx, wait);
		return PX_E_AUTH_LOCKED_OUT;
	}
	e = check_factor(ctx, &u, keys, &why);
	if (e == PX_E_AUTH_MFA_INVALID &&
	    px_m_login_fail(ctx->db, key, (int)px_cfg_int(ctx->cfg, "login_free_attempts"), 1,
			    (long)px_cfg_int(ctx->cfg, "login_backoff_max"), &fails, &lock) != PX_OK)
		px_log_warn("auth", ctx->req->correlation_id, "step failure not counted");
	if (e == PX_E_AUTH_MFA_INVALID || e == PX_E_AUTH_MFA_REQUIRED)
		px_auth_wa_mfa_details(ctx, &u, keys, why);
	if (e != PX_OK)
		return e;
	if (px_m_login_clear(ctx->db, key) != PX_OK)
		px_log_warn("auth", ctx->req->correlation_id, "login failures not cleared");
	set_step_cookie(ctx, "", 0);
	return px_auth_session_reply(ctx, &u, next, via);
}
