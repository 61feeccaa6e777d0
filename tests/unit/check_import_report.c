/* check_import_report.c: the import report of each lane of a Slack import
 * merged into the command's one (admin/import_cmd.c): counts added, the
 * listed skips joined into one valid JSON list, cut at IMPORT_MAX_SKIPS
 * on an object's boundary even when a reason holds the text that starts
 * an object. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "admin/import_cmd.h"
#include "tests/unit/run_suite.h"

/* The report's skips as the JSON list the report prints; its length. */
static size_t listed(const struct import_report *r)
{
	struct px_buf b = PX_BUF_INIT;
	struct json_object *o;
	size_t n;

	px_buf_printf(&b, "[%.*s]", (int)r->skips.len, r->skips.data ? r->skips.data : "");
	o = json_tokener_parse(b.data);
	ck_assert_msg(o && json_object_is_type(o, json_type_array), "not a JSON list: %s", b.data);
	n = json_object_array_length(o);
	json_object_put(o);
	px_buf_free(&b);
	return n;
}

START_TEST(test_merge_counts)
{
	struct import_report into, from;

	memset(&into, 0, sizeof(into));
	memset(&from, 0, sizeof(from));
	into.imported[IK_MESSAGE] = 5;
	from.imported[IK_MESSAGE] = 7;
	from.existing[IK_REACTION] = 3;
	import_skip(&into, IK_FILE, "a.json", "not valid JSON");
	import_skip(&from, IK_MESSAGE, "C1/1.0", "empty message");
	import_skip(&from, IK_MESSAGE, NULL, "message without ts");
	import_report_merge(&into, &from);
	ck_assert_int_eq(into.imported[IK_MESSAGE], 12);
	ck_assert_int_eq(into.existing[IK_REACTION], 3);
	ck_assert_int_eq(into.skipped[IK_MESSAGE], 2);
	ck_assert_int_eq(into.skipped[IK_FILE], 1);
	ck_assert_int_eq(into.listed, 3);
	ck_assert_uint_eq(listed(&into), 3);
	px_buf_free(&into.skips);
	px_buf_free(&from.skips);
}
END_TEST

/* Both lanes list more than the bound together: the merged list stops at
 * the bound, whole objects only, the rest still counted. */
START_TEST(test_merge_bound)
{
	struct import_report into, from;
	char id[32];
	int i;

	memset(&into, 0, sizeof(into));
	memset(&from, 0, sizeof(from));
	for (i = 0; i < IMPORT_MAX_SKIPS - 3; i++) {
		snprintf(id, sizeof(id), "C1/%d", i);
		import_skip(&into, IK_MESSAGE, id, "empty message");
	}
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "C2/%d", i);
		import_skip(&from, IK_MESSAGE, id, "a reason with ,{\"kind\": inside");
	}
	import_report_merge(&into, &from);
	ck_assert_int_eq(into.listed, IMPORT_MAX_SKIPS);
	ck_assert_int_eq(into.skipped[IK_MESSAGE], IMPORT_MAX_SKIPS - 3 + 10);
	ck_assert_uint_eq(listed(&into), IMPORT_MAX_SKIPS);
	/* full: nothing more is listed, all is counted */
	import_report_merge(&into, &from);
	ck_assert_int_eq(into.listed, IMPORT_MAX_SKIPS);
	ck_assert_int_eq(into.skipped[IK_MESSAGE], IMPORT_MAX_SKIPS - 3 + 20);
	ck_assert_uint_eq(listed(&into), IMPORT_MAX_SKIPS);
	px_buf_free(&into.skips);
	px_buf_free(&from.skips);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("import_report");
	TCase *tc = tcase_create("merge");

	tcase_add_test(tc, test_merge_counts);
	tcase_add_test(tc, test_merge_bound);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return px_check_run(suite(), CK_FORK_GETENV);
}
