/* web.c: signing in (password, then the TOTP step), signing out,
 * registration and invite links, and the service worker script. The forms
 * reuse the auth API handlers, so throttling, auditing and sessions behave
 * exactly as for API clients; failures re-show the form in plain words. */
#include "handlers/web.h"
#include "handlers/auth.h"
#include "handlers/web_util.h"
#include "core/cfg.h"
#include "core/crypto.h"
#include "web/webpage.h"
#include "model/auth_mfa.h"
#include "model/users.h"
#include "model/web_prefs.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SW_MAX (64 * 1024)
/* How long the TOTP step of a sign-in stays open. */
#define MFA_STEP_SECONDS 300
#define MFA_SEAL_CONTEXT "weblogin:v1"

/* The "next" value of the request (query or form), when it is local. */
static const char *next_path(struct px_ctx *ctx)
{
	const char *n = px_web_form(ctx, "next");

	if (!n)
		n = px_request_query(ctx->req, "next");
	return px_webpage_local_path(n) && strncmp(n, "/login", 6) != 0 ? n : "/";
}

/* Adds the OIDC providers (name, label, start URL) as "oidc". */
static void add_oidc(struct px_ctx *ctx, struct json_object *d, const char *next)
{
	struct json_object *r = NULL, *list, *out = json_object_new_array();
	size_t i, n;

	if (px_web_call(ctx, px_h_auth_oidc_providers, &r) != PX_OK || !r ||
	    !json_object_object_get_ex(r, "providers", &list) ||
	    !json_object_is_type(list, json_type_array))
		list = NULL;
	n = list ? json_object_array_length(list) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(list, i);
		struct json_object *o = json_object_new_object();
		struct px_buf url = PX_BUF_INIT;
		const char *label = px_web_get(p, "label");

		px_buf_printf(&url, "/api/v1/auth/oidc/%s/start?next=", px_web_get(p, "name"));
		px_web_urlenc(&url, next);
		px_web_str(o, "url", url.data);
		px_web_str(o, "name", label && *label ? label : px_web_get(p, "name"));
		json_object_array_add(out, o);
		px_buf_free(&url);
	}
	json_object_object_add(d, "has_oidc", json_object_new_boolean(n > 0));
	json_object_object_add(d, "oidc", out);
	json_object_put(r);
}

/* The sign-in form, with an error (e != PX_OK) and the status to send. */
static enum px_err login_form(struct px_ctx *ctx, int status, enum px_err e)
{
	struct json_object *d = json_object_new_object();
	const char *user = px_web_form(ctx, "username");
	const char *next = next_path(ctx);

	if (!d)
		return PX_E_SYSTEM_INTERNAL;
	px_web_str(d, "next", next);
	if (user)
		px_web_str(d, "username", user);
	if (e != PX_OK)
		px_web_error(ctx, d, e);
	else
		px_web_notice(ctx, d);
	json_object_object_add(d, "can_register", json_object_new_boolean(
		strcmp(px_cfg_str(ctx->cfg, "registration"), "closed") != 0));
	add_oidc(ctx, d, next);
	return px_web_render(ctx, status, "page/login", "Sign in", d);
}

enum px_err px_h_web_login_page(struct px_ctx *ctx)
{
	if (ctx->who.user_id)
		return px_webpage_redirect(ctx, next_path(ctx));
	return login_form(ctx, 200, PX_OK);
}

/* Seals the typed username and password for the TOTP step, so the
 * password never appears in the page: AES-GCM under the server key, with
 * an expiry, bound to this browser's form token (a copied step token is
 * useless elsewhere). */
static enum px_err seal_step(struct px_ctx *ctx, const char *user, const char *pw,
			     struct px_buf *out)
{
	struct json_object *o;
	struct px_buf browser = PX_BUF_INIT;
	const char *s;
	long long now;
	enum px_err e;

	/* the database's clock: the step may be finished on another node */
	if ((e = px_m_mfa_clock(ctx->db, &now)) != PX_OK)
		return e;
	if (!(o = json_object_new_object()))
		return PX_E_SYSTEM_INTERNAL;
	px_web_form_token(ctx, &browser);
	px_web_str(o, "u", user);
	px_web_str(o, "p", pw);
	px_web_str(o, "b", browser.data);
	px_buf_free(&browser);
	json_object_object_add(o, "x", json_object_new_int64(now + MFA_STEP_SECONDS));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	e = px_crypto_seal(ctx->cfg, MFA_SEAL_CONTEXT, s, strlen(s), out);
	px_crypto_wipe((void *)s, strlen(s));
	json_object_put(o);
	return e;
}

/* The TOTP step's form: the sealed step token, next, and an error. */
static enum px_err mfa_form(struct px_ctx *ctx, int status, const char *step, enum px_err e)
{
	struct json_object *d = json_object_new_object();

