/* px_bk_cmd_pitr.c: restore to a point in time (restore --to-time,
 * --to-xid, --to-lsn, --to-latest --target-dir DIR [--start]) and drill.
 * The data directory comes from the base backup chain (px_bk_pitr), the
 * WAL from the archive through archive-get; PostgreSQL itself replays it
 * and stops at the target. What the server did is then read back: from
 * the server (recovery over, table checks) and from its log (the point
 * it stopped at, the WAL file it could not get). */
#define _XOPEN_SOURCE 700
#include "backup/px_bk_cmd.h"

#include <errno.h>
#include <ftw.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "backup/px_bk_lock.h"
#include "backup/px_bk_pitr.h"
#include "backup/px_bk_proc.h"
#include "backup/px_bk_wal.h"

#define DEFAULT_PG_BIN "/usr/lib/postgresql/15/bin"

struct outcome {
	char last_wal[64];       /* the last WAL file restored from the archive */
	char point[96];          /* the last transaction replayed, as logged */
	char reason[512];        /* why recovery failed, when it did */
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Copies the text between the first pair of double quotes after key in
 * line into out. */
static void quoted_after(const char *line, const char *key, char *out, size_t n)
{
	const char *p = strstr(line, key), *q;

	if (!p || !(p = strchr(p + strlen(key), '"')) || !(q = strchr(p + 1, '"')))
		return;
	snprintf(out, n, "%.*s", (int)(q - p - 1), p + 1);
}

/* Reads the server log for the recovery's outcome. */
static void read_log(const char *dir, struct outcome *oc)
{
	char path[PATH_MAX + 64], line[2048], *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/plexichat-restore.log", dir);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strstr(line, "restored log file \"")) {
			char name[64] = "";

			/* segments only: history files are fetched at the end too */
			quoted_after(line, "restored log file", name, sizeof(name));
			if (strlen(name) == 24)
				snprintf(oc->last_wal, sizeof(oc->last_wal), "%s", name);
		}
		if ((p = strstr(line, "last completed transaction was at log time ")))
			snprintf(oc->point, sizeof(oc->point), "%s", p + 43);
		if (strstr(line, "FATAL:") || strstr(line, "PANIC:"))
			snprintf(oc->reason, sizeof(oc->reason), "%s", strstr(line, "FATAL:") ?
				 strstr(line, "FATAL:") : strstr(line, "PANIC:"));
	}
	fclose(f);
}

/* The report archive-get wrote about WAL files it could not deliver. */
static void read_report(const char *dir, struct px_buf *out)
{
	char path[PATH_MAX + 64], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/plexichat-restore.report", dir);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		px_buf_printf(out, "%s%s", out->len ? "; " : "", line);
	}
	fclose(f);
}

static int run_pg_ctl(struct px_bk_opts *o, const char *dir, const char *action)
{
	char pgctl[PATH_MAX + 16], opts[128], log[PATH_MAX + 64], tmo[32];
	const char *argv[12];
	struct px_buf out = PX_BUF_INIT, why = PX_BUF_INIT;
	int rc, i = 0;

	snprintf(pgctl, sizeof(pgctl), "%s/pg_ctl", o->pg_bin ? o->pg_bin : DEFAULT_PG_BIN);
	/* TCP on loopback only: a socket lock file in the data directory
	 * would travel into the next base backup of this cluster */
	snprintf(opts, sizeof(opts), "-p %d -k '' -c listen_addresses=127.0.0.1", o->port);
	snprintf(log, sizeof(log), "%s/plexichat-restore.log", dir);
	snprintf(tmo, sizeof(tmo), "%d", o->timeout > 0 ? o->timeout : 600);
	argv[i++] = pgctl;
	argv[i++] = "-D";
	argv[i++] = dir;
	argv[i++] = "-w";
	argv[i++] = "-t";
	argv[i++] = tmo;
	if (!strcmp(action, "start")) {
		argv[i++] = "-l";
		argv[i++] = log;
		argv[i++] = "-o";
		argv[i++] = opts;
	} else {
		argv[i++] = "-m";
		argv[i++] = "fast";
	}
	argv[i++] = action;
	argv[i] = NULL;
	rc = px_bk_proc_capture(argv, &out, &why);
	if (rc < 0)
		px_log_error(PX_BK_LOG_MODULE, NULL, "pg_ctl %s: %s", action, why.data ? why.data : "");
	px_buf_free(&out);
	px_buf_free(&why);
	return rc;
}

