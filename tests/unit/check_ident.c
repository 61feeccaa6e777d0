/* check_ident.c: look-alike keys and reserved names (auth/ident.c): accents,
 * digits read as letters, staff words in display names. Each case carries
 * its line and prints what it wanted and what it got. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "auth/ident.h"
#include "tests/unit/run_suite.h"

/* Usernames that must be refused as reserved, and ordinary ones that must
 * stay free (including prefixes the integration tests register). */
START_TEST(test_reserved_usernames)
{
	static const struct {
		int line;
		const char *name;
		int want;
	} cases[] = {
		{ __LINE__, "admin", 1 },
		{ __LINE__, "ADMIN", 1 },
		{ __LINE__, "adm\xc3\xadn", 1 },        /* admín, precomposed */
		{ __LINE__, "admi\xcc\x81n", 1 },       /* i + combining acute */
		{ __LINE__, "adm1n", 1 },
		{ __LINE__, "Adm1n", 1 },
		{ __LINE__, "4dm1n", 1 },
		{ __LINE__, "adrnin", 1 },             /* rn reads as m */
		{ __LINE__, "ad-min", 1 },
		{ __LINE__, "ad_m.in", 1 },
		{ __LINE__, "r00t", 1 },
		{ __LINE__, "R0OT", 1 },
		{ __LINE__, "5y5tem", 1 },
		{ __LINE__, "supp\xc3\xb6rt", 1 },      /* suppört */
		{ __LINE__, "administrat0r", 1 },
		{ __LINE__, "p1exichat", 1 },
		{ __LINE__, "plexichat_system", 1 },   /* staff words only */
		{ __LINE__, "the_admin_team", 1 },
		{ __LINE__, "alice", 0 },
		{ __LINE__, "Zo\xc3\xab_99", 0 },
		{ __LINE__, "admiral", 0 },
		{ __LINE__, "administrator_bob", 0 },
		{ __LINE__, "bob_admin_fan", 0 },
		{ __LINE__, "rootbeer", 0 },
		{ __LINE__, "u_lig3fa2b1", 0 },
		{ __LINE__, "mod_apa0c1d2e", 0 },
		{ __LINE__, "\xd0\xb4\xd0\xbc\xd0\xb8\xd1\x82\xd1\x80\xd0\xb8\xd0\xb9", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = px_ident_reserved(cases[i].name);

		ck_assert_msg(got == cases[i].want, "line %d (%s): want %d got %d",
			      cases[i].line, cases[i].name, cases[i].want, got);
	}
}
END_TEST

/* Display names made only of staff or system words are refused. */
START_TEST(test_display_names)
{
	static const struct {
		int line;
		const char *name;
		enum px_err want;
	} cases[] = {
		{ __LINE__, "admin", PX_E_VALIDATION_DISPLAY_NAME_RESERVED },
		{ __LINE__, "Admin", PX_E_VALIDATION_DISPLAY_NAME_RESERVED },
		{ __LINE__, "PlexiChat System", PX_E_VALIDATION_DISPLAY_NAME_RESERVED },
		{ __LINE__, "PlexiChat  System", PX_E_VALIDATION_DISPLAY_NAME_RESERVED },
		{ __LINE__, "P1exiChat Syst\xc3\xa9m", PX_E_VALIDATION_DISPLAY_NAME_RESERVED },
		{ __LINE__, "PlexiChatSystem", PX_E_VALIDATION_DISPLAY_NAME_RESERVED },
		{ __LINE__, "The Admin Team", PX_E_VALIDATION_DISPLAY_NAME_RESERVED },
		{ __LINE__, "Support", PX_E_VALIDATION_DISPLAY_NAME_RESERVED },
		{ __LINE__, "security-team", PX_E_VALIDATION_DISPLAY_NAME_RESERVED },
		{ __LINE__, "\xd0\xb0" "dmin", PX_E_VALIDATION_DISPLAY_NAME_RESERVED }, /* Cyrillic а */
		{ __LINE__, "adm\xc3\xadn", PX_E_VALIDATION_DISPLAY_NAME_RESERVED },
		{ __LINE__, "The", PX_OK },           /* filler alone */
		{ __LINE__, "Alice (admin)", PX_OK },
		{ __LINE__, "Ann O'Neil", PX_OK },
		{ __LINE__, "R\xc3\xa9ka \xc3\x98rsted", PX_OK },
		{ __LINE__, "Keep me", PX_OK },
		{ __LINE__, "Open ID", PX_OK },
		{ __LINE__, "Systems Biology Lab", PX_OK },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum px_err got = px_ident_display_name(cases[i].name);

		ck_assert_msg(got == cases[i].want, "line %d (%s): want %s got %s",
			      cases[i].line, cases[i].name, px_err_name(cases[i].want),
			      px_err_name(got));
	}
}
END_TEST

/* The look-alike key compared with existing accounts: accents go, l, 1,
 * I and i are one letter; different names keep different keys. */
START_TEST(test_fold)
{
	static const struct {
		int line;
		const char *a, *b;
		int same;
	} cases[] = {
		{ __LINE__, "admin", "adm1n", 1 },
		{ __LINE__, "admin", "adm\xc3\xadn", 1 },
		{ __LINE__, "zoe", "Zo\xc3\xab", 1 },
		{ __LINE__, "Ian", "lan", 1 },
		{ __LINE__, "bill", "bi11", 1 },
		{ __LINE__, "modern", "rnodern", 1 },
		{ __LINE__, "root", "r00t", 1 },
		{ __LINE__, "alice", "alicia", 0 },
		{ __LINE__, "anna3", "annae", 0 },     /* digits stay digits here */
		{ __LINE__, "john.smith", "johnsmith", 0 },
	};
	struct px_buf a = PX_BUF_INIT, b = PX_BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		px_buf_reset(&a);
		px_buf_reset(&b);
		ck_assert_int_eq(px_ident_fold(cases[i].a, &a), 0);
		ck_assert_int_eq(px_ident_fold(cases[i].b, &b), 0);
		ck_assert_msg((strcmp(a.data, b.data) == 0) == cases[i].same,
			      "line %d: %s -> %s, %s -> %s, want same=%d", cases[i].line,
			      cases[i].a, a.data, cases[i].b, b.data, cases[i].same);
	}
	px_buf_free(&a);
	px_buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ident");
	TCase *tc = tcase_create("ident");

	tcase_add_test(tc, test_reserved_usernames);
	tcase_add_test(tc, test_display_names);
	tcase_add_test(tc, test_fold);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