	if (!d)
		return PX_E_SYSTEM_INTERNAL;
	json_object_object_add(d, "mfa", json_object_new_boolean(1));
	px_web_str(d, "mfa_token", step);
	px_web_str(d, "next", next_path(ctx));
	px_web_passkey_step(ctx, d);
	if (e != PX_OK)
		px_web_error(ctx, d, e);
	return px_web_render(ctx, status, "page/login", "Sign in", d);
}

/* After a sign-in: the account's chosen UI language as the px_lang
 * cookie, so the choice follows it to this browser. Best effort. */
static void chosen_language(struct px_ctx *ctx)
{
	const char *name = px_web_form(ctx, "username");
	char lang[PX_M_LANG_MAX], theme[PX_M_THEME_MAX];
	struct px_m_user u;

	memset(&u, 0, sizeof(u));
	if (!name)
		name = px_web_form(ctx, "email");
	if (name && px_m_users_find_login(ctx->db, name, &u) == PX_OK) {
		if (px_m_web_lang_get(ctx->db, u.id, lang) == PX_OK && lang[0])
			px_web_lang_cookie(ctx, lang);
		/* the account's theme, or none (a shared browser's last one goes) */
		if (px_m_web_theme_get(ctx->db, u.id, theme) == PX_OK)
			px_web_theme_cookie(ctx, theme);
	}
	px_crypto_wipe(u.password_hash, sizeof(u.password_hash));
}

/* Runs the API login with the request's fields; answers the page. */
static enum px_err run_login(struct px_ctx *ctx, const char *step)
{
	const char *next = next_path(ctx);
	struct px_buf sealed = PX_BUF_INIT;
	enum px_err e;

	if (px_web_set_form(ctx, "next", next) != 0)
		return PX_E_SYSTEM_INTERNAL;
	next = px_web_form(ctx, "next"); /* the old value was just freed */
	e = px_web_call(ctx, px_h_auth_login, NULL);
	if (e == PX_OK) {
		chosen_language(ctx);
		e = px_webpage_redirect(ctx, next);
	} else if (e == PX_E_AUTH_MFA_REQUIRED && !step) {
		if ((e = seal_step(ctx, px_web_form(ctx, "username"),
				   px_web_form(ctx, "password"), &sealed)) == PX_OK)
			e = mfa_form(ctx, 200, sealed.data, PX_OK);
	} else if (step && (e == PX_E_AUTH_MFA_INVALID || e == PX_E_AUTH_MFA_REQUIRED ||
			    e == PX_E_VALIDATION_MISSING_FIELD || e == PX_E_AUTH_LOCKED_OUT ||
			    e == PX_E_VALIDATION_FIELD_LENGTH)) {
		e = mfa_form(ctx, px_err_status(e), step,
			     e == PX_E_AUTH_LOCKED_OUT ? e : PX_E_AUTH_MFA_INVALID);
	} else if (e != PX_E_SYSTEM_DB_UNAVAILABLE && e != PX_E_SYSTEM_INTERNAL) {
		e = login_form(ctx, px_err_status(e), e);
	}
	px_buf_free(&sealed);
	return e;
}

enum px_err px_h_web_login(struct px_ctx *ctx)
{
	if (!px_web_form_token_valid(ctx))
		return login_form(ctx, 403, PX_E_AUTH_CSRF_FAILED);
	return run_login(ctx, NULL);
}

enum px_err px_h_web_login_mfa(struct px_ctx *ctx)
{
	const char *step = px_web_form(ctx, "mfa_token");
	struct px_buf plain = PX_BUF_INIT;
	struct json_object *o = NULL;
	long long now;
	enum px_err e;

	if (!px_web_form_token_valid(ctx))
		return login_form(ctx, 403, PX_E_AUTH_CSRF_FAILED);
	if ((e = px_m_mfa_clock(ctx->db, &now)) != PX_OK)
		return e;
	if (!step || px_crypto_open(ctx->cfg, MFA_SEAL_CONTEXT, step, &plain) != PX_OK ||
	    !(o = px_web_json(&plain)) || px_web_int(o, "x") < now ||
	    !px_web_get(o, "b") || !px_web_form(ctx, "csrf_token") ||
	    !px_crypto_streq(px_web_get(o, "b"), px_web_form(ctx, "csrf_token"))) {
		/* an old or forged step starts the sign-in again */
		e = login_form(ctx, 401, PX_E_AUTH_SESSION_EXPIRED);
		goto out;
	}
	if (px_web_set_form(ctx, "username", px_web_get(o, "u")) != 0 ||
	    px_web_set_form(ctx, "password", px_web_get(o, "p")) != 0) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	e = run_login(ctx, step);
out:
	if (plain.data)
		px_crypto_wipe(plain.data, plain.len);
	px_buf_free(&plain);
	json_object_put(o);
	return e;
}

