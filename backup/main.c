/* main.c: plexichat-backup, the command-line front end. It resolves the
 * settings (command line over config file over environment over defaults),
 * dispatches one command from the table below, logs JSON lines, records
 * backup runs in backup_status, and maps error codes to exit codes. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "err.h"
#include "log.h"
#include "px_bk_dump.h"
#include "px_bk_files.h"
#include "px_bk_lock.h"
#include "px_bk_manifest.h"
#include "px_bk_progress.h"
#include "px_bk_prune.h"
#include "px_bk_repo.h"
#include "px_bk_restore.h"
#include "px_bk_s3.h"
#include "px_bk_status.h"
#include "px_bk_verify.h"

enum exit_code {
	EXIT_OK = 0, EXIT_USAGE = 1, EXIT_LOCKED = 2, EXIT_KEY = 3,
	EXIT_DAMAGED = 4, EXIT_STORAGE = 5, EXIT_DATABASE = 6, EXIT_INTERNAL = 7,
};

struct opts {
	const char *config, *store, *db, *uploads, *key_file, *pass_file;
	const char *new_key_file, *new_pass_file, *cache_dir, *out;
	const char *s3_endpoint, *s3_region, *s3_access, *s3_secret;
	const char *target_db, *target_uploads, *pg_dump;
	int s3_path_style, concurrency, zstd_level, chunk_size, lock_ttl;
	int quiet, progress, dry_run, remove_stale, no_db, no_uploads, no_status;
	int copy_binary;
	long sample;
	struct px_bk_policy policy;
	struct px_cfg *cfg;
	char *owned[4];   /* strings built here, freed at exit */
};

static const char MOD[] = "backup";

static int exit_for(enum px_err e)
{
	switch (e) {
	case PX_OK:
		return EXIT_OK;
	case PX_E_STORAGE_LOCKED:
		return EXIT_LOCKED;
	case PX_E_STORAGE_KEY_INVALID:
		return EXIT_KEY;
	case PX_E_STORAGE_SHARD_MISSING:
	case PX_E_STORAGE_SHARD_CORRUPT:
		return EXIT_DAMAGED;
	case PX_E_STORAGE_FAILED:
	case PX_E_STORAGE_FULL:
	case PX_E_STORAGE_CREDENTIALS:
		return EXIT_STORAGE;
	case PX_E_SYSTEM_DB_UNAVAILABLE:
		return EXIT_DATABASE;
	case PX_E_VALIDATION_CONFLICT:
	case PX_E_VALIDATION_FAILED:
	case PX_E_VALIDATION_NOT_FOUND:
		return EXIT_USAGE;
	default:
		return EXIT_INTERNAL;
	}
}

/* Logs a failed command with its code and detail; returns the exit code. */
static int fail(enum px_err e, const char *what, const struct px_buf *detail)
{
	struct px_buf f = PX_BUF_INIT;
	const char *d = detail && detail->data && detail->len ? detail->data :
			px_err_message(e);

	px_buf_printf(&f, "{\"code\":\"%s\",\"detail\":", px_err_name(e));
	px_buf_json_str(&f, d, strlen(d));
	px_buf_putc(&f, '}');
	px_log_fields(PX_LOG_ERROR, MOD, NULL, f.data, "%s failed: %s: %s", what,
		      px_err_name(e), d);
	px_buf_free(&f);
	return exit_for(e);
}

static const char *pick(const char *cli, const struct px_cfg *c, const char *key,
			const char *env)
{
	const char *v;

	if (cli)
		return cli;
	v = px_cfg_str(c, key);
	if (v && *v)
		return v;
	return env ? getenv(env) : NULL;
}

static const char *cache_base(struct opts *o)
{
	struct px_buf b = PX_BUF_INIT;
	const char *v = pick(o->cache_dir, o->cfg, "backup_cache_dir", NULL);
	const char *home = getenv("HOME");

	if (v)
		return v;
	if (o->config)
		px_buf_printf(&b, "%s/backup-staging", px_cfg_str(o->cfg, "data_dir"));
	else if (getenv("XDG_CACHE_HOME"))
		px_buf_printf(&b, "%s/plexichat-backup", getenv("XDG_CACHE_HOME"));
	else
		px_buf_printf(&b, "%s/.cache/plexichat-backup", home ? home : "/tmp");
	o->owned[0] = px_buf_steal(&b);
	return o->owned[0];
}

static struct px_bk_store *open_store(struct opts *o)
{
	struct px_bk_store_opts so = { 0 };
	struct px_buf err = PX_BUF_INIT;
	struct px_bk_store *st;

