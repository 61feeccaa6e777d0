/* webpage.c: security headers, the common page context, rendering,
 * redirects and HTML error pages for every page PlexiChat serves. */
#include "web/webpage.h"
#include "web/assets.h"
#include "core/cfg.h"
#include "core/codec.h"
#include "web/i18n.h"
#include "core/log.h"
#include "web/tmpl.h"

#include <json-c/json.h>
#include <string.h>

/* Security headers, in one place (see docs/WEB_UI.md for each one). */
static const char *const page_headers[][2] = {
	{ "Content-Security-Policy", PX_WEBPAGE_CSP },
	{ "X-Content-Type-Options", "nosniff" },
	{ "Referrer-Policy", "same-origin" },
	{ "Permissions-Policy", "camera=(), microphone=(), geolocation=(), "
				"payment=(), usb=(), interest-cohort=()" },
	{ "X-Frame-Options", "DENY" },
	{ "Cross-Origin-Opener-Policy", "same-origin" },
	{ "Cache-Control", "no-store" },
	{ "Vary", "Cookie, Accept-Language" },
};

void px_webpage_security_headers(struct px_response *resp, int https)
{
	size_t i;

	for (i = 0; i < sizeof(page_headers) / sizeof(page_headers[0]); i++)
		px_response_header(resp, page_headers[i][0], page_headers[i][1]);
	if (https)
		px_response_header(resp, "Strict-Transport-Security",
				   "max-age=31536000; includeSubDomains");
}

int px_webpage_wants_html(const struct px_request *req)
{
	const char *p = req->raw_path ? req->raw_path : "/";
	const char *accept = px_request_header(req, "accept");

	return accept && strstr(accept, "text/html") &&
	       strncmp(p, "/api/", 5) != 0 && strcmp(p, "/api") != 0 &&
	       strncmp(p, "/static/", 8) != 0;
}

const char *px_webpage_lang(const struct px_ctx *ctx)
{
	const char *c = px_request_cookie(ctx->req, PX_WEBPAGE_LANG_COOKIE);

	if (c && px_i18n_supported(c))
		return c;
	return px_i18n_negotiate(px_request_header(ctx->req, "accept-language"));
}

const char *px_webpage_theme(const struct px_ctx *ctx)
{
	static const char *const themes[] = { "light", "dark", "contrast" };
	const char *c = px_request_cookie(ctx->req, PX_WEBPAGE_THEME_COOKIE);
	size_t i;

	for (i = 0; c && i < sizeof(themes) / sizeof(themes[0]); i++)
		if (strcmp(c, themes[i]) == 0)
			return themes[i];
	return NULL;
}

static const struct px_i18n *catalogs(void)
{
	return px_i18n_get(NULL, NULL);
}

const char *px_webpage_tr(const struct px_ctx *ctx, const char *msgid)
{
	return px_i18n_gettext(catalogs(), px_webpage_lang(ctx), msgid);
}

static void add_str(struct json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, json_object_new_string(val ? val : ""));
}

/* Every ui_strings.def text in lang, keyed by its short name. */
static struct json_object *strings(const char *lang)
{
	const struct px_i18n *cat = catalogs();
	struct json_object *t = json_object_new_object();

	if (!t)
		return NULL;
#define S(key, msgid)                                                          \
	json_object_object_add_ex(t, #key,                                     \
				  json_object_new_string(                      \
					  px_i18n_gettext(cat, lang, msgid)),  \
				  JSON_C_OBJECT_ADD_KEY_IS_NEW |               \
					  JSON_C_OBJECT_KEY_IS_CONSTANT);
#include "web/ui_strings.def"
#undef S
	return t;
}

static void add_asset(struct json_object *a, const char *static_dir,
		      const char *key, const char *rel)
{
	struct px_buf u = PX_BUF_INIT;

	px_assets_url(static_dir, rel, &u);
	add_str(a, key, u.data);
	px_buf_free(&u);
}

static struct json_object *assets(const struct px_ctx *ctx)
{
	const char *dir = px_cfg_str(ctx->cfg, "static_dir");
	struct json_object *a = json_object_new_object();

