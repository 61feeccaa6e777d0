/* check_perm.c: the permission table, token scopes, role management rules,
 * and the real route table's policy columns kept in step with the table
 * and its typed parameters within what a px_path holds. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/perm.h"
#include "fcgi/router.h"
#include "tests/unit/run_suite.h"

#define A PX_ROLE_ANON
#define G PX_ROLE_GUEST
#define M PX_ROLE_MEMBER
#define MO PX_ROLE_MODERATOR
#define AD PX_ROLE_ADMIN
#define O PX_ROLE_OWNER

static const struct {
	int line;
	const char *action;
	int allowed[6]; /* anon, guest, member, moderator, admin, owner */
} matrix[] = {
	{ __LINE__, "auth.session", { 0, 1, 1, 1, 1, 1 } },
	{ __LINE__, "tokens.manage", { 0, 0, 1, 1, 1, 1 } },
	{ __LINE__, "users.read", { 0, 1, 1, 1, 1, 1 } },
	{ __LINE__, "admin.users.manage", { 0, 0, 0, 0, 1, 1 } },
	{ __LINE__, "admin.invites", { 0, 0, 0, 0, 1, 1 } },
	{ __LINE__, "message.delete_any", { 0, 0, 0, 1, 1, 1 } },
	{ __LINE__, "message.post", { 0, 0, 0, 0, 0, 0 } }, /* channel role decides */
	{ __LINE__, "no.such.action", { 0, 0, 0, 0, 0, 0 } },
};

START_TEST(test_matrix)
{
	size_t i;
	int r;

	for (i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++)
		for (r = A; r <= O; r++)
			ck_assert_msg(px_perm_allowed((enum px_role)r, matrix[i].action) ==
					      matrix[i].allowed[r],
				      "line %d: %s as %s: want %d", matrix[i].line,
				      matrix[i].action, px_perm_role_name((enum px_role)r),
				      matrix[i].allowed[r]);
	ck_assert_int_eq(px_perm_allowed(M, NULL), 0);
}
END_TEST

START_TEST(test_channel_roles)
{
	ck_assert(px_perm_channel_allowed(M, PX_CHAN_MEMBER, "message.post"));
	ck_assert(!px_perm_channel_allowed(M, PX_CHAN_NONE, "message.post"));
	ck_assert(!px_perm_channel_allowed(A, PX_CHAN_MEMBER, "message.post"));
	ck_assert(px_perm_channel_allowed(M, PX_CHAN_MODERATOR, "message.delete_any"));
	ck_assert(!px_perm_channel_allowed(M, PX_CHAN_MEMBER, "message.delete_any"));
	ck_assert(px_perm_channel_allowed(MO, PX_CHAN_NONE, "message.delete_any"));
	ck_assert(px_perm_channel_allowed(AD, PX_CHAN_NONE, "channel.manage"));
	ck_assert(!px_perm_channel_allowed(M, PX_CHAN_MODERATOR, "channel.manage"));
	ck_assert(px_perm_channel_allowed(G, PX_CHAN_OWNER, "channel.manage"));
}
END_TEST

START_TEST(test_scopes)
{
	struct px_principal p;
	struct px_buf b = PX_BUF_INIT;

	memset(&p, 0, sizeof(p));
	p.role = PX_ROLE_ADMIN;
	p.scopes = PX_SCOPE_READ;
	ck_assert(px_perm_principal_allowed(&p, "users.read"));
	ck_assert(!px_perm_principal_allowed(&p, "users.update_self"));
	ck_assert(!px_perm_principal_allowed(&p, "admin.users.read"));
	ck_assert(!px_perm_principal_allowed(&p, "auth.account")); /* never for tokens */
	p.scopes = PX_SCOPE_READ | PX_SCOPE_WRITE | PX_SCOPE_ADMIN;
	ck_assert(px_perm_principal_allowed(&p, "admin.users.read"));
	ck_assert(!px_perm_principal_allowed(&p, "tokens.manage"));
	p.scopes = PX_SCOPE_ALL;
	ck_assert(px_perm_principal_allowed(&p, "tokens.manage"));
	ck_assert_int_eq(px_perm_scopes_parse("read, write"), PX_SCOPE_READ | PX_SCOPE_WRITE);
	ck_assert_int_eq(px_perm_scopes_parse("read,bogus"), -1);
	px_perm_scopes_format(PX_SCOPE_READ | PX_SCOPE_ADMIN, &b);
	ck_assert_str_eq(b.data, "read,admin");
	px_buf_free(&b);
}
END_TEST

