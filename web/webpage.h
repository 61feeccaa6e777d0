/* webpage.h: how every HTML page leaves the server: the security headers
 * and Content-Security-Policy (set in one function, here), the common page
 * context (language, translated strings, signed-in user, CSRF token, asset
 * URLs), rendering through the shared template cache, redirects, and the
 * HTML error page the pipeline shows instead of JSON for browser paths. */
#ifndef PX_WEBPAGE_H
#define PX_WEBPAGE_H

#include "core/ctx.h"
#include "core/http.h"

struct json_object;

/* The Content-Security-Policy of every page: no inline script or style,
 * nothing from other origins, no framing. */
#define PX_WEBPAGE_CSP                                                        \
	"default-src 'none'; script-src 'self'; style-src 'self'; "           \
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; "         \
	"manifest-src 'self'; worker-src 'self'; form-action 'self'; "        \
	"frame-ancestors 'none'; base-uri 'none'"

/* Name of the cookie holding the chosen UI language. */
#define PX_WEBPAGE_LANG_COOKIE "px_lang"
/* The account's theme (light, dark, contrast), copied from its setting at
 * sign-in and on saving, so every page is drawn in it from the server. */
#define PX_WEBPAGE_THEME_COOKIE "px_theme"

/* Sets the headers every page carries: CSP, X-Content-Type-Options,
 * Referrer-Policy, Permissions-Policy, X-Frame-Options,
 * Cross-Origin-Opener-Policy, Cache-Control no-store, and HSTS when https. */
void px_webpage_security_headers(struct px_response *resp, int https)
	__attribute__((nonnull));

/* 1 when a failure on this request should be shown as an HTML page
 * rather than JSON: the client accepts text/html (browsers do) and the
 * path is outside /api/ and /static/. */
int px_webpage_wants_html(const struct px_request *req) __attribute__((nonnull));

/* The UI language for this request: the px_lang cookie when it names a
 * supported language, else Accept-Language. Either the cookie's value
 * (owned by the request) or a static string: valid for the request. */
const char *px_webpage_lang(const struct px_ctx *ctx) __attribute__((nonnull));
/* The theme the px_theme cookie names (a static string: "light", "dark"
 * or "contrast"), NULL for none (the system's setting counts). */
const char *px_webpage_theme(const struct px_ctx *ctx);


/* Translates msgid into the request's language (see px_i18n_gettext). */
const char *px_webpage_tr(const struct px_ctx *ctx, const char *msgid)
	__attribute__((nonnull));

/* Renders template `name` (e.g. "page/login") with data, which it takes
 * ownership of (NULL = an empty object), after adding the common keys:
 * lang, t (every ui_strings.def text translated), me (when signed in),
 * csrf, asset (css, js, icon, manifest URLs) and path. Sets the status,
 * text/html and the security headers. Errors: SYSTEM_INTERNAL when the
 * template fails (logged with its reason) or memory runs out. */
enum px_err px_webpage_render(struct px_ctx *ctx, int status, const char *name,
			      struct json_object *data)
	__attribute__((nonnull(1, 3), warn_unused_result));

/* Replies 303 See Other to location, which must be a local path; any
 * other value (absolute URL, "//host", control bytes, backslash, NULL)
 * redirects to "/" instead, so user-supplied "next" values cannot leave
 * the site. */
enum px_err px_webpage_redirect(struct px_ctx *ctx, const char *location)
	__attribute__((nonnull(1)));

/* 1 when s is a safe local redirect target: read as a browser reads a
 * URL (WHATWG: leading/trailing C0 controls and spaces stripped, tab and
 * newlines removed, backslash as slash) it is a path on this origin, one
 * '/' not followed by another, and that reading is s itself (no control
 * bytes, no backslash, no surrounding space). At most 1999 bytes. */
int px_webpage_local_path(const char *s);

/* Writes the HTML answer for error e (called by the pipeline's error
 * step): a redirect to /login for a missing or expired session on GET,
 * otherwise a page naming what happened in plain words, with the
 * correlation id. Returns -1 when the page could not be rendered (the
 * caller then writes the JSON error). */
int px_webpage_error(struct px_ctx *ctx, enum px_err e) __attribute__((nonnull));

#endif