	so.url = pick(o->store, o->cfg, "backup_store", NULL);
	so.s3_endpoint = pick(o->s3_endpoint, o->cfg, "backup_s3_endpoint", NULL);
	so.s3_region = pick(o->s3_region, o->cfg, "backup_s3_region", "AWS_REGION");
	so.s3_access_key = pick(o->s3_access, o->cfg, "backup_s3_access_key",
				"AWS_ACCESS_KEY_ID");
	so.s3_secret_key = pick(o->s3_secret, o->cfg, "backup_s3_secret_key",
				"AWS_SECRET_ACCESS_KEY");
	so.s3_path_style = o->s3_path_style >= 0 ? o->s3_path_style :
			   px_cfg_bool(o->cfg, "backup_s3_path_style");
	so.concurrency = o->concurrency > 0 ? o->concurrency :
			 (int)px_cfg_int(o->cfg, "backup_concurrency");
	st = px_bk_store_open(&so, &err);
	if (!st)
		fail(so.url && !strncmp(so.url, "s3://", 5) && strstr(err.data ? err.data : "", "credentials") ?
		     PX_E_STORAGE_CREDENTIALS : PX_E_STORAGE_FAILED, "open store", &err);
	px_buf_free(&err);
	return st;
}

static int read_secret(const char *kf, const char *pf, struct px_bk_secret *s)
{
	struct px_buf err = PX_BUF_INIT;
	int rc;

	if (!kf && !pf) {
		px_log_error(MOD, NULL, "no key: give --key-file or --passphrase-file "
			     "(backup_key_file / backup_passphrase_file)");
		return -1;
	}
	rc = px_bk_secret_read(kf ? kf : pf, kf ? PX_BK_KEYFILE : PX_BK_PASSPHRASE,
			       s, &err);
	if (rc != 0)
		px_log_error(MOD, NULL, "%s", err.data ? err.data : "cannot read key");
	px_buf_free(&err);
	return rc;
}

/* Opens the store and the repository; returns an exit code. */
static int open_repo(struct opts *o, struct px_bk_repo **r)
{
	struct px_bk_secret s;
	struct px_bk_store *st;
	enum px_err rc;
	char *url;

	*r = NULL;
	if (read_secret(pick(o->key_file, o->cfg, "backup_key_file", NULL),
			pick(o->pass_file, o->cfg, "backup_passphrase_file", NULL), &s))
		return EXIT_USAGE;
	st = open_store(o);
	if (!st) {
		px_bk_secret_wipe(&s);
		return EXIT_STORAGE;
	}
	url = strdup(st->url);
	rc = px_bk_repo_open(st, &s, cache_base(o),
			     o->zstd_level > 0 ? o->zstd_level :
			     (int)px_cfg_int(o->cfg, "backup_zstd_level"), r);
	px_bk_secret_wipe(&s);
	if (rc != PX_OK) {
		struct px_buf d = PX_BUF_INIT;

		px_buf_printf(&d, "%s: %s", url ? url : "store",
			      rc == PX_E_STORAGE_KEY_INVALID ?
			      "no key entry accepts this key file or passphrase" :
			      px_err_message(rc));
		free(url);
		rc = fail(rc, "open", &d);
		px_buf_free(&d);
		return (int)rc;
	}
	free(url);
	return EXIT_OK;
}

static const char *detail_of(struct px_bk_repo *r, struct px_buf *err)
{
	if (err->len)
		return err->data;
	return r && r->store->errmsg.len ? r->store->errmsg.data : "";
}

static int lock_ttl(struct opts *o)
{
	return o->lock_ttl > 0 ? o->lock_ttl : (int)px_cfg_int(o->cfg, "backup_lock_ttl");
}

/* ---- init ---- */

static int cmd_init(struct opts *o, int argc, char **argv)
{
	struct px_bk_secret s;
	struct px_bk_store *st;
	struct px_buf d = PX_BUF_INIT;
	enum px_err rc;
	size_t chunk = o->chunk_size > 0 ? (size_t)o->chunk_size :
		       (size_t)px_cfg_int(o->cfg, "backup_chunk_size");

	if (read_secret(pick(o->key_file, o->cfg, "backup_key_file", NULL),
			pick(o->pass_file, o->cfg, "backup_passphrase_file", NULL), &s))
		return EXIT_USAGE;
	st = open_store(o);
	if (!st) {
		px_bk_secret_wipe(&s);
		return EXIT_STORAGE;
	}
	rc = px_bk_repo_init(st, &s, NULL, chunk);
	px_bk_secret_wipe(&s);
	if (rc == PX_E_VALIDATION_CONFLICT)
		px_buf_printf(&d, "%s is already a backup store", st->url);
	else
		px_buf_puts(&d, st->errmsg.data ? st->errmsg.data : "");
	if (rc == PX_OK)
		px_log_info(MOD, NULL, "initialised backup store %s", st->url);
	px_bk_store_free(st);
	rc = rc == PX_OK ? EXIT_OK : (enum px_err)fail(rc, "init", &d);
	px_buf_free(&d);
	return (int)rc;
}

/* ---- backup ---- */

struct run {
	struct px_bk_progress prog;
	struct px_bk_lock *lock;
};

static void on_progress(void *arg, uint64_t done)
{
	struct run *run = arg;

	px_bk_progress_update(&run->prog, done);
}

