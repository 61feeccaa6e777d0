/* router.c: matches request paths against the route table's patterns.
 * Pattern segments are literal or {name[:type]}, type int (1 to 18 decimal
 * digits, no leading zero: core/path.h px_path_dec), str (any non-empty
 * segment) or slug (1 to 80 of [a-z0-9_-]). The matched parameters go to
 * a struct px_path already checked against their types. */
#include "fcgi/router.h"

#include <ctype.h>
#include <string.h>

/* Returns 1 when seg (length n) satisfies type (length tn). */
static int type_ok(const char *type, size_t tn, const char *seg, size_t n)
{
	if (n == 0)
		return 0;
	if (tn == 3 && strncmp(type, "int", 3) == 0)
		return px_path_dec(seg, n) != 0;
	if (tn == 4 && strncmp(type, "slug", 4) == 0) {
		size_t i;

		for (i = 0; i < n; i++)
			if (!islower((unsigned char)seg[i]) &&
			    !isdigit((unsigned char)seg[i]) && seg[i] != '-' &&
			    seg[i] != '_')
				return 0;
		return n <= 80;
	}
	return memchr(seg, '/', n) == NULL;
}

/* Matches path against pattern, adding parameters when params != NULL;
 * a parameter that cannot be kept (too many, out of memory) is no match. */
static int match_pattern(const char *pat, const char *path,
			 struct px_path *params)
{
	while (*pat && *path) {
		const char *pe = strchr(pat + 1, '/'), *se = strchr(path + 1, '/');
		size_t pl, sl;

		if (*pat != '/' || *path != '/')
			return 0;
		pat++;
		path++;
		pe = pe ? pe : pat + strlen(pat);
		se = se ? se : path + strlen(path);
		pl = (size_t)(pe - pat);
		sl = (size_t)(se - path);
		if (pl >= 2 && pat[0] == '{' && pat[pl - 1] == '}') {
			const char *colon = memchr(pat, ':', pl);
			const char *name = pat + 1;
			size_t nl = (colon ? (size_t)(colon - pat) : pl - 1) - 1;
			const char *type = colon ? colon + 1 : "str";
			size_t tl = colon ? (size_t)(pe - 1 - type) : 3;

			if (!type_ok(type, tl, path, sl))
				return 0;
			if (params && px_path_add(params, name, nl, path, sl) != 0)
				return 0;
		} else if (pl != sl || memcmp(pat, path, pl) != 0) {
			return 0;
		}
		pat = pe;
		path = se;
	}
	return *pat == '\0' && *path == '\0';
}

enum px_match px_router_match(const char *method, const char *path,
			      const struct px_route **out,
			      struct px_path *params, struct px_buf *allow)
{
	const struct px_route *r;
	enum px_match m = PX_MATCH_NONE;
	size_t i;

	for (i = 0; (r = px_router_route(i)); i++) {
		if (!match_pattern(r->pattern, path, NULL))
			continue;
		if (strcmp(r->method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)) {
			px_path_clear(params);
			if (!match_pattern(r->pattern, path, params))
				return PX_MATCH_NONE;
			*out = r;
			return PX_MATCH_OK;
		}
		if (allow && !strstr(allow->data ? allow->data : "", r->method)) {
			if (allow->len)
				px_buf_puts(allow, ", ");
			px_buf_puts(allow, r->method);
		}
		m = PX_MATCH_METHOD;
	}
	return m;
}
