/* main.c: plexichat-backup, the command-line front end. It parses the
 * options, loads the configuration (command line over config file over
 * environment over defaults), opens the log, and dispatches one command
 * from the table below. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/cfg.h"
#include "core/log.h"
#include "backup/px_bk_cmd.h"
#include "backup/px_bk_pitr.h"

/* ---- dispatch ---- */

struct command {
	const char *name;
	int (*fn)(struct px_bk_opts *o, int argc, char **argv);
	const char *usage;
};

static const struct command commands[] = {
	{ "init", px_bk_cmd_init, "init                      create a new backup store" },
	{ "backup", px_bk_cmd_backup, "backup                    back up the database and the file store's objects" },
	{ "list", px_bk_cmd_list, "list                      list snapshots (JSON lines)" },
	{ "show", px_bk_cmd_show, "show [SNAP]               print a snapshot's manifest (JSON)" },
	{ "verify", px_bk_cmd_verify, "verify [SNAP] [--sample N] read and authenticate a snapshot's shards" },
	{ "restore", px_bk_cmd_restore, "restore [SNAP] --target-db CONNINFO --target-files DIR\n"
	  "  restore --to-time T|--to-xid X|--to-lsn L|--to-latest --target-dir DIR [--start --port N]" },
	{ "prune", px_bk_cmd_prune, "prune [--keep-last|hourly|daily|weekly|monthly|yearly N] [--dry-run]" },
	{ "locks", px_bk_cmd_locks, "locks [--remove-stale]    list store locks" },
	{ "key", px_bk_cmd_key, "key list|add|remove ID|rotate|export [--out FILE]" },
	{ "archive-push", px_bk_cmd_archive_push, "archive-push PATH [NAME]  archive one WAL file (archive_command: archive-push %p)" },
	{ "archive-get", px_bk_cmd_archive_get, "archive-get NAME PATH     fetch one WAL file (restore_command: archive-get %f %p)" },
	{ "base-backup", px_bk_cmd_base_backup, "base-backup [--full|--diff] physical backup; only changed 256-byte slices of 8 KiB blocks travel" },
	{ "drill", px_bk_cmd_drill, "drill --port N [--to-...] [--check T,..] restore into a scratch cluster, report, remove" },
	{ "schedule", px_bk_cmd_schedule, "schedule FILE [YYYY-MM-DD]  run what FILE plans for today (one cron line)" },
	{ "copy", px_bk_cmd_copy, "copy --to URL             copy the whole store to another store (any kind)" },
	{ "pg-settings", px_bk_cmd_pg_settings, "pg-settings [TIMEOUT]     print the postgresql.conf lines WAL archiving needs" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: plexichat-backup [options] COMMAND [args]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "\noptions:\n"
		"  --config FILE            PlexiChat config file (backup_* keys)\n"
		"  --store URL              folder, file:///folder, s3://, gs:// or azure://container/prefix\n"
		"  --db CONNINFO            database to back up (default db_conninfo)\n"
		"  --files DIR              file store folder (default files_dir, else data_dir/files;\n"
		"                           its objects/ only); --uploads DIR is the same\n"
		"  --no-db, --no-uploads    skip a part\n"
		"  --key-file F | --passphrase-file F   what unlocks the store\n"
		"  --new-key-file F | --new-passphrase-file F   for key add\n"
		"  --cache-dir DIR          local cache folder\n"
		"  --s3-endpoint URL --s3-region R --s3-access-key K --s3-secret-key S\n"
		"  --s3-path-style on|off   --concurrency N\n"
		"  --jobs N                 backup: tables (a large one in block ranges) read on N\n"
		"                           connections at once in one snapshot (backup_jobs,\n"
		"                           default half the cores; 1: serial; the same output)\n"
		"  --table-order physical|key   backup: rows as stored (default, fastest) or by\n"
		"                           primary key (fewer new shards after edits of recent\n"
		"                           rows; read serially) (backup_table_order)\n"
		"  --azure-account A --azure-key BASE64 | --azure-sas TOKEN --azure-endpoint URL\n"
		"                           (azure://container/prefix; gs://bucket/prefix uses the\n"
		"                           --s3-* keys: GCS HMAC keys)\n"
		"  --to URL                 copy: the destination store\n"
		"  --chunk-size BYTES (init)  --zstd-level N (-7..19)  --pg-dump PATH\n"
		"  --copy-binary            tables as the server's binary COPY, uncoded: a\n"
		"                           larger store, restore only into the same major version\n"
		"  --target-db CONNINFO --target-files DIR (restore; --target-uploads is the same)\n"
		"  --target-file-store      restore: files into the S3/GCS/Azure file store the\n"
		"                           configuration (-c) names (files_store)\n"
		"  --sample N (verify)  --dry-run (prune)  --lock-ttl SECONDS\n"
		"  --full | --diff          base-backup: full, or against the last full (default:\n"
		"                           incremental against the last base backup)\n"
		"  --to-time 'YYYY-MM-DD HH:MM:SS[.frac]Z' | --to-xid XID | --to-lsn X/Y | --to-latest\n"
		"  --target-dir DIR         restore/drill: the data directory to create\n"
		"  --start --port N         restore: start the cluster and wait for it (drill always)\n"
		"  --check T1,T2            restore/drill: row count and md5 of these tables\n"
		"  --pg-bin DIR --timeout S --keep (drill: keep the scratch cluster)\n"
		"  --report FILE            archive-get: append damaged WAL files to FILE\n"
		"  --quiet                  warnings and errors only, no progress bar\n"
		"  --progress | --no-progress  force the progress bar on or off\n"
		"  --no-status              do not record the run in backup_status\n"
		"\nexit codes: 0 ok, 1 usage/config, 2 locked, 3 wrong key, 4 shard missing or\n"
		"corrupt, 5 storage failed/full/credentials, 6 database, 7 internal,\n"
		"8 WAL file already archived with other content, 9 recovery failed\n");
}