/* In the writer's sealing thread, which owns the store meanwhile. */
static void on_tick(void *arg)
{
	struct run *run = arg;

	if (px_bk_lock_refresh(run->lock) != PX_OK)
		px_log_warn(MOD, NULL, "could not refresh the store lock");
}

static const char *uploads_dir(struct opts *o)
{
	struct px_buf b = PX_BUF_INIT;
	const char *v;
	struct stat st;

	if (o->no_uploads)
		return NULL;
	v = pick(o->uploads, o->cfg, "backup_uploads", NULL);
	if (v)
		return v;
	if (!o->config)
		return NULL;
	px_buf_printf(&b, "%s/uploads", px_cfg_str(o->cfg, "data_dir"));
	o->owned[1] = px_buf_steal(&b);
	return o->owned[1] && stat(o->owned[1], &st) == 0 ? o->owned[1] : NULL;
}

static const char *db_conninfo(struct opts *o)
{
	if (o->no_db)
		return NULL;
	return o->db ? o->db : px_cfg_str(o->cfg, "db_conninfo");
}

static double elapsed(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (double)(now.tv_sec - since->tv_sec) +
	       (now.tv_nsec - since->tv_nsec) / 1e9;
}

static void record_status(struct opts *o, const char *conninfo,
			  struct px_bk_status *s)
{
	struct px_buf err = PX_BUF_INIT;

	if (!conninfo || o->no_status)
		return;
	clock_gettime(CLOCK_REALTIME, &s->finished);
	if (px_bk_status_record(conninfo, s, &err) != PX_OK)
		px_log_warn(MOD, NULL, "could not record the run in backup_status: %s",
			    err.data ? err.data : "");
	px_buf_free(&err);
}

