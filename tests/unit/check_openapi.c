/* check_openapi.c: the OpenAPI generator joins a route table with a schema
 * module, adds what the table knows (typed path parameters, security,
 * policy, implied errors) and refuses routes or entries without partner.
 * The test supplies its own table through px_router_route() and its own
 * module text. */
#include <check.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/openapi.h"
#include "fcgi/router.h"
#include "tests/unit/run_suite.h"

static enum px_err h(struct px_ctx *ctx) { (void)ctx; return PX_OK; }

static const struct px_route table[] = {
	{ "GET", "/api/v1/things/{id:int}", h, PX_AUTH_USER, PX_ROLE_MEMBER, 0, "read", "default", "things.read" },
	{ "POST", "/api/v1/things", h, PX_AUTH_USER, PX_ROLE_MEMBER, 4096, "write", "default", "things.write" },
	{ "GET", "/api/v1/ping", h, PX_AUTH_NONE, PX_ROLE_ANON, 0, "none", "default", NULL },
	{ "GET", "/page/{name:slug}", h, PX_AUTH_NONE, PX_ROLE_ANON, 0, "read", "default", NULL },
};

const struct px_route *px_router_route(size_t i)
{
	return i < sizeof(table) / sizeof(table[0]) ? &table[i] : NULL;
}

#define OK_RESPONSE "\"responses\":{\"200\":{\"description\":\"ok\"}}"
#define ENTRY(extra) "{\"summary\":\"s\"," extra OK_RESPONSE "}"
#define MODULE(ops) "{\"tags\":[],\"components\":{\"schemas\":{},\"responses\":{}}," \
	"\"operations\":{" ops "}}"
#define GET_THING "\"GET /api/v1/things/{id:int}\":" ENTRY("\"path\":{\"id\":\"Thing id.\"},\"errors\":[\"404\"],")
#define POST_THING "\"POST /api/v1/things\":" ENTRY("")
#define PING "\"GET /api/v1/ping\":" ENTRY("")

static json_object *describe(const char *module, struct px_buf *problems)
{
	struct px_buf out = PX_BUF_INIT;
	json_object *doc = NULL;

	if (px_openapi_describe(module, &out, problems) == 0)
		doc = json_tokener_parse(out.data);
	px_buf_free(&out);
	return doc;
}

static json_object *at(json_object *o, const char *path)
{
	char part[128];

	while (o && *path) {
		size_t n = strcspn(path, "|");

		ck_assert_uint_lt(n, sizeof(part));
		memcpy(part, path, n);
		part[n] = '\0';
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(part));
		else if (!json_object_object_get_ex(o, part, &o))
			return NULL;
		path += n + (path[n] == '|');
	}
	return o;
}

START_TEST(joins_table_and_module)
{
	struct px_buf problems = PX_BUF_INIT;
	json_object *doc = describe(MODULE(GET_THING "," POST_THING "," PING), &problems);
	json_object *get;

	ck_assert_msg(doc != NULL, "%s", problems.data ? problems.data : "");
	get = at(doc, "paths|/api/v1/things/{id}|get");
	ck_assert_ptr_nonnull(get);
	ck_assert_str_eq(json_object_get_string(at(get, "parameters|0|name")), "id");
	ck_assert_str_eq(json_object_get_string(at(get, "parameters|0|schema|type")), "integer");
	ck_assert_str_eq(json_object_get_string(at(get, "parameters|0|description")), "Thing id.");
	ck_assert_ptr_nonnull(at(get, "responses|401"));  /* signed-in route */
	ck_assert_ptr_nonnull(at(get, "responses|404"));  /* from the entry */
	ck_assert_ptr_null(at(get, "responses|413"));     /* GET takes no body */
	ck_assert_ptr_null(at(get, "errors"));
	ck_assert_ptr_null(at(get, "security"));          /* the document default */
	ck_assert_str_eq(json_object_get_string(at(get, "x-plexichat-policy|action")), "things.read");
	ck_assert_ptr_nonnull(at(doc, "paths|/api/v1/things|post|responses|413"));
	ck_assert_int_eq(json_object_get_int(at(doc, "paths|/api/v1/things|post|x-plexichat-policy|body_limit")), 4096);
	/* anyone may ping, and the health class is never rate limited */
	ck_assert_int_eq((int)json_object_array_length(at(doc, "paths|/api/v1/ping|get|security")), 0);
	ck_assert_ptr_null(at(doc, "paths|/api/v1/ping|get|responses|401"));
	ck_assert_ptr_null(at(doc, "paths|/api/v1/ping|get|responses|429"));
	/* web pages are not part of the API description */
	ck_assert_ptr_null(at(doc, "paths|/page/{name}"));
	json_object_put(doc);
	px_buf_free(&problems);
}
END_TEST

START_TEST(refuses_a_route_without_entry)
{
	struct px_buf problems = PX_BUF_INIT;

	ck_assert_ptr_null(describe(MODULE(GET_THING "," PING), &problems));
	ck_assert_ptr_nonnull(strstr(problems.data, "POST /api/v1/things: route has no entry"));
	px_buf_free(&problems);
}
END_TEST

START_TEST(refuses_an_entry_without_route)
{
	struct px_buf problems = PX_BUF_INIT;

	ck_assert_ptr_null(describe(MODULE(GET_THING "," POST_THING "," PING ","
				    "\"DELETE /api/v1/things/{id:int}\":" ENTRY("")), &problems));
	ck_assert_ptr_nonnull(strstr(problems.data, "DELETE /api/v1/things/{id:int}: entry"));
	px_buf_free(&problems);
}
END_TEST

START_TEST(refuses_an_undescribed_path_parameter)
{
	struct px_buf problems = PX_BUF_INIT;

	ck_assert_ptr_null(describe(MODULE("\"GET /api/v1/things/{id:int}\":" ENTRY("") ","
				    POST_THING "," PING), &problems));
	ck_assert_ptr_nonnull(strstr(problems.data, "path parameter without a description"));
	px_buf_free(&problems);
}
END_TEST

START_TEST(refuses_a_broken_module)
{
	struct px_buf problems = PX_BUF_INIT;

	ck_assert_ptr_null(describe("{\"operations\": [", &problems));
	ck_assert_ptr_nonnull(problems.data);
	px_buf_free(&problems);
}
END_TEST

START_TEST(the_compiled_module_covers_the_real_table_shape)
{
	/* px_openapi_build uses the real module, which describes the real
	 * table; against this test's table every entry lacks a route */
	struct px_buf out = PX_BUF_INIT, problems = PX_BUF_INIT;

	ck_assert_int_eq(px_openapi_build(&out, &problems), -1);
	ck_assert_ptr_nonnull(strstr(problems.data, "has no route"));
	px_buf_free(&out);
	px_buf_free(&problems);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("openapi");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, joins_table_and_module);
	tcase_add_test(tc, refuses_a_route_without_entry);
	tcase_add_test(tc, refuses_an_entry_without_route);
	tcase_add_test(tc, refuses_an_undescribed_path_parameter);
	tcase_add_test(tc, refuses_a_broken_module);
	tcase_add_test(tc, the_compiled_module_covers_the_real_table_shape);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
