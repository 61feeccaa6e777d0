/* check_router.c: path patterns, typed parameters (core/path.h), 404 vs
 * 405. The test supplies its own table through px_router_route(). */
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
	{ "PUT", "/api/v1/channels/{id:int}/members/{user}", h, PX_AUTH_USER, PX_ROLE_MEMBER, 0, "write", "default", NULL },
	{ "GET", "/x/{a}/{b}/{c}/{d}/{e}", h, PX_AUTH_NONE, PX_ROLE_ANON, 0, "read", "default", NULL },
	{ "GET", "/y/{a_name_far_too_long}", h, PX_AUTH_NONE, PX_ROLE_ANON, 0, "read", "default", NULL },
};

const struct px_route *px_router_route(size_t i)
{
	return i < sizeof(table) / sizeof(table[0]) ? &table[i] : NULL;
}

#define A10 "aaaaaaaaaa"
#define A80 A10 A10 A10 A10 A10 A10 A10 A10

static const struct {
	int line;
	const char *method, *path;
	enum px_match want;
	int route;                   /* index when OK */
	const char *param, *value;   /* one parameter to check: its text */
	int64_t num;                 /*   and its number (px_path_int) */
	const char *allow;           /* Allow list for PX_MATCH_METHOD */
} cases[] = {
	{ __LINE__, "GET", "/api/v1/channels", PX_MATCH_OK, 0, NULL, NULL, 0, NULL },
	{ __LINE__, "HEAD", "/api/v1/channels", PX_MATCH_OK, 0, NULL, NULL, 0, NULL },
	{ __LINE__, "POST", "/api/v1/channels", PX_MATCH_OK, 1, NULL, NULL, 0, NULL },
	{ __LINE__, "DELETE", "/api/v1/channels", PX_MATCH_METHOD, 0, NULL, NULL, 0, "GET, POST" },
	{ __LINE__, "GET", "/api/v1/channels/", PX_MATCH_NONE, 0, NULL, NULL, 0, NULL },
	/* int: parsed once by the router */
	{ __LINE__, "GET", "/api/v1/channels/12/messages/345", PX_MATCH_OK, 2, "mid", "345", 345, NULL },
	{ __LINE__, "GET", "/api/v1/channels/12/messages/345", PX_MATCH_OK, 2, "id", "12", 12, NULL },
	{ __LINE__, "GET", "/api/v1/channels/1/messages/999999999999999999", PX_MATCH_OK, 2, "mid",
	  "999999999999999999", INT64_C(999999999999999999), NULL },
	/* int: leading zero, zero, sign, non-digit, 19 digits and more: no route */
	{ __LINE__, "GET", "/api/v1/channels/012/messages/3", PX_MATCH_NONE, 0, NULL, NULL, 0, NULL },
	{ __LINE__, "GET", "/api/v1/channels/0/messages/3", PX_MATCH_NONE, 0, NULL, NULL, 0, NULL },
	{ __LINE__, "GET", "/api/v1/channels/-1/messages/3", PX_MATCH_NONE, 0, NULL, NULL, 0, NULL },
	{ __LINE__, "GET", "/api/v1/channels/+1/messages/3", PX_MATCH_NONE, 0, NULL, NULL, 0, NULL },
	{ __LINE__, "GET", "/api/v1/channels/x/messages/3", PX_MATCH_NONE, 0, NULL, NULL, 0, NULL },
	{ __LINE__, "GET", "/api/v1/channels/1x/messages/3", PX_MATCH_NONE, 0, NULL, NULL, 0, NULL },
	{ __LINE__, "GET", "/api/v1/channels/1/messages/1000000000000000000", PX_MATCH_NONE, 0, NULL, NULL, 0, NULL },
	{ __LINE__, "GET", "/api/v1/channels/1/messages/99999999999999999999", PX_MATCH_NONE, 0, NULL, NULL, 0, NULL },
	/* str: any segment; a number only when it is written as an int */
	{ __LINE__, "PUT", "/api/v1/channels/1/messages/2/reactions/\xf0\x9f\x91\x8d", PX_MATCH_OK, 3, "emoji", "\xf0\x9f\x91\x8d", 0, NULL },
	{ __LINE__, "PUT", "/api/v1/channels/1/members/alice", PX_MATCH_OK, 5, "user", "alice", 0, NULL },
	{ __LINE__, "PUT", "/api/v1/channels/1/members/42", PX_MATCH_OK, 5, "user", "42", 42, NULL },
	{ __LINE__, "PUT", "/api/v1/channels/1/members/042", PX_MATCH_OK, 5, "user", "042", 0, NULL },
	{ __LINE__, "PUT", "/api/v1/channels/1/members/", PX_MATCH_NONE, 0, NULL, NULL, 0, NULL },
	/* slug: lower-case letters, digits, '-' and '_', 1 to 80 */
	{ __LINE__, "GET", "/c/general-chat", PX_MATCH_OK, 4, "name", "general-chat", 0, NULL },
	{ __LINE__, "GET", "/c/7", PX_MATCH_OK, 4, "name", "7", 7, NULL },
	{ __LINE__, "GET", "/c/General", PX_MATCH_NONE, 0, NULL, NULL, 0, NULL },
	{ __LINE__, "GET", "/c/a.b", PX_MATCH_NONE, 0, NULL, NULL, 0, NULL },
	{ __LINE__, "GET", "/c/" A80, PX_MATCH_OK, 4, "name", A80, 0, NULL },
	{ __LINE__, "GET", "/c/" A80 "a", PX_MATCH_NONE, 0, NULL, NULL, 0, NULL },
	{ __LINE__, "GET", "/c/a/b", PX_MATCH_NONE, 0, NULL, NULL, 0, NULL },
	{ __LINE__, "GET", "", PX_MATCH_NONE, 0, NULL, NULL, 0, NULL },
	/* a pattern whose parameters do not fit a px_path never matches */
	{ __LINE__, "GET", "/x/1/2/3/4/5", PX_MATCH_NONE, 0, NULL, NULL, 0, NULL },
	{ __LINE__, "GET", "/y/1", PX_MATCH_NONE, 0, NULL, NULL, 0, NULL },
};

