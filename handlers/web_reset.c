/* web_reset.c: the /reset-password page the reset mail links to. It takes
 * the token from the link (or a typed reset code), tells an expired, used
 * or unknown token apart before anyone types a password, and sets the new
 * password through the API handler, so the policy, the single use of the
 * token and the audit trail are the API's. Works without JavaScript. */
#include "handlers/web.h"
#include "handlers/auth.h"
#include "handlers/web_util.h"
#include "core/crypto.h"
#include "model/auth_invites.h"
#include "web/webpage.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#define TOKEN_MAX 128

/* The English text (a msgid) for why a token is refused. */
static const char *token_problem(const char *why)
{
	if (strcmp(why, "expired") == 0)
		return "This reset link has expired. Ask for a new one.";
	if (strcmp(why, "used") == 0)
		return "This reset link was already used. Ask for a new one if you still need it.";
	return "This reset link is not valid. Check that the whole link was copied, or ask for a new one.";
}

/* The English text for a password the policy refused, by its reason. */
static const char *policy_problem(const char *reason)
{
	if (strcmp(reason, "too_short") == 0)
		return "The password is too short: use at least 10 characters.";
	if (strcmp(reason, "common") == 0)
		return "This password is too common. Choose another one.";
	if (strcmp(reason, "username") == 0)
		return "The password must not be your username.";
	return "The password does not meet the password policy.";
}

/* The value of key in the JSON details the last API call left, or "". */
static void detail(struct px_ctx *ctx, const char *key, char *out, size_t n)
{
	struct json_object *d = px_web_json(&ctx->details);
	const char *v = px_web_get(d, key);

	snprintf(out, n, "%s", v ? v : "");
	json_object_put(d);
}

/* The form; problem is an English message (NULL: none). A token that is
 * known to be bad hides the password fields. */
static enum px_err reset_form(struct px_ctx *ctx, int status, const char *token,
			      const char *problem, int token_bad)
{
	struct json_object *d = json_object_new_object();

	if (!d)
		return PX_E_SYSTEM_INTERNAL;
	if (token && *token && !token_bad)
		px_web_str(d, "token", token);
	else
		json_object_object_add(d, "ask_token", json_object_new_boolean(1));
	if (problem) {
		px_web_str(d, "error", px_webpage_tr(ctx, problem));
		json_object_object_add(d, "token_bad", json_object_new_boolean(token_bad));
	}
	return px_web_render(ctx, status, "page/reset_password", "Set a new password", d);
}

enum px_err px_h_web_reset_page(struct px_ctx *ctx)
{
	const char *tok = px_request_query(ctx->req, "token"), *why = "";
	long long uid = 0;
	char hash[65];
	enum px_err e;

	if (!tok || !*tok)
		return reset_form(ctx, 200, NULL, NULL, 0);
	if (strlen(tok) > TOKEN_MAX)
		return reset_form(ctx, 400, NULL, token_problem("unknown"), 1);
	px_crypto_sha256_hex(tok, strlen(tok), hash);
	e = px_m_resets_peek(ctx->db, hash, &uid, &why);
	if (e == PX_E_AUTH_TOKEN_INVALID)
		return reset_form(ctx, 410, NULL, token_problem(why), 1);
	if (e != PX_OK)
		return e;
	return reset_form(ctx, 200, tok, NULL, 0);
}

enum px_err px_h_web_reset(struct px_ctx *ctx)
{
	const char *tok = px_web_form(ctx, "token");
	const char *pw = px_web_form(ctx, "new_password");
	const char *again = px_web_form(ctx, "new_password_again");
	char why[32];
	enum px_err e;

	if (!px_web_form_token_valid(ctx))
		return reset_form(ctx, 403, tok, px_err_message(PX_E_AUTH_CSRF_FAILED), 0);
	if (!tok || !*tok)
		return reset_form(ctx, 400, NULL, token_problem("unknown"), 1);
	if (!pw || !again || strcmp(pw, again) != 0)
		return reset_form(ctx, 400, tok, "The two passwords do not match.", 0);
	e = px_web_call(ctx, px_h_auth_password_reset, NULL);
	if (e == PX_OK)
		return px_web_done(ctx, "/login", "password_reset");
	if (e == PX_E_AUTH_TOKEN_INVALID) {
		detail(ctx, "reason", why, sizeof(why));
		return reset_form(ctx, 410, NULL, token_problem(why), 1);
	}
	if (e == PX_E_VALIDATION_WEAK_PASSWORD) {
		detail(ctx, "reason", why, sizeof(why));
		return reset_form(ctx, 400, tok, policy_problem(why), 0);
	}
	if (strncmp(px_err_name(e), "VALIDATION_", 11) == 0 || e == PX_E_AUTH_PASSWORD_MANAGED)
		return reset_form(ctx, px_err_status(e), tok, px_err_message(e), 0);
	return e;
}

/* The "forgot your password" form; sent shows the neutral confirmation. */
static enum px_err forgot_form(struct px_ctx *ctx, int status, int sent, enum px_err e)
{
	struct json_object *d = json_object_new_object();

	if (!d)
		return PX_E_SYSTEM_INTERNAL;
	json_object_object_add(d, "sent", json_object_new_boolean(sent));
	if (e != PX_OK)
		px_web_error(ctx, d, e);
	return px_web_render(ctx, status, "page/forgot_password", "Forgot your password?", d);
}

enum px_err px_h_web_forgot_page(struct px_ctx *ctx)
{
	return forgot_form(ctx, 200, 0, PX_OK);
}

enum px_err px_h_web_forgot(struct px_ctx *ctx)
{
	enum px_err e;

	if (!px_web_form_token_valid(ctx))
		return forgot_form(ctx, 403, 0, PX_E_AUTH_CSRF_FAILED);
	e = px_web_call(ctx, px_h_auth_password_forgot, NULL);
	if (e == PX_OK)
		return forgot_form(ctx, 200, 1, PX_OK); /* the same whether or not it exists */
	if (strncmp(px_err_name(e), "VALIDATION_", 11) == 0)
		return forgot_form(ctx, px_err_status(e), 0, e);
	return e;
}