static void conninfo_of(struct px_bk_opts *o, const char *dir, struct px_buf *b)
{
	(void)dir;
	if (o->target_db)
		px_buf_puts(b, o->target_db);
	else
		px_buf_printf(b, "host=127.0.0.1 port=%d dbname=postgres connect_timeout=5", o->port);
}

/* Waits until the server has left recovery: 0; -1 when it stopped or
 * the time ran out. */
static int wait_promoted(struct px_bk_opts *o, const char *dir)
{
	struct px_buf ci = PX_BUF_INIT, pid = PX_BUF_INIT;
	double end = now_s() + (o->timeout > 0 ? o->timeout : 600);
	int done = -1;

	conninfo_of(o, dir, &ci);
	px_buf_printf(&pid, "%s/postmaster.pid", dir);
	while (done < 0 && now_s() < end && access(pid.data, F_OK) == 0) {
		PGconn *c = PQconnectdb(ci.data);
		PGresult *res = NULL;

		if (PQstatus(c) == CONNECTION_OK) {
			res = PQexec(c, "SELECT pg_is_in_recovery()");
			if (PQresultStatus(res) == PGRES_TUPLES_OK && !strcmp(PQgetvalue(res, 0, 0), "f"))
				done = 0;
		}
		PQclear(res);
		PQfinish(c);
		if (done < 0)
			usleep(200000);
	}
	px_buf_free(&ci);
	px_buf_free(&pid);
	return done;
}

/* Row count and md5 of every table in the comma-separated list, as JSON
 * into out. -1 when a table cannot be read. */
static int check_tables(struct px_bk_opts *o, const char *dir, struct px_buf *out)
{
	struct px_buf ci = PX_BUF_INIT, sql = PX_BUF_INIT;
	char *list = strdup(o->check ? o->check : ""), *save = NULL, *t, *dot;
	PGconn *c;
	int rc = 0;

	conninfo_of(o, dir, &ci);
	c = PQconnectdb(ci.data);
	px_buf_putc(out, '[');
	for (t = strtok_r(list, ",", &save); t && PQstatus(c) == CONNECTION_OK;
	     t = strtok_r(NULL, ",", &save)) {
		char *a = NULL, *b;
		PGresult *res;

		/* an identifier is not a parameter: quoted by libpq instead */
		dot = strchr(t, '.');
		if (dot)
			*dot = '\0';
		b = PQescapeIdentifier(c, dot ? dot + 1 : t, strlen(dot ? dot + 1 : t));
		if (dot)
			a = PQescapeIdentifier(c, t, strlen(t));
		px_buf_reset(&sql);
		px_buf_printf(&sql, "SELECT count(*), md5(coalesce(string_agg(x::text, ',' ORDER BY "
			      "x::text), '')) FROM %s%s%s x", a ? a : "", a ? "." : "", b ? b : "");
		res = PQexec(c, sql.data);
		if (dot)
			*dot = '.';
		if (PQresultStatus(res) == PGRES_TUPLES_OK) {
			px_buf_printf(out, "%s{\"table\":", out->len > 1 ? "," : "");
			px_buf_json_str(out, t, strlen(t));
			px_buf_printf(out, ",\"rows\":%s,\"md5\":\"%s\"}", PQgetvalue(res, 0, 0),
				      PQgetvalue(res, 0, 1));
		} else {
			px_log_error(PX_BK_LOG_MODULE, NULL, "check of %s failed: %s", t,
				     PQerrorMessage(c));
			rc = -1;
		}
		PQclear(res);
		PQfreemem(a);
		PQfreemem(b);
	}
	if (PQstatus(c) != CONNECTION_OK) {
		px_log_error(PX_BK_LOG_MODULE, NULL, "cannot connect to the restored cluster: %s",
			     PQerrorMessage(c));
		rc = -1;
	}
	px_buf_putc(out, ']');
	PQfinish(c);
	free(list);
	px_buf_free(&ci);
	px_buf_free(&sql);
	return rc;
}

