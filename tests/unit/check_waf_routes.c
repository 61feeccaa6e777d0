/* check_waf_routes.c: the route table and the WAF agree: every profile a
 * route row names exists in etc/waf.rules (an unknown name would silently
 * be inspected as "default"), and the WAF's admin routes are admins only
 * under the admin profile. */
#include "fcgi/router.h"
#include "perm.h"
#include "waf.h"

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

int main(void)
{
	Suite *s = suite_create("waf_routes");
	TCase *tc = tcase_create("waf_routes");

	tcase_add_test(tc, test_profiles_exist);
	tcase_add_test(tc, test_admin_waf_routes);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
