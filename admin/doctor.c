/* admin/doctor.c: plexichat-admin doctor. Runs a fixed list of checks
 * (configuration, database, schema, web server, TLS certificate, file
 * permissions, clock, disk, backups); each ends as ok, warn, fail or skip
 * (could not be judged because an earlier check failed) with a detail line
 * and, unless ok, what to do. Only reads: it never changes anything. */
#include "admin/doctor.h"

#include "admin/probe.h"
#include "core/cfg.h"
#include "core/db.h"
#include "core/migrate.h"
#include "model/ops.h"

#include <grp.h>
#include <json-c/json.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <unistd.h>

enum level { L_OK, L_SKIP, L_WARN, L_FAIL };
static const char *const level_name[] = { "ok", "skip", "warn", "fail" };

#define MAX_CHECKS 16

struct check {
	const char *name;
	enum level level;
	char detail[640];
	char fix[640];
};

struct doctor {
	struct admin *a;
	struct check c[MAX_CHECKS];
	size_t n;
	long timeout;
	const char *service_user;
	int db_ok;
	struct px_buf conf_text; /* the configuration file, "" when unreadable */
};

/* Records one result; fix may be NULL (nothing to do). */
static void report(struct doctor *d, const char *name, enum level lv, const char *fix,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void report(struct doctor *d, const char *name, enum level lv, const char *fix,
		   const char *fmt, ...)
{
	struct check *c;
	va_list ap;

	if (d->n >= MAX_CHECKS)
		return;
	c = &d->c[d->n++];
	c->name = name;
	c->level = lv;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	snprintf(c->fix, sizeof(c->fix), "%s", fix ? fix : "");
}

static void check_config(struct doctor *d)
{
	struct admin *a = d->a;

	if (!a->cfg) {
		char fix[600];

		snprintf(fix, sizeof(fix), "correct the key named above in %s (docs/CONFIGURATION.md), "
			 "then run: plexichat-admin config check", a->cfg_path ? a->cfg_path : "the file");
		report(d, "config", L_FAIL, fix, "%s", a->cfg_error ? a->cfg_error : "not loaded");
		return;
	}
	if (!a->cfg_path) {
		report(d, "config", L_WARN, "pass -c /etc/plexichat/plexichat.conf or set PLEXICHAT_CONFIG",
		       "no configuration file given: defaults and environment only");
		return;
	}
	if (px_cfg_str(a->cfg, "secret_key")[0] == '\0') {
		report(d, "config", L_FAIL, "write 64 hex characters (od -An -tx1 -N32 /dev/urandom | tr -d ' \\n') "
		       "to a file readable by the service and set secret_key_file",
		       "%s loads, but secret_key is empty", a->cfg_path);
		return;
	}
	report(d, "config", L_OK, NULL, "%s loads and validates", a->cfg_path);
}

static void check_database(struct doctor *d)
{
	struct px_buf err = PX_BUF_INIT;
	PGconn *pg;
	int pending, contracts = 0;

	if (!d->a->cfg) {
		report(d, "database", L_SKIP, NULL, "not checked: the configuration did not load");
		report(d, "schema", L_SKIP, NULL, "not checked: the configuration did not load");
		return;
	}
	pg = px_db_conn(d->a->db);
	if (!pg) {
		report(d, "database", L_FAIL,
		       "start PostgreSQL (systemctl start postgresql) and check db_conninfo and db_password(_file)",
		       "cannot connect with db_conninfo = %s", px_cfg_str(d->a->cfg, "db_conninfo"));
		report(d, "schema", L_SKIP, NULL, "not checked: no database connection");
		return;
	}
	d->db_ok = 1;
	report(d, "database", L_OK, NULL, "connected: PostgreSQL %d, database %s",
	       PQserverVersion(pg) / 10000, PQdb(pg));
	pending = px_migrate_pending(d->a->db, px_cfg_str(d->a->cfg, "sql_dir"), &contracts, &err);
	if (pending < 0)
		report(d, "schema", L_FAIL, "check sql_dir and the database user's rights",
		       "cannot compare the schema with %s: %s", px_cfg_str(d->a->cfg, "sql_dir"),
		       err.data ? err.data : "");
	else if (pending > 0)
		report(d, "schema", L_WARN, "plexichat-admin migrate",
		       "%d migration%s in %s not applied", pending, pending == 1 ? "" : "s",
		       px_cfg_str(d->a->cfg, "sql_dir"));
	else if (contracts > 0)
		report(d, "schema", L_WARN,
		       "plexichat-admin migrate, once every node runs this build (docs/CLUSTERING.md)",
		       "%d contract step%s in %s not applied yet", contracts, contracts == 1 ? "" : "s",
		       px_cfg_str(d->a->cfg, "sql_dir"));
	else
		report(d, "schema", L_OK, NULL, "every migration in %s is applied",
		       px_cfg_str(d->a->cfg, "sql_dir"));
	px_buf_free(&err);
}

static void check_web(struct doctor *d)
{
	struct px_buf body = PX_BUF_INIT, err = PX_BUF_INIT;
	const char *url;
	struct json_object *o = NULL, *st = NULL;
	long status;

	if (!d->a->cfg) {
		report(d, "web", L_SKIP, NULL, "not checked: the configuration did not load");
		return;
	}
	url = px_cfg_str(d->a->cfg, "public_url");
	status = admin_probe_get(url, "/api/v1/system/health", d->timeout, &body, &err);
	if (status < 0) {
		report(d, "web", L_FAIL,
		       "start the web server and plexichat.fcgi (systemctl status plexichat-fcgi lighttpd apache2); "
		       "check public_url",
		       "no answer from the health endpoint: %s", err.data ? err.data : "");
		goto out;
	}
	o = json_tokener_parse(body.data ? body.data : "");
	if (status == 200 && o && json_object_object_get_ex(o, "status", &st) &&
	    strcmp(json_object_get_string(st), "ok") == 0)
		report(d, "web", L_OK, NULL, "%s/api/v1/system/health answers 200 ok", url);
	else if (status == 503)
		report(d, "web", L_FAIL, "see the database check; the server's log names the cause",
		       "the server answers but reports itself unavailable (503)");
	else
		report(d, "web", L_FAIL,
		       "make public_url point at this PlexiChat (web server config: apache/, docs/GETTING_STARTED.md)",
		       "%s/api/v1/system/health answered %ld, not PlexiChat's health document", url, status);
out:
	json_object_put(o);
	px_buf_free(&body);
	px_buf_free(&err);
}

static void check_cert(struct doctor *d)
{
	struct px_buf err = PX_BUF_INIT;
	const char *url;
	double days = 0;
	int verified = 0;

	if (!d->a->cfg) {
		report(d, "certificate", L_SKIP, NULL, "not checked: the configuration did not load");
		return;
	}
	url = px_cfg_str(d->a->cfg, "public_url");
	if (strncmp(url, "https://", 8) != 0) {
		report(d, "certificate", L_OK, NULL, "public_url is not https: no certificate to check");
		return;
	}
	if (admin_probe_cert_days(url, d->timeout, &days, &verified, &err) != 0)
		report(d, "certificate", L_FAIL, "check the web server's TLS setup",
		       "cannot read the certificate of %s: %s", url, err.data ? err.data : "");
	else if (days < 0)
		report(d, "certificate", L_FAIL, "renew it now (certbot renew) and reload the web server",
		       "the certificate expired %.0f days ago", -days);
	else if (!verified)
		report(d, "certificate", L_FAIL, "install a certificate that chains to a trusted CA and names the host",
		       "the certificate does not verify (%s); %.0f days left", err.data ? err.data : "", days);
	else if (days < 14)
		report(d, "certificate", L_WARN, "renew it (certbot renew) and reload the web server",
		       "the certificate expires in %.1f days", days);
	else
		report(d, "certificate", L_OK, NULL, "the certificate is valid for %.0f more days", days);
	px_buf_free(&err);
}

/* 1 when user (with its groups) may write and enter the folder st describes. */
static int user_can_write(const struct passwd *pw, const struct stat *st)
{
	gid_t groups[256];
	int n = 256, i;

	if (pw->pw_uid == 0)
		return 1;
	if (pw->pw_uid == st->st_uid)
		return (st->st_mode & S_IWUSR) && (st->st_mode & S_IXUSR);
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		n = 0;
	for (i = 0; i < n; i++)
		if (groups[i] == st->st_gid)
			return (st->st_mode & S_IWGRP) && (st->st_mode & S_IXGRP);
	return (st->st_mode & S_IWOTH) && (st->st_mode & S_IXOTH);
}

/* Adds "path is world-readable" problems for one file to *bad; 0 when fine. */
static int private_file(const char *what, const char *path, const char *group,
			struct px_buf *bad, struct px_buf *fix)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		px_buf_printf(bad, "%s%s %s cannot be read", bad->len ? "; " : "", what, path);
		px_buf_printf(fix, "%screate %s or correct its path", fix->len ? "; " : "", path);
		return -1;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		px_buf_printf(bad, "%s%s %s is world-%s (mode %04o)", bad->len ? "; " : "", what, path,
			      st.st_mode & S_IWOTH ? "writable" : "readable", (unsigned)(st.st_mode & 07777));
		px_buf_printf(fix, "%schmod 640 %s && chgrp %s %s", fix->len ? "; " : "", path, group, path);
		return -1;
	}
	return 0;
}

