/* web_settings.c: the signed-in user's settings: profile, password,
 * language (the px_lang cookie), theme (the px_theme cookie), and security: two-factor enrolment with
 * the QR code, recovery codes, sessions and trusted devices with revoke.
 * Each form calls the accounts API handler that does the same for API
 * clients, so checks and audit records are the same. */
#include "handlers/web.h"
#include "handlers/notify.h"
#include "handlers/auth.h"
#include "handlers/web_util.h"
#include "handlers/web_view.h"
#include "web/i18n.h"
#include "web/webpage.h"
#include "model/users.h"
#include "model/web_prefs.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

/* The notification settings: the digest delays as options (translated
 * labels, the chosen one selected), push, desktop, has_email. */
static void add_notify(struct px_ctx *ctx, struct json_object *d)
{
	struct json_object *r = NULL, *delays = NULL, *out = json_object_new_array();
	long long cur;
	size_t i, n;

	if (px_web_call(ctx, px_h_notify_settings_get, &r) != PX_OK || !r)
		r = NULL;
	cur = px_web_int(r, "mail_minutes");
	if (r)
		json_object_object_get_ex(r, "mail_delays", &delays);
	n = json_object_is_type(delays, json_type_array) ? json_object_array_length(delays) : 0;
	for (i = 0; i < n; i++) {
		long long m = json_object_get_int64(json_object_array_get_idx(delays, i));
		struct json_object *o = json_object_new_object();
		char label[96];

		if (m == 0)
			snprintf(label, sizeof(label), "%s", px_webpage_tr(ctx, "Off"));
		else if (m == 60)
			snprintf(label, sizeof(label), "%s", px_webpage_tr(ctx, "After 1 hour"));
		else if (m % 60 == 0)
			snprintf(label, sizeof(label), px_webpage_tr(ctx, "After %d hours"), (int)(m / 60));
		else
			snprintf(label, sizeof(label), px_webpage_tr(ctx, "After %d minutes"), (int)m);
		json_object_object_add(o, "minutes", json_object_new_int64(m));
		px_web_str(o, "label", label);
		json_object_object_add(o, "selected", json_object_new_boolean(m == cur));
		json_object_array_add(out, o);
	}
	json_object_object_add(d, "mail_delays", out);
	json_object_object_add(d, "push", json_object_new_boolean(!r || px_web_bool(r, "push")));
	json_object_object_add(d, "desktop", json_object_new_boolean(!r || px_web_bool(r, "desktop")));
	json_object_object_add(d, "has_email", json_object_new_boolean(px_web_bool(r, "has_email")));
	json_object_put(r);
}

/* The settings page with its forms; err names a failed form's error and
 * which the form it belongs to ("profile", "password"). */
static enum px_err settings_page(struct px_ctx *ctx, int status, const char *which,
				 enum px_err err)
{
	struct json_object *d = json_object_new_object(), *langs = json_object_new_array();
	static const char *const codes[] = PX_I18N_LANGS;
	static const char *const names[] = { "English", "Deutsch" };
	char cur[PX_M_LANG_MAX], theme[PX_M_THEME_MAX];
	struct px_m_user u;
	enum px_err e;
	size_t i;

	if ((e = px_web_sidebar(ctx, d, 0)) != PX_OK ||
	    (e = px_m_users_get(ctx->db, ctx->who.user_id, &u)) != PX_OK ||
	    (e = px_m_web_lang_get(ctx->db, ctx->who.user_id, cur)) != PX_OK)
		goto out;
	px_web_str(d, "display_name", px_web_form(ctx, "display_name") ? px_web_form(ctx, "display_name")
								      : u.display_name);
	px_web_str(d, "bio", px_web_form(ctx, "bio") ? px_web_form(ctx, "bio") : u.bio);
	px_web_str(d, "email", px_web_form(ctx, "email") ? px_web_form(ctx, "email") : u.email);
	px_web_str(d, "username", u.username);
	for (i = 0; i < PX_I18N_NLANGS && i < sizeof(names) / sizeof(names[0]); i++) {
		struct json_object *o = json_object_new_object();

		px_web_str(o, "code", codes[i]);
		px_web_str(o, "name", names[i]);
		json_object_object_add(o, "selected", json_object_new_boolean(
			strcmp(cur, codes[i]) == 0));
		json_object_array_add(langs, o);
	}
	json_object_object_add(d, "languages", langs);
	langs = NULL;
	json_object_object_add(d, "lang_auto", json_object_new_boolean(!px_i18n_supported(cur)));
	if ((e = px_m_web_theme_get(ctx->db, ctx->who.user_id, theme)) != PX_OK)
		goto out;
	json_object_object_add(d, theme[0] ? "theme_is_set" : "theme_is_system",
			       json_object_new_boolean(1));
	if (theme[0]) {
		char key[32];

		snprintf(key, sizeof(key), "theme_is_%s", theme);
		json_object_object_add(d, key, json_object_new_boolean(1));
	}
	if (err != PX_OK) {
		px_web_error(ctx, d, err);
		json_object_object_add(d, which, json_object_new_boolean(1));
	}
	add_notify(ctx, d);
	px_web_notice(ctx, d);
	e = px_web_render(ctx, status, "page/settings", "Settings", d);
	d = NULL;
out:
	json_object_put(langs);
	json_object_put(d);
	return e;
}

