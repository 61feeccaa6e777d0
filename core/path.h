/* path.h: the typed parameters of the route a request matched.
 *
 * The router (fcgi/router.c) fills ctx->path (core/ctx.h) from the
 * {name[:type]} segments of the route's pattern, after checking each
 * segment against its type; a request whose segment does not fit never
 * reaches a handler (404). Handlers read the values with
 * px_path_int(&ctx->path, "id") and px_path_str and never parse path text
 * themselves (kcgi's validated fields).
 *
 * Every parameter keeps its decoded text. Its number is set when the text
 * is a canonical decimal (PX_PATH_INT_MAX at most, no sign, no leading
 * zero), which an {x:int} parameter always is; for a str or slug parameter
 * it tells "a name or an id" references apart (a DM's /c/{channel}). */
#ifndef PX_PATH_H
#define PX_PATH_H

#include <stddef.h>
#include <stdint.h>

/* Parameters in one pattern, and the longest parameter name + 1. */
#define PX_PATH_MAX 4
#define PX_PATH_NAME_MAX 16
/* Largest int parameter: 18 digits, so that no value is near overflow. */
#define PX_PATH_INT_MAX INT64_C(999999999999999999)

struct px_path_param {
	char name[PX_PATH_NAME_MAX];
	char *text;              /* decoded segment, owned; never NULL */
	int64_t num;             /* 1..PX_PATH_INT_MAX, or 0: not a decimal */
};

/* Starts zeroed (an empty set); px_path_clear frees the texts. */
struct px_path {
	struct px_path_param p[PX_PATH_MAX];
	size_t n;
};

/* The int rule: s[0..n) is 1 to 18 decimal digits without a leading zero.
 * Returns the value (1..PX_PATH_INT_MAX), or 0 when s is anything else. */
int64_t px_path_dec(const char *s, size_t n) __attribute__((nonnull(1)));

/* Appends parameter name[0..nlen) with a copy of text[0..tlen) and its
 * number (px_path_dec). 0, or -1 when the set is full, the name is longer
 * than PX_PATH_NAME_MAX - 1 or memory ran out (p is then unchanged). */
int px_path_add(struct px_path *p, const char *name, size_t nlen,
		const char *text, size_t tlen)
	__attribute__((nonnull, warn_unused_result));
/* Frees every text and empties the set; p can be filled again. */
void px_path_clear(struct px_path *p) __attribute__((nonnull));

/* The number of parameter name: for an int parameter its value
 * (1..PX_PATH_INT_MAX, never 0 once routed); for str and slug parameters
 * the value of a canonical decimal text, else 0. 0 when the route has no
 * parameter of that name. */
int64_t px_path_int(const struct px_path *p, const char *name)
	__attribute__((nonnull));
/* The decoded text of parameter name (valid UTF-8, no '/'), owned by p and
 * valid until the parameter is set again or p is cleared; NULL when the
 * route has no parameter of that name. */
const char *px_path_str(const struct px_path *p, const char *name)
	__attribute__((nonnull));
/* Sets parameter name to v (text and number), adding it when absent, so
 * that an API handler a page calls (handlers/web_util.h px_web_call) sees
 * the resource the page resolved. The old text is freed. 0, or -1 when v
 * is outside 1..PX_PATH_INT_MAX (no route could carry it) or as
 * px_path_add. */
int px_path_set_int(struct px_path *p, const char *name, int64_t v)
	__attribute__((nonnull, warn_unused_result));

#endif