static void check_permissions(struct doctor *d)
{
	static const char *const secret_files[] = {
		"secret_key_file", "db_password_file", "smtp_password_file", "ldap_bind_password_file",
		"backup_s3_secret_key_file", "backup_key_file", "backup_passphrase_file", NULL
	};
	struct px_buf bad = PX_BUF_INIT, fix = PX_BUF_INIT;
	const struct passwd *pw = getpwnam(d->service_user);
	const struct group *gr = pw ? getgrgid(pw->pw_gid) : NULL;
	char path[1024], envname[64], group[64];
	struct stat st;
	size_t i, k;
	int checked = 0, warn = 0, fail = 0;

	snprintf(group, sizeof(group), "%s", gr ? gr->gr_name : "SERVICE_GROUP");
	if (d->a->cfg_path) {
		checked++;
		fail |= private_file("configuration", d->a->cfg_path, group, &bad, &fix) != 0;
	}
	for (i = 0; secret_files[i]; i++) {
		const char *env;

		snprintf(envname, sizeof(envname), "PLEXICHAT_%s", secret_files[i]);
		for (k = 10; envname[k]; k++)
			envname[k] = (char)(envname[k] >= 'a' && envname[k] <= 'z' ? envname[k] - 32 : envname[k]);
		env = getenv(envname);
		if (env && *env)
			snprintf(path, sizeof(path), "%s", env);
		else if (!admin_conf_value(d->conf_text.data ? d->conf_text.data : "", secret_files[i],
					   path, sizeof(path)) || !path[0])
			continue;
		checked++;
		fail |= private_file(secret_files[i], path, group, &bad, &fix) != 0;
	}
	if (d->a->cfg) {
		const char *dd = px_cfg_str(d->a->cfg, "data_dir");

		checked++;
		if (stat(dd, &st) != 0 || !S_ISDIR(st.st_mode)) {
			fail = 1;
			px_buf_printf(&bad, "%sdata_dir %s is not a folder", bad.len ? "; " : "", dd);
			px_buf_printf(&fix, "%sinstall -d -o %s -m 750 %s", fix.len ? "; " : "", d->service_user, dd);
		} else if (!pw) {
			warn = 1;
			px_buf_printf(&bad, "%sservice user %s does not exist, so data_dir was not judged",
				      bad.len ? "; " : "", d->service_user);
			px_buf_printf(&fix, "%spass --service-user USER (the User= of plexichat-fcgi.service)",
				      fix.len ? "; " : "");
		} else if (!user_can_write(pw, &st)) {
			fail = 1;
			px_buf_printf(&bad, "%sdata_dir %s is not writable by %s", bad.len ? "; " : "", dd,
				      d->service_user);
			px_buf_printf(&fix, "%schown -R %s %s", fix.len ? "; " : "", d->service_user, dd);
		}
	}
	if (bad.failed)
		report(d, "permissions", L_FAIL, NULL, "out of memory");
	else if (bad.len)
		report(d, "permissions", fail || !warn ? L_FAIL : L_WARN, fix.data, "%s", bad.data);
	else
		report(d, "permissions", L_OK, NULL, "%d path%s private or writable as needed (service user %s)",
		       checked, checked == 1 ? "" : "s", d->service_user);
	px_buf_free(&bad);
	px_buf_free(&fix);
}