	if (!a)
		return NULL;
	add_asset(a, dir, "css", "css/app.css");
	add_asset(a, dir, "js", "js/app.js");
	add_asset(a, dir, "ws_js", "js/ws.js");
	add_asset(a, dir, "passkey_js", "js/passkey.js");
	add_asset(a, dir, "ai_js", "js/ai.js");
	add_asset(a, dir, "icon", "icons/icon.svg");
	add_asset(a, dir, "icon_png", "icons/icon-192.png");
	add_asset(a, dir, "manifest", "manifest.webmanifest");
	/* h-uirich: rich text, emoji, people and notifications */
	add_asset(a, dir, "rich_css", "css/rich.css");
	add_asset(a, dir, "emoji_js", "js/emoji.js");
	add_asset(a, dir, "people_js", "js/people.js");
	add_asset(a, dir, "notify_js", "js/notify.js");
	add_asset(a, dir, "emoji_en", "emoji/en.json");
	add_asset(a, dir, "emoji_de", "emoji/de.json");
	return a;
}

static struct json_object *me(const struct px_ctx *ctx)
{
	struct json_object *m;

	if (ctx->who.user_id == 0)
		return NULL;
	m = json_object_new_object();
	if (!m)
		return NULL;
	json_object_object_add(m, "id", json_object_new_int64(ctx->who.user_id));
	add_str(m, "username", ctx->who.username);
	json_object_object_add(m, "is_admin",
			       json_object_new_boolean(ctx->who.role >= PX_ROLE_ADMIN));
	return m;
}

/* Adds the keys every page template may use (see px_webpage_render). */
static void add_common(struct px_ctx *ctx, struct json_object *d)
{
	const char *lang = px_webpage_lang(ctx);

	add_str(d, "lang", lang);
	if (px_webpage_theme(ctx))
		add_str(d, "theme", px_webpage_theme(ctx));
	json_object_object_add(d, "t", strings(lang));
	json_object_object_add(d, "asset", assets(ctx));
	json_object_object_add(d, "me", me(ctx));
	add_str(d, "path", ctx->req->path ? ctx->req->path : "/");
}

enum px_err px_webpage_render(struct px_ctx *ctx, int status, const char *name,
			      struct json_object *data)
{
	struct px_buf err = PX_BUF_INIT;
	struct px_response *w = ctx->resp;
	enum px_err e = PX_E_SYSTEM_INTERNAL;

	if (!data && !(data = json_object_new_object()))
		goto out;
	if (!ctx->tmpl)
		goto out;
	add_common(ctx, data);
	px_buf_reset(&w->body);
	if (px_tmpl_render(ctx->tmpl, name, data, &w->body, &err) != 0) {
		px_log_error("web", ctx->req->correlation_id, "render %s: %s", name,
			     err.data ? err.data : "out of memory");
		goto out;
	}
	w->status = status;
	px_response_header(w, "Content-Type", "text/html; charset=utf-8");
	px_webpage_security_headers(w, ctx->req->https);
	e = PX_OK;
out:
	json_object_put(data);
	px_buf_free(&err);
	return e;
}

/* Longest redirect target we accept, in bytes. */
#define LOCAL_PATH_MAX 2000

/* Writes into out (at least strlen(s) + 1 bytes) the string a browser
 * actually parses when given s as a URL (WHATWG URL standard, basic URL
 * parser): leading and trailing C0 controls and spaces are stripped, ASCII
 * tab, LF and CR are removed wherever they are, and in http(s) URLs a
 * backslash is read as a slash. Returns the length written. */
static size_t browser_view(const char *s, char *out)
{
	size_t b = 0, e = strlen(s), n = 0;

	while (b < e && (unsigned char)s[b] <= 0x20)
		b++;
	while (e > b && (unsigned char)s[e - 1] <= 0x20)
		e--;
	for (; b < e; b++) {
		if (s[b] == '\t' || s[b] == '\n' || s[b] == '\r')
			continue;
		out[n++] = s[b] == '\\' ? '/' : s[b];
	}
	out[n] = '\0';
	return n;
}

/* A control byte cannot go into a Location header, whatever a browser
 * would make of it. */
static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int px_webpage_local_path(const char *s)
{
	char v[LOCAL_PATH_MAX];
	size_t n;

	if (!s || strlen(s) >= sizeof(v))
		return 0;
	n = browser_view(s, v);
	/* Judge what the browser will follow, and send only targets it will
	 * follow unchanged, so no later reading can differ from this one:
	 * "/\t/x", " //x" and "/\\x" all become "//x", another host. */
	if (n != strlen(s) || memcmp(v, s, n) != 0 || has_control(s))
		return 0;
	/* one slash and no scheme: a path on this origin */
	return v[0] == '/' && v[1] != '/';
}

