/* check_waf_routes.c: the route table and the WAF agree: every profile a
 * route row names exists in etc/waf.rules (an unknown name would silently
 * be inspected as "default"), and the WAF's admin routes are admins only
 * under the admin profile. */
#include "fcgi/router.h"
#include "auth/perm.h"
#include "waf/waf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/unit/run_suite.h"

static struct px_waf *load(void)
{
	struct px_buf err = PX_BUF_INIT;
	struct px_waf *waf = NULL;
	char path[1024];

	snprintf(path, sizeof(path), "%s/etc/waf.rules", PX_SRCDIR);
	ck_assert_msg(px_waf_load(path, &waf, &err) == 0, "%s", err.data ? err.data : "");
	px_buf_free(&err);
	return waf;
}

START_TEST(test_profiles_exist)
{
	struct px_waf *waf = load();
	const struct px_route *r;
	size_t i;

	for (i = 0; (r = px_router_route(i)); i++)
		ck_assert_msg(r->waf_profile && px_waf_has_profile(waf, r->waf_profile),
			      "%s %s: WAF profile '%s' is not in etc/waf.rules", r->method,
			      r->pattern, r->waf_profile ? r->waf_profile : "(null)");
	ck_assert(!px_waf_has_profile(waf, "mesage"));
	ck_assert(px_waf_has_profile(waf, "default"));
	px_waf_free(waf);
}
END_TEST

START_TEST(test_admin_waf_routes)
{
	const struct px_route *r;
	size_t i;
	int n = 0;

	for (i = 0; (r = px_router_route(i)); i++) {
		if (strncmp(r->pattern, "/api/v1/admin/waf/", 18) != 0)
			continue;
		n++;
		ck_assert_msg(r->auth == PX_AUTH_USER && r->min_role == PX_ROLE_ADMIN &&
				      strcmp(r->waf_profile, "admin") == 0 && r->action &&
				      strncmp(r->action, "admin.waf.", 10) == 0,
			      "%s %s: not admins-only under the admin profile", r->method, r->pattern);
		ck_assert(!px_perm_allowed(PX_ROLE_MODERATOR, r->action));
		ck_assert(px_perm_allowed(PX_ROLE_ADMIN, r->action));
	}
	ck_assert_int_eq(n, 8);
}
END_TEST

/* A path the WAF pattern stands for, '*' becoming "1"; for a trailing
 * "**" only the prefix before it is written and 1 is returned. */
static int sample_path(const char *pat, char *out, size_t size)
{
	size_t n = 0;

	for (; *pat && n + 2 < size; pat++) {
		if (pat[0] == '*' && pat[1] == '*') {
			out[n] = '\0';
			return 1;
		}
		out[n++] = *pat == '*' ? '1' : *pat;
	}
	out[n] = '\0';
	return 0;
}

/* Static files are served by the web server from static/, not routed. */
static int static_file(const char *path)
{
	static const char *const files[] = { "/favicon.ico", "/robots.txt",
					     "/manifest.webmanifest", "/sw.js" };
	size_t i;

	if (strncmp(path, "/static/", 8) == 0)
		return 1;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (strcmp(path, files[i]) == 0)
			return 1;
	return 0;
}

/* Whether a route with one of the row's methods serves path. */
static int routed(const char *methods, const char *path)
{
	static const char *const any[] = { "GET", "POST", "PUT", "PATCH", "DELETE", NULL };
	static const char *const write[] = { "POST", "PUT", "PATCH", NULL };
	const char *one[2] = { methods, NULL };
	const char *const *m = strcmp(methods, "*") == 0 ? any
			     : strcmp(methods, "W") == 0 ? write : one;
	const struct px_route *r;
	int ok = 0;

	for (; *m && !ok; m++) {
		struct px_path params = { 0 };
		struct px_buf allow = PX_BUF_INIT;

		ok = px_router_match(*m, path, &r, &params, &allow) == PX_MATCH_OK;
		px_path_clear(&params);
		px_buf_free(&allow);
	}
	return ok;
}

/* Whether some route's pattern starts with prefix. */
static int routed_under(const char *prefix)
{
	const struct px_route *r;
	size_t i;

	for (i = 0; (r = px_router_route(i)); i++)
		if (strncmp(r->pattern, prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

/* Every row of the WAF's path classifier guards a route that exists (a
 * row for a route nobody serves inflates the WAF's scores with 404s). */
START_TEST(test_path_rows_name_routes)
{
	const char *methods, *pattern, *profile;
	struct px_buf bad = PX_BUF_INIT;
	char path[256];
	size_t i;

	for (i = 0; px_waf_path_row(i, &methods, &pattern, &profile) == 0; i++) {
		int prefix = sample_path(pattern, path, sizeof(path));

		if (static_file(path) || (prefix ? routed_under(path) : routed(methods, path)))
			continue;
		px_buf_printf(&bad, "\n  %s %s (%s): no route serves it", methods, pattern,
			      profile);
	}
	ck_assert_uint_gt(i, 10);
	ck_assert_msg(bad.len == 0, "WAF path rows without a route:%s", bad.data);
	px_buf_free(&bad);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("waf_routes");
	TCase *tc = tcase_create("waf_routes");

	tcase_add_test(tc, test_profiles_exist);
	tcase_add_test(tc, test_admin_waf_routes);
	tcase_add_test(tc, test_path_rows_name_routes);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
