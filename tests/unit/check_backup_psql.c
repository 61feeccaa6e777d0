/* check_backup_psql.c: psql meta-commands are dropped from pg_dump text
 * only at the top level of the SQL; inside bodies, literals, quoted
 * identifiers and comments, backslash lines and empty lines are data. */
#include <check.h>
#include <string.h>

#include "backup/px_bk_psql.h"
#include "tests/unit/run_suite.h"

/* What pg_dump writes around a function (abridged; \restrict comes with
 * the 2025 minor releases), with a body holding an empty line and lines
 * that start with a backslash. */
static const char DUMP_IN[] =
	"\\restrict aBcD1234\n"
	"\n"
	"SET standard_conforming_strings = on;\n"
	"\\connect src\n"
	"CREATE FUNCTION public.f() RETURNS text\n"
	"    LANGUAGE plpgsql\n"
	"    AS $$\n"
	"BEGIN\n"
	"\n"
	"\\n is not a meta-command here\n"
	"  RETURN '\\';\n"
	"END\n"
	"$$;\n"
	"\n"
	"\\unrestrict aBcD1234\n";
static const char DUMP_OUT[] =
	"\n"
	"SET standard_conforming_strings = on;\n"
	"CREATE FUNCTION public.f() RETURNS text\n"
	"    LANGUAGE plpgsql\n"
	"    AS $$\n"
	"BEGIN\n"
	"\n"
	"\\n is not a meta-command here\n"
	"  RETURN '\\';\n"
	"END\n"
	"$$;\n"
	"\n";

static const struct {
	int line;
	const char *in, *want;
} cases[] = {
	{ __LINE__, DUMP_IN, DUMP_OUT },
	{ __LINE__, "", "" },
	{ __LINE__, "\\connect x", "" },
	{ __LINE__, "SELECT 1;\n\\x\nSELECT 2;", "SELECT 1;\nSELECT 2;" },
	/* tagged dollar quotes; $$ inside them does not close them */
	{ __LINE__, "AS $fn$\n\\a\n$$\n\\b\n$fn$;\n\\c\n",
	  "AS $fn$\n\\a\n$$\n\\b\n$fn$;\n" },
	/* a $ after an identifier byte is part of it; $1 is a parameter */
	{ __LINE__, "SELECT a$b$, $1;\n\\q\n", "SELECT a$b$, $1;\n" },
	/* string literals: '' and, in E'', backslash escape the quote */
	{ __LINE__, "SELECT 'it''s\n\\x\n';\n\\y\n", "SELECT 'it''s\n\\x\n';\n" },
	{ __LINE__, "SELECT E'a\\'\n\\x\n';\n\\y\n", "SELECT E'a\\'\n\\x\n';\n" },
	/* without E, a backslash does not escape: the literal ends */
	{ __LINE__, "SELECT 'a\\';\n\\y\n", "SELECT 'a\\';\n" },
	/* ...and an identifier ending in e before ' is not an E'' prefix */
	{ __LINE__, "SELECT some'a\\';\n\\y\n", "SELECT some'a\\';\n" },
	/* quoted identifiers and comments */
	{ __LINE__, "CREATE TABLE \"a\"\"\n\\t\" ();\n\\y\n", "CREATE TABLE \"a\"\"\n\\t\" ();\n" },
	{ __LINE__, "/* x /* nested */\n\\t\n*/\n\\y\n", "/* x /* nested */\n\\t\n*/\n" },
	{ __LINE__, "-- a comment $$\n\\y\n", "-- a comment $$\n" },
	/* a quote inside a dollar body does not open a literal */
	{ __LINE__, "AS $$ don't $$;\n\\y\n", "AS $$ don't $$;\n" },
	/* CRLF lines: the backslash line still goes, whole */
	{ __LINE__, "SELECT 1;\r\n\\x\r\nSELECT 2;\r\n", "SELECT 1;\r\nSELECT 2;\r\n" },
};

START_TEST(test_strip_meta)
{
	struct px_buf out = PX_BUF_INIT;

	ck_assert_int_eq(px_bk_psql_strip_meta(cases[_i].in, strlen(cases[_i].in), &out), 0);
	px_buf_puts(&out, "");
	ck_assert_msg(!strcmp(out.data, cases[_i].want),
		      "line %d: want\n%s\ngot\n%s", cases[_i].line, cases[_i].want, out.data);
	px_buf_free(&out);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("backup_psql");
	TCase *tc = tcase_create("strip_meta");

	tcase_add_loop_test(tc, test_strip_meta, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return px_check_run(suite(), CK_FORK_GETENV);
}