enum {
	OPT_STORE = 256, OPT_DB, OPT_UPLOADS, OPT_KEYFILE, OPT_PASSFILE, OPT_NEWKEY, OPT_NEWPASS,
	OPT_CACHE, OPT_OUT, OPT_S3E, OPT_S3R, OPT_S3A, OPT_S3S, OPT_S3P, OPT_CONC, OPT_ZSTD, OPT_CHUNK,
	OPT_TDB, OPT_TUP, OPT_TEXT, OPT_SAMPLE, OPT_DRY, OPT_KL, OPT_KD, OPT_KW, OPT_KM, OPT_STALE, OPT_QUIET,
	OPT_PROG, OPT_NOPROG, OPT_NODB, OPT_NOUP, OPT_NOSTATUS, OPT_TTL, OPT_PGDUMP, OPT_CONFIG,
	OPT_REPORT, OPT_TOTIME, OPT_TOXID, OPT_TOLSN, OPT_TOLATEST, OPT_TDIR, OPT_PGBIN, OPT_CHECK,
	OPT_START, OPT_KEEP, OPT_FULL, OPT_DIFF, OPT_PORT, OPT_TIMEOUT, OPT_KH, OPT_KY,
	OPT_AZA, OPT_AZK, OPT_AZS, OPT_AZE, OPT_TO, OPT_TFS, OPT_JOBS, OPT_ORDER,
};

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "store", required_argument, NULL, OPT_STORE },
	{ "db", required_argument, NULL, OPT_DB },
	{ "uploads", required_argument, NULL, OPT_UPLOADS },
	{ "files", required_argument, NULL, OPT_UPLOADS },
	{ "key-file", required_argument, NULL, OPT_KEYFILE },
	{ "passphrase-file", required_argument, NULL, OPT_PASSFILE },
	{ "new-key-file", required_argument, NULL, OPT_NEWKEY },
	{ "new-passphrase-file", required_argument, NULL, OPT_NEWPASS },
	{ "cache-dir", required_argument, NULL, OPT_CACHE },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "s3-endpoint", required_argument, NULL, OPT_S3E },
	{ "s3-region", required_argument, NULL, OPT_S3R },
	{ "s3-access-key", required_argument, NULL, OPT_S3A },
	{ "s3-secret-key", required_argument, NULL, OPT_S3S },
	{ "s3-path-style", required_argument, NULL, OPT_S3P },
	{ "concurrency", required_argument, NULL, OPT_CONC },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "table-order", required_argument, NULL, OPT_ORDER },
	{ "zstd-level", required_argument, NULL, OPT_ZSTD },
	{ "chunk-size", required_argument, NULL, OPT_CHUNK },
	{ "target-db", required_argument, NULL, OPT_TDB },
	{ "target-uploads", required_argument, NULL, OPT_TUP },
	{ "target-files", required_argument, NULL, OPT_TUP },
	{ "target-file-store", no_argument, NULL, OPT_TFS },
	{ "sample", required_argument, NULL, OPT_SAMPLE },
	{ "dry-run", no_argument, NULL, OPT_DRY },
	{ "keep-last", required_argument, NULL, OPT_KL },
	{ "keep-daily", required_argument, NULL, OPT_KD },
	{ "keep-weekly", required_argument, NULL, OPT_KW },
	{ "keep-monthly", required_argument, NULL, OPT_KM },
	{ "keep-hourly", required_argument, NULL, OPT_KH },
	{ "keep-yearly", required_argument, NULL, OPT_KY },
	{ "remove-stale", no_argument, NULL, OPT_STALE },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "progress", no_argument, NULL, OPT_PROG },
	{ "no-progress", no_argument, NULL, OPT_NOPROG },
	{ "no-db", no_argument, NULL, OPT_NODB },
	{ "no-uploads", no_argument, NULL, OPT_NOUP },
	{ "no-files", no_argument, NULL, OPT_NOUP },
	{ "no-status", no_argument, NULL, OPT_NOSTATUS },
	{ "lock-ttl", required_argument, NULL, OPT_TTL },
	{ "pg-dump", required_argument, NULL, OPT_PGDUMP },
	{ "copy-binary", no_argument, NULL, OPT_TEXT },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "azure-account", required_argument, NULL, OPT_AZA },
	{ "azure-key", required_argument, NULL, OPT_AZK },
	{ "azure-sas", required_argument, NULL, OPT_AZS },
	{ "azure-endpoint", required_argument, NULL, OPT_AZE },
	{ "to", required_argument, NULL, OPT_TO },
	{ "to-time", required_argument, NULL, OPT_TOTIME },
	{ "to-xid", required_argument, NULL, OPT_TOXID },
	{ "to-lsn", required_argument, NULL, OPT_TOLSN },
	{ "to-latest", no_argument, NULL, OPT_TOLATEST },
	{ "target-dir", required_argument, NULL, OPT_TDIR },
	{ "pg-bin", required_argument, NULL, OPT_PGBIN },
	{ "check", required_argument, NULL, OPT_CHECK },
	{ "start", no_argument, NULL, OPT_START },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "full", no_argument, NULL, OPT_FULL },
	{ "diff", no_argument, NULL, OPT_DIFF },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int num(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno || end == s || *end || *out < 0 ? -1 : 0;
}