static int cmd_backup(struct opts *o, int argc, char **argv)
{
	struct px_bk_repo *r = NULL;
	struct px_bk_writer *w = NULL;
	struct run run = { { 0 }, NULL };
	struct px_buf err = PX_BUF_INIT;
	struct px_bk_status status = { 0 };
	struct px_bk_dump_opts dopts = { 0 };
	struct px_bk_dump *dump = NULL;
	struct px_bk_files_stats fst = { 0 };
	json_object *m = json_object_new_object(), *old_files = NULL;
	json_object *new_files = json_object_new_object();
	const char *conninfo = db_conninfo(o), *uploads = uploads_dir(o);
	const struct px_bk_writer_stats *ws;
	char name[64] = "", host[128];
	enum px_err rc;
	int code;

	clock_gettime(CLOCK_REALTIME, &status.started);
	status.command = "backup";
	px_bk_progress_init(&run.prog, "backup", o->quiet ? 0 : o->progress);
	/* the snapshot and the schema dump start while the key is derived */
	if (conninfo) {
		dopts.conninfo = conninfo;
		dopts.pg_dump = o->pg_dump;
		dopts.binary = o->copy_binary;
		dopts.on_total = px_bk_progress_total;
		dopts.arg = &run.prog;
		rc = px_bk_dump_begin(&dopts, &dump, &err);
		if (rc != PX_OK) {
			code = fail(rc, "backup", &err);
			status.store = pick(o->store, o->cfg, "backup_store", NULL);
			status.error = rc;
			status.error_message = err.data;
			record_status(o, conninfo, &status);
			goto done;
		}
	}
	code = open_repo(o, &r);
	if (code != EXIT_OK) {
		status.store = pick(o->store, o->cfg, "backup_store", NULL);
		status.error = code == EXIT_KEY ? PX_E_STORAGE_KEY_INVALID : PX_E_STORAGE_FAILED;
		status.error_message = "cannot open the backup store";
		record_status(o, conninfo, &status);
		goto done;
	}
	status.store = r->store->url;
	rc = px_bk_lock_take(r, "backup", 1, lock_ttl(o), &run.lock, &err);
	if (rc != PX_OK)
		goto out;
	rc = px_bk_repo_known_load(r);
	if (rc != PX_OK)
		goto out;
	w = px_bk_writer_new(r, on_progress, on_tick, &run);
	rc = PX_E_SYSTEM_INTERNAL;
	if (!w || !m || !new_files || px_bk_snapshot_name_now(name, sizeof(name)))
		goto out;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	json_object_object_add(m, "format", json_object_new_string("plexichat-backup"));
	json_object_object_add(m, "version", json_object_new_int(1));
	json_object_object_add(m, "name", json_object_new_string(name));
	json_object_object_add(m, "created", json_object_new_int64(time(NULL)));
	json_object_object_add(m, "host", json_object_new_string(host));
	json_object_object_add(m, "chunk_avg", json_object_new_int64((int64_t)r->chunk_avg));
	if (dump) {
		json_object *db = json_object_new_object();

		json_object_object_add(m, "db", db);
		rc = px_bk_dump_run(dump, w, db, &err);
		if (rc != PX_OK)
			goto out;
		/* end the snapshot's transaction before writing the status row */
		px_bk_dump_free(dump);
		dump = NULL;
	}
	if (uploads) {
		json_object *files = json_object_new_array();

		json_object_object_add(m, "files", files);
		json_object_object_add(m, "files_root", json_object_new_string(uploads));
		old_files = px_bk_files_cache_load(r);
		rc = px_bk_files_backup(w, r, uploads, old_files, new_files, files,
					&fst, &err);
		if (rc != PX_OK)
			goto out;
	}
	rc = px_bk_writer_drain(w);
	if (rc != PX_OK)
		goto out;
	ws = px_bk_writer_stats(w);
	{
		json_object *t = json_object_new_object();

		json_object_object_add(t, "bytes", json_object_new_int64((int64_t)ws->bytes_in));
		json_object_object_add(t, "shards", json_object_new_int64((int64_t)ws->shards));
		json_object_object_add(t, "files", json_object_new_int64((int64_t)fst.files));
		json_object_object_add(m, "totals", t);
	}
	/* every shard durable before the manifest that names them */
	rc = px_bk_flush(r->store);
	if (rc != PX_OK)
		goto out;
	rc = px_bk_manifest_save(r, name, m);
	if (rc != PX_OK)
		goto out;
	if (px_bk_repo_known_save(r) != PX_OK ||
	    (uploads && px_bk_files_cache_save(r, new_files) != 0))
		px_log_warn(MOD, NULL, "could not save the local cache in %s", r->cache_dir);
	px_bk_progress_end(&run.prog);
	rc = PX_OK;
out:
	if (w) {
		char fields[512];

		ws = px_bk_writer_stats(w);
		status.bytes_total = ws->bytes_in;
		status.bytes_uploaded = ws->bytes_stored;
		status.shards_total = ws->shards;
		status.shards_new = ws->shards_new;
		snprintf(fields, sizeof(fields),
			 "{\"snapshot\":\"%s\",\"bytes\":%llu,\"bytes_new\":%llu,"
			 "\"bytes_uploaded\":%llu,\"shards\":%llu,\"shards_new\":%llu,"
			 "\"files\":%llu,\"files_unchanged\":%llu,\"seconds\":%.3f}",
			 rc == PX_OK ? name : "",
			 (unsigned long long)ws->bytes_in, (unsigned long long)ws->bytes_new,
			 (unsigned long long)ws->bytes_stored,
			 (unsigned long long)ws->shards, (unsigned long long)ws->shards_new,
			 (unsigned long long)fst.files, (unsigned long long)fst.skipped,
			 elapsed(&status.started));
		if (rc == PX_OK)
			px_log_fields(PX_LOG_INFO, MOD, NULL, fields, "backup %s done", name);
	}
	if (rc != PX_OK) {
		struct px_buf d = PX_BUF_INIT;

		px_buf_puts(&d, detail_of(r, &err));
		/* drain only so the store can be flushed; the first error wins */
		if (w && px_bk_writer_drain(w) != PX_OK)
			px_log_debug(MOD, NULL, "sealing thread stopped with an error");
		if (r)
			(void)px_bk_flush(r->store);
		code = fail(rc, "backup", &d);
		status.error = rc;
		status.error_message = d.data ? d.data : "";
		status.ok = 0;
		record_status(o, conninfo, &status);
		px_buf_free(&d);
	} else {
		status.ok = 1;
		status.snapshot = name;
		record_status(o, conninfo, &status);
		code = EXIT_OK;
	}
	px_bk_lock_release(run.lock);
done:
	px_bk_dump_free(dump);
	px_bk_writer_free(w);
	json_object_put(m);
	json_object_put(old_files);
	json_object_put(new_files);
	px_bk_repo_close(r);
	px_buf_free(&err);
	return code;
}

/* ---- list ---- */

static int cmd_list(struct opts *o, int argc, char **argv)
{
	struct px_bk_repo *r = NULL;
	struct px_bk_snaplist l = { 0 };
	enum px_err rc;
	size_t i;
	int code = open_repo(o, &r);

	if (code != EXIT_OK)
		return code;
	rc = px_bk_snapshots(r->store, &l);
	for (i = 0; rc == PX_OK && i < l.n; i++) {
		json_object *m = NULL, *t = NULL, *v;
		long long bytes = -1, shards = -1, files = -1;

		if (px_bk_manifest_load(r, l.names[i], &m) == PX_OK &&
		    json_object_object_get_ex(m, "totals", &t)) {
			if (json_object_object_get_ex(t, "bytes", &v))
				bytes = json_object_get_int64(v);
			if (json_object_object_get_ex(t, "shards", &v))
				shards = json_object_get_int64(v);
			if (json_object_object_get_ex(t, "files", &v))
				files = json_object_get_int64(v);
		}
		printf("{\"snapshot\":\"%s\",\"time\":%lld,\"bytes\":%lld,"
		       "\"shards\":%lld,\"files\":%lld,\"readable\":%s}\n",
		       l.names[i] + strlen(PX_BK_SNAP_PREFIX),
		       (long long)px_bk_snapshot_time(l.names[i]), bytes, shards,
		       files, m ? "true" : "false");
		json_object_put(m);
	}
	if (rc != PX_OK)
		code = fail(rc, "list", &r->store->errmsg);
	px_bk_snaplist_free(&l);
	px_bk_repo_close(r);
	return code;
}

