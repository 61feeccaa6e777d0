/* px_bk_cmd_sched.c: the schedule command. One crontab line runs
 * "plexichat-backup schedule FILE" daily; FILE says what each day does:
 *
 *   # DAYS     ACTION [ARGS...]
 *   sun        base-backup --full
 *   mon-sat    base-backup
 *   *          backup
 *   *          prune
 *   1          drill --port 5499 --to-latest
 *
 * DAYS is "*", weekday names (mon..sun) or days of the month (1..31), as
 * a comma list of single days and ranges. Matching lines run in file
 * order, each as a child run of this program with the same store
 * options; the first failure stops the rest (no prune after a failed
 * backup) and is the exit code. */
#include "backup/px_bk_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/log.h"
#include "backup/px_bk_proc.h"

static const char *const wdays[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
static const char *const actions[] = { "backup", "base-backup", "prune", "verify", "drill" };

/* A day token: weekday (0..6) as 100 + n, day of month as n; -1 bad. */
static int day_of(const char *s, size_t n)
{
	char *end;
	long v;
	int i;

	for (i = 0; i < 7; i++)
		if (n == 3 && !strncmp(s, wdays[i], 3))
			return 100 + i;
	v = strtol(s, &end, 10);
	return end == s + n && v >= 1 && v <= 31 ? (int)v : -1;
}

/* Whether days ("*", "mon-fri,sun", "1,15") include tm; -1 when malformed. */
static int matches(const char *days, const struct tm *tm)
{
	const char *p = days;
	int hit = 0;

	if (!strcmp(days, "*"))
		return 1;
	while (*p) {
		size_t n = strcspn(p, ",");
		const char *dash = memchr(p, '-', n);
		int a = day_of(p, dash ? (size_t)(dash - p) : n);
		int b = dash ? day_of(dash + 1, n - (size_t)(dash - p) - 1) : a;

		if (a < 0 || b < 0 || (a >= 100) != (b >= 100) || b < a)
			return -1;
		if (a >= 100 ? (tm->tm_wday >= a - 100 && tm->tm_wday <= b - 100) :
		    (tm->tm_mday >= a && tm->tm_mday <= b))
			hit = 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return hit;
}

/* The day to plan for: argv[1] as YYYY-MM-DD, else today (local time,
 * as cron sees it). */
static int plan_day(int argc, char **argv, struct tm *tm)
{
	time_t now = time(NULL);

	localtime_r(&now, tm);
	if (argc < 2)
		return 0;
	memset(tm, 0, sizeof(*tm));
	if (sscanf(argv[1], "%4d-%2d-%2d", &tm->tm_year, &tm->tm_mon, &tm->tm_mday) != 3)
		return -1;
	tm->tm_year -= 1900;
	tm->tm_mon -= 1;
	tm->tm_hour = 12;
	now = timegm(tm);   /* and back, for the weekday */
	return now == (time_t)-1 || !gmtime_r(&now, tm) ? -1 : 0;
}

static int run_line(struct px_bk_opts *o, const char *action, const char *args)
{
	struct px_buf sub = PX_BUF_INIT, cmd = PX_BUF_INIT, out = PX_BUF_INIT, why = PX_BUF_INIT;
	const char *argv[4] = { "/bin/sh", "-c", NULL, NULL };
	int rc;

	/* args are the schedule file's own words: the file is configuration,
	 * as trusted as the crontab line that names it */
	px_buf_printf(&sub, "%s %s", action, args);
	px_bk_self_command(o, sub.data ? sub.data : action, &cmd);
	if (o->db && (!strcmp(action, "base-backup") || !strcmp(action, "backup"))) {
		px_buf_puts(&cmd, " --db ");
		px_bk_sh_quote(&cmd, o->db);
	}
	argv[2] = cmd.data;
	px_log_info(PX_BK_LOG_MODULE, NULL, "schedule: %s %s", action, args);
	rc = cmd.failed ? -1 : px_bk_proc_capture(argv, &out, &why);
	if (out.len)
		fputs(out.data, stdout);
	if (rc < 0)
		px_log_error(PX_BK_LOG_MODULE, NULL, "schedule: cannot run %s: %s", action,
			     why.data ? why.data : "");
	px_buf_free(&sub);
	px_buf_free(&cmd);
	px_buf_free(&out);
	px_buf_free(&why);
	return rc < 0 ? PX_BK_EXIT_INTERNAL : rc;
}

int px_bk_cmd_schedule(struct px_bk_opts *o, int argc, char **argv)
{
	char line[1024], days[128], action[64];
	struct tm tm;
	FILE *f;
	int lineno = 0, code = PX_BK_EXIT_OK, used, m;
	size_t i;

	if (argc < 1 || argc > 2 || plan_day(argc, argv, &tm) != 0) {
		fprintf(stderr, "usage: schedule FILE [YYYY-MM-DD] [--dry-run]\n");
		return PX_BK_EXIT_USAGE;
	}
	f = fopen(argv[0], "re");
	if (!f) {
		px_log_error(PX_BK_LOG_MODULE, NULL, "cannot read schedule %s", argv[0]);
		return PX_BK_EXIT_USAGE;
	}
	/* the whole file is checked before anything runs */
	for (int pass = 0; pass < 2 && code == PX_BK_EXIT_OK; pass++) {
		rewind(f);
		lineno = 0;
		while (code == PX_BK_EXIT_OK && fgets(line, sizeof(line), f)) {
			lineno++;
			line[strcspn(line, "#\n")] = '\0';
			if (sscanf(line, " %127s %63s %n", days, action, &used) < 2) {
				if (strspn(line, " \t") != strlen(line))
					goto bad;
				continue;
			}
			for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
				if (!strcmp(action, actions[i]))
					break;
			m = matches(days, &tm);
			if (i == sizeof(actions) / sizeof(actions[0]) || m < 0)
				goto bad;
			if (pass == 0 || !m)
				continue;
			if (o->dry_run)
				printf("{\"would_run\":\"%s %s\"}\n", action, line + used);
			else
				code = run_line(o, action, line + used);
			continue;
bad:
			px_log_error(PX_BK_LOG_MODULE, NULL, "%s:%d: want DAYS ACTION [ARGS], DAYS * or "
				     "mon-fri,sun or 1,15, ACTION one of backup, base-backup, prune, "
				     "verify, drill", argv[0], lineno);
			code = PX_BK_EXIT_USAGE;
		}
	}
	fclose(f);
	return code;
}