static int parse(int argc, char **argv, struct px_bk_opts *o)
{
	int c;
	long v;

	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		if (c == 'h' || c == '?') {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : -1;
		}
		switch (c) {
		case OPT_CONFIG: o->config = optarg; continue;
		case OPT_STORE: o->store = optarg; continue;
		case OPT_DB: o->db = optarg; continue;
		case OPT_UPLOADS: o->uploads = optarg; continue;
		case OPT_KEYFILE: o->key_file = optarg; continue;
		case OPT_PASSFILE: o->pass_file = optarg; continue;
		case OPT_NEWKEY: o->new_key_file = optarg; continue;
		case OPT_NEWPASS: o->new_pass_file = optarg; continue;
		case OPT_CACHE: o->cache_dir = optarg; continue;
		case OPT_OUT: o->out = optarg; continue;
		case OPT_S3E: o->s3_endpoint = optarg; continue;
		case OPT_S3R: o->s3_region = optarg; continue;
		case OPT_S3A: o->s3_access = optarg; continue;
		case OPT_S3S: o->s3_secret = optarg; continue;
		case OPT_S3P: o->s3_path_style = !strcmp(optarg, "on") || !strcmp(optarg, "1") ||
					       !strcmp(optarg, "true"); continue;
		case OPT_TDB: o->target_db = optarg; continue;
		case OPT_TUP: o->target_uploads = optarg; continue;
		case OPT_TFS: o->target_file_store = 1; continue;
		case OPT_DRY: o->dry_run = 1; continue;
		case OPT_STALE: o->remove_stale = 1; continue;
		case OPT_QUIET: o->quiet = 1; continue;
		case OPT_PROG: o->progress = 1; continue;
		case OPT_NOPROG: o->progress = 0; continue;
		case OPT_NODB: o->no_db = 1; continue;
		case OPT_NOUP: o->no_uploads = 1; continue;
		case OPT_NOSTATUS: o->no_status = 1; continue;
		case OPT_PGDUMP: o->pg_dump = optarg; continue;
		case OPT_REPORT: o->report = optarg; continue;
		case OPT_AZA: o->az_account = optarg; continue;
		case OPT_AZK: o->az_key = optarg; continue;
		case OPT_AZS: o->az_sas = optarg; continue;
		case OPT_AZE: o->az_endpoint = optarg; continue;
		case OPT_TO: o->copy_to = optarg; continue;
		case OPT_ORDER:
			if (strcmp(optarg, "physical") != 0 && strcmp(optarg, "key") != 0) {
				fprintf(stderr, "plexichat-backup: --table-order is physical or key\n");
				return -1;
			}
			o->table_order = optarg;
			continue;
		case OPT_TOTIME: o->to_kind = PX_BK_TO_TIME; o->to_value = optarg; continue;
		case OPT_TOXID: o->to_kind = PX_BK_TO_XID; o->to_value = optarg; continue;
		case OPT_TOLSN: o->to_kind = PX_BK_TO_LSN; o->to_value = optarg; continue;
		case OPT_TOLATEST: o->to_kind = PX_BK_TO_LATEST; continue;
		case OPT_TDIR: o->target_dir = optarg; continue;
		case OPT_PGBIN: o->pg_bin = optarg; continue;
		case OPT_CHECK: o->check = optarg; continue;
		case OPT_START: o->start = 1; continue;
		case OPT_KEEP: o->keep = 1; continue;
		case OPT_FULL: o->base_mode = 'F'; continue;
		case OPT_DIFF: o->base_mode = 'D'; continue;
		case OPT_TEXT: o->copy_binary = 1; continue;
		default: break;
		}
		if (c == OPT_ZSTD && optarg[0] == '-' && num(optarg + 1, &v) == 0 &&
		    v >= 1 && v <= 7) {
			o->zstd_level = (int)-v;   /* zstd's fast levels */
			continue;
		}
		if (num(optarg, &v) != 0 || v > 1L << 30) {
			fprintf(stderr, "plexichat-backup: bad number \"%s\"\n", optarg);
			return -1;
		}
		switch (c) {
		case OPT_CONC: o->concurrency = (int)v; break;
		case OPT_JOBS: o->jobs = (int)v; break;
		case OPT_ZSTD: o->zstd_level = (int)v; break;
		case OPT_CHUNK: o->chunk_size = (int)v; break;
		case OPT_SAMPLE: o->sample = v; break;
		case OPT_KL: o->policy.last = (int)v; break;
		case OPT_KD: o->policy.daily = (int)v; break;
		case OPT_KW: o->policy.weekly = (int)v; break;
		case OPT_KM: o->policy.monthly = (int)v; break;
		case OPT_KH: o->policy.hourly = (int)v; break;
		case OPT_KY: o->policy.yearly = (int)v; break;
		case OPT_TTL: o->lock_ttl = (int)v; break;
		case OPT_PORT: o->port = (int)v; break;
		case OPT_TIMEOUT: o->timeout = (int)v; break;
		}
	}
	return 1;
}

