/* check_http.c: query, cookie and body parsers, numbers in client text,
 * and the error writer. */
#include <check.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/http.h"
#include "tests/unit/run_suite.h"

static const struct {
	int line;
	const char *in;
	enum px_err want;
	const char *name, *value; /* first pair when want == PX_OK */
} query_cases[] = {
	{ __LINE__, "a=1&b=2", PX_OK, "a", "1" },
	{ __LINE__, "q=hello+world%21", PX_OK, "q", "hello world!" },
	{ __LINE__, "q=%E2%9C%93", PX_OK, "q", "\xe2\x9c\x93" },
	{ __LINE__, "flag", PX_OK, "flag", "" },
	{ __LINE__, "&&a=1", PX_OK, "a", "1" },
	{ __LINE__, "a=%zz", PX_E_VALIDATION_INVALID_ENCODING, NULL, NULL },
	{ __LINE__, "a=%4", PX_E_VALIDATION_INVALID_ENCODING, NULL, NULL },
	{ __LINE__, "a=%00", PX_E_VALIDATION_INVALID_ENCODING, NULL, NULL },
	{ __LINE__, "a=%C0%AE", PX_E_VALIDATION_INVALID_ENCODING, NULL, NULL },
	{ __LINE__, "a=%ff", PX_E_VALIDATION_INVALID_ENCODING, NULL, NULL },
	{ __LINE__, "=x", PX_E_VALIDATION_MALFORMED_QUERY, NULL, NULL },
};

START_TEST(test_query)
{
	struct px_kvlist l = { 0 };
	enum px_err got;

	got = px_parse_urlencoded(query_cases[_i].in,
				  strlen(query_cases[_i].in), &l);
	ck_assert_msg(got == query_cases[_i].want,
		      "line %d: %s: want %s got %s", query_cases[_i].line,
		      query_cases[_i].in, px_err_name(query_cases[_i].want),
		      px_err_name(got));
	if (got == PX_OK) {
		ck_assert_str_eq(l.items[0].name, query_cases[_i].name);
		ck_assert_str_eq(l.items[0].value, query_cases[_i].value);
	}
	px_kvlist_free(&l);
}
END_TEST

START_TEST(test_too_many_params)
{
	struct px_buf b = PX_BUF_INIT;
	struct px_kvlist l = { 0 };
	int i;

	for (i = 0; i < PX_MAX_PARAMS + 5; i++)
		px_buf_printf(&b, "p%d=1&", i);
	ck_assert_int_eq(px_parse_urlencoded(b.data, b.len, &l),
			 PX_E_VALIDATION_MALFORMED_QUERY);
	px_kvlist_free(&l);
	px_buf_free(&b);
}
END_TEST

START_TEST(test_cookies)
{
	struct px_kvlist l = { 0 };

	ck_assert_int_eq(px_parse_cookies("a=1; b=\"two\";bad; =x; c=3 ", &l), PX_OK);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(px_kvlist_get(&l, "b"), "two");
	ck_assert_str_eq(px_kvlist_get(&l, "c"), "3");
	px_kvlist_free(&l);
}
END_TEST

static enum px_err parse_json(const char *s)
{
	struct px_request r;
	enum px_err e;

	px_request_init(&r);
	r.body = strdup(s);
	r.body_len = strlen(s);
	r.content_type = strdup("application/json; charset=utf-8");
	e = px_parse_body(&r);
	px_request_clear(&r);
	return e;
}

START_TEST(test_json)
{
	struct px_buf deep = PX_BUF_INIT;
	int i;

	ck_assert_int_eq(parse_json("{\"a\":[1,2,{\"b\":null}]}"), PX_OK);
	ck_assert_int_eq(parse_json("{\"a\":1"), PX_E_VALIDATION_INVALID_JSON);
	ck_assert_int_eq(parse_json("{\"a\":1} trailing"), PX_E_VALIDATION_INVALID_JSON);
	ck_assert_int_eq(parse_json("\"\xff\""), PX_E_VALIDATION_INVALID_JSON);
	for (i = 0; i < 10000; i++)
		px_buf_putc(&deep, '[');
	ck_assert_int_eq(parse_json(deep.data), PX_E_VALIDATION_INVALID_JSON);
	px_buf_free(&deep);
}
END_TEST