/* Opens the repository and loads the snapshot named by argv (or latest). */
static int load_snapshot(struct opts *o, int argc, char **argv,
			 struct px_bk_repo **r, json_object **m, char **name)
{
	struct px_bk_snaplist l = { 0 };
	struct px_buf d = PX_BUF_INIT;
	const char *want = argc > 0 ? argv[0] : "latest", *hit;
	enum px_err rc;
	int code = open_repo(o, r);

	*m = NULL;
	*name = NULL;
	if (code != EXIT_OK)
		return code;
	rc = px_bk_snapshots((*r)->store, &l);
	if (rc != PX_OK) {
		code = fail(rc, "list snapshots", &(*r)->store->errmsg);
		goto out;
	}
	hit = px_bk_snapshot_find(&l, want);
	if (!hit) {
		px_buf_printf(&d, "no snapshot matches \"%s\"", want);
		code = fail(PX_E_VALIDATION_NOT_FOUND, "find snapshot", &d);
		goto out;
	}
	*name = strdup(hit);
	rc = px_bk_manifest_load(*r, hit, m);
	if (rc != PX_OK) {
		px_buf_printf(&d, "manifest %s: %s", hit, px_err_message(rc));
		code = fail(rc, "load snapshot", &d);
	}
out:
	px_bk_snaplist_free(&l);
	px_buf_free(&d);
	return code;
}

/* ---- show ---- */

static int cmd_show(struct opts *o, int argc, char **argv)
{
	struct px_bk_repo *r = NULL;
	json_object *m = NULL;
	char *name = NULL;
	int code = load_snapshot(o, argc, argv, &r, &m, &name);

	if (code == EXIT_OK)
		printf("%s\n", json_object_to_json_string_ext(m, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_SPACED));
	json_object_put(m);
	free(name);
	px_bk_repo_close(r);
	return code;
}

/* ---- verify ---- */

static int cmd_verify(struct opts *o, int argc, char **argv)
{
	struct px_bk_repo *r = NULL;
	struct px_bk_lock *lock = NULL;
	struct px_bk_verify_result res;
	struct px_bk_progress prog;
	struct px_buf err = PX_BUF_INIT;
	json_object *m = NULL;
	char *name = NULL, fields[512];
	enum px_err rc;
	int code = load_snapshot(o, argc, argv, &r, &m, &name);

	if (code != EXIT_OK)
		goto out;
	rc = px_bk_lock_take(r, "verify", 0, lock_ttl(o), &lock, &err);
	if (rc == PX_OK) {
		px_bk_progress_init(&prog, "verify", o->quiet ? 0 : o->progress);
		rc = px_bk_verify(r, m, o->sample > 0 ? (size_t)o->sample : 0, &res,
				  px_bk_progress_update, &prog, &err);
		px_bk_progress_end(&prog);
		snprintf(fields, sizeof(fields),
			 "{\"snapshot\":\"%s\",\"shards\":%zu,\"read\":%zu,\"missing\":%zu,"
			 "\"corrupt\":%zu,\"bytes\":%llu}", name, res.shards, res.read,
			 res.missing, res.corrupt, (unsigned long long)res.bytes);
		px_log_fields(rc == PX_OK ? PX_LOG_INFO : PX_LOG_ERROR, MOD, NULL, fields,
			      "verify %s: %s", name, rc == PX_OK ? "ok" : px_err_name(rc));
		printf("%s\n", fields);
		px_bk_lock_release(lock);
	}
	code = rc == PX_OK ? EXIT_OK : fail(rc, "verify", &err);
out:
	json_object_put(m);
	free(name);
	px_bk_repo_close(r);
	px_buf_free(&err);
	return code;
}

/* ---- restore ---- */

