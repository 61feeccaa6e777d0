/* px_bk_cmd_wal.c: the WAL commands: archive-push (archive_command),
 * archive-get (restore_command) and pg-settings (the PostgreSQL settings
 * archiving needs, with the command lines filled in). */
#include "backup/px_bk_cmd.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "backup/px_bk_wal.h"

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int px_bk_cmd_archive_push(struct px_bk_opts *o, int argc, char **argv)
{
	struct px_bk_repo *r = NULL;
	struct px_buf err = PX_BUF_INIT;
	enum px_err rc;
	int code, existed = 0;

	if (argc < 1 || argc > 2) {
		fprintf(stderr, "usage: archive-push PATH [NAME]   (archive_command: archive-push %%p)\n");
		return PX_BK_EXIT_USAGE;
	}
	code = px_bk_open_repo(o, &r);
	if (code != PX_BK_EXIT_OK)
		return code;
	rc = px_bk_wal_push(r, argv[0], argc > 1 ? argv[1] : base_name(argv[0]), &existed, &err);
	if (rc == PX_OK) {
		px_log_info(PX_BK_LOG_MODULE, NULL, "archived %s%s", base_name(argv[0]),
			    existed ? " (already in the store, same content)" : "");
		code = PX_BK_EXIT_OK;
	} else if (rc == PX_E_VALIDATION_CONFLICT) {
		px_bk_fail(rc, "archive-push", &err);
		code = PX_BK_EXIT_CONFLICT;
	} else {
		code = px_bk_fail(rc, "archive-push", err.len ? &err : &r->store->errmsg);
	}
	px_bk_repo_close(r);
	px_buf_free(&err);
	return code;
}

/* Appends "name: reason" to the report file restore asked for, so that a
 * damaged segment is named even though PostgreSQL only sees "not found". */
static void report(const char *file, const char *name, const struct px_buf *why)
{
	FILE *f;

	if (!file || !(f = fopen(file, "ae")))
		return;
	fprintf(f, "%s\t%s\n", name, why->data ? why->data : "");
	fclose(f);
}

int px_bk_cmd_archive_get(struct px_bk_opts *o, int argc, char **argv)
{
	struct px_bk_repo *r = NULL;
	struct px_buf err = PX_BUF_INIT;
	enum px_err rc;
	int code;

	if (argc != 2) {
		fprintf(stderr, "usage: archive-get NAME PATH   (restore_command: archive-get %%f %%p)\n");
		return PX_BK_EXIT_USAGE;
	}
	code = px_bk_open_repo(o, &r);
	if (code != PX_BK_EXIT_OK)
		return code;
	rc = px_bk_wal_get(r, argv[0], argv[1], &err);
	if (rc == PX_OK) {
		px_log_info(PX_BK_LOG_MODULE, NULL, "restored %s", argv[0]);
		code = PX_BK_EXIT_OK;
	} else if (rc == PX_E_STORAGE_SHARD_MISSING) {
		/* the normal end of recovery, or a history file PostgreSQL probes for */
		px_log_info(PX_BK_LOG_MODULE, NULL, "%s", err.data ? err.data : "not archived");
		code = PX_BK_EXIT_USAGE;
	} else {
		report(o->report, argv[0], err.len ? &err : &r->store->errmsg);
		code = px_bk_fail(rc, "archive-get", err.len ? &err : &r->store->errmsg);
	}
	px_bk_repo_close(r);
	px_buf_free(&err);
	return code;
}

void px_bk_sh_quote(struct px_buf *b, const char *s)
{
	px_buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			px_buf_puts(b, "'\\''");
		else
			px_buf_putc(b, *s);
	}
	px_buf_putc(b, '\'');
}

static void add_opt(struct px_buf *b, const char *name, const char *v)
{
	if (!v)
		return;
	px_buf_printf(b, " %s ", name);
	px_bk_sh_quote(b, v);
}

/* The command line, as the shell PostgreSQL starts will read it, that
 * runs this program with the options given here; sub is appended. */
void px_bk_self_command(struct px_bk_opts *o, const char *sub, struct px_buf *b)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = '\0';
	px_bk_sh_quote(b, n > 0 ? exe : "plexichat-backup");
	add_opt(b, "--config", o->config);
	add_opt(b, "--store", o->store);
	add_opt(b, "--key-file", o->key_file);
	add_opt(b, "--passphrase-file", o->pass_file);
	add_opt(b, "--cache-dir", o->cache_dir);
	add_opt(b, "--s3-endpoint", o->s3_endpoint);
	add_opt(b, "--s3-region", o->s3_region);
	px_buf_printf(b, " --quiet %s", sub);
}

/* Appends s as a postgresql.conf string value. */
static void conf_quote(struct px_buf *b, const char *s)
{
	px_buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			px_buf_putc(b, '\'');
		px_buf_putc(b, *s);
	}
	px_buf_putc(b, '\'');
}

int px_bk_cmd_pg_settings(struct px_bk_opts *o, int argc, char **argv)
{
	struct px_buf cmd = PX_BUF_INIT, out = PX_BUF_INIT;
	long timeout = 60;
	char *end;

	if (argc > 1 || (argc == 1 && ((timeout = strtol(argv[0], &end, 10)) < 1 || *end))) {
		fprintf(stderr, "usage: pg-settings [ARCHIVE_TIMEOUT_SECONDS]\n");
		return PX_BK_EXIT_USAGE;
	}
	px_bk_self_command(o, "archive-push %p", &cmd);
	px_buf_printf(&out,
		      "# plexichat-backup: continuous WAL archiving (docs/BACKUP_SYSTEM.md)\n"
		      "wal_level = replica\n"
		      "archive_mode = on\n"
		      "# the worst-case data loss (RPO) when the server is lost: a segment is\n"
		      "# archived when full or after this many seconds\n"
		      "archive_timeout = %ld\n"
		      "# base backups use a replication connection\n"
		      "max_wal_senders = 4\n"
		      "archive_command = ", timeout);
	conf_quote(&out, cmd.data ? cmd.data : "");
	px_buf_putc(&out, '\n');
	if (out.failed) {
		px_buf_free(&cmd);
		return PX_BK_EXIT_INTERNAL;
	}
	fputs(out.data, stdout);
	px_buf_free(&cmd);
	px_buf_free(&out);
	return PX_BK_EXIT_OK;
}