static double now_epoch(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void check_clock(struct doctor *d)
{
	double t0, t1, db = 0, skew;

	if (!d->db_ok) {
		report(d, "clock", L_SKIP, NULL, "not checked: no database connection");
		return;
	}
	t0 = now_epoch();
	if (px_m_ops_clock(d->a->db, &db) != PX_OK) {
		report(d, "clock", L_FAIL, "see the database check", "cannot read PostgreSQL's clock");
		return;
	}
	t1 = now_epoch();
	/* the database read its clock somewhere in [t0, t1] */
	skew = db - (t0 + t1) / 2;
	if (fabs(skew) >= 30)
		report(d, "clock", L_FAIL, "run NTP on both hosts (timedatectl set-ntp true; chronyc tracking)",
		       "this host and PostgreSQL differ by %.1f s (sessions, tokens and TOTP codes depend on it)", skew);
	else if (fabs(skew) >= 2 + (t1 - t0))
		report(d, "clock", L_WARN, "run NTP on both hosts (timedatectl set-ntp true; chronyc tracking)",
		       "this host and PostgreSQL differ by %.1f s", skew);
	else
		report(d, "clock", L_OK, NULL, "this host and PostgreSQL agree within %.3f s",
		       fabs(skew) + (t1 - t0) / 2);
}

static void check_disk(struct doctor *d)
{
	struct statvfs vfs;
	const char *dd;
	double free_b, pct, ipct = 100;

	if (!d->a->cfg) {
		report(d, "disk", L_SKIP, NULL, "not checked: the configuration did not load");
		return;
	}
	dd = px_cfg_str(d->a->cfg, "data_dir");
	if (statvfs(dd, &vfs) != 0) {
		report(d, "disk", L_FAIL, "create data_dir or correct its path", "cannot read %s", dd);
		return;
	}
	free_b = (double)vfs.f_bavail * (double)vfs.f_frsize;
	pct = vfs.f_blocks ? 100.0 * (double)vfs.f_bavail / (double)vfs.f_blocks : 100;
	if (vfs.f_files)
		ipct = 100.0 * (double)vfs.f_favail / (double)vfs.f_files;
	if (pct < 5 || free_b < 512.0 * 1024 * 1024 || ipct < 5)
		report(d, "disk", L_FAIL, "free space now (docs/INCIDENT_RESPONSE.md, disk full): old logs, "
		       "backup-staging, or grow the volume",
		       "%s: %.1f GiB free (%.1f%%), %.1f%% inodes free", dd, free_b / (1 << 30), pct, ipct);
	else if (pct < 15 || ipct < 15)
		report(d, "disk", L_WARN, "plan more space for data_dir's volume",
		       "%s: %.1f GiB free (%.1f%%), %.1f%% inodes free", dd, free_b / (1 << 30), pct, ipct);
	else
		report(d, "disk", L_OK, NULL, "%s: %.1f GiB free (%.1f%%)", dd, free_b / (1 << 30), pct);
}

static void check_backup(struct doctor *d)
{
	struct px_m_ops_backup b;
	int configured;

	if (!d->db_ok) {
		report(d, "backup", L_SKIP, NULL, "not checked: no database connection");
		return;
	}
	configured = px_cfg_str(d->a->cfg, "backup_store")[0] != '\0';
	if (px_m_ops_backup(d->a->db, &b) != PX_OK) {
		report(d, "backup", L_FAIL, "plexichat-admin migrate", "cannot read backup_status");
		return;
	}
	if (b.since_last < 0)
		report(d, "backup", L_WARN,
		       configured ? "run plexichat-backup backup, and schedule it (systemd timer or cron)"
				  : "set backup_store and a key (docs/BACKUP_SYSTEM.md), then schedule plexichat-backup backup",
		       "no backup has run%s", configured ? "" : " and backup_store is not set");
	else if (b.since_success < 0)
		report(d, "backup", L_FAIL, "run plexichat-backup backup and read its error",
		       "no backup has succeeded yet (last run failed %s, %.1f h ago)",
		       b.last_error[0] ? b.last_error : "", b.since_last / 3600);
	else if (b.since_success > 7 * 86400)
		report(d, "backup", L_FAIL, "run plexichat-backup backup and check its schedule",
		       "the last successful backup is %.1f days old", b.since_success / 86400);
	else if (!b.last_ok || b.since_success > 26 * 3600)
		report(d, "backup", L_WARN, "run plexichat-backup backup and check its schedule and log",
		       "last success %.1f h ago; the newest run %s%s", b.since_success / 3600,
		       b.last_ok ? "succeeded" : "failed: ", b.last_ok ? "" : b.last_error);
	else
		report(d, "backup", L_OK, NULL, "last successful backup %.1f h ago", b.since_success / 3600);
}

static enum level worst(const struct doctor *d)
{
	enum level w = L_OK;
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->c[i].level > w)
			w = d->c[i].level;
	return w == L_SKIP ? L_OK : w;
}