START_TEST(test_manage)
{
	ck_assert(px_perm_can_manage(O, AD, O));
	ck_assert(px_perm_can_manage(AD, M, MO));
	ck_assert(!px_perm_can_manage(AD, M, AD));
	ck_assert(!px_perm_can_manage(AD, AD, M));
	ck_assert(!px_perm_can_manage(MO, G, M));
	ck_assert_int_eq(px_perm_role_parse("moderator"), MO);
	ck_assert_int_eq(px_perm_role_parse("anonymous"), -1);
	ck_assert_int_eq(px_perm_role_parse("root"), -1);
}
END_TEST

/* Every route naming an action names a known one, and its min_role is the
 * lowest role the table admits, so the two columns cannot drift apart. */
START_TEST(test_routes_follow_table)
{
	const struct px_route *r;
	size_t i;
	int n = 0;

	for (i = 0; (r = px_router_route(i)); i++) {
		if (!r->action)
			continue;
		ck_assert_msg(px_perm_min_role(r->action) <= O, "%s %s: unknown action %s",
			      r->method, r->pattern, r->action);
		ck_assert_msg((int)r->min_role == px_perm_min_role(r->action),
			      "%s %s: min_role %d but %s admits %d", r->method, r->pattern,
			      r->min_role, r->action, px_perm_min_role(r->action));
		n++;
	}
	ck_assert_int_ge(n, 20);
	for (i = 0; px_perm_action((unsigned)i); i++)
		ck_assert(px_perm_min_role(px_perm_action((unsigned)i)) >= G);
}
END_TEST

/* Every row is reachable and its typed parameters fit a px_path: a path
 * made from the pattern with "1" for each parameter finds that very row,
 * with each parameter's text and number. */
START_TEST(test_routes_params_fit)
{
	const struct px_route *r, *got;
	size_t i;

	for (i = 0; (r = px_router_route(i)); i++) {
		struct px_buf path = PX_BUF_INIT;
		struct px_path params = { 0 };
		const char *p = r->pattern, *open, *close;
		size_t k, n = 0;

		while ((open = strchr(p, '{')) && (close = strchr(open, '}'))) {
			px_buf_append(&path, p, (size_t)(open - p));
			px_buf_putc(&path, '1');
			p = close + 1;
			n++;
		}
		px_buf_puts(&path, p);
		got = NULL;
		ck_assert_msg(px_router_match(r->method, path.data, &got, &params, NULL) ==
				      PX_MATCH_OK && got == r,
			      "%s %s: %s finds %s", r->method, r->pattern, path.data,
			      got ? got->pattern : "nothing");
		ck_assert_msg(params.n == n, "%s %s: %zu parameters kept of %zu", r->method,
			      r->pattern, params.n, n);
		for (k = 0; k < params.n; k++) {
			ck_assert_str_eq(px_path_str(&params, params.p[k].name), "1");
			ck_assert_int_eq(px_path_int(&params, params.p[k].name), 1);
		}
		px_path_clear(&params);
		px_buf_free(&path);
	}
}
END_TEST

/* With PX_DUMP_ROUTES set, prints the route table (method, pattern, auth,
 * min_role, action) as tab-separated lines for the role-matrix test. */
static int dump_routes(void)
{
	const struct px_route *r;
	size_t i;

	for (i = 0; (r = px_router_route(i)); i++)
		printf("%s\t%s\t%d\t%d\t%s\n", r->method, r->pattern, (int)r->auth,
		       (int)r->min_role, r->action ? r->action : "-");
	return 0;
}

int main(void)
{
	Suite *s;
	TCase *tc;

	if (getenv("PX_DUMP_ROUTES"))
		return dump_routes();
	s = suite_create("perm");
	tc = tcase_create("perm");
	tcase_add_test(tc, test_matrix);
	tcase_add_test(tc, test_channel_roles);
	tcase_add_test(tc, test_scopes);
	tcase_add_test(tc, test_manage);
	tcase_add_test(tc, test_routes_follow_table);
	tcase_add_test(tc, test_routes_params_fit);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