enum px_err px_h_web_settings(struct px_ctx *ctx)
{
	return settings_page(ctx, 200, NULL, PX_OK);
}

/* The settings page again with a form's error, or other errors to the
 * pipeline; PX_OK: back to the page with "saved". */
static enum px_err settings_result(struct px_ctx *ctx, enum px_err e, const char *which)
{
	if (e == PX_OK)
		return px_web_done(ctx, "/settings", "saved");
	if (strncmp(px_err_name(e), "VALIDATION_", 11) != 0 && e != PX_E_AUTH_INVALID_CREDENTIALS)
		return e;
	return settings_page(ctx, px_err_status(e), which, e);
}

enum px_err px_h_web_profile(struct px_ctx *ctx)
{
	/* an empty e-mail field means "no change", not "remove" */
	if (px_web_form(ctx, "email") && !*px_web_form(ctx, "email"))
		px_web_drop_form(ctx, "email");
	return settings_result(ctx, px_web_call(ctx, px_h_users_update_me, NULL), "profile_error");
}

enum px_err px_h_web_password(struct px_ctx *ctx)
{
	return settings_result(ctx, px_web_call(ctx, px_h_auth_password_change, NULL),
			       "password_error");
}

enum px_err px_h_web_language(struct px_ctx *ctx)
{
	const char *lang = px_web_form(ctx, "lang");
	enum px_err e;

	if (!lang || !px_i18n_supported(lang))
		lang = "";
	if ((e = px_m_web_lang_set(ctx->db, ctx->who.user_id, lang)) != PX_OK)
		return e;
	px_web_lang_cookie(ctx, lang);
	return px_web_done(ctx, "/settings", "saved");
}

enum px_err px_h_web_theme(struct px_ctx *ctx)
{
	static const char *const themes[] = { "light", "dark", "contrast" };
	const char *want = px_web_form(ctx, "theme"), *theme = "";
	enum px_err e;
	size_t i;

	for (i = 0; want && i < sizeof(themes) / sizeof(themes[0]); i++)
		if (strcmp(want, themes[i]) == 0)
			theme = themes[i];
	if ((e = px_m_web_theme_set(ctx->db, ctx->who.user_id, theme)) != PX_OK)
		return e;
	px_web_theme_cookie(ctx, theme);
	return px_web_done(ctx, "/settings", "saved");
}

/* Adds key: the list of what the API handler fn answers under key. */
static void add_list(struct px_ctx *ctx, struct json_object *d, px_handler_fn fn,
		     const char *key)
{
	struct json_object *r = NULL, *list = NULL, *out = json_object_new_array();
	size_t i, n;

	if (px_web_call(ctx, fn, &r) == PX_OK && r)
		json_object_object_get_ex(r, key, &list);
	n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(list, i), *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_int64(px_web_int(s, "id")));
		px_web_str(o, "user_agent", px_web_get(s, "user_agent"));
		px_web_str(o, "ip", px_web_get(s, "ip"));
		json_object_object_add(o, "current", json_object_new_boolean(px_web_bool(s, "current")));
		px_web_time(ctx, o, "created", px_web_get(s, "created_at"));
		px_web_time(ctx, o, "seen", px_web_get(s, "last_used_at"));
		px_web_time(ctx, o, "expires", px_web_get(s, "expires_at"));
		json_object_array_add(out, o);
	}
	json_object_object_add(d, key, out);
	json_object_put(r);
}

/* The security page; extra holds enrolment or recovery-code keys. */
static enum px_err security_page(struct px_ctx *ctx, int status, struct json_object *d)
{
	struct json_object *mfa = NULL;
	enum px_err e;

