/* check_docs.c: docs/ERROR_CODES.md and docs/CONFIGURATION.md list exactly
 * the codes in errors.def and the keys in cfg_keys.def. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/cfg.h"
#include "core/err.h"
#include "tests/unit/run_suite.h"

static char *slurp(const char *rel)
{
	struct px_buf b = PX_BUF_INIT;
	char path[4096], chunk[4096];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", PX_SRCDIR, rel);
	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		px_buf_append(&b, chunk, n);
	fclose(fp);
	return px_buf_steal(&b);
}

/* Counts table rows "| name |" in a document. */
static int table_rows(const char *doc)
{
	const char *p = doc;
	int n = 0;

	while ((p = strstr(p, "\n| "))) {
		p += 3;
		if (strncmp(p, "code ", 5) != 0 && strncmp(p, "key ", 4) != 0)
			n++;
	}
	return n;
}

START_TEST(test_error_codes_doc)
{
	char *doc = slurp("docs/ERROR_CODES.md");
	char row[256];
	int i;

	for (i = 1; i < PX_E__COUNT; i++) {
		snprintf(row, sizeof(row), "\n| %s | %d | %s |", px_err_name(i),
			 px_err_status(i), px_err_message(i));
		ck_assert_msg(strstr(doc, row) != NULL,
			      "docs/ERROR_CODES.md lacks or differs for %s", px_err_name(i));
	}
	ck_assert_int_eq(table_rows(doc), PX_E__COUNT - 1);
	free(doc);
}
END_TEST

START_TEST(test_config_doc)
{
	char *doc = slurp("docs/CONFIGURATION.md");
	char row[256];
	const char *k;
	unsigned i;

	for (i = 0; (k = px_cfg_key_name(i)); i++) {
		snprintf(row, sizeof(row), "\n| %s |", k);
		ck_assert_msg(strstr(doc, row) != NULL,
			      "docs/CONFIGURATION.md lacks key %s", k);
	}
	ck_assert_int_eq(table_rows(doc), (int)i);
	free(doc);
}
END_TEST

START_TEST(test_error_lookup)
{
	ck_assert_int_eq(px_err_status(PX_E_SYSTEM_DB_UNAVAILABLE), 503);
	ck_assert_int_eq(px_err_from_name("AUTH_REQUIRED"), PX_E_AUTH_REQUIRED);
	ck_assert_int_eq(px_err_from_name("NOPE"), -1);
	ck_assert_str_eq(px_err_name((enum px_err)9999), "SYSTEM_INTERNAL");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("docs");
	TCase *tc = tcase_create("docs");

	tcase_add_test(tc, test_error_codes_doc);
	tcase_add_test(tc, test_config_doc);
	tcase_add_test(tc, test_error_lookup);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
