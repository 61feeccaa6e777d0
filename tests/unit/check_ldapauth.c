/* check_ldapauth.c: the pure parts of auth/ldapauth.c: RFC 4515 escaping
 * of values put into LDAP filters, filter templates, DN comparison and the
 * ldap_group_roles parser. Each case carries its line and prints what it
 * wanted and what it got. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/ctx.h"
#include "auth/ldapauth.h"
#include "tests/unit/run_suite.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_escape)
{
	static const struct {
		int line;
		const char *in, *want;
	} cases[] = {
		{ __LINE__, "alice", "alice" },
		{ __LINE__, "*", "\\2a" },
		{ __LINE__, ")(uid=*", "\\29\\28uid=\\2a" },
		{ __LINE__, "admin)(|(uid=*", "admin\\29\\28|\\28uid=\\2a" },
		{ __LINE__, "a\\b", "a\\5cb" },
		{ __LINE__, "tab\there", "tab\\09here" },
		{ __LINE__, "del\x7f", "del\\7f" },
		{ __LINE__, "Zo\xc3\xab", "Zo\xc3\xab" }, /* UTF-8 stays as it is */
		{ __LINE__, "o'neil&co|x=y!~>=<", "o'neil&co|x=y!~>=<" },
		{ __LINE__, "", "" },
	};
	struct px_buf b = PX_BUF_INIT;
	size_t i;

	for (i = 0; i < N(cases); i++) {
		px_buf_reset(&b);
		px_ldapauth_escape(cases[i].in, &b);
		px_buf_putc(&b, '\0');
		ck_assert_msg(strcmp(b.data, cases[i].want) == 0, "line %d: want [%s] got [%s]",
			      cases[i].line, cases[i].want, b.data);
	}
	px_buf_free(&b);
}
END_TEST

START_TEST(test_filter)
{
	static const struct {
		int line;
		const char *tmpl, *value, *want; /* want NULL: refused */
	} cases[] = {
		{ __LINE__, "(&(objectClass=inetOrgPerson)(uid=%s))", "bob",
		  "(&(objectClass=inetOrgPerson)(uid=bob))" },
		{ __LINE__, "(&(objectClass=inetOrgPerson)(uid=%s))", "admin)(|(uid=*",
		  "(&(objectClass=inetOrgPerson)(uid=admin\\29\\28|\\28uid=\\2a))" },
		{ __LINE__, "(|(uid=%s)(mail=%s))", "*", "(|(uid=\\2a)(mail=\\2a))" },
		{ __LINE__, "(member=%s)", "cn=Smith\\, J,ou=p", "(member=cn=Smith\\5c, J,ou=p)" },
		{ __LINE__, "(&(uid=%s)(x=100%%))", "a", "(&(uid=a)(x=100%))" },
		{ __LINE__, "(uid=bob)", "a", NULL }, /* no %s: a template mistake */
	};
	struct px_buf b = PX_BUF_INIT;
	size_t i;

	for (i = 0; i < N(cases); i++) {
		int rc;

		px_buf_reset(&b);
		rc = px_ldapauth_filter(cases[i].tmpl, cases[i].value, &b);
		if (!cases[i].want) {
			ck_assert_msg(rc == -1, "line %d: want refusal got %d", cases[i].line, rc);
			continue;
		}
		px_buf_putc(&b, '\0');
		ck_assert_msg(rc == 0 && strcmp(b.data, cases[i].want) == 0,
			      "line %d: want [%s] got %d [%s]", cases[i].line, cases[i].want, rc,
			      b.data);
	}
	px_buf_free(&b);
}
END_TEST

START_TEST(test_dn_equal)
{
	static const struct {
		int line;
		const char *a, *b;
		int want;
	} cases[] = {
		{ __LINE__, "cn=staff,ou=groups,dc=example,dc=org",
		  "CN=Staff, OU=Groups, DC=example, DC=org", 1 },
		{ __LINE__, "cn = staff , ou=groups", "cn=staff,ou=groups", 1 },
		{ __LINE__, " cn=staff ", "cn=staff", 1 },
		{ __LINE__, "cn=chat admins,ou=g", "cn=chat admins,ou=g", 1 },
		{ __LINE__, "cn=chat admins,ou=g", "cn=chatadmins,ou=g", 0 },
		{ __LINE__, "cn=staff,ou=groups", "cn=staff2,ou=groups", 0 },
		{ __LINE__, "cn=staff", "cn=staff,ou=groups", 0 },
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		int got = px_ldapauth_dn_equal(cases[i].a, cases[i].b);

		ck_assert_msg(got == cases[i].want, "line %d: [%s] vs [%s]: want %d got %d",
			      cases[i].line, cases[i].a, cases[i].b, cases[i].want, got);
	}
}
END_TEST

#define ADMINS "cn=chat-admins,ou=groups,dc=example,dc=org"
#define STAFF "cn=staff,ou=groups,dc=example,dc=org"
#define MODS "cn=mods,ou=groups,dc=example,dc=org"

START_TEST(test_role_map)
{
	static const char *const admin_staff[] = { STAFF, ADMINS };
	static const char *const staff[] = { "CN=Staff, OU=Groups, DC=Example, DC=Org" };
	static const char *const other[] = { "cn=other,ou=groups,dc=example,dc=org" };
	static const char *const mods_staff[] = { MODS, STAFF };
	static const struct {
		int line;
		const char *spec;
		const char *const *groups;
		size_t n;
		int rc, role;
	} cases[] = {
		{ __LINE__, ADMINS "=admin;" STAFF "=member", admin_staff, 2, 0, PX_ROLE_ADMIN },
		/* highest wins whatever the order */
		{ __LINE__, STAFF "=member;" ADMINS "=admin", admin_staff, 2, 0, PX_ROLE_ADMIN },
		{ __LINE__, ADMINS "=admin;" STAFF "=member", staff, 1, 0, PX_ROLE_MEMBER },
		{ __LINE__, ADMINS "=admin;" STAFF "=member", other, 1, 0, -1 },
		{ __LINE__, ADMINS "=admin;" STAFF "=member", NULL, 0, 0, -1 },
		{ __LINE__, STAFF "=member;" MODS "=moderator", mods_staff, 2, 0, PX_ROLE_MODERATOR },
		{ __LINE__, " " STAFF " = guest ; ; ", staff, 1, 0, PX_ROLE_GUEST },
		{ __LINE__, "", staff, 1, 0, -1 },
		/* malformed: no '=', unknown role, owner is not the directory's,
		 * empty DN */
		{ __LINE__, STAFF, staff, 1, -1, 0 },
		{ __LINE__, STAFF "=boss", staff, 1, -1, 0 },
		{ __LINE__, STAFF "=owner", staff, 1, -1, 0 },
		{ __LINE__, "=admin", staff, 1, -1, 0 },
		{ __LINE__, STAFF "=member;junk", staff, 1, -1, 0 },
	};
	size_t i;

	for (i = 0; i < N(cases); i++) {
		int role = 99, rc = px_ldapauth_role_map(cases[i].spec, cases[i].groups,
							 cases[i].n, &role);

		ck_assert_msg(rc == cases[i].rc, "line %d: want rc %d got %d", cases[i].line,
			      cases[i].rc, rc);
		if (rc == 0)
			ck_assert_msg(role == cases[i].role, "line %d: want role %d got %d",
				      cases[i].line, cases[i].role, role);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ldapauth");
	TCase *tc = tcase_create("ldapauth");

	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_filter);
	tcase_add_test(tc, test_dn_equal);
	tcase_add_test(tc, test_role_map);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
