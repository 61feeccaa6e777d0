/* check_ratelease.c: leased rate-limit tokens are spent once, lapse with
 * their lease, and a full table recycles old entries. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/ratelease.h"
#include "tests/unit/run_suite.h"

START_TEST(test_spend_and_lapse)
{
	struct px_ratelease *rl = px_ratelease_new(64);
	int i;

	ck_assert_ptr_nonnull(rl);
	ck_assert_int_eq(px_ratelease_take(rl, "read|ip:1.2.3.4", 100), 0);
	px_ratelease_put(rl, "read|ip:1.2.3.4", 3, 100, 100 + PX_RATELEASE_SECONDS);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(px_ratelease_take(rl, "read|ip:1.2.3.4", 100), 1);
	/* spent: the bucket is not known to be empty, ask again */
	ck_assert_int_eq(px_ratelease_take(rl, "read|ip:1.2.3.4", 100), 0);
	px_ratelease_put(rl, "read|ip:1.2.3.4", 0, 100, 105);
	ck_assert_int_eq(px_ratelease_take(rl, "read|ip:1.2.3.4", 104), -1);
	ck_assert_int_eq(px_ratelease_take(rl, "read|ip:1.2.3.4", 105), 0);
	px_ratelease_put(rl, "read|ip:1.2.3.4", 5, 100, 100 + PX_RATELEASE_SECONDS);
	ck_assert_int_eq(px_ratelease_take(rl, "write|ip:1.2.3.4", 100), 0);
	ck_assert_int_eq(px_ratelease_take(rl, "read|ip:1.2.3.4",
					   100 + PX_RATELEASE_SECONDS), 0);
	px_ratelease_free(rl);
}
END_TEST

/* A lease only for a key asked for a moment ago, twice the size of what
 * its last lease spent; what a lapsed lease left unspent is handed back
 * once. */
START_TEST(test_plan_sizes_and_refunds)
{
	struct px_ratelease *rl = px_ratelease_new(64);
	int refund = -1, i;

	ck_assert_ptr_nonnull(rl);
	ck_assert_int_eq(px_ratelease_plan(rl, "write|user:7", 100, 60, &refund), 1);
	ck_assert_int_eq(refund, 0);
	px_ratelease_note(rl, "write|user:7", 100);
	/* a single token leaves nothing to spend and refuses nothing */
	ck_assert_int_eq(px_ratelease_take(rl, "write|user:7", 100), 0);
	ck_assert_int_eq(px_ratelease_plan(rl, "write|user:7", 101, 60, &refund), 2);
	ck_assert_int_eq(px_ratelease_plan(rl, "write|user:8", 101, 60, &refund), 1);
	/* cold again once the window has passed */
	ck_assert_int_eq(px_ratelease_plan(rl, "write|user:7", 100 + 2 * PX_RATELEASE_SECONDS + 1,
					   60, &refund), 1);
	/* a lease of 1 + 9 of which 5 are spent: the next one is 12, and the
	 * 4 left are given back, once */
	px_ratelease_put(rl, "write|user:7", 9, 110, 110 + PX_RATELEASE_SECONDS);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(px_ratelease_take(rl, "write|user:7", 111), 1);
	ck_assert_int_eq(px_ratelease_plan(rl, "write|user:7", 113, 60, &refund), 12);
	ck_assert_int_eq(refund, 4);
	ck_assert_int_eq(px_ratelease_take(rl, "write|user:7", 111), 0);
	ck_assert_int_eq(px_ratelease_plan(rl, "write|user:7", 113, 60, &refund), 12);
	ck_assert_int_eq(refund, 0);
	/* never more than max */
	px_ratelease_put(rl, "write|user:7", 99, 113, 113 + PX_RATELEASE_SECONDS);
	for (i = 0; i < 99; i++)
		ck_assert_int_eq(px_ratelease_take(rl, "write|user:7", 113), 1);
	ck_assert_int_eq(px_ratelease_plan(rl, "write|user:7", 114, 60, &refund), 60);
	ck_assert_int_eq(refund, 0);
	px_ratelease_free(rl);
}
END_TEST

START_TEST(test_full_table_recycles)
{
	struct px_ratelease *rl = px_ratelease_new(16);
	char key[64];
	int i, found = 0;

	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "read|user:%d", i);
		px_ratelease_put(rl, key, 1, 100 + i / 100, 100 + i / 100 + PX_RATELEASE_SECONDS);
	}
	/* the newest keys are there; nothing crashed or leaked */
	for (i = 990; i < 1000; i++) {
		snprintf(key, sizeof(key), "read|user:%d", i);
		found += px_ratelease_take(rl, key, 109);
	}
	ck_assert_int_gt(found, 0);
	/* over-long keys are never leased */
	px_ratelease_put(rl, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 5, 200, 202);
	px_ratelease_free(rl);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ratelease");
	TCase *tc = tcase_create("ratelease");

	tcase_add_test(tc, test_spend_and_lapse);
	tcase_add_test(tc, test_plan_sizes_and_refunds);
	tcase_add_test(tc, test_full_table_recycles);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