	if (!d && !(d = json_object_new_object()))
		return PX_E_SYSTEM_INTERNAL;
	if ((e = px_web_sidebar(ctx, d, 0)) != PX_OK ||
	    (e = px_web_call(ctx, px_h_auth_mfa_status, &mfa)) != PX_OK) {
		json_object_put(d);
		return e;
	}
	json_object_object_add(d, "mfa_on", json_object_new_boolean(px_web_bool(mfa, "enabled")));
	json_object_object_add(d, "codes_left",
			       json_object_new_int64(px_web_int(mfa, "recovery_codes_left")));
	json_object_put(mfa);
	add_list(ctx, d, px_h_auth_sessions, "sessions");
	add_list(ctx, d, px_h_auth_devices, "devices");
	px_web_passkeys(ctx, d);
	px_web_notice(ctx, d);
	return px_web_render(ctx, status, "page/security", "Security", d);
}

enum px_err px_h_web_security(struct px_ctx *ctx)
{
	return security_page(ctx, 200, NULL);
}

/* The security page again with a form's error, or other errors to the
 * pipeline. */
static enum px_err security_error(struct px_ctx *ctx, enum px_err e)
{
	struct json_object *d;

	if (strncmp(px_err_name(e), "VALIDATION_", 11) != 0 && e != PX_E_AUTH_INVALID_CREDENTIALS &&
	    e != PX_E_AUTH_MFA_INVALID)
		return e;
	if (!(d = json_object_new_object()))
		return PX_E_SYSTEM_INTERNAL;
	px_web_error(ctx, d, e);
	return security_page(ctx, px_err_status(e), d);
}

enum px_err px_h_web_mfa_enrol(struct px_ctx *ctx)
{
	struct json_object *r = NULL, *d = json_object_new_object(), *en;
	struct px_buf img = PX_BUF_INIT;
	const char *svg;
	enum px_err e;

	if (!d)
		return PX_E_SYSTEM_INTERNAL;
	if ((e = px_web_call(ctx, px_h_auth_mfa_enroll, &r)) != PX_OK) {
		json_object_put(d);
		return e == PX_E_VALIDATION_CONFLICT ? px_web_done(ctx, "/settings/security", NULL) : e;
	}
	/* the QR code as an image: a data: URL is allowed by img-src and
	 * needs no raw markup in the page */
	svg = px_web_get(r, "qr_svg");
	px_buf_puts(&img, "data:image/svg+xml,");
	px_web_urlenc(&img, svg);
	en = json_object_new_object();
	px_web_str(en, "qr", img.data);
	px_web_str(en, "secret", px_web_get(r, "secret"));
	json_object_object_add(d, "enrol", en);
	json_object_put(r);
	px_buf_free(&img);
	return security_page(ctx, 201, d);
}

enum px_err px_h_web_mfa_confirm(struct px_ctx *ctx)
{
	struct json_object *r = NULL, *d;
	enum px_err e = px_web_call(ctx, px_h_auth_mfa_confirm, &r);

	if (e != PX_OK)
		return security_error(ctx, e);
	d = json_object_new_object();
	if (r && json_object_object_get_ex(r, "recovery_codes", NULL)) {
		struct json_object *codes = NULL;

		json_object_object_get_ex(r, "recovery_codes", &codes);
		json_object_object_add(d, "codes", json_object_get(codes));
		json_object_object_add(d, "has_codes", json_object_new_boolean(1));
	}
	json_object_put(r);
	return security_page(ctx, 200, d);
}

enum px_err px_h_web_mfa_disable(struct px_ctx *ctx)
{
	enum px_err e = px_web_call(ctx, px_h_auth_mfa_disable, NULL);

	return e == PX_OK ? px_web_done(ctx, "/settings/security", "mfa_off")
			  : security_error(ctx, e);
}

enum px_err px_h_web_session_revoke(struct px_ctx *ctx)
{
	enum px_err e = px_web_call(ctx, px_h_auth_session_revoke, NULL);

	return e == PX_OK ? px_web_done(ctx, "/settings/security", "revoked") : e;
}

enum px_err px_h_web_device_revoke(struct px_ctx *ctx)
{
	enum px_err e = px_web_call(ctx, px_h_auth_device_revoke, NULL);

	return e == PX_OK ? px_web_done(ctx, "/settings/security", "revoked") : e;
}