enum px_err px_webpage_redirect(struct px_ctx *ctx, const char *location)
{
	struct px_response *w = ctx->resp;

	w->status = 303;
	px_buf_reset(&w->body);
	px_response_header(w, "Location", px_webpage_local_path(location) ? location : "/");
	px_webpage_security_headers(w, ctx->req->https);
	return PX_OK;
}

/* The path to return to after signing in: this page for GET, else the
 * page the form was on (same-origin Referer path), else "/". */
static void return_path(const struct px_ctx *ctx, struct px_buf *out)
{
	const char *m = ctx->req->method, *ref = px_request_header(ctx->req, "referer");
	const char *base = px_cfg_str(ctx->cfg, "public_url");
	size_t bl = strlen(base);

	if ((strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) &&
	    px_webpage_local_path(ctx->req->raw_path)) {
		px_buf_puts(out, ctx->req->raw_path);
		if (ctx->req->raw_query && *ctx->req->raw_query) {
			px_buf_putc(out, '?');
			px_buf_puts(out, ctx->req->raw_query);
		}
	} else if (ref && strncmp(ref, base, bl) == 0 && px_webpage_local_path(ref + bl)) {
		px_buf_puts(out, ref + bl);
	} else {
		px_buf_putc(out, '/');
	}
}

static int login_redirect(struct px_ctx *ctx, enum px_err e)
{
	struct px_buf next = PX_BUF_INIT, loc = PX_BUF_INIT;
	int rc;

	return_path(ctx, &next);
	px_buf_puts(&loc, "/login?next=");
	px_codec_pct_encode(&loc, next.data ? next.data : "/", next.data ? next.len : 1,
			    PX_CODEC_PCT_SLASH);
	if (e == PX_E_AUTH_SESSION_EXPIRED)
		px_buf_puts(&loc, "&expired=1");
	rc = loc.failed ? -1 : 0;
	if (rc == 0)
		(void)px_webpage_redirect(ctx, loc.data);
	px_buf_free(&next);
	px_buf_free(&loc);
	return rc;
}

/* "login_url": the sign-in page returning to back afterwards. */
static void add_login_url(struct json_object *d, const char *back, enum px_err e)
{
	struct px_buf l = PX_BUF_INIT;

	px_buf_puts(&l, "/login?next=");
	px_codec_pct_encode(&l, back, strlen(back), PX_CODEC_PCT_SLASH);
	if (e == PX_E_AUTH_SESSION_EXPIRED)
		px_buf_puts(&l, "&expired=1");
	add_str(d, "login_url", l.data);
	px_buf_free(&l);
}

int px_webpage_error(struct px_ctx *ctx, enum px_err e)
{
	struct json_object *d;
	struct px_buf back = PX_BUF_INIT;
	int get = strcmp(ctx->req->method, "GET") == 0 ||
		  strcmp(ctx->req->method, "HEAD") == 0;
	int rc = -1;

	px_buf_reset(&ctx->resp->headers);
	if ((e == PX_E_AUTH_REQUIRED || e == PX_E_AUTH_SESSION_EXPIRED) && get)
		return login_redirect(ctx, e);
	if (!(d = json_object_new_object()))
		return -1;
	return_path(ctx, &back);
	add_str(d, "message", px_webpage_tr(ctx, px_err_message(e)));
	add_str(d, "code", px_err_name(e));
	add_str(d, "reference", ctx->req->correlation_id);
	add_str(d, "back", back.data ? back.data : "/");
	/* a draft posted with an ended session is shown so it can be copied */
	if (px_kvlist_get(&ctx->req->form, "body"))
		add_str(d, "draft", px_kvlist_get(&ctx->req->form, "body"));
	json_object_object_add(d, "not_found",
			       json_object_new_boolean(e == PX_E_VALIDATION_NOT_FOUND));
	add_login_url(d, back.data ? back.data : "/", e);
	json_object_object_add(d, "sign_in",
			       json_object_new_boolean(e == PX_E_AUTH_REQUIRED ||
						       e == PX_E_AUTH_SESSION_EXPIRED));
	if (px_webpage_render(ctx, px_err_status(e), "page/error", d) == PX_OK)
		rc = 0;
	px_buf_free(&back);
	return rc;
}
