/* check_gen.c: the change generation is shared by every process that maps
 * the same file, each opening it on its own; without a file there is none. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/gen.h"
#include "tests/unit/run_suite.h"

/* The child's side: opens the file itself, raises the generation three
 * times, then after the parent's two checks that it sees five. */
static int child(const char *path, int to_parent, int from_parent)
{
	char c;
	int i;

	if (px_gen_open(path) != 0)
		return 10;
	for (i = 0; i < 3; i++)
		px_gen_bump();
	if (write(to_parent, "x", 1) != 1 || read(from_parent, &c, 1) != 1)
		return 11;
	return px_gen_now() == 5 ? 0 : 12;
}

START_TEST(test_shared_between_processes)
{
	char dir[64], path[96];
	int up[2], down[2], status;
	pid_t pid;
	char c;

	/* nothing mapped: no generation, and raising it does nothing */
	ck_assert_int_eq(px_gen_now(), -1);
	px_gen_bump();
	ck_assert_int_eq(px_gen_now(), -1);
	ck_assert_int_eq(px_gen_open("/nonexistent-px-dir/generation"), -1);
	ck_assert_int_eq(px_gen_now(), -1);

	snprintf(dir, sizeof(dir), "/tmp/px-gen-%ld", (long)getpid());
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/generation", dir);
	ck_assert_int_eq(pipe(up), 0);
	ck_assert_int_eq(pipe(down), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(child(path, up[1], down[0]));
	ck_assert_int_eq(px_gen_open(path), 0);
	ck_assert_int_eq(read(up[0], &c, 1), 1);
	ck_assert_int_eq(px_gen_now(), 3);
	px_gen_bump();
	px_gen_bump();
	ck_assert_int_eq(px_gen_now(), 5);
	ck_assert_int_eq(write(down[1], "x", 1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	/* a second open keeps the first mapping */
	ck_assert_int_eq(px_gen_open("/nonexistent-px-dir/generation"), 0);
	ck_assert_int_eq(px_gen_now(), 5);
	unlink(path);
	rmdir(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gen");
	TCase *tc = tcase_create("gen");

	tcase_add_test(tc, test_shared_between_processes);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_FORK_GETENV);
}