static int print_json(const struct doctor *d, enum level w)
{
	struct px_buf b = PX_BUF_INIT;
	size_t i;
	int rc;

	px_buf_puts(&b, "{");
	admin_json_kv(&b, "status", level_name[w]);
	px_buf_puts(&b, ",\"checks\":[");
	for (i = 0; i < d->n; i++) {
		px_buf_puts(&b, i ? ",{" : "{");
		admin_json_kv(&b, "name", d->c[i].name);
		admin_json_kv(&b, "status", level_name[d->c[i].level]);
		admin_json_kv(&b, "detail", d->c[i].detail);
		admin_json_kv(&b, "fix", d->c[i].level == L_OK ? NULL : d->c[i].fix[0] ? d->c[i].fix : NULL);
		px_buf_putc(&b, '}');
	}
	px_buf_puts(&b, "]}");
	rc = admin_put_line(&b);
	px_buf_free(&b);
	return rc;
}

int admin_cmd_doctor(struct admin *a, int argc, char **argv)
{
	const char *t = admin_opt_value(argc, argv, "--timeout");
	const char *u = admin_opt_value(argc, argv, "--service-user");
	struct doctor d;
	enum level w;

	memset(&d, 0, sizeof(d));
	d.a = a;
	d.timeout = t ? atol(t) : 3;
	if (d.timeout <= 0 || d.timeout > 600) {
		fprintf(stderr, "plexichat-admin: --timeout takes 1 to 600 seconds\n");
		return 2;
	}
	d.service_user = u ? u : "www-data";
	if (a->cfg_path && admin_read_file(a->cfg_path, &d.conf_text) != 0)
		px_buf_reset(&d.conf_text);
	check_config(&d);
	check_database(&d);
	check_web(&d);
	check_cert(&d);
	check_permissions(&d);
	check_clock(&d);
	check_disk(&d);
	check_backup(&d);
	w = worst(&d);
	if (admin_has_flag(argc, argv, "--json")) {
		(void)print_json(&d, w);
	} else {
		for (size_t i = 0; i < d.n; i++) {
			printf("%-5s %-12s %s\n", level_name[d.c[i].level], d.c[i].name, d.c[i].detail);
			if (d.c[i].level != L_OK && d.c[i].fix[0])
				printf("      %-12s fix: %s\n", "", d.c[i].fix);
		}
		printf("doctor: %s\n", w == L_OK ? "all checks passed" :
		       w == L_WARN ? "warnings (exit 1)" : "failures (exit 2)");
	}
	px_buf_free(&d.conf_text);
	return w == L_OK ? 0 : w == L_WARN ? 1 : 2;
}