enum px_err px_h_web_logout(struct px_ctx *ctx)
{
	enum px_err e;

	if (ctx->who.user_id && !px_web_form_token_valid(ctx))
		return PX_E_AUTH_CSRF_FAILED;
	if (ctx->who.user_id && (e = px_web_call(ctx, px_h_auth_logout, NULL)) != PX_OK)
		return e;
	return px_web_done(ctx, "/login", "signed_out");
}

/* Names the field the registration error e is about, from the error's
 * details ({"field": ...}) or its kind: "err_<field>" (the input gets
 * aria-invalid) and "error_label" (the message starts with the field's
 * label). Errors about no one field add nothing. */
static void error_field(struct px_ctx *ctx, struct json_object *d, enum px_err e)
{
	static const char *const fields[][2] = {
		{ "username", "Username" }, { "display_name", "Display name" },
		{ "email", "E-mail address (optional)" }, { "password", "Password" },
		{ "invite", "Invite code" },
	};
	struct json_object *det = ctx->details.len ? json_tokener_parse(ctx->details.data) : NULL;
	const char *f = det ? px_web_get(det, "field") : NULL;
	char key[32];
	size_t i;

	if (e == PX_E_VALIDATION_WEAK_PASSWORD)
		f = "password";
	else if (e == PX_E_AUTH_INVITE_INVALID)
		f = "invite";
	for (i = 0; f && i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(f, fields[i][0]) != 0)
			continue;
		snprintf(key, sizeof(key), "err_%s", f);
		json_object_object_add(d, key, json_object_new_boolean(1));
		px_web_str(d, "error_label", px_webpage_tr(ctx, fields[i][1]));
		break;
	}
	json_object_put(det);
}

/* The registration form; code is an invite code from the path or form. */
static enum px_err register_form(struct px_ctx *ctx, int status, enum px_err e)
{
	struct json_object *d = json_object_new_object();
	const char *mode = px_cfg_str(ctx->cfg, "registration");
	const char *code = px_path_str(&ctx->path, "code");
	static const char *const keep[] = { "username", "display_name", "email" };
	size_t i;

	if (!d)
		return PX_E_SYSTEM_INTERNAL;
	if (!code)
		code = px_web_form(ctx, "invite");
	if (code && *code && !px_web_form(ctx, "invite_typed"))
		px_web_str(d, "invite", code);
	else if (strcmp(mode, "invite") == 0)
		json_object_object_add(d, "ask_invite", json_object_new_boolean(1));
	if (strcmp(mode, "closed") == 0 && !(code && *code))
		px_web_str(d, "closed", px_webpage_tr(ctx, "Registration is not open."));
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (px_web_form(ctx, keep[i]))
			px_web_str(d, keep[i], px_web_form(ctx, keep[i]));
	if (e != PX_OK) {
		px_web_error(ctx, d, e);
		error_field(ctx, d, e);
	}
	return px_web_render(ctx, status, "page/register", "Create account", d);
}

enum px_err px_h_web_register_page(struct px_ctx *ctx)
{
	return register_form(ctx, 200, PX_OK);
}

enum px_err px_h_web_register(struct px_ctx *ctx)
{
	enum px_err e;

	if (!px_web_form_token_valid(ctx))
		return register_form(ctx, 403, PX_E_AUTH_CSRF_FAILED);
	e = px_web_call(ctx, px_h_auth_register, NULL);
	if (e == PX_OK)
		return px_webpage_redirect(ctx, "/");
	if (e == PX_E_SYSTEM_DB_UNAVAILABLE || e == PX_E_SYSTEM_INTERNAL)
		return e;
	return register_form(ctx, px_err_status(e), e);
}

enum px_err px_h_web_sw(struct px_ctx *ctx)
{
	struct px_response *w = ctx->resp;
	char path[4096], chunk[4096];
	FILE *fp;
	size_t n;
	int len = snprintf(path, sizeof(path), "%s/sw.js",
			   px_cfg_str(ctx->cfg, "static_dir"));

	if (len < 0 || (size_t)len >= sizeof(path) || !(fp = fopen(path, "rb")))
		return PX_E_VALIDATION_NOT_FOUND;
	px_buf_reset(&w->body);
	w->body.max = SW_MAX;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		px_buf_append(&w->body, chunk, n);
	fclose(fp);
	if (w->body.failed)
		return PX_E_SYSTEM_INTERNAL;
	w->status = 200;
	px_response_header(w, "Content-Type", "text/javascript; charset=utf-8");
	px_response_header(w, "Cache-Control", "no-cache");
	px_response_header(w, "Service-Worker-Allowed", "/");
	px_response_header(w, "X-Content-Type-Options", "nosniff");
	return PX_OK;
}