static int cmd_restore(struct opts *o, int argc, char **argv)
{
	struct px_bk_repo *r = NULL;
	struct px_bk_lock *lock = NULL;
	struct px_bk_restore_opts ro = { 0 };
	struct px_bk_restore_stats st = { 0 };
	struct px_bk_progress prog;
	struct px_buf err = PX_BUF_INIT;
	json_object *m = NULL, *t;
	char *name = NULL, fields[512];
	enum px_err rc;
	int code;

	if (!o->target_db && !o->target_uploads) {
		fprintf(stderr, "restore needs --target-db CONNINFO and/or --target-uploads DIR\n");
		return EXIT_USAGE;
	}
	code = load_snapshot(o, argc, argv, &r, &m, &name);
	if (code != EXIT_OK)
		goto out;
	rc = px_bk_lock_take(r, "restore", 0, lock_ttl(o), &lock, &err);
	if (rc == PX_OK) {
		px_bk_progress_init(&prog, "restore", o->quiet ? 0 : o->progress);
		if (json_object_object_get_ex(m, "totals", &t) &&
		    json_object_object_get_ex(t, "bytes", &t))
			px_bk_progress_total(&prog, (uint64_t)json_object_get_int64(t));
		ro.conninfo = o->target_db;
		ro.uploads = o->target_uploads;
		ro.on_progress = px_bk_progress_update;
		ro.arg = &prog;
		rc = px_bk_restore(r, m, &ro, &st, &err);
		px_bk_progress_end(&prog);
		px_bk_lock_release(lock);
	}
	if (rc == PX_OK) {
		snprintf(fields, sizeof(fields),
			 "{\"snapshot\":\"%s\",\"bytes\":%llu,\"tables\":%llu,\"rows\":%llu,"
			 "\"files\":%llu}", name, (unsigned long long)st.bytes,
			 (unsigned long long)st.tables, (unsigned long long)st.rows,
			 (unsigned long long)st.files);
		px_log_fields(PX_LOG_INFO, MOD, NULL, fields, "restore of %s done", name);
		printf("%s\n", fields);
	}
	code = rc == PX_OK ? EXIT_OK : fail(rc, "restore", &err);
out:
	json_object_put(m);
	free(name);
	px_bk_repo_close(r);
	px_buf_free(&err);
	return code;
}

/* ---- prune ---- */

static int policy_val(int cli, struct opts *o, const char *key)
{
	return cli >= 0 ? cli : (int)px_cfg_int(o->cfg, key);
}

static int cmd_prune(struct opts *o, int argc, char **argv)
{
	struct px_bk_policy p = {
		policy_val(o->policy.last, o, "backup_keep_last"),
		policy_val(o->policy.daily, o, "backup_keep_daily"),
		policy_val(o->policy.weekly, o, "backup_keep_weekly"),
		policy_val(o->policy.monthly, o, "backup_keep_monthly"),
	};
	struct px_bk_repo *r = NULL;
	struct px_bk_lock *lock = NULL;
	struct px_bk_prune_stats st;
	struct px_buf err = PX_BUF_INIT;
	char fields[512];
	enum px_err rc;
	int code;

	if (p.last <= 0 && p.daily <= 0 && p.weekly <= 0 && p.monthly <= 0) {
		fprintf(stderr, "prune: the policy keeps nothing; refusing\n");
		return EXIT_USAGE;
	}
	code = open_repo(o, &r);
	if (code != EXIT_OK)
		return code;
	rc = px_bk_lock_take(r, "prune", 1, lock_ttl(o), &lock, &err);
	if (rc == PX_OK)
		rc = px_bk_repo_known_load(r);
	if (rc == PX_OK) {
		rc = px_bk_prune(r, &p, o->dry_run, &st, &err);
		if (rc == PX_OK && px_bk_repo_known_save(r) != PX_OK)
			px_log_warn(MOD, NULL, "could not save the shard cache");
		if (rc == PX_OK) {
			snprintf(fields, sizeof(fields),
				 "{\"dry_run\":%s,\"kept\":%zu,\"removed\":%zu,"
				 "\"shards_deleted\":%zu,\"shards_kept\":%zu,"
				 "\"bytes_deleted\":%llu}", o->dry_run ? "true" : "false",
				 st.kept, st.removed, st.shards_deleted, st.shards_kept,
				 (unsigned long long)st.bytes_deleted);
			px_log_fields(PX_LOG_INFO, MOD, NULL, fields, "prune done");
			printf("%s\n", fields);
		}
	}
	px_bk_lock_release(lock);
	code = rc == PX_OK ? EXIT_OK : fail(rc, "prune", &err);
	px_bk_repo_close(r);
	px_buf_free(&err);
	return code;
}

/* ---- locks ---- */

static int cmd_locks(struct opts *o, int argc, char **argv)
{
	struct px_bk_repo *r = NULL;
	struct px_buf out = PX_BUF_INIT;
	enum px_err rc;
	int stale = 0, code = open_repo(o, &r);

	if (code != EXIT_OK)
		return code;
	rc = px_bk_lock_list(r, o->remove_stale, &out, &stale);
	if (out.len)
		fputs(out.data, stdout);
	if (rc == PX_OK && o->remove_stale && stale)
		px_log_info(MOD, NULL, "removed %d stale lock(s)", stale);
	code = rc == PX_OK ? EXIT_OK : fail(rc, "locks", &r->store->errmsg);
	px_buf_free(&out);
	px_bk_repo_close(r);
	return code;
}

/* ---- key ---- */

