/* web_util.c: helpers shared by the page handlers (see web_util.h). */
#include "handlers/web_util.h"
#include "handlers/auth_session.h"
#include "core/codec.h"
#include "core/crypto.h"
#include "web/i18n.h"
#include "web/webpage.h"
#include "model/channels.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PRE_SEED_LEN 43 /* base64url of 32 random bytes */

void px_web_str(struct json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, json_object_new_string(val ? val : ""));
}

/* The anonymous token for seed: base64url(HMAC(subkey, seed)). */
static int pre_token(const struct px_ctx *ctx, const char *seed, struct px_buf *out)
{
	unsigned char key[32], mac[PX_SHA256_LEN];

	if (px_crypto_subkey(ctx->cfg, "webform:v1", key) != PX_OK)
		return -1;
	px_crypto_hmac_sha256(key, sizeof(key), seed, strlen(seed), mac);
	px_crypto_wipe(key, sizeof(key));
	px_codec_b64_encode(out, mac, sizeof(mac), PX_CODEC_B64_URL);
	return out->failed ? -1 : 0;
}

static const char *pre_seed(const struct px_ctx *ctx)
{
	const char *s = px_request_cookie(ctx->req, PX_WEB_PRE_COOKIE);

	return s && strlen(s) == PRE_SEED_LEN ? s : NULL;
}

void px_web_form_token(struct px_ctx *ctx, struct px_buf *out)
{
	char token[PX_CSRF_LEN], seed[PX_TOKEN_MAX];
	struct px_buf cookie = PX_BUF_INIT;
	const char *s;

	if (px_auth_csrf_token(ctx, token) == 0) {
		px_buf_puts(out, token);
		return;
	}
	if ((s = pre_seed(ctx))) {
		(void)pre_token(ctx, s, out);
		return;
	}
	if (px_crypto_token("", seed, sizeof(seed)) != 0)
		return;
	/* Lax keeps the seed on top-level navigations only; HttpOnly because
	 * the page already carries the derived token. */
	px_buf_printf(&cookie, "%s=%s; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax%s",
		      PX_WEB_PRE_COOKIE, seed, ctx->req->https ? "; Secure" : "");
	if (!cookie.failed && pre_token(ctx, seed, out) == 0)
		px_response_header(ctx->resp, "Set-Cookie", cookie.data);
	px_buf_free(&cookie);
}

int px_web_form_token_valid(struct px_ctx *ctx)
{
	const char *got = px_web_form(ctx, "csrf_token"), *s = pre_seed(ctx);
	struct px_buf want = PX_BUF_INIT;
	int ok;

	if (ctx->who.session_id)
		return px_auth_csrf_valid(ctx);
	ok = got && s && pre_token(ctx, s, &want) == 0 && px_crypto_streq(got, want.data);
	px_buf_free(&want);
	return ok;
}

enum px_err px_web_render(struct px_ctx *ctx, int status, const char *name,
			  const char *title, struct json_object *d)
{
	struct px_buf token = PX_BUF_INIT;

	if (!d && !(d = json_object_new_object()))
		return PX_E_SYSTEM_INTERNAL;
	px_web_form_token(ctx, &token);
	px_web_str(d, "csrf", token.data);
	px_buf_free(&token);
	if (title)
		px_web_str(d, "title", px_webpage_tr(ctx, title));
	return px_webpage_render(ctx, status, name, d);
}

const char *px_web_form(const struct px_ctx *ctx, const char *name)
{
	return px_kvlist_get(&ctx->req->form, name);
}

/* Replaces the first value of name in l, or appends it. */
static int kv_set(struct px_kvlist *l, const char *name, const char *value)
{
	size_t i, n = strlen(value);
	char *v;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->items[i].name, name) != 0)
			continue;
		if (!(v = strdup(value)))
			return -1;
		free(l->items[i].value);
		l->items[i].value = v;
		l->items[i].value_len = n;
		return 0;
	}
	return px_kvlist_add(l, name, strlen(name), value, n);
}

void px_web_drop_form(struct px_ctx *ctx, const char *name)
{
	struct px_kvlist *l = &ctx->req->form;
	size_t i = 0;

	while (i < l->n) {
		if (strcmp(l->items[i].name, name) != 0) {
			i++;
			continue;
		}
		free(l->items[i].name);
		free(l->items[i].value);
		memmove(l->items + i, l->items + i + 1, (l->n - i - 1) * sizeof(*l->items));
		l->n--;
	}
}

