/* check_router.c: path patterns, typed parameters, 404 vs 405. The test
 * supplies its own table through px_router_route(). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/router.h"
#include "tests/unit/run_suite.h"

static enum px_err h(struct px_ctx *ctx) { return PX_OK; }

static const struct px_route table[] = {
	{ "GET", "/api/v1/channels", h, PX_AUTH_USER, PX_ROLE_MEMBER, 0, "read", "default", NULL },
	{ "POST", "/api/v1/channels", h, PX_AUTH_USER, PX_ROLE_MEMBER, 0, "write", "default", NULL },
	{ "GET", "/api/v1/channels/{id:int}/messages/{mid:int}", h, PX_AUTH_USER, PX_ROLE_MEMBER, 0, "read", "default", NULL },
	{ "PUT", "/api/v1/channels/{id:int}/messages/{mid:int}/reactions/{emoji}", h, PX_AUTH_USER, PX_ROLE_MEMBER, 0, "write", "default", NULL },
	{ "GET", "/c/{name:slug}", h, PX_AUTH_NONE, PX_ROLE_ANON, 0, "read", "default", NULL },
};

const struct px_route *px_router_route(size_t i)
{
	return i < sizeof(table) / sizeof(table[0]) ? &table[i] : NULL;
}

static const struct {
	int line;
	const char *method, *path;
	enum px_match want;
	int route;                   /* index when OK */
	const char *param, *value;   /* one parameter to check */
	const char *allow;           /* Allow list for PX_MATCH_METHOD */
} cases[] = {
	{ __LINE__, "GET", "/api/v1/channels", PX_MATCH_OK, 0, NULL, NULL, NULL },
	{ __LINE__, "HEAD", "/api/v1/channels", PX_MATCH_OK, 0, NULL, NULL, NULL },
	{ __LINE__, "POST", "/api/v1/channels", PX_MATCH_OK, 1, NULL, NULL, NULL },
	{ __LINE__, "DELETE", "/api/v1/channels", PX_MATCH_METHOD, 0, NULL, NULL, "GET, POST" },
	{ __LINE__, "GET", "/api/v1/channels/", PX_MATCH_NONE, 0, NULL, NULL, NULL },
	{ __LINE__, "GET", "/api/v1/channels/12/messages/345", PX_MATCH_OK, 2, "mid", "345", NULL },
	{ __LINE__, "GET", "/api/v1/channels/012/messages/3", PX_MATCH_NONE, 0, NULL, NULL, NULL },
	{ __LINE__, "GET", "/api/v1/channels/x/messages/3", PX_MATCH_NONE, 0, NULL, NULL, NULL },
	{ __LINE__, "GET", "/api/v1/channels/1/messages/99999999999999999999", PX_MATCH_NONE, 0, NULL, NULL, NULL },
	{ __LINE__, "PUT", "/api/v1/channels/1/messages/2/reactions/\xf0\x9f\x91\x8d", PX_MATCH_OK, 3, "emoji", "\xf0\x9f\x91\x8d", NULL },
	{ __LINE__, "GET", "/c/general-chat", PX_MATCH_OK, 4, "name", "general-chat", NULL },
	{ __LINE__, "GET", "/c/General", PX_MATCH_NONE, 0, NULL, NULL, NULL },
	{ __LINE__, "GET", "/c/a/b", PX_MATCH_NONE, 0, NULL, NULL, NULL },
	{ __LINE__, "GET", "", PX_MATCH_NONE, 0, NULL, NULL, NULL },
};

START_TEST(test_match)
{
	struct px_kvlist params = { 0 };
	struct px_buf allow = PX_BUF_INIT;
	const struct px_route *r = NULL;
	enum px_match m = px_router_match(cases[_i].method, cases[_i].path, &r,
					  &params, &allow);

	ck_assert_msg(m == cases[_i].want, "line %d: %s %s: want %d got %d",
		      cases[_i].line, cases[_i].method, cases[_i].path,
		      cases[_i].want, m);
	if (m == PX_MATCH_OK)
		ck_assert_msg(r == &table[cases[_i].route], "line %d: wrong route",
			      cases[_i].line);
	if (cases[_i].param)
		ck_assert_str_eq(px_kvlist_get(&params, cases[_i].param), cases[_i].value);
	if (cases[_i].allow)
		ck_assert_str_eq(allow.data, cases[_i].allow);
	px_kvlist_free(&params);
	px_buf_free(&allow);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("router");
	TCase *tc = tcase_create("router");

	tcase_add_loop_test(tc, test_match, 0, sizeof(cases) / sizeof(cases[0]));
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