static int cmd_key(struct opts *o, int argc, char **argv)
{
	struct px_bk_repo *r = NULL;
	struct px_buf out = PX_BUF_INIT;
	struct px_bk_secret s;
	const char *sub = argc > 0 ? argv[0] : "";
	enum px_err rc = PX_OK;
	char id[17];
	int code;

	if (strcmp(sub, "list") && strcmp(sub, "add") && strcmp(sub, "remove") &&
	    strcmp(sub, "rotate") && strcmp(sub, "export")) {
		fprintf(stderr, "usage: key list|add|remove ID|rotate|export [--out FILE]\n");
		return EXIT_USAGE;
	}
	code = open_repo(o, &r);
	if (code != EXIT_OK)
		return code;
	if (!strcmp(sub, "list")) {
		rc = px_bk_keys_list(r->store, &out);
		if (out.len)
			fputs(out.data, stdout);
	} else if (!strcmp(sub, "add")) {
		if (read_secret(o->new_key_file, o->new_pass_file, &s) != 0) {
			code = EXIT_USAGE;
			goto out;
		}
		rc = px_bk_keys_add(r->store, &r->keys, &s, NULL, id);
		px_bk_secret_wipe(&s);
		if (rc == PX_OK)
			printf("{\"added\":\"%s\"}\n", id);
	} else if (!strcmp(sub, "remove")) {
		if (argc < 2) {
			fprintf(stderr, "usage: key remove ID\n");
			code = EXIT_USAGE;
			goto out;
		}
		rc = px_bk_keys_remove(r->store, argv[1]);
	} else if (!strcmp(sub, "rotate")) {
		rc = px_bk_keys_rotate(r->store, &r->keys);
		if (rc == PX_OK)
			printf("{\"keyset_version\":%u}\n", r->keys.keyset_version);
	} else {
		FILE *f = stdout;

		px_bk_keys_export(&r->keys, &out);
		if (o->out) {
			int fd = open(o->out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

			f = fd >= 0 ? fdopen(fd, "w") : NULL;
			if (!f) {
				px_log_error(MOD, NULL, "cannot create %s: %s", o->out, strerror(errno));
				code = EXIT_USAGE;
				goto out;
			}
		}
		fputs(out.data, f);
		if (f != stdout && fclose(f) != 0)
			code = EXIT_INTERNAL;
		px_bk_wipe(out.data, out.len);
	}
	if (rc != PX_OK)
		code = fail(rc, "key", &r->store->errmsg);
out:
	px_buf_free(&out);
	px_bk_repo_close(r);
	return code;
}

/* ---- dispatch ---- */

struct command {
	const char *name;
	int (*fn)(struct opts *o, int argc, char **argv);
	const char *usage;
};

static const struct command commands[] = {
	{ "init", cmd_init, "init                      create a new backup store" },
	{ "backup", cmd_backup, "backup                    back up the database and the uploads folder" },
	{ "list", cmd_list, "list                      list snapshots (JSON lines)" },
	{ "show", cmd_show, "show [SNAP]               print a snapshot's manifest (JSON)" },
	{ "verify", cmd_verify, "verify [SNAP] [--sample N] read and authenticate a snapshot's shards" },
	{ "restore", cmd_restore, "restore [SNAP] --target-db CONNINFO --target-uploads DIR" },
	{ "prune", cmd_prune, "prune [--keep-last N --keep-daily N --keep-weekly N --keep-monthly N] [--dry-run]" },
	{ "locks", cmd_locks, "locks [--remove-stale]    list store locks" },
	{ "key", cmd_key, "key list|add|remove ID|rotate|export [--out FILE]" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: plexichat-backup [options] COMMAND [args]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "\noptions:\n"
		"  --config FILE            PlexiChat config file (backup_* keys)\n"
		"  --store URL              folder, file:///folder or s3://bucket/prefix\n"
		"  --db CONNINFO            database to back up (default db_conninfo)\n"
		"  --uploads DIR            uploads folder (default data_dir/uploads)\n"
		"  --no-db, --no-uploads    skip a part\n"
		"  --key-file F | --passphrase-file F   what unlocks the store\n"
		"  --new-key-file F | --new-passphrase-file F   for key add\n"
		"  --cache-dir DIR          local cache folder\n"
		"  --s3-endpoint URL --s3-region R --s3-access-key K --s3-secret-key S\n"
		"  --s3-path-style on|off   --concurrency N\n"
		"  --chunk-size BYTES (init)  --zstd-level N  --pg-dump PATH\n"
		"  --copy-binary            tables as binary COPY: less server CPU, larger\n"
		"                           shards, restore only into the same major version\n"
		"  --target-db CONNINFO --target-uploads DIR (restore)\n"
		"  --sample N (verify)  --dry-run (prune)  --lock-ttl SECONDS\n"
		"  --quiet                  warnings and errors only, no progress bar\n"
		"  --progress | --no-progress  force the progress bar on or off\n"
		"  --no-status              do not record the run in backup_status\n"
		"\nexit codes: 0 ok, 1 usage/config, 2 locked, 3 wrong key, 4 shard missing or\n"
		"corrupt, 5 storage failed/full/credentials, 6 database, 7 internal\n");
}

enum {
	OPT_STORE = 256, OPT_DB, OPT_UPLOADS, OPT_KEYFILE, OPT_PASSFILE, OPT_NEWKEY, OPT_NEWPASS,
	OPT_CACHE, OPT_OUT, OPT_S3E, OPT_S3R, OPT_S3A, OPT_S3S, OPT_S3P, OPT_CONC, OPT_ZSTD, OPT_CHUNK,
	OPT_TDB, OPT_TUP, OPT_TEXT, OPT_SAMPLE, OPT_DRY, OPT_KL, OPT_KD, OPT_KW, OPT_KM, OPT_STALE, OPT_QUIET,
	OPT_PROG, OPT_NOPROG, OPT_NODB, OPT_NOUP, OPT_NOSTATUS, OPT_TTL, OPT_PGDUMP, OPT_CONFIG,
};

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "store", required_argument, NULL, OPT_STORE },
	{ "db", required_argument, NULL, OPT_DB },
	{ "uploads", required_argument, NULL, OPT_UPLOADS },
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
	{ "zstd-level", required_argument, NULL, OPT_ZSTD },
	{ "chunk-size", required_argument, NULL, OPT_CHUNK },
	{ "target-db", required_argument, NULL, OPT_TDB },
	{ "target-uploads", required_argument, NULL, OPT_TUP },
	{ "sample", required_argument, NULL, OPT_SAMPLE },
	{ "dry-run", no_argument, NULL, OPT_DRY },
	{ "keep-last", required_argument, NULL, OPT_KL },
	{ "keep-daily", required_argument, NULL, OPT_KD },
	{ "keep-weekly", required_argument, NULL, OPT_KW },
	{ "keep-monthly", required_argument, NULL, OPT_KM },
	{ "remove-stale", no_argument, NULL, OPT_STALE },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "progress", no_argument, NULL, OPT_PROG },
	{ "no-progress", no_argument, NULL, OPT_NOPROG },
	{ "no-db", no_argument, NULL, OPT_NODB },
	{ "no-uploads", no_argument, NULL, OPT_NOUP },
	{ "no-status", no_argument, NULL, OPT_NOSTATUS },
	{ "lock-ttl", required_argument, NULL, OPT_TTL },
	{ "pg-dump", required_argument, NULL, OPT_PGDUMP },
	{ "copy-binary", no_argument, NULL, OPT_TEXT },
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

