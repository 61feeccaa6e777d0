/* check_files_clamd.c: clamd's answers judged (table-driven), and the
 * client against a socket nobody listens on. The real clamd is in
 * tests/integration/test_files_clamd.py. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handlers/files_clamd.h"
#include "tests/unit/run_suite.h"

static const struct {
	int line;
	const char *answer;
	enum px_hf_scan want;
	const char *detail;
} cases[] = {
	{ __LINE__, "stream: OK", PX_HF_SCAN_CLEAN, "OK" },
	{ __LINE__, "stream: Eicar-Test-Signature FOUND", PX_HF_SCAN_FOUND, "Eicar-Test-Signature" },
	{ __LINE__, "stream: Win.Test.EICAR_HDB-1 FOUND", PX_HF_SCAN_FOUND, "Win.Test.EICAR_HDB-1" },
	{ __LINE__, "INSTREAM size limit exceeded. ERROR", PX_HF_SCAN_ERROR,
	  "clamd: INSTREAM size limit exceeded. ERROR" },
	{ __LINE__, "stream: Can't allocate memory ERROR", PX_HF_SCAN_ERROR,
	  "clamd: Can't allocate memory ERROR" },
	{ __LINE__, "", PX_HF_SCAN_ERROR, "clamd: empty answer" },
	{ __LINE__, "FOUND", PX_HF_SCAN_ERROR, "clamd: FOUND" },
	{ __LINE__, "stream: OKAY", PX_HF_SCAN_ERROR, "clamd: OKAY" },
};

START_TEST(test_verdict)
{
	char detail[128];
	enum px_hf_scan v = px_hf_clamd_verdict(cases[_i].answer, detail, sizeof(detail));

	ck_assert_msg(v == cases[_i].want && !strcmp(detail, cases[_i].detail),
		      "line %d: want %d '%s' got %d '%s'", cases[_i].line, cases[_i].want,
		      cases[_i].detail, v, detail);
}
END_TEST

START_TEST(test_unreachable)
{
	char detail[256];
	FILE *f = tmpfile();

	ck_assert(f != NULL);
	fputs("bytes", f);
	fflush(f);
	ck_assert_int_eq(px_hf_clamd_scan("/nonexistent/clamd.sock", fileno(f), 1000, detail,
					  sizeof(detail)), PX_HF_SCAN_ERROR);
	ck_assert_msg(strstr(detail, "cannot connect to clamd at /nonexistent/clamd.sock"), "%s",
		      detail);
	fclose(f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("files_clamd");
	TCase *tc = tcase_create("scan");

	tcase_add_loop_test(tc, test_verdict, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_unreachable);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
