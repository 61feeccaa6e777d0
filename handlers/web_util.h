/* web_util.h: what every page handler shares: rendering with the form
 * token, the anonymous forms' token, calling an API handler from a page,
 * JSON from the model, the user's channels, times, and notices carried
 * across a redirect. */
#ifndef PX_H_WEB_UTIL_H
#define PX_H_WEB_UTIL_H

#include "core/buf.h"
#include "core/ctx.h"

struct json_object;

/* Name of the cookie that carries the anonymous forms' token seed. */
#define PX_WEB_PRE_COOKIE "px_pre"

/* px_webpage_render() after adding "csrf" (px_web_form_token) and
 * "title" when title is not NULL (translated). Takes ownership of d
 * (NULL = empty object). */
enum px_err px_web_render(struct px_ctx *ctx, int status, const char *name,
			  const char *title, struct json_object *d)
	__attribute__((warn_unused_result));

/* The token every form carries as csrf_token: the session's CSRF token when
 * signed in; otherwise an HMAC of a random per-browser seed kept in the
 * px_pre cookie (set here when missing), so that anonymous forms (sign-in,
 * registration) cannot be posted from another site either. */
void px_web_form_token(struct px_ctx *ctx, struct px_buf *out);

/* 1 when the posted csrf_token matches px_web_form_token of this browser
 * (used by the anonymous form handlers; the pipeline checks signed-in
 * ones). */
int px_web_form_token_valid(struct px_ctx *ctx);

/* The urlencoded form field name, or NULL. */
const char *px_web_form(const struct px_ctx *ctx, const char *name);

/* Runs the API handler fn for this request (the same route parameters
 * and form fields), then parses its JSON answer into *out (may be NULL:
 * the answer is dropped; *out is NULL when it had no JSON body) and
 * clears the response for the page, keeping only the Set-Cookie lines it
 * wrote. Returns fn's error; the caller owns *out. */
enum px_err px_web_call(struct px_ctx *ctx, px_handler_fn fn, struct json_object **out)
	__attribute__((warn_unused_result));

/* Same, keeping the answer's body as text (e.g. Prometheus metrics). */
enum px_err px_web_call_text(struct px_ctx *ctx, px_handler_fn fn, struct px_buf *text)
	__attribute__((warn_unused_result));

/* Replaces the value of form field name (adding it when absent), so that
 * an API handler called through px_web_call sees it (route parameters:
 * core/path.h px_path_set_int). The old value is freed: pointers to it
 * must be read again. 0, or -1 when out of memory. */
int px_web_set_form(struct px_ctx *ctx, const char *name, const char *value);
/* Removes every form field called name. */
void px_web_drop_form(struct px_ctx *ctx, const char *name);

/* Parses JSON text that a model function produced; NULL on bad input. */
struct json_object *px_web_json(const struct px_buf *b);

/* Typed members of a JSON object: 0 / NULL when absent or null. */
long long px_web_int(struct json_object *o, const char *key);
const char *px_web_get(struct json_object *o, const char *key);
int px_web_bool(struct json_object *o, const char *key);

/* The signed-in user's channels (model JSON array, with unread and
 * mention counts) into *mine; the caller puts it. */
enum px_err px_web_mine(struct px_ctx *ctx, struct json_object **mine)
	__attribute__((warn_unused_result));

/* Adds "notice" with the translated text for the ?done= key of a
 * redirect (saved, signed_out, ...); unknown keys add nothing. */
void px_web_notice(struct px_ctx *ctx, struct json_object *d);

/* Adds "error" with the translated message of e (plus a field hint from
 * the error details when there is one). */
void px_web_error(struct px_ctx *ctx, struct json_object *d, enum px_err e);

/* Sets the px_lang cookie to lang (a supported language), or removes it
 * (NULL or anything else). */
void px_web_lang_cookie(struct px_ctx *ctx, const char *lang);
/* Sets the px_theme cookie to theme ("light", "dark", "contrast"), or
 * removes it (NULL, "" or anything else). */
void px_web_theme_cookie(struct px_ctx *ctx, const char *theme);

/* Appends s (NULL: nothing) percent-encoded for a query value, '/' kept:
 * px_codec_pct_encode with PX_CODEC_PCT_SLASH. */
void px_web_urlenc(struct px_buf *out, const char *s);

/* Adds a string member (NULL becomes ""). */
void px_web_str(struct json_object *o, const char *key, const char *val);

/* Adds key (ISO 8601, for <time datetime>) and key_text (the local date
 * pattern of the page's language) for a PostgreSQL timestamp string, and
 * key_day (YYYY-MM-DD), key_day_text (the day in the page's language) and
 * key_hm (HH:MM), all UTC. */
void px_web_time(struct px_ctx *ctx, struct json_object *o, const char *key,
		 const char *pg_time);
/* The Unix seconds of a PostgreSQL timestamp string, the fraction dropped
 * as the models' mtime drops it (floor: a Last-Modified is never later than
 * the moment, and Apache answers one in the future with the request's
 * time instead). -1 when pg_time is not one. */
int px_web_pg_epoch(const char *pg_time, long long *out) __attribute__((warn_unused_result));

/* The 303 redirect after a successful form post: to path plus
 * "?done=<done>" when done is not NULL. */
enum px_err px_web_done(struct px_ctx *ctx, const char *path, const char *done);

#endif
