/* check_cfg.c: configuration loading, validation messages, environment
 * overrides and secret files. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cfg.h"
#include "tests/unit/run_suite.h"

static char tmpdir[] = "/tmp/px-cfg-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}

static const struct {
	int line;
	const char *text;
	const char *want; /* substring of the error, or NULL for success */
} cases[] = {
	{ __LINE__, "# c\nworkers = 8\n", NULL },
	{ __LINE__, "workers = \"8\"\nlog_level = debug\n", NULL },
	{ __LINE__, "\n\nworkers = eight\n", "c.conf:3: workers: expected an integer" },
	{ __LINE__, "workers = 0\n", "c.conf:1: workers: out of range" },
	{ __LINE__, "workers = 99999\n", "c.conf:1: workers: out of range" },
	{ __LINE__, "rate_limit = maybe\n", "c.conf:1: rate_limit: expected on/off" },
	{ __LINE__, "log_level = loud\n", "c.conf:1: log_level: not one of the allowed values" },
	{ __LINE__, "nope = 1\n", "c.conf:1: nope: unknown key" },
	{ __LINE__, "workers\n", "c.conf:1: expected key = value" },
	{ __LINE__, "workers_file = /x\n", "c.conf:1: workers_file: unknown key" },
	{ __LINE__, "secret_key_file = /nonexistent/x\n", "secret_key_file: cannot read the secret file" },
};

START_TEST(test_file_cases)
{
	struct px_buf err = PX_BUF_INIT;
	struct px_cfg *c = NULL;
	const char *p = write_file("c.conf", cases[_i].text);
	int rc = px_cfg_load(p, &c, &err);

	if (!cases[_i].want) {
		ck_assert_msg(rc == 0, "line %d: want success, got %s", cases[_i].line,
			      err.data ? err.data : "?");
		px_cfg_free(c);
	} else {
		ck_assert_msg(rc != 0 && err.data && strstr(err.data, cases[_i].want),
			      "line %d: want error containing '%s', got '%s'",
			      cases[_i].line, cases[_i].want, err.data ? err.data : "(none)");
	}
	px_buf_free(&err);
}
END_TEST

START_TEST(test_values_and_env)
{
	struct px_buf err = PX_BUF_INIT, dump = PX_BUF_INIT;
	struct px_cfg *c = NULL;
	const char *p;

	p = write_file("v.conf", "workers = 8\nrate_limit = no\n");
	setenv("PLEXICHAT_WORKERS", "12", 1);
	ck_assert_int_eq(px_cfg_load(p, &c, &err), 0);
	ck_assert_int_eq(px_cfg_int(c, "workers"), 12); /* env wins over file */
	ck_assert_int_eq(px_cfg_bool(c, "rate_limit"), 0);
	ck_assert_int_eq(px_cfg_bool(c, "waf_auto_block"), 1); /* default */
	ck_assert_str_eq(px_cfg_path(c), p);
	ck_assert(px_cfg_stamp(c) > 0 && px_cfg_stamp(c) == px_cfg_file_stamp(p));
	px_cfg_free(c);
	setenv("PLEXICHAT_WORKERS", "x", 1);
	ck_assert_int_ne(px_cfg_load(p, &c, &err), 0);
	ck_assert(strstr(err.data, "environment: PLEXICHAT_WORKERS: expected an integer"));
	unsetenv("PLEXICHAT_WORKERS");
	px_buf_free(&err);
	px_buf_free(&dump);
}
END_TEST

START_TEST(test_secret_file_never_dumped)
{
	struct px_buf err = PX_BUF_INIT, dump = PX_BUF_INIT;
	struct px_cfg *c = NULL;
	char conf[512], sp[256];

	snprintf(sp, sizeof(sp), "%s", write_file("secret", "hunter2-very-secret\n"));

	snprintf(conf, sizeof(conf), "secret_key_file = %s\n", sp);
	ck_assert_int_eq(px_cfg_load(write_file("s.conf", conf), &c, &err), 0);
	ck_assert_str_eq(px_cfg_str(c, "secret_key"), "hunter2-very-secret");
	px_cfg_dump_json(c, &dump);
	ck_assert(strstr(dump.data, "\"secret_key\":\"***\""));
	ck_assert(!strstr(dump.data, "hunter2"));
	px_cfg_free(c);
	setenv("PLEXICHAT_DB_PASSWORD_FILE", sp, 1);
	ck_assert_int_eq(px_cfg_load(NULL, &c, &err), 0);
	ck_assert_str_eq(px_cfg_str(c, "db_password"), "hunter2-very-secret");
	unsetenv("PLEXICHAT_DB_PASSWORD_FILE");
	px_cfg_free(c);
	px_buf_free(&err);
	px_buf_free(&dump);
}
END_TEST

