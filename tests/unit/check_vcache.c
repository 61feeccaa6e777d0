/* check_vcache.c: a cached string comes back only for its own key and
 * version, within its age; oversized entries and empty caches never hit. */
#include <check.h>
#include <string.h>
#include <unistd.h>

#include "core/vcache.h"
#include "tests/unit/run_suite.h"

START_TEST(test_key_and_version)
{
	struct px_vcache *c = px_vcache_new(64, 1024, 60);
	struct px_buf out = PX_BUF_INIT;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(px_vcache_get(c, 7, 50, 100, &out), 0);
	px_vcache_put(c, 7, 50, 100, "{\"a\":1}", 7);
	ck_assert_int_eq(px_vcache_get(c, 7, 50, 100, &out), 1);
	ck_assert_str_eq(out.data, "{\"a\":1}");
	/* another version, limit or channel is a miss and leaves out alone */
	ck_assert_int_eq(px_vcache_get(c, 7, 50, 101, &out), 0);
	ck_assert_int_eq(px_vcache_get(c, 7, 20, 100, &out), 0);
	ck_assert_int_eq(px_vcache_get(c, 8, 50, 100, &out), 0);
	ck_assert_uint_eq(out.len, 7);
	/* a newer put replaces the entry */
	px_vcache_put(c, 7, 50, 101, "new", 3);
	ck_assert_int_eq(px_vcache_get(c, 7, 50, 100, &out), 0);
	ck_assert_int_eq(px_vcache_get(c, 7, 50, 101, &out), 1);
	ck_assert_str_eq(out.data, "{\"a\":1}new");
	px_buf_free(&out);
	px_vcache_free(c);
}
END_TEST

START_TEST(test_bounds)
{
	struct px_vcache *c = px_vcache_new(4, 8, 2);
	struct px_vcache *off = px_vcache_new(0, 8, 60);
	struct px_buf out = PX_BUF_INIT;
	long long i;
	int hits = 0;

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(off);
	px_vcache_put(c, 1, 1, 1, "123456789", 9);
	ck_assert_int_eq(px_vcache_get(c, 1, 1, 1, &out), 0);
	px_vcache_put(off, 1, 1, 1, "x", 1);
	ck_assert_int_eq(px_vcache_get(off, 1, 1, 1, &out), 0);
	/* more keys than slots: some are dropped, none is confused */
	for (i = 0; i < 100; i++)
		px_vcache_put(c, i, 1, i, "v", 1);
	for (i = 0; i < 100; i++) {
		int rc = px_vcache_get(c, i, 1, i, &out);

		ck_assert_int_ge(rc, 0);
		hits += rc;
		ck_assert_int_eq(px_vcache_get(c, i, 1, i + 1, &out), 0);
	}
	ck_assert_int_ge(hits, 1);
	ck_assert_int_le(hits, 4);
	/* entries expire after max_age seconds */
	px_vcache_put(c, 500, 1, 1, "old", 3);
	sleep(3);
	ck_assert_int_eq(px_vcache_get(c, 500, 1, 1, &out), 0);
	px_buf_free(&out);
	px_vcache_free(c);
	px_vcache_free(off);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vcache");
	TCase *tc = tcase_create("vcache");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_key_and_version);
	tcase_add_test(tc, test_bounds);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
