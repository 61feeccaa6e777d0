/* check_backup_proc.c: helper programs started with posix_spawnp: output
 * captured, exit status and start failures reported, and the child's
 * signal state reset whatever the calling thread had. */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "backup/px_bk_proc.h"
#include "tests/unit/run_suite.h"

START_TEST(test_capture)
{
	const char *argv[] = { "sh", "-c", "printf 'a\\nb'; exit 3", NULL };
	struct px_buf out = PX_BUF_INIT, why = PX_BUF_INIT;

	ck_assert_int_eq(px_bk_proc_capture(argv, &out, &why), 3);
	ck_assert_uint_eq(out.len, 3);
	ck_assert(!memcmp(out.data, "a\nb", 3));
	ck_assert_uint_eq(why.len, 0);
	px_buf_free(&out);
	px_buf_free(&why);
}
END_TEST

START_TEST(test_not_found)
{
	const char *argv[] = { "px-no-such-program", NULL };
	struct px_buf out = PX_BUF_INIT, why = PX_BUF_INIT;

	ck_assert_int_eq(px_bk_proc_capture(argv, &out, &why), -1);
	px_buf_puts(&why, "");
	ck_assert_msg(strstr(why.data, "cannot start px-no-such-program: No such file"),
		      "got %s", why.data);
	px_buf_free(&out);
	px_buf_free(&why);
}
END_TEST

START_TEST(test_signalled)
{
	const char *argv[] = { "sh", "-c", "kill -KILL $$", NULL };
	struct px_buf out = PX_BUF_INIT, why = PX_BUF_INIT;

	ck_assert_int_eq(px_bk_proc_capture(argv, &out, &why), -1);
	px_buf_puts(&why, "");
	ck_assert_msg(strstr(why.data, "killed by signal 9"), "got %s", why.data);
	px_buf_free(&out);
	px_buf_free(&why);
}
END_TEST

/* A thread that blocks signals and ignores SIGPIPE starts a child: the
 * child has nothing blocked and SIGPIPE at its default (bit 13 of the
 * SigBlk and SigIgn masks in /proc/PID/status). */
START_TEST(test_signal_state)
{
	const char *argv[] = { "grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status", NULL };
	struct px_buf out = PX_BUF_INIT, why = PX_BUF_INIT;
	unsigned long long blk = ~0ull, ign = ~0ull;
	sigset_t set, old;
	char *p;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &set, &old), 0);
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(px_bk_proc_capture(argv, &out, &why), 0);
	signal(SIGPIPE, SIG_DFL);   /* as it was, for CK_FORK=no runs */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	px_buf_puts(&out, "");
	p = strstr(out.data, "SigBlk:");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sscanf(p, "SigBlk: %llx", &blk), 1);
	p = strstr(out.data, "SigIgn:");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sscanf(p, "SigIgn: %llx", &ign), 1);
	ck_assert_msg(blk == 0, "child blocks %llx", blk);
	ck_assert_msg(!(ign & (1ull << (SIGPIPE - 1))), "child ignores SIGPIPE: %llx", ign);
	px_buf_free(&out);
	px_buf_free(&why);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("backup_proc");
	TCase *tc = tcase_create("capture");

	tcase_add_test(tc, test_capture);
	tcase_add_test(tc, test_not_found);
	tcase_add_test(tc, test_signalled);
	tcase_add_test(tc, test_signal_state);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return px_check_run(suite(), CK_FORK_GETENV);
}
