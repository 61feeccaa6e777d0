/* check_backup_cli.c: px_bk_write_private, which `key export --out` uses:
 * a new owner-only file, never an existing one, no partial file and no
 * open descriptor left after a failure. */
#include <check.h>
#include <errno.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/px_bk_cli.h"
#include "tests/unit/bk_fixture.h"
#include "tests/unit/run_suite.h"

/* Open descriptors of this process. */
static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void path_of(char *p, size_t n, const char *name)
{
	snprintf(p, n, "%s/%s", bk_root, name);
}

START_TEST(test_write)
{
	char p[128], got[16] = "";
	struct stat st;
	FILE *f;
	int fds = fd_count();

	path_of(p, sizeof(p), "key");
	ck_assert_int_eq(px_bk_write_private(p, "secret\n", 7), 0);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	f = fopen(p, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(got, 1, sizeof(got) - 1, f), 7);
	fclose(f);
	ck_assert_str_eq(got, "secret\n");
	ck_assert_int_eq(fd_count(), fds);
}
END_TEST

START_TEST(test_exists)
{
	char p[128], got[16] = "";
	FILE *f;
	int fds;

	path_of(p, sizeof(p), "key");
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs("old", f);
	fclose(f);
	fds = fd_count();
	errno = 0;
	ck_assert_int_eq(px_bk_write_private(p, "new", 3), -1);
	ck_assert_int_eq(errno, EEXIST);
	f = fopen(p, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(got, 1, sizeof(got) - 1, f), 3);
	fclose(f);
	ck_assert_str_eq(got, "old");
	ck_assert_int_eq(fd_count(), fds);
}
END_TEST

/* A write that fails half-way (a 16-byte file size limit): the partial
 * file is removed and its descriptor closed. */
START_TEST(test_write_fails)
{
	struct rlimit old, lim;
	char p[128], data[100];
	int fds = fd_count(), rc, e;

	memset(data, 'k', sizeof(data));
	path_of(p, sizeof(p), "key");
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 16;
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rc = px_bk_write_private(p, data, sizeof(data));
	e = errno;
	setrlimit(RLIMIT_FSIZE, &old);   /* as it was, for CK_FORK=no runs */
	signal(SIGXFSZ, SIG_DFL);
	ck_assert_int_eq(rc, -2);
	ck_assert_int_eq(e, EFBIG);
	ck_assert_int_eq(access(p, F_OK), -1);
	ck_assert_int_eq(fd_count(), fds);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("backup_cli");
	TCase *tc = tcase_create("write_private");

	tcase_add_checked_fixture(tc, bk_fixture_setup, bk_fixture_teardown);
	tcase_add_test(tc, test_write);
	tcase_add_test(tc, test_exists);
	tcase_add_test(tc, test_write_fails);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return px_check_run(suite(), CK_FORK_GETENV);
}