/* With no target, recovery ends where the archive ends; it must not end
 * before a segment of the same timeline that was in the archive when the
 * restore began (l, listed then: the source may go on archiving): then
 * the next one is missing or damaged. 0, or -1 with the reason in why. */
static int check_gap(const struct px_bk_wal_names *l, const struct outcome *oc,
		     struct px_buf *why)
{
	size_t i;

	if (strlen(oc->last_wal) != 24)
		return 0;
	for (i = 0; i < l->n; i++)
		if (strlen(l->names[i]) == 24 && !strncmp(l->names[i], oc->last_wal, 8) &&
		    strcmp(l->names[i], oc->last_wal) > 0) {
			px_buf_printf(why, "recovery stopped after %s although the archive holds %s: "
				      "the WAL file after %s is missing or damaged", oc->last_wal,
				      l->names[i], oc->last_wal);
			return -1;
		}
	return 0;
}

static int remove_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(p);
}

/* restore into a data directory, or (drill) into a scratch one that is
 * reported on and removed. */
static int pitr(struct px_bk_opts *o, int drill)
{
	struct px_bk_repo *r = NULL;
	struct px_bk_lock *lock = NULL;
	struct px_bk_target t;
	struct px_buf err = PX_BUF_INIT, cmd = PX_BUF_INIT, sub = PX_BUF_INIT, checks = PX_BUF_INIT;
	struct outcome oc;
	struct px_bk_wal_names archived = { NULL, 0 };
	json_object **chain = NULL;
	size_t n = 0;
	char dir[PATH_MAX] = "", scratch[] = "/tmp/plexichat-drill-XXXXXX";
	double t0 = now_s(), t1 = 0, t2 = 0;
	uint64_t bytes = 0;
	enum px_err rc;
	int code, started = 0, start = drill || o->start;

	memset(&oc, 0, sizeof(oc));
	if (px_bk_target_parse((enum px_bk_target_kind)o->to_kind, o->to_value ? o->to_value : "",
			       &t) != 0) {
		fprintf(stderr, "bad recovery target \"%s\"\n", o->to_value ? o->to_value : "");
		return PX_BK_EXIT_USAGE;
	}
	if (start && (o->port <= 0 || geteuid() == 0)) {
		fprintf(stderr, "%s needs --port N and must run as the PostgreSQL user (not root)\n",
			drill ? "drill" : "restore --start");
		return PX_BK_EXIT_USAGE;
	}
	if (!o->target_dir && !drill) {
		fprintf(stderr, "restore --to-... needs --target-dir DIR\n");
		return PX_BK_EXIT_USAGE;
	}
	if (!o->target_dir && !mkdtemp(scratch)) {
		perror("mkdtemp");
		return PX_BK_EXIT_INTERNAL;
	}
	snprintf(dir, sizeof(dir), "%s", o->target_dir ? o->target_dir : scratch);
	code = px_bk_open_repo(o, &r);
	if (code != PX_BK_EXIT_OK)
		goto done;
	rc = px_bk_lock_take(r, "restore", 0, px_bk_opt_lock_ttl(o), &lock, &err);
	if (rc == PX_OK)
		rc = px_bk_chain_for(r, &t, &chain, &n, &err);
	if (rc == PX_OK)
		rc = px_bk_pitr_materialize(r, chain, n, dir, &bytes, &err);
	px_bk_lock_release(lock);
	if (rc != PX_OK) {
		code = px_bk_fail(rc, drill ? "drill" : "restore", &err);
		goto done;
	}
	{
		char abs[PATH_MAX];

		if (!realpath(dir, abs)) {
			code = PX_BK_EXIT_INTERNAL;
			goto done;
		}
		snprintf(dir, sizeof(dir), "%s", abs);
	}
	px_buf_puts(&sub, "--report ");
	px_bk_sh_quote(&sub, dir);
	px_buf_puts(&sub, "/plexichat-restore.report archive-get %f %p");
	px_bk_self_command(o, sub.data, &cmd);
	rc = cmd.failed ? PX_E_SYSTEM_INTERNAL : px_bk_pitr_configure(dir, cmd.data, &t, &err);
	if (rc != PX_OK) {
		code = px_bk_fail(rc, "restore", &err);
		goto done;
	}
	t1 = now_s();
	if (start && t.kind == PX_BK_TO_LATEST && px_bk_wal_list(r->store, &archived) != PX_OK) {
		code = px_bk_fail(PX_E_STORAGE_FAILED, "list the WAL archive", &r->store->errmsg);
		goto done;
	}
	if (start) {
		started = run_pg_ctl(o, dir, "start") == 0;
		if (started && wait_promoted(o, dir) == 0)
			t2 = now_s();
		read_log(dir, &oc);
		px_buf_reset(&err);
		if (!t2) {
			px_buf_printf(&err, "recovery did not reach its target; last WAL file restored: %s; %s",
				      oc.last_wal[0] ? oc.last_wal : "none",
				      oc.reason[0] ? oc.reason : "the server did not come up (see its log)");
			read_report(dir, &err);
		} else if (t.kind == PX_BK_TO_LATEST && check_gap(&archived, &oc, &err) != 0) {
			read_report(dir, &err);
			t2 = 0;
		}
		if (!t2) {
			px_log_error(PX_BK_LOG_MODULE, NULL, "%s failed: %s (log: %s/plexichat-restore.log)",
				     drill ? "drill" : "restore", err.data, dir);
			code = PX_BK_EXIT_RECOVERY;
		} else if (o->check && check_tables(o, dir, &checks) != 0) {
			code = PX_BK_EXIT_RECOVERY;
		}
	}
	{
		struct px_buf f = PX_BUF_INIT;

		px_buf_printf(&f, "{\"base\":\"%s\",\"chain\":%zu,\"target\":\"%s\",\"dir\":",
			      strchr(json_object_get_string(json_object_object_get(chain[n - 1], "name")), '/') + 1,
			      n, t.kind == PX_BK_TO_LATEST ? "latest" : t.text);
		px_buf_json_str(&f, dir, strlen(dir));
		px_buf_printf(&f, ",\"restored_bytes\":%llu,\"restore_seconds\":%.3f",
			      (unsigned long long)bytes, t1 - t0);
		if (start)
			px_buf_printf(&f, ",\"recovered\":%s,\"recovery_seconds\":%.3f,\"last_wal\":\"%s\","
				      "\"recovery_point\":\"%s\"", t2 ? "true" : "false",
				      t2 ? t2 - t1 : 0.0, oc.last_wal, oc.point);
		if (checks.len)
			px_buf_printf(&f, ",\"checks\":%s", checks.data);
		px_buf_putc(&f, '}');
		printf("%s\n", f.data ? f.data : "{}");
		if (code == PX_BK_EXIT_OK)
			px_log_fields(PX_LOG_INFO, PX_BK_LOG_MODULE, NULL, f.data ? f.data : "{}",
				      "%s done", drill ? "drill" : "restore");
		px_buf_free(&f);
	}
	if (!start)
		printf("start it with: pg_ctl -D %s start   (it replays the archive and %s)\n", dir,
		       t.kind == PX_BK_TO_LATEST ? "opens at its end" : "promotes at the target");
done:
	if (drill && started)
		(void)run_pg_ctl(o, dir, "stop");
	/* only a scratch folder this run made: never one it was given */
	if (drill && !o->keep && !o->target_dir && dir[0])
		nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	px_bk_wal_names_free(&archived);
	px_bk_chain_free(chain, n);
	px_bk_repo_close(r);
	px_buf_free(&err);
	px_buf_free(&cmd);
	px_buf_free(&sub);
	px_buf_free(&checks);
	return code;
}

int px_bk_cmd_pitr_restore(struct px_bk_opts *o)
{
	return pitr(o, 0);
}

int px_bk_cmd_drill(struct px_bk_opts *o, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return pitr(o, 1);
}