START_TEST(test_error_payload)
{
	struct px_response w;
	struct json_object *o, *v;

	px_response_init(&w);
	px_response_error(&w, PX_E_VALIDATION_PAYLOAD_TOO_LARGE,
			  "{\"limit\":10}", "abc123");
	ck_assert_int_eq(w.status, 413);
	o = json_tokener_parse(w.body.data);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "error_code", &v));
	ck_assert_str_eq(json_object_get_string(v), "VALIDATION_PAYLOAD_TOO_LARGE");
	ck_assert(json_object_object_get_ex(o, "http_status", &v));
	ck_assert_int_eq(json_object_get_int(v), 413);
	ck_assert(json_object_object_get_ex(o, "details", &v));
	ck_assert(json_object_object_get_ex(o, "correlation_id", &v));
	ck_assert_str_eq(json_object_get_string(v), "abc123");
	ck_assert(json_object_object_get_ex(o, "message", &v));
	json_object_put(o);
	ck_assert_int_eq(px_response_header(&w, "X-Evil", "a\r\nSet-Cookie: x"), -1);
	px_response_clear(&w);
}
END_TEST

START_TEST(test_buf_escapes)
{
	struct px_buf b = PX_BUF_INIT;

	px_buf_json_str(&b, "a\"\n\x01\xff", 5);
	ck_assert_str_eq(b.data, "\"a\\\"\\n\\u0001\xef\xbf\xbd\"");
	px_buf_reset(&b);
	px_buf_html(&b, "<a href='x'>&</a>", 17);
	ck_assert_str_eq(b.data, "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
	px_buf_free(&b);
}
END_TEST

static const struct {
	int line;
	const char *s;
	long long min, max;
	int ok;
	long long want;
} int_cases[] = {
	{ __LINE__, "50", 1, 200, 1, 50 },
	{ __LINE__, "1", 1, 200, 1, 1 },
	{ __LINE__, "200", 1, 200, 1, 200 },
	{ __LINE__, "007", 1, 200, 1, 7 },
	{ __LINE__, "-3", -5, 5, 1, -3 },
	{ __LINE__, "9223372036854775807", 1, LLONG_MAX, 1, LLONG_MAX },
	{ __LINE__, "0", 1, 200, 0, 0 },
	{ __LINE__, "201", 1, 200, 0, 0 },
	{ __LINE__, "-1", 0, 10, 0, 0 },
	{ __LINE__, "9223372036854775808", 1, LLONG_MAX, 0, 0 },
	{ __LINE__, "", 0, 10, 0, 0 },
	{ __LINE__, "-", 0, 10, 0, 0 },
	{ __LINE__, "+5", 0, 10, 0, 0 },
	{ __LINE__, " 5", 0, 10, 0, 0 },
	{ __LINE__, "5 ", 0, 10, 0, 0 },
	{ __LINE__, "5x", 0, 10, 0, 0 },
	{ __LINE__, "x", 0, 10, 0, 0 },
	{ __LINE__, "0x5", 0, 10, 0, 0 },
	{ __LINE__, "--5", -10, 10, 0, 0 },
};

START_TEST(test_parse_int)
{
	long long got = -42;
	int rc = px_http_parse_int(int_cases[_i].s, int_cases[_i].min, int_cases[_i].max, &got);

	ck_assert_msg((rc == 0) == int_cases[_i].ok, "line %d: \"%s\": want %s",
		      int_cases[_i].line, int_cases[_i].s, int_cases[_i].ok ? "ok" : "refused");
	ck_assert_msg(got == (int_cases[_i].ok ? int_cases[_i].want : -42),
		      "line %d: \"%s\": got %lld", int_cases[_i].line, int_cases[_i].s, got);
}
END_TEST

/* Absent, present and broken query numbers. */
START_TEST(test_query_int)
{
	struct px_request r;
	long long v = 9;

	px_request_init(&r);
	ck_assert_int_eq(px_parse_urlencoded("limit=20&before=x", 17, &r.query), PX_OK);
	ck_assert_int_eq(px_request_query_int(&r, "after", 0, 100, &v), 0);
	ck_assert_int_eq(v, 9);
	ck_assert_int_eq(px_request_query_int(&r, "limit", 1, 100, &v), 1);
	ck_assert_int_eq(v, 20);
	ck_assert_int_eq(px_request_query_int(&r, "limit", 1, 10, &v), -1);
	ck_assert_int_eq(px_request_query_int(&r, "before", 0, 100, &v), -1);
	ck_assert_int_eq(v, 20);
	px_request_clear(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("parsers");

	tcase_add_loop_test(tc, test_query, 0,
			    sizeof(query_cases) / sizeof(query_cases[0]));
	tcase_add_test(tc, test_too_many_params);
	tcase_add_test(tc, test_cookies);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_error_payload);
	tcase_add_test(tc, test_buf_escapes);
	tcase_add_loop_test(tc, test_parse_int, 0, sizeof(int_cases) / sizeof(int_cases[0]));
	tcase_add_test(tc, test_query_int);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