int px_web_set_form(struct px_ctx *ctx, const char *name, const char *value)
{
	return kv_set(&ctx->req->form, name, value);
}

/* Drops every header line but Set-Cookie from the response. */
static void keep_cookies(struct px_response *w)
{
	struct px_buf kept = PX_BUF_INIT;
	const char *p = w->headers.data, *end = p ? p + w->headers.len : NULL;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (n > 11 && strncasecmp(p, "Set-Cookie:", 11) == 0)
			px_buf_append(&kept, p, n);
		p += n;
	}
	px_buf_reset(&w->headers);
	if (kept.len)
		px_buf_append(&w->headers, kept.data, kept.len);
	px_buf_free(&kept);
}

enum px_err px_web_call_text(struct px_ctx *ctx, px_handler_fn fn, struct px_buf *text)
{
	struct px_response *w = ctx->resp;
	enum px_err e;

	px_buf_reset(&ctx->details);
	e = fn(ctx);
	if (e == PX_OK && text && w->body.len && !w->body.failed)
		px_buf_append(text, w->body.data, w->body.len);
	px_buf_reset(&w->body);
	keep_cookies(w);
	w->status = 200;
	return e;
}

enum px_err px_web_call(struct px_ctx *ctx, px_handler_fn fn, struct json_object **out)
{
	struct px_buf text = PX_BUF_INIT;
	enum px_err e = px_web_call_text(ctx, fn, out ? &text : NULL);

	if (out)
		*out = e == PX_OK && text.len && !text.failed ? json_tokener_parse(text.data) : NULL;
	px_buf_free(&text);
	return e;
}

struct json_object *px_web_json(const struct px_buf *b)
{
	if (!b || b->failed || !b->data)
		return NULL;
	return json_tokener_parse(b->data);
}

long long px_web_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