static int parse(int argc, char **argv, struct opts *o)
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
		case OPT_DRY: o->dry_run = 1; continue;
		case OPT_STALE: o->remove_stale = 1; continue;
		case OPT_QUIET: o->quiet = 1; continue;
		case OPT_PROG: o->progress = 1; continue;
		case OPT_NOPROG: o->progress = 0; continue;
		case OPT_NODB: o->no_db = 1; continue;
		case OPT_NOUP: o->no_uploads = 1; continue;
		case OPT_NOSTATUS: o->no_status = 1; continue;
		case OPT_PGDUMP: o->pg_dump = optarg; continue;
		case OPT_TEXT: o->copy_binary = 1; continue;
		default: break;
		}
		if (num(optarg, &v) != 0 || v > 1L << 30) {
			fprintf(stderr, "plexichat-backup: bad number \"%s\"\n", optarg);
			return -1;
		}
		switch (c) {
		case OPT_CONC: o->concurrency = (int)v; break;
		case OPT_ZSTD: o->zstd_level = (int)v; break;
		case OPT_CHUNK: o->chunk_size = (int)v; break;
		case OPT_SAMPLE: o->sample = v; break;
		case OPT_KL: o->policy.last = (int)v; break;
		case OPT_KD: o->policy.daily = (int)v; break;
		case OPT_KW: o->policy.weekly = (int)v; break;
		case OPT_KM: o->policy.monthly = (int)v; break;
		case OPT_TTL: o->lock_ttl = (int)v; break;
		}
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct px_buf err = PX_BUF_INIT;
	const char *lf;
	size_t i;
	int rc, lvl;

	memset(&o, 0, sizeof(o));
	o.s3_path_style = -1;
	o.progress = -1;
	o.policy.last = o.policy.daily = o.policy.weekly = o.policy.monthly = -1;
	rc = parse(argc, argv, &o);
	if (rc <= 0)
		return rc == 0 ? EXIT_OK : EXIT_USAGE;
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!o.config && getenv("PLEXICHAT_CONFIG"))
		o.config = getenv("PLEXICHAT_CONFIG");
	if (px_cfg_load(o.config, &o.cfg, &err) != 0) {
		fprintf(stderr, "plexichat-backup: %s\n", err.data ? err.data : "bad configuration");
		px_buf_free(&err);
		return EXIT_USAGE;
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
	rc = EXIT_USAGE;
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
	return rc;
}