START_TEST(test_match)
{
	struct px_path params = { 0 };
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
	if (cases[_i].param) {
		ck_assert_str_eq(px_path_str(&params, cases[_i].param), cases[_i].value);
		ck_assert_msg(px_path_int(&params, cases[_i].param) == cases[_i].num,
			      "line %d: %s: want %lld got %lld", cases[_i].line,
			      cases[_i].param, (long long)cases[_i].num,
			      (long long)px_path_int(&params, cases[_i].param));
	}
	if (cases[_i].allow)
		ck_assert_str_eq(allow.data, cases[_i].allow);
	px_path_clear(&params);
	px_buf_free(&allow);
}
END_TEST

/* A name the route does not have: no text, number 0. */
START_TEST(test_missing_name)
{
	struct px_path params = { 0 };
	const struct px_route *r = NULL;

	ck_assert_int_eq(px_router_match("GET", "/api/v1/channels/5/messages/6", &r,
					 &params, NULL), PX_MATCH_OK);
	ck_assert_int_eq(params.n, 2);
	ck_assert_ptr_null(px_path_str(&params, "user"));
	ck_assert_int_eq(px_path_int(&params, "user"), 0);
	ck_assert_ptr_null(px_path_str(&params, "i"));
	ck_assert_int_eq(px_path_int(&params, "midx"), 0);
	px_path_clear(&params);
	ck_assert_int_eq(params.n, 0);
	ck_assert_ptr_null(px_path_str(&params, "id"));
	/* a route without parameters leaves none from the last match */
	ck_assert_int_eq(px_router_match("GET", "/api/v1/channels/5/messages/6", &r,
					 &params, NULL), PX_MATCH_OK);
	ck_assert_int_eq(px_router_match("GET", "/api/v1/channels", &r, &params, NULL),
			 PX_MATCH_OK);
	ck_assert_int_eq(params.n, 0);
	px_path_clear(&params);
}
END_TEST

/* What a page does before calling an API handler: set {id}. */
START_TEST(test_set_int)
{
	struct px_path p = { 0 };

	ck_assert_int_eq(px_path_add(&p, "channel", 7, "general", 7), 0);
	ck_assert_int_eq(px_path_set_int(&p, "id", 42), 0);
	ck_assert_int_eq(px_path_int(&p, "id"), 42);
	ck_assert_str_eq(px_path_str(&p, "id"), "42");
	ck_assert_int_eq(px_path_set_int(&p, "id", INT64_C(999999999999999999)), 0);
	ck_assert_str_eq(px_path_str(&p, "id"), "999999999999999999");
	ck_assert_int_eq(p.n, 2);
	/* values no route could carry are refused, the old one stays */
	ck_assert_int_eq(px_path_set_int(&p, "id", 0), -1);
	ck_assert_int_eq(px_path_set_int(&p, "id", -3), -1);
	ck_assert_int_eq(px_path_set_int(&p, "id", INT64_C(1000000000000000000)), -1);
	ck_assert_int_eq(px_path_int(&p, "id"), INT64_C(999999999999999999));
	ck_assert_str_eq(px_path_str(&p, "channel"), "general");
	ck_assert_int_eq(px_path_int(&p, "channel"), 0);
	px_path_clear(&p);
}
END_TEST

static const struct {
	int line;
	const char *s;
	int64_t want;
} dec_cases[] = {
	{ __LINE__, "1", 1 },
	{ __LINE__, "9", 9 },
	{ __LINE__, "10", 10 },
	{ __LINE__, "123456789012345678", INT64_C(123456789012345678) },
	{ __LINE__, "999999999999999999", INT64_C(999999999999999999) },
	{ __LINE__, "1000000000000000000", 0 },
	{ __LINE__, "9223372036854775807", 0 },
	{ __LINE__, "9223372036854775808", 0 },
	{ __LINE__, "", 0 },
	{ __LINE__, "0", 0 },
	{ __LINE__, "00", 0 },
	{ __LINE__, "01", 0 },
	{ __LINE__, "-1", 0 },
	{ __LINE__, "+1", 0 },
	{ __LINE__, " 1", 0 },
	{ __LINE__, "1 ", 0 },
	{ __LINE__, "1e3", 0 },
	{ __LINE__, "0x1f", 0 },
	{ __LINE__, "\xd9\xa3", 0 }, /* ARABIC-INDIC DIGIT THREE */
};

START_TEST(test_dec)
{
	int64_t got = px_path_dec(dec_cases[_i].s, strlen(dec_cases[_i].s));

	ck_assert_msg(got == dec_cases[_i].want, "line %d: \"%s\": want %lld got %lld",
		      dec_cases[_i].line, dec_cases[_i].s,
		      (long long)dec_cases[_i].want, (long long)got);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("router");
	TCase *tc = tcase_create("router");

	tcase_add_loop_test(tc, test_match, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_missing_name);
	tcase_add_test(tc, test_set_int);
	tcase_add_loop_test(tc, test_dec, 0, sizeof(dec_cases) / sizeof(dec_cases[0]));
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
