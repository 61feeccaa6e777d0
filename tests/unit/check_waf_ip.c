/* check_waf_ip.c: CIDR lists, feed parsing, client address behind
 * proxies, automatic blocks and the PLEXICHAT_WAF_AUTO_BLOCK switch. */
#include "core/cfg.h"
#include "waf/waf_ip.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/unit/run_suite.h"

struct lcase {
	int line;
	const char *addr;
	int want;
};

static const char feed[] =
	"; Spamhaus DROP List 2024/06/01\n"
	"1.10.16.0/20 ; SBL256894\n"
	"# FireHOL style comment\n"
	"203.0.113.0/24\n"
	"10.0.0.0/8\n"
	"10.128.0.0/9\n"
	"2001:db8::/32\n"
	"192.0.2.7\n"
	"not-an-address\n"
	"300.1.1.1/8\n"
	"\n";

static const struct lcase lcases[] = {
	{__LINE__, "1.10.16.1", 1},
	{__LINE__, "1.10.31.255", 1},
	{__LINE__, "1.10.32.0", 0},
	{__LINE__, "203.0.113.200", 1},
	{__LINE__, "10.200.1.1", 1},
	{__LINE__, "11.0.0.0", 0},
	{__LINE__, "192.0.2.7", 1},
	{__LINE__, "192.0.2.8", 0},
	{__LINE__, "2001:db8:1::5", 1},
	{__LINE__, "[2001:db8::1]", 1},
	{__LINE__, "2001:db9::1", 0},
	{__LINE__, "::ffff:10.1.2.3", 1},
	{__LINE__, "garbage", 0},
};

START_TEST(test_list)
{
	struct px_waf_ip_list *l = px_waf_ip_list_new();
	size_t bad = 0, added = px_waf_ip_list_add_text(l, feed, sizeof(feed) - 1, &bad);
	size_t i;

	ck_assert_uint_eq(added, 6);
	ck_assert_uint_eq(bad, 2);
	px_waf_ip_list_finish(l);
	ck_assert_uint_eq(px_waf_ip_list_count(l), 5); /* the two 10/8 halves merge */
	for (i = 0; i < sizeof(lcases) / sizeof(lcases[0]); i++)
		ck_assert_msg(px_waf_ip_list_contains(l, lcases[i].addr) == lcases[i].want,
			      "line %d: %s expected %d", lcases[i].line, lcases[i].addr,
			      lcases[i].want);
	px_waf_ip_list_free(l);
}
END_TEST

START_TEST(test_client)
{
	struct px_waf_ip_list *trusted = px_waf_ip_list_new();
	char out[64];

	ck_assert_int_eq(px_waf_ip_list_add(trusted, "127.0.0.1", 9), 0);
	ck_assert_int_eq(px_waf_ip_list_add(trusted, "10.0.0.0/8", 10), 0);
	px_waf_ip_list_finish(trusted);
	/* Untrusted peer: its X-Forwarded-For is ignored. */
	ck_assert_int_eq(px_waf_ip_client("198.51.100.4", "1.2.3.4", trusted, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "198.51.100.4");
	/* Through two trusted proxies: the first untrusted hop from the right. */
	ck_assert_int_eq(px_waf_ip_client("127.0.0.1", "6.6.6.6, 198.51.100.9, 10.1.1.1", trusted,
					  out, sizeof(out)), 0);
	ck_assert_str_eq(out, "198.51.100.9");
	/* Garbage stops the walk at the last good hop. */
	ck_assert_int_eq(px_waf_ip_client("127.0.0.1", "1.1.1.1' OR 1=1--", trusted, out,
					  sizeof(out)), 0);
	ck_assert_str_eq(out, "127.0.0.1");
	ck_assert_int_eq(px_waf_ip_client("nonsense", NULL, trusted, out, sizeof(out)), -1);
	px_waf_ip_list_free(trusted);
}
END_TEST

START_TEST(test_autoblock)
{
	struct px_waf_autoblock_cfg cfg = {1, 20, 60, 300, 4};
	struct px_waf_autoblock *ab = px_waf_autoblock_new(&cfg);
	time_t until = 0;
	int i;

	ck_assert_int_eq(px_waf_autoblock_record(ab, "198.51.100.1", 10, 1000), 0);
	ck_assert_int_eq(px_waf_autoblock_blocked(ab, "198.51.100.1", 1001, NULL), 0);
	ck_assert_int_eq(px_waf_autoblock_record(ab, "198.51.100.1", 10, 1010), 1);
	ck_assert_int_eq(px_waf_autoblock_blocked(ab, "198.51.100.1", 1011, &until), 1);
	ck_assert_int_eq((int)until, 1310);
	ck_assert_int_eq(px_waf_autoblock_blocked(ab, "198.51.100.1", 1310, NULL), 0);
	/* Points outside the window do not add up. */
	ck_assert_int_eq(px_waf_autoblock_record(ab, "198.51.100.2", 15, 1000), 0);
	ck_assert_int_eq(px_waf_autoblock_record(ab, "198.51.100.2", 15, 1100), 0);
	/* Many clients: the table stays bounded and keeps working. */
	for (i = 0; i < 1000; i++) {
		char a[32];

		snprintf(a, sizeof(a), "2001:db8::%x", i);
		px_waf_autoblock_record(ab, a, 1, 2000 + i);
	}
	ck_assert_int_eq(px_waf_autoblock_record(ab, "2001:db8::ffff", 25, 5000), 1);
	px_waf_autoblock_clear(ab, "2001:db8::ffff");
	ck_assert_int_eq(px_waf_autoblock_blocked(ab, "2001:db8::ffff", 5001, NULL), 0);
	/* Switched off: nothing is recorded and nothing is blocked. */
	ck_assert_int_eq(px_waf_autoblock_record(ab, "198.51.100.3", 50, 6000), 1);
	px_waf_autoblock_set_enabled(ab, 0);
	ck_assert_int_eq(px_waf_autoblock_blocked(ab, "198.51.100.3", 6001, NULL), 0);
	ck_assert_int_eq(px_waf_autoblock_record(ab, "198.51.100.4", 50, 6000), 0);
	px_waf_autoblock_free(ab);
}
END_TEST

START_TEST(test_env_switch)
{
	struct px_cfg *c = NULL;
	struct px_buf err = PX_BUF_INIT;

	setenv("PLEXICHAT_WAF_AUTO_BLOCK", "off", 1);
	ck_assert_msg(px_cfg_load(NULL, &c, &err) == 0, "cfg: %s", err.data);
	ck_assert_int_eq(px_cfg_bool(c, "waf_auto_block"), 0);
	px_cfg_free(c);
	unsetenv("PLEXICHAT_WAF_AUTO_BLOCK");
	ck_assert_msg(px_cfg_load(NULL, &c, &err) == 0, "cfg: %s", err.data);
	ck_assert_int_eq(px_cfg_bool(c, "waf_auto_block"), 1);
	px_cfg_free(c);
	px_buf_free(&err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("waf_ip");
	TCase *tc = tcase_create("ip");

	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_client);
	tcase_add_test(tc, test_autoblock);
	tcase_add_test(tc, test_env_switch);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
