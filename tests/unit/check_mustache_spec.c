/* check_mustache_spec.c: runs the Mustache spec files (interpolation,
 * sections, inverted, comments, partials, delimiters) through
 * px_tmpl_render_string. The folder is $PX_MUSTACHE_SPEC_DIR, else
 * PX_SRCDIR/../shared/specs/mustache; without it the test is skipped. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "web/tmpl.h"
#include "tests/unit/run_suite.h"

#define SKIP_EXIT 77   /* automake's "skipped" status */

static const char *const spec_files[] = {
	"interpolation", "sections", "inverted", "comments", "partials",
	"delimiters",
};

static const char *spec_dir(void)
{
	const char *env = getenv("PX_MUSTACHE_SPEC_DIR");

	return env && *env ? env : PX_SRCDIR "/../shared/specs/mustache";
}

static void print_json_str(const char *label, const char *s)
{
	struct px_buf b = PX_BUF_INIT;

	px_buf_json_str(&b, s, strlen(s));
	printf("    %s %s\n", label, b.data ? b.data : "?");
	px_buf_free(&b);
}

/* Runs one spec case; returns 1 when it passed. Lambda cases are the
 * optional module and are counted as skipped by the caller. */
static int run_case(const char *file, struct json_object *tc)
{
	struct json_object *name, *tmpl, *data = NULL, *want, *partials = NULL;
	struct px_buf out = PX_BUF_INIT, err = PX_BUF_INIT;
	int ok;

	if (!json_object_object_get_ex(tc, "name", &name) ||
	    !json_object_object_get_ex(tc, "template", &tmpl) ||
	    !json_object_object_get_ex(tc, "expected", &want)) {
		printf("  %s: malformed case\n", file);
		return 0;
	}
	json_object_object_get_ex(tc, "data", &data);
	json_object_object_get_ex(tc, "partials", &partials);
	ok = px_tmpl_render_string(json_object_get_string(tmpl), data,
				   partials, &out, &err) == 0 &&
	     out.len == (size_t)json_object_get_string_len(want) &&
	     memcmp(out.data ? out.data : "", json_object_get_string(want),
		    out.len) == 0;
	if (!ok) {
		printf("  FAIL %s: %s\n", file, json_object_get_string(name));
		print_json_str("template:", json_object_get_string(tmpl));
		print_json_str("expected:", json_object_get_string(want));
		print_json_str("got:     ", out.data ? out.data : "");
		if (err.len)
			printf("    error: %s\n", err.data);
	}
	px_buf_free(&out);
	px_buf_free(&err);
	return ok;
}

static int is_lambda(struct json_object *tc)
{
	struct json_object *data, *l;

	return json_object_object_get_ex(tc, "data", &data) &&
	       json_object_object_get_ex(data, "lambda", &l);
}

START_TEST(test_spec)
{
	char path[4096];
	int passed = 0, total = 0, lambdas = 0;
	size_t f, i, n;

	for (f = 0; f < sizeof(spec_files) / sizeof(spec_files[0]); f++) {
		struct json_object *doc, *tests;

		snprintf(path, sizeof(path), "%s/%s.json", spec_dir(),
			 spec_files[f]);
		doc = json_object_from_file(path);
		ck_assert_msg(doc != NULL, "cannot read %s", path);
		ck_assert(json_object_object_get_ex(doc, "tests", &tests));
		n = json_object_array_length(tests);
		for (i = 0; i < n; i++) {
			struct json_object *tc = json_object_array_get_idx(tests, i);

			if (is_lambda(tc)) {
				lambdas++;
				continue;
			}
			total++;
			passed += run_case(spec_files[f], tc);
		}
		json_object_put(doc);
	}
	printf("mustache spec: %d/%d passed", passed, total);
	if (lambdas)
		printf(" (%d lambda cases not run)", lambdas);
	printf("\n");
	fflush(stdout);
	ck_assert_int_gt(total, 0);
	ck_assert_msg(passed == total, "mustache spec: %d/%d passed", passed,
		      total);
}
END_TEST

int main(void)
{
	struct stat st;
	Suite *s;
	TCase *tc;

	if (stat(spec_dir(), &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("mustache spec: ../shared/specs/mustache not found, "
		       "conformance not run\n");
		return SKIP_EXIT;
	}
	s = suite_create("mustache_spec");
	tc = tcase_create("spec");
	tcase_add_test(tc, test_spec);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
