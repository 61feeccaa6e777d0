/* px_bk_cli.h: what the plexichat-backup commands share: the resolved
 * options, exit codes, and helpers that open the store and the repository
 * and report failures as one JSON log line. */
#ifndef PX_BK_CLI_H
#define PX_BK_CLI_H

#include <json-c/json.h>

#include "core/buf.h"
#include "core/cfg.h"
#include "core/err.h"
#include "backup/px_bk_keys.h"
#include "backup/px_bk_prune.h"
#include "backup/px_bk_repo.h"

#define PX_BK_LOG_MODULE "backup"

/* Documented in docs/BACKUP_SYSTEM.md. */
enum px_bk_exit {
	PX_BK_EXIT_OK = 0, PX_BK_EXIT_USAGE = 1, PX_BK_EXIT_LOCKED = 2, PX_BK_EXIT_KEY = 3,
	PX_BK_EXIT_DAMAGED = 4, PX_BK_EXIT_STORAGE = 5, PX_BK_EXIT_DATABASE = 6, PX_BK_EXIT_INTERNAL = 7,
	PX_BK_EXIT_CONFLICT = 8, PX_BK_EXIT_RECOVERY = 9, PX_BK_EXIT_CLOCK = 10,
};

/* Command-line values (NULL / -1 when not given) and the configuration
 * snapshot they override. */
struct px_bk_opts {
	const char *config, *store, *db, *uploads, *key_file, *pass_file;
	const char *new_key_file, *new_pass_file, *cache_dir, *out;
	const char *s3_endpoint, *s3_region, *s3_access, *s3_secret;
	const char *az_account, *az_key, *az_sas, *az_endpoint;
	const char *copy_to;
	const char *target_db, *target_uploads, *pg_dump, *report;
	int s3_path_style, concurrency, zstd_level, chunk_size, lock_ttl;
	int quiet, progress, dry_run, remove_stale, no_db, no_uploads, no_status;
	int copy_binary;
	int target_file_store;    /* restore into the configuration's remote file store */
	int jobs;                 /* --jobs; 0: backup_jobs */
	const char *table_order;  /* --table-order; NULL: backup_table_order */
	/* point-in-time recovery and base backups */
	int to_kind;              /* enum px_bk_target_kind, -1 when no --to-* */
	const char *to_value, *target_dir, *pg_bin, *check;
	int port, start, keep, timeout;
	char base_mode;           /* 'F' full, 'D' differential, 'I' incremental */
	long sample;
	struct px_bk_policy policy;
	struct px_cfg *cfg;
	char *owned[4];   /* strings built here, freed at exit */
};

/* Exit code for an error code. */
int px_bk_exit_for(enum px_err e);
/* Logs "<what> failed" with the code and detail (or the code's message);
 * returns the exit code. */
int px_bk_fail(enum px_err e, const char *what, const struct px_buf *detail);
/* The command-line value, else the config key when non-empty, else the
 * environment variable env (may be NULL). */
const char *px_bk_opt(const char *cli, const struct px_cfg *c, const char *key,
		      const char *env);
const char *px_bk_cache_base(struct px_bk_opts *o);
int px_bk_opt_lock_ttl(struct px_bk_opts *o);
/* Opens the store; NULL after logging the reason. */
struct px_st_store *px_bk_open_store(struct px_bk_opts *o);
/* The same for another URL (copy --to), with the same credentials options. */
struct px_st_store *px_bk_open_store_at(struct px_bk_opts *o, const char *url);
/* Reads the key file (preferred) or passphrase file; -1 after logging. */
int px_bk_read_secret(const char *kf, const char *pf, struct px_bk_secret *s);
/* Creates path, which must not exist yet, readable by its owner only,
 * writes p[0..n) to it and syncs it. Returns 0; -1 when the file could not
 * be created (then nothing was touched); -2 when writing failed, and the
 * file was removed so that a cut-off key never passes for a whole one.
 * errno says why. No descriptor stays open on any path. */
int px_bk_write_private(const char *path, const void *p, size_t n)
	__attribute__((warn_unused_result));
/* Opens store and repository; returns an exit code (0 = *r is open). */
int px_bk_open_repo(struct px_bk_opts *o, struct px_bk_repo **r);
/* The error detail of err, else the store's last message. */
const char *px_bk_detail_of(struct px_bk_repo *r, struct px_buf *err);
/* Opens the repository and loads the snapshot argv[0] (default latest):
 * *m (put by the caller) and *name (freed by the caller). Exit code. */
int px_bk_load_snapshot(struct px_bk_opts *o, int argc, char **argv,
			struct px_bk_repo **r, json_object **m, char **name);

#endif