/* A file's relative paths are taken from the file's folder, so that a
 * whole installation can move (shared hosting); the environment's are not. */
START_TEST(test_relative_paths_from_the_file)
{
	struct px_buf err = PX_BUF_INIT, want = PX_BUF_INIT;
	struct px_cfg *c = NULL;
	char real[4096];

	ck_assert_ptr_nonnull(realpath(tmpdir, real));
	write_file("pw", "from-a-relative-file\n");
	ck_assert_int_eq(px_cfg_load(write_file("r.conf", "data_dir = data\nsql_dir = /abs/sql\n"
							 "waf_rules = rules/waf.rules\n"
							 "db_password_file = pw\npublic_url = x/y\n"),
				     &c, &err), 0);
	px_buf_printf(&want, "%s/data", real);
	ck_assert_str_eq(px_cfg_str(c, "data_dir"), want.data);
	px_buf_reset(&want);
	px_buf_printf(&want, "%s/rules/waf.rules", real);
	ck_assert_str_eq(px_cfg_str(c, "waf_rules"), want.data);
	ck_assert_str_eq(px_cfg_str(c, "sql_dir"), "/abs/sql");
	ck_assert_str_eq(px_cfg_str(c, "db_password"), "from-a-relative-file");
	/* not a path key: as written */
	ck_assert_str_eq(px_cfg_str(c, "public_url"), "x/y");
	px_cfg_free(c);
	setenv("PLEXICHAT_DATA_DIR", "rel", 1);
	ck_assert_int_eq(px_cfg_load(NULL, &c, &err), 0);
	ck_assert_str_eq(px_cfg_str(c, "data_dir"), "rel");
	unsetenv("PLEXICHAT_DATA_DIR");
	px_cfg_free(c);
	px_buf_free(&err);
	px_buf_free(&want);
}
END_TEST

START_TEST(test_world_writable_refused)
{
	struct px_buf err = PX_BUF_INIT;
	struct px_cfg *c = NULL;
	const char *p = write_file("ww.conf", "workers = 2\n");

	ck_assert_int_eq(chmod(p, 0666), 0);
	ck_assert_int_eq(px_cfg_load(p, &c, &err), -1);
	ck_assert_msg(err.data && strstr(err.data, "writable by every user"), "got %s", err.data);
	ck_assert_int_eq(chmod(p, 0664), 0);
	px_buf_reset(&err);
	ck_assert_int_eq(px_cfg_load(p, &c, &err), 0);
	px_cfg_free(c);
	px_buf_free(&err);
}
END_TEST

/* Without -c or PLEXICHAT_CONFIG: plexichat.conf beside the program, and
 * only when it exists. */
START_TEST(test_locate)
{
	struct px_buf found = PX_BUF_INIT;
	char exe[4096], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *r;

	ck_assert_int_gt(n, 0);
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	*slash = '\0';
	ck_assert_str_eq(px_cfg_locate("/given.conf", &found), "/given.conf");
	setenv("PLEXICHAT_CONFIG", "/env.conf", 1);
	ck_assert_str_eq(px_cfg_locate(NULL, &found), "/env.conf");
	unsetenv("PLEXICHAT_CONFIG");
	r = px_cfg_locate(NULL, &found);
	if (access(strcat(exe, "/plexichat.conf"), F_OK) == 0)
		ck_assert_str_eq(r, exe);
	else
		ck_assert_ptr_null(r);
	px_buf_free(&found);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cfg");
	TCase *tc = tcase_create("cfg");

	if (!mkdtemp(tmpdir))
		return EXIT_FAILURE;
	tcase_add_loop_test(tc, test_file_cases, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_values_and_env);
	tcase_add_test(tc, test_secret_file_never_dumped);
	tcase_add_test(tc, test_relative_paths_from_the_file);
	tcase_add_test(tc, test_world_writable_refused);
	tcase_add_test(tc, test_locate);
	suite_add_tcase(s, tc);
	return px_check_run(s, CK_NOFORK);
}