const char *px_web_get(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

int px_web_bool(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

enum px_err px_web_mine(struct px_ctx *ctx, struct json_object **mine)
{
	struct px_buf b = PX_BUF_INIT;
	enum px_err e = px_m_channels_mine(ctx->db, ctx->who.user_id, &b);

	*mine = NULL;
	if (e == PX_OK && !(*mine = px_web_json(&b)))
		e = PX_E_SYSTEM_INTERNAL;
	px_buf_free(&b);
	return e;
}

/* Keys a redirect may carry in ?done= and the text each shows. */
static const char *const notices[][2] = {
	{ "saved", "Your changes were saved." },
	{ "signed_out", "You are signed out." },
	{ "password_reset", "Your password was changed. Sign in with the new one." },
	{ "expired", "Your session expired. Please sign in again; your draft was not sent." },
	{ "revoked", "The session was signed out." },
	{ "mfa_off", "Two-factor authentication is off." },
	{ "passkey_removed", "The passkey was removed." },
	{ "passkey_added", "The passkey was added." },
	{ "deleted", "The message was deleted." },
};

void px_web_notice(struct px_ctx *ctx, struct json_object *d)
{
	const char *k = px_request_query(ctx->req, "done");
	size_t i;

	if (px_request_query(ctx->req, "expired"))
		k = "expired";
	for (i = 0; k && i < sizeof(notices) / sizeof(notices[0]); i++)
		if (strcmp(k, notices[i][0]) == 0)
			px_web_str(d, "notice", px_webpage_tr(ctx, notices[i][1]));
}

void px_web_error(struct px_ctx *ctx, struct json_object *d, enum px_err e)
{
	px_web_str(d, "error", px_webpage_tr(ctx, px_err_message(e)));
	px_web_str(d, "error_code", px_err_name(e));
}

/* Seconds since the epoch for "YYYY-MM-DDTHH:MM:SS[.frac][+HH[:MM]]". */
static int parse_pg_time(const char *s, time_t *out)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 1;
	const char *z;

	memset(&tm, 0, sizeof(tm));
	if (!s || sscanf(s, "%4d-%2d-%2d%*c%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6)
		return -1;
	z = s + 19;
	while (*z == '.' || (*z >= '0' && *z <= '9'))
		z++;
	if (*z == '+' || *z == '-') {
		sign = *z == '-' ? -1 : 1;
		if (sscanf(z + 1, "%2d:%2d", &oh, &om) < 1)
			return -1;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = timegm(&tm) - sign * (oh * 3600 + om * 60);
	return 0;
}

int px_web_pg_epoch(const char *pg_time, long long *out)
{
	time_t t;

	if (parse_pg_time(pg_time, &t) != 0)
		return -1;
	/* the whole seconds, fraction dropped, as the models' floor() */
	*out = (long long)t;
	return 0;
}

void px_web_time(struct px_ctx *ctx, struct json_object *o, const char *key,
		 const char *pg_time)
{
	struct px_buf b = PX_BUF_INIT;
	char iso[32], k[64];
	struct tm tm;
	time_t t;

	if (parse_pg_time(pg_time, &t) != 0)
		return;
	gmtime_r(&t, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	px_web_str(o, key, iso);
	px_i18n_datetime(px_i18n_get(NULL, NULL), px_webpage_lang(ctx), t, &b);
	snprintf(k, sizeof(k), "%s_text", key);
	px_web_str(o, k, b.data);
	/* the day (for day separators) and the clock time (grouped lines) */
	iso[10] = '\0';
	snprintf(k, sizeof(k), "%s_day", key);
	px_web_str(o, k, iso);
	px_buf_reset(&b);
	px_i18n_date(px_i18n_get(NULL, NULL), px_webpage_lang(ctx), t, &b);
	snprintf(k, sizeof(k), "%s_day_text", key);
	px_web_str(o, k, b.data);
	strftime(iso, sizeof(iso), "%H:%M", &tm);
	snprintf(k, sizeof(k), "%s_hm", key);
	px_web_str(o, k, iso);
	px_buf_free(&b);
}

enum px_err px_web_done(struct px_ctx *ctx, const char *path, const char *done)
{
	struct px_buf loc = PX_BUF_INIT;
	enum px_err e;

	px_buf_puts(&loc, path);
	if (done)
		px_buf_printf(&loc, "%cdone=%s", strchr(path, '?') ? '&' : '?', done);
	e = loc.failed ? PX_E_SYSTEM_INTERNAL : px_webpage_redirect(ctx, loc.data);
	px_buf_free(&loc);
	return e;
}

void px_web_urlenc(struct px_buf *out, const char *s)
{
	px_codec_pct_encode(out, s ? s : "", s ? strlen(s) : 0, PX_CODEC_PCT_SLASH);
}

void px_web_lang_cookie(struct px_ctx *ctx, const char *lang)
{
	struct px_buf c = PX_BUF_INIT;

	if (lang && px_i18n_supported(lang))
		px_buf_printf(&c, "%s=%s; Path=/; Max-Age=31536000; SameSite=Lax%s",
			      PX_WEBPAGE_LANG_COOKIE, lang, ctx->req->https ? "; Secure" : "");
	else
		px_buf_printf(&c, "%s=; Path=/; Max-Age=0; SameSite=Lax", PX_WEBPAGE_LANG_COOKIE);
	if (!c.failed)
		px_response_header(ctx->resp, "Set-Cookie", c.data);
	px_buf_free(&c);
}

/* Whether theme is one of the themes app.css draws. */
static int theme_known(const char *theme)
{
	return theme && (strcmp(theme, "light") == 0 || strcmp(theme, "dark") == 0 ||
			 strcmp(theme, "contrast") == 0);
}

void px_web_theme_cookie(struct px_ctx *ctx, const char *theme)
{
	struct px_buf c = PX_BUF_INIT;

	if (theme_known(theme))
		px_buf_printf(&c, "%s=%s; Path=/; Max-Age=31536000; SameSite=Lax%s",
			      PX_WEBPAGE_THEME_COOKIE, theme, ctx->req->https ? "; Secure" : "");
	else
		px_buf_printf(&c, "%s=; Path=/; Max-Age=0; SameSite=Lax", PX_WEBPAGE_THEME_COOKIE);
	if (!c.failed)
		px_response_header(ctx->resp, "Set-Cookie", c.data);
	px_buf_free(&c);
}