/* A backup takes and frees the same few large buffers for every shard
 * (the sealed shard above all: sealed into a fresh one, which the store
 * frees once written), so they stay in the heap for it. Mapped afresh
 * each time, every shard's pages were faulted in again and every unmap
 * flushed both cores' TLBs (first backup of 1 GB: 50,500 page faults
 * and 1.5-1.6 s of system time, against 24,300-25,900 and 1.0-1.2 s;
 * peak RSS 45.8 MiB either way). */
static void keep_buffers(void)
{
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

int main(int argc, char **argv)
{
	struct px_bk_opts o;
	struct px_buf err = PX_BUF_INIT, found = PX_BUF_INIT;
	const char *lf;
	size_t i;
	int rc, lvl;

	/* Large buffers (manifest text, block maps, shards) straight from
	 * mmap and back to the system when freed: glibc's default threshold
	 * rises to the largest block freed, after which such buffers come
	 * from the heap and their freed pages stay in the RSS (a backup
	 * keeps them there on purpose: keep_buffers). */
	mallopt(M_MMAP_THRESHOLD, 256 << 10);
	memset(&o, 0, sizeof(o));
	o.s3_path_style = -1;
	o.progress = -1;
	o.to_kind = -1;
	o.base_mode = 'I';
	o.policy.last = o.policy.daily = o.policy.weekly = o.policy.monthly = -1;
	o.policy.hourly = o.policy.yearly = -1;
	rc = parse(argc, argv, &o);
	if (rc <= 0)
		return rc == 0 ? PX_BK_EXIT_OK : PX_BK_EXIT_USAGE;
	if (optind >= argc) {
		usage(stderr);
		return PX_BK_EXIT_USAGE;
	}
	/* --config, PLEXICHAT_CONFIG, or plexichat.conf beside this program */
	o.config = px_cfg_locate(o.config, &found);
	if (px_cfg_load(o.config, &o.cfg, &err) != 0) {
		fprintf(stderr, "plexichat-backup: %s\n", err.data ? err.data : "bad configuration");
		px_buf_free(&err);
		px_buf_free(&found);
		return PX_BK_EXIT_USAGE;
	}
	lvl = px_log_level_parse(px_cfg_str(o.cfg, "log_level"));
	if (o.quiet && lvl < PX_LOG_WARN)
		lvl = PX_LOG_WARN;
	lf = px_cfg_str(o.cfg, "log_file");
	if (px_log_open(lf, lvl < 0 ? PX_LOG_INFO : (enum px_log_level)lvl) != 0)
		fprintf(stderr, "plexichat-backup: cannot open log file %s\n", lf);
	/* libpq and pg_dump read the password from the environment, so it
	 * never appears in a command line */
	if (*px_cfg_str(o.cfg, "db_password") && !getenv("PGPASSWORD"))
		setenv("PGPASSWORD", px_cfg_str(o.cfg, "db_password"), 1);
	rc = PX_BK_EXIT_USAGE;
	if (!strcmp(argv[optind], "backup"))
		keep_buffers();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name)) {
			rc = commands[i].fn(&o, argc - optind - 1, argv + optind + 1);
			break;
		}
	if (i == sizeof(commands) / sizeof(commands[0])) {
		fprintf(stderr, "plexichat-backup: unknown command \"%s\"\n", argv[optind]);
		usage(stderr);
	}
	for (i = 0; i < sizeof(o.owned) / sizeof(o.owned[0]); i++)
		free(o.owned[i]);
	px_cfg_free(o.cfg);
	px_log_close();
	px_buf_free(&err);
	px_buf_free(&found);
	return rc;
}
