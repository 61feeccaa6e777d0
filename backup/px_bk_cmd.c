/* px_bk_cmd.c: the commands: init, backup, list, show, verify, restore,
 * prune, locks, key. Policy (what is locked, what is recorded) lives here;
 * the work is done by the px_bk_* modules. */
#include "backup/px_bk_cmd.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/cfg.h"
#include "core/err.h"
#include "core/log.h"
#include "backup/px_bk_dump.h"
#include "backup/px_bk_files.h"
#include "backup/px_bk_lock.h"
#include "backup/px_bk_manifest.h"
#include "backup/px_bk_progress.h"
#include "backup/px_bk_prune.h"
#include "backup/px_bk_repo.h"
#include "backup/px_bk_restore.h"
#include "backup/px_bk_status.h"
#include "backup/px_bk_verify.h"
#include "storage/px_st_files.h"

/* ---- init ---- */

int px_bk_cmd_init(struct px_bk_opts *o, int argc, char **argv)
{
	struct px_bk_secret s;
	struct px_st_store *st;
	struct px_buf d = PX_BUF_INIT;
	enum px_err rc;
	size_t chunk = o->chunk_size > 0 ? (size_t)o->chunk_size :
		       (size_t)px_cfg_int(o->cfg, "backup_chunk_size");

	if (px_bk_read_secret(px_bk_opt(o->key_file, o->cfg, "backup_key_file", NULL),
			px_bk_opt(o->pass_file, o->cfg, "backup_passphrase_file", NULL), &s))
		return PX_BK_EXIT_USAGE;
	st = px_bk_open_store(o);
	if (!st) {
		px_bk_secret_wipe(&s);
		return PX_BK_EXIT_STORAGE;
	}
	rc = px_bk_repo_init(st, &s, NULL, chunk);
	px_bk_secret_wipe(&s);
	if (rc == PX_E_VALIDATION_CONFLICT)
		px_buf_printf(&d, "%s is already a backup store", st->url);
	else
		px_buf_puts(&d, st->errmsg.data ? st->errmsg.data : "");
	if (rc == PX_OK)
		px_log_info(PX_BK_LOG_MODULE, NULL, "initialised backup store %s", st->url);
	px_st_store_free(st);
	rc = rc == PX_OK ? PX_BK_EXIT_OK : (enum px_err)px_bk_fail(rc, "init", &d);
	px_buf_free(&d);
	return (int)rc;
}

/* ---- backup ---- */

struct run {
	struct px_bk_progress prog;
	struct px_bk_lock *lock;
};

/* backup_jobs, where 0 is half the cores: each reading connection feeds a
 * pipeline (compression, chunking, encryption) that keeps about two busy. */
static int dump_jobs(const struct px_cfg *cfg)
{
	long n = (long)px_cfg_int(cfg, "backup_jobs"), cores;

	if (n > 0)
		return (int)n;
	cores = sysconf(_SC_NPROCESSORS_ONLN);
	n = cores > 1 ? cores / 2 : 1;
	return (int)(n > 16 ? 16 : n);
}

/* --table-order, else backup_table_order (checked when read) */
static int key_order(const struct px_bk_opts *o)
{
	const char *v = o->table_order ? o->table_order :
		px_cfg_str(o->cfg, "backup_table_order");

	return strcmp(v, "key") == 0;
}

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
		px_log_warn(PX_BK_LOG_MODULE, NULL, "could not refresh the store lock");
}

static int is_dir(const char *dir, const char *sub)
{
	struct px_buf b = PX_BUF_INIT;
	struct stat st;
	int yes;

	px_buf_printf(&b, "%s%s%s", dir, sub ? "/" : "", sub ? sub : "");
	yes = b.data && stat(b.data, &st) == 0 && S_ISDIR(st.st_mode);
	px_buf_free(&b);
	return yes;
}

/* The folder of uploaded files to back up: --files/--uploads or
 * backup_uploads, else (with a configuration) the local file store,
 * files_dir or data_dir/files, else the older data_dir/uploads. A folder
 * that holds objects/ is a file store: only objects/ is backed up
 * (*only), never its tmp/. NULL: no files to back up. */
static const char *uploads_dir(struct px_bk_opts *o, const char **only)
{
	struct px_buf b = PX_BUF_INIT;
	const char *v;

	*only = NULL;
	if (o->no_uploads)
		return NULL;
	v = px_bk_opt(o->uploads, o->cfg, "backup_uploads", NULL);
	if (!v && o->config) {
		v = px_bk_opt(NULL, o->cfg, "files_dir", NULL);
		if (!v) {
			px_buf_printf(&b, "%s/files", px_cfg_str(o->cfg, "data_dir"));
			if (!is_dir(b.data ? b.data : "", NULL)) {
				px_buf_reset(&b);
				px_buf_printf(&b, "%s/uploads", px_cfg_str(o->cfg, "data_dir"));
			}
			o->owned[1] = px_buf_steal(&b);
			v = o->owned[1] && is_dir(o->owned[1], NULL) ? o->owned[1] : NULL;
		}
	}
	if (v && is_dir(v, "objects"))
		*only = "objects";
	return v;
}

/* The remote file store to back up: with a configuration whose
 * files_store is s3, gcs or azure, and no folder named by --files or
 * backup_uploads. 1 when fs was opened (close it), 0 when there is none,
 * -1 when it cannot be opened (reason in err). */
static int remote_files(struct px_bk_opts *o, struct px_st_files *fs, struct px_buf *err)
{
	if (o->no_uploads || !o->config || !px_st_files_remote_url(o->cfg) ||
	    px_bk_opt(o->uploads, o->cfg, "backup_uploads", NULL))
		return 0;
	if (px_st_files_open_config(o->cfg, fs, err) != 0)
		return -1;
	return 1;
}

/* The latest snapshot's files by path, for content-addressed reuse; NULL
 * when there is none or it cannot be read (then objects are judged by the
 * local cache alone). */
static json_object *previous_files(struct px_bk_repo *r)
{
	struct px_bk_snaplist l = { 0 };
	json_object *m = NULL, *by = NULL;
	size_t i;

	if (px_bk_snapshots(r->store, &l) != PX_OK)
		return NULL;
	/* the newest logical snapshot: base backups hold no file store */
	for (i = l.n; i-- > 0;) {
		int base;

		if (px_bk_manifest_load(r, l.names[i], &m) != PX_OK)
			break;
		base = json_object_object_get_ex(m, "pgdata", NULL);
		if (!base)
			by = px_bk_files_by_path(m);
		json_object_put(m);
		if (!base)
			break;
	}
	px_bk_snaplist_free(&l);
	return by;
}

static const char *db_conninfo(struct px_bk_opts *o)
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

static void record_status(struct px_bk_opts *o, const char *conninfo,
			  struct px_bk_status *s)
{
	struct px_buf err = PX_BUF_INIT;

	if (!conninfo || o->no_status)
		return;
	clock_gettime(CLOCK_REALTIME, &s->finished);
	if (px_bk_status_record(conninfo, s, &err) != PX_OK)
		px_log_warn(PX_BK_LOG_MODULE, NULL, "could not record the run in backup_status: %s",
			    err.data ? err.data : "");
	px_buf_free(&err);
}

int px_bk_cmd_backup(struct px_bk_opts *o, int argc, char **argv)
{
	struct px_bk_repo *r = NULL;
	struct px_bk_writer *w = NULL;
	struct run run = { { 0 }, NULL };
	struct px_buf err = PX_BUF_INIT;
	struct px_bk_status status = { 0 };
	struct px_bk_dump_opts dopts = { 0 };
	struct px_bk_dump *dump = NULL;
	struct px_bk_files_stats fst = { 0 };
	struct px_bk_files_opts fo = { NULL, NULL };
	struct px_st_files fstore = { .remote = NULL };
	json_object *m = json_object_new_object(), *old_files = NULL;
	json_object *new_files = json_object_new_object();
	const char *conninfo = db_conninfo(o), *uploads = NULL;
	int remote = remote_files(o, &fstore, &err);
	const struct px_bk_writer_stats *ws;
	uint64_t db_stored = 0, db_new = 0;
	char name[64] = "", host[128];
	enum px_err rc;
	int code;

	clock_gettime(CLOCK_REALTIME, &status.started);
	status.command = "backup";
	if (remote < 0) {
		code = px_bk_fail(PX_E_STORAGE_FAILED, "backup (file store)", &err);
		goto done;
	}
	uploads = remote ? px_st_files_remote_url(o->cfg) : uploads_dir(o, &fo.only);
	if (remote)
		fo.only = "objects";
	px_bk_progress_init(&run.prog, "backup", o->quiet ? 0 : o->progress);
	/* the snapshot and the schema dump start while the key is derived */
	if (conninfo) {
		dopts.conninfo = conninfo;
		dopts.pg_dump = o->pg_dump;
		dopts.binary = o->copy_binary;
		dopts.jobs = o->jobs > 0 ? o->jobs : dump_jobs(o->cfg);
		dopts.key_order = key_order(o);
		dopts.on_total = px_bk_progress_total;
		dopts.arg = &run.prog;
		rc = px_bk_dump_begin(&dopts, &dump, &err);
		if (rc != PX_OK) {
			code = px_bk_fail(rc, "backup", &err);
			status.store = px_bk_opt(o->store, o->cfg, "backup_store", NULL);
			status.error = rc;
			status.error_message = err.data;
			record_status(o, conninfo, &status);
			goto done;
		}
	}
	code = px_bk_open_repo(o, &r);
	if (code != PX_BK_EXIT_OK) {
		status.store = px_bk_opt(o->store, o->cfg, "backup_store", NULL);
		status.error = code == PX_BK_EXIT_KEY ? PX_E_STORAGE_KEY_INVALID : PX_E_STORAGE_FAILED;
		status.error_message = "cannot open the backup store";
		record_status(o, conninfo, &status);
		goto done;
	}
	status.store = r->store->url;
	rc = px_bk_lock_take(r, "backup", 1, px_bk_opt_lock_ttl(o), &run.lock, &err);
	if (rc != PX_OK)
		goto out;
	rc = px_bk_repo_known_load(r);
	if (rc != PX_OK)
		goto out;
	rc = px_bk_snapshot_name_next(r->store, name, sizeof(name));
	if (rc != PX_OK)
		goto out;
	w = px_bk_writer_new(r, on_progress, on_tick, &run);
	rc = PX_E_SYSTEM_INTERNAL;
	if (!w || !m || !new_files)
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

		/* what the database cost, apart from the files */
		rc = px_bk_writer_drain(w);
		if (rc != PX_OK)
			goto out;
		db_stored = px_bk_writer_stats(w)->bytes_stored;
		db_new = px_bk_writer_stats(w)->bytes_new;
		json_object_object_add(m, "files", files);
		json_object_object_add(m, "files_root", json_object_new_string(uploads));
		if (fo.only)
			json_object_object_add(m, "files_only", json_object_new_string(fo.only));
		if (remote)
			json_object_object_add(m, "files_store",
					       json_object_new_string(px_cfg_str(o->cfg, "files_store")));
		old_files = px_bk_files_cache_load(r);
		if (fo.only)
			fo.prev = previous_files(r);
		rc = remote ? px_bk_files_backup_remote(w, r, &fstore, &fo, files, &fst, &err)
			    : px_bk_files_backup(w, r, uploads, &fo, old_files, new_files, files,
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
	rc = px_st_flush(r->store);
	if (rc != PX_OK)
		goto out;
	rc = px_bk_manifest_save(r, name, m);
	if (rc != PX_OK)
		goto out;
	if (px_bk_repo_known_save(r) != PX_OK ||
	    (uploads && !remote && px_bk_files_cache_save(r, new_files) != 0))
		px_log_warn(PX_BK_LOG_MODULE, NULL, "could not save the local cache in %s", r->cache_dir);
	px_bk_progress_end(&run.prog);
	rc = PX_OK;
out:
	if (w) {
		char fields[768];

		ws = px_bk_writer_stats(w);
		status.bytes_total = ws->bytes_in;
		status.bytes_uploaded = ws->bytes_stored;
		status.shards_total = ws->shards;
		status.shards_new = ws->shards_new;
		snprintf(fields, sizeof(fields),
			 "{\"snapshot\":\"%s\",\"bytes\":%llu,\"bytes_new\":%llu,"
			 "\"bytes_uploaded\":%llu,\"shards\":%llu,\"shards_new\":%llu,"
			 "\"files\":%llu,\"files_unchanged\":%llu,\"files_bytes\":%llu,"
			 "\"files_bytes_read\":%llu,\"files_bytes_new\":%llu,"
			 "\"files_bytes_uploaded\":%llu,\"seconds\":%.3f}",
			 rc == PX_OK ? name : "",
			 (unsigned long long)ws->bytes_in, (unsigned long long)ws->bytes_new,
			 (unsigned long long)ws->bytes_stored,
			 (unsigned long long)ws->shards, (unsigned long long)ws->shards_new,
			 (unsigned long long)fst.files, (unsigned long long)fst.skipped,
			 (unsigned long long)fst.bytes, (unsigned long long)fst.bytes_read,
			 (unsigned long long)(uploads && ws->bytes_new >= db_new ? ws->bytes_new - db_new : 0),
			 (unsigned long long)(uploads && ws->bytes_stored >= db_stored
						      ? ws->bytes_stored - db_stored : 0),
			 elapsed(&status.started));
		if (rc == PX_OK)
			px_log_fields(PX_LOG_INFO, PX_BK_LOG_MODULE, NULL, fields, "backup %s done", name);
	}
	if (rc != PX_OK) {
		struct px_buf d = PX_BUF_INIT;

		px_buf_puts(&d, px_bk_detail_of(r, &err));
		/* drain only so the store can be flushed; the first error wins */
		if (w && px_bk_writer_drain(w) != PX_OK)
			px_log_debug(PX_BK_LOG_MODULE, NULL, "sealing thread stopped with an error");
		if (r)
			(void)px_st_flush(r->store);
		code = px_bk_fail(rc, "backup", &d);
		status.error = rc;
		status.error_message = d.data ? d.data : "";
		status.ok = 0;
		record_status(o, conninfo, &status);
		px_buf_free(&d);
	} else {
		status.ok = 1;
		status.snapshot = name;
		record_status(o, conninfo, &status);
		code = PX_BK_EXIT_OK;
	}
	px_bk_lock_release(run.lock);
done:
	px_bk_dump_free(dump);
	px_bk_writer_free(w);
	json_object_put(m);
	json_object_put(old_files);
	json_object_put(new_files);
	json_object_put(fo.prev);
	px_st_files_close(&fstore);
	px_bk_repo_close(r);
	px_buf_free(&err);
	return code;
}

/* ---- list ---- */

int px_bk_cmd_list(struct px_bk_opts *o, int argc, char **argv)
{
	struct px_bk_repo *r = NULL;
	struct px_bk_snaplist l = { 0 };
	enum px_err rc;
	size_t i;
	int code = px_bk_open_repo(o, &r);

	if (code != PX_BK_EXIT_OK)
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
		code = px_bk_fail(rc, "list", &r->store->errmsg);
	px_bk_snaplist_free(&l);
	px_bk_repo_close(r);
	return code;
}

/* ---- show ---- */

int px_bk_cmd_show(struct px_bk_opts *o, int argc, char **argv)
{
	struct px_bk_repo *r = NULL;
	json_object *m = NULL;
	char *name = NULL;
	int code = px_bk_load_snapshot(o, argc, argv, &r, &m, &name);

	if (code == PX_BK_EXIT_OK)
		printf("%s\n", json_object_to_json_string_ext(m, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_SPACED));
	json_object_put(m);
	free(name);
	px_bk_repo_close(r);
	return code;
}

/* ---- verify ---- */

int px_bk_cmd_verify(struct px_bk_opts *o, int argc, char **argv)
{
	struct px_bk_repo *r = NULL;
	struct px_bk_lock *lock = NULL;
	struct px_bk_verify_result res;
	struct px_bk_progress prog;
	struct px_buf err = PX_BUF_INIT;
	json_object *m = NULL;
	char *name = NULL, fields[512];
	enum px_err rc;
	int code = px_bk_load_snapshot(o, argc, argv, &r, &m, &name);

	if (code != PX_BK_EXIT_OK)
		goto out;
	rc = px_bk_lock_take(r, "verify", 0, px_bk_opt_lock_ttl(o), &lock, &err);
	if (rc == PX_OK) {
		px_bk_progress_init(&prog, "verify", o->quiet ? 0 : o->progress);
		rc = px_bk_verify(r, m, o->sample > 0 ? (size_t)o->sample : 0, &res,
				  px_bk_progress_update, &prog, &err);
		px_bk_progress_end(&prog);
		snprintf(fields, sizeof(fields),
			 "{\"snapshot\":\"%s\",\"shards\":%zu,\"read\":%zu,\"missing\":%zu,"
			 "\"corrupt\":%zu,\"bytes\":%llu}", name, res.shards, res.read,
			 res.missing, res.corrupt, (unsigned long long)res.bytes);
		px_log_fields(rc == PX_OK ? PX_LOG_INFO : PX_LOG_ERROR, PX_BK_LOG_MODULE, NULL, fields,
			      "verify %s: %s", name, rc == PX_OK ? "ok" : px_err_name(rc));
		printf("%s\n", fields);
		px_bk_lock_release(lock);
	}
	code = rc == PX_OK ? PX_BK_EXIT_OK : px_bk_fail(rc, "verify", &err);
out:
	json_object_put(m);
	free(name);
	px_bk_repo_close(r);
	px_buf_free(&err);
	return code;
}

/* ---- restore ---- */

int px_bk_cmd_restore(struct px_bk_opts *o, int argc, char **argv)
{
	struct px_bk_repo *r = NULL;
	struct px_bk_lock *lock = NULL;
	struct px_bk_restore_opts ro = { 0 };
	struct px_bk_restore_stats st = { 0 };
	struct px_bk_progress prog;
	struct px_buf err = PX_BUF_INIT;
	json_object *m = NULL, *t;
	char *name = NULL, fields[512];
	struct px_st_files fstore = { .remote = NULL };
	enum px_err rc;
	int code;

	if (o->to_kind >= 0)
		return px_bk_cmd_pitr_restore(o);

	if (!o->target_db && !o->target_uploads && !o->target_file_store) {
		fprintf(stderr, "restore needs --target-db CONNINFO and/or --target-uploads DIR "
			"or --target-file-store\n");
		return PX_BK_EXIT_USAGE;
	}
	if (o->target_file_store && (o->target_uploads || !o->config ||
				     !px_st_files_remote_url(o->cfg))) {
		fprintf(stderr, "--target-file-store needs a configuration (-c) whose files_store is "
			"s3, gcs or azure, and no --target-files (a local store: --target-files "
			"DIR)\n");
		return PX_BK_EXIT_USAGE;
	}
	if (o->target_file_store && px_st_files_open_config(o->cfg, &fstore, &err) != 0) {
		code = px_bk_fail(PX_E_STORAGE_FAILED, "restore (file store)", &err);
		goto out;
	}
	code = px_bk_load_snapshot(o, argc, argv, &r, &m, &name);
	if (code != PX_BK_EXIT_OK)
		goto out;
	if (json_object_object_get_ex(m, "pgdata", NULL)) {
		px_buf_printf(&err, "%s is a base backup: restore it with --to-latest (or another "
			      "--to-...) --target-dir DIR", name);
		code = px_bk_fail(PX_E_VALIDATION_FAILED, "restore", &err);
		goto out;
	}
	rc = px_bk_lock_take(r, "restore", 0, px_bk_opt_lock_ttl(o), &lock, &err);
	if (rc == PX_OK) {
		px_bk_progress_init(&prog, "restore", o->quiet ? 0 : o->progress);
		if (json_object_object_get_ex(m, "totals", &t) &&
		    json_object_object_get_ex(t, "bytes", &t))
			px_bk_progress_total(&prog, (uint64_t)json_object_get_int64(t));
		ro.conninfo = o->target_db;
		ro.uploads = o->target_uploads;
		ro.file_store = fstore.remote ? &fstore : NULL;
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
		px_log_fields(PX_LOG_INFO, PX_BK_LOG_MODULE, NULL, fields, "restore of %s done", name);
		printf("%s\n", fields);
	}
	code = rc == PX_OK ? PX_BK_EXIT_OK : px_bk_fail(rc, "restore", &err);
out:
	px_st_files_close(&fstore);
	json_object_put(m);
	free(name);
	px_bk_repo_close(r);
	px_buf_free(&err);
	return code;
}

/* ---- prune ---- */

static int policy_val(int cli, struct px_bk_opts *o, const char *key)
{
	return cli >= 0 ? cli : (int)px_cfg_int(o->cfg, key);
}

int px_bk_cmd_prune(struct px_bk_opts *o, int argc, char **argv)
{
	struct px_bk_policy p = {
		policy_val(o->policy.last, o, "backup_keep_last"),
		policy_val(o->policy.daily, o, "backup_keep_daily"),
		policy_val(o->policy.weekly, o, "backup_keep_weekly"),
		policy_val(o->policy.monthly, o, "backup_keep_monthly"),
		policy_val(o->policy.hourly, o, "backup_keep_hourly"),
		policy_val(o->policy.yearly, o, "backup_keep_yearly"),
	};
	struct px_bk_repo *r = NULL;
	struct px_bk_lock *lock = NULL;
	struct px_bk_prune_stats st;
	struct px_buf err = PX_BUF_INIT;
	enum px_err rc;
	int code;

	if (p.last <= 0 && p.daily <= 0 && p.weekly <= 0 && p.monthly <= 0 && p.hourly <= 0 &&
	    p.yearly <= 0) {
		fprintf(stderr, "prune: the policy keeps nothing; refusing\n");
		return PX_BK_EXIT_USAGE;
	}
	code = px_bk_open_repo(o, &r);
	if (code != PX_BK_EXIT_OK)
		return code;
	rc = px_bk_lock_take(r, "prune", 1, px_bk_opt_lock_ttl(o), &lock, &err);
	if (rc == PX_OK)
		rc = px_bk_repo_known_load(r);
	if (rc == PX_OK) {
		rc = px_bk_prune(r, &p, o->dry_run, &st, &err);
		if (rc == PX_OK && px_bk_repo_known_save(r) != PX_OK)
			px_log_warn(PX_BK_LOG_MODULE, NULL, "could not save the shard cache");
		if (rc == PX_OK) {
			char fields[512];

			snprintf(fields, sizeof(fields),
				 "{\"dry_run\":%s,\"kept\":%zu,\"removed\":%zu,"
				 "\"shards_deleted\":%zu,\"shards_kept\":%zu,\"wal_deleted\":%zu,"
				 "\"bytes_deleted\":%llu}", o->dry_run ? "true" : "false",
				 st.kept, st.removed, st.shards_deleted, st.shards_kept, st.wal_deleted,
				 (unsigned long long)st.bytes_deleted);
			px_log_fields(PX_LOG_INFO, PX_BK_LOG_MODULE, NULL, fields, "prune done");
			printf("%s\n", fields);
		}
	}
	px_bk_lock_release(lock);
	code = rc == PX_OK ? PX_BK_EXIT_OK : px_bk_fail(rc, "prune", &err);
	px_bk_repo_close(r);
	px_buf_free(&err);
	return code;
}

/* ---- locks ---- */

int px_bk_cmd_locks(struct px_bk_opts *o, int argc, char **argv)
{
	struct px_bk_repo *r = NULL;
	struct px_buf out = PX_BUF_INIT;
	enum px_err rc;
	int stale = 0, code = px_bk_open_repo(o, &r);

	if (code != PX_BK_EXIT_OK)
		return code;
	rc = px_bk_lock_list(r, o->remove_stale, &out, &stale);
	if (out.len)
		fputs(out.data, stdout);
	if (rc == PX_OK && o->remove_stale && stale)
		px_log_info(PX_BK_LOG_MODULE, NULL, "removed %d stale lock(s)", stale);
	code = rc == PX_OK ? PX_BK_EXIT_OK : px_bk_fail(rc, "locks", &r->store->errmsg);
	px_buf_free(&out);
	px_bk_repo_close(r);
	return code;
}

/* ---- key ---- */

int px_bk_cmd_key(struct px_bk_opts *o, int argc, char **argv)
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
		return PX_BK_EXIT_USAGE;
	}
	code = px_bk_open_repo(o, &r);
	if (code != PX_BK_EXIT_OK)
		return code;
	if (!strcmp(sub, "list")) {
		rc = px_bk_keys_list(r->store, &out);
		if (out.len)
			fputs(out.data, stdout);
	} else if (!strcmp(sub, "add")) {
		if (px_bk_read_secret(o->new_key_file, o->new_pass_file, &s) != 0) {
			code = PX_BK_EXIT_USAGE;
			goto out;
		}
		rc = px_bk_keys_add(r->store, &r->keys, &s, NULL, id);
		px_bk_secret_wipe(&s);
		if (rc == PX_OK)
			printf("{\"added\":\"%s\"}\n", id);
	} else if (!strcmp(sub, "remove")) {
		if (argc < 2) {
			fprintf(stderr, "usage: key remove ID\n");
			code = PX_BK_EXIT_USAGE;
			goto out;
		}
		rc = px_bk_keys_remove(r->store, argv[1]);
	} else if (!strcmp(sub, "rotate")) {
		rc = px_bk_keys_rotate(r->store, &r->keys);
		if (rc == PX_OK)
			printf("{\"keyset_version\":%u}\n", r->keys.keyset_version);
	} else {
		int w;

		px_bk_keys_export(&r->keys, &out);
		if (out.failed) {
			code = PX_BK_EXIT_INTERNAL;
			goto out;
		}
		if (!o->out) {
			fputs(out.data, stdout);
		} else if ((w = px_bk_write_private(o->out, out.data, out.len)) != 0) {
			px_log_error(PX_BK_LOG_MODULE, NULL, "cannot %s %s: %s",
				     w == -1 ? "create" : "write", o->out, strerror(errno));
			code = w == -1 ? PX_BK_EXIT_USAGE : PX_BK_EXIT_INTERNAL;
			goto out;
		}
	}
	if (rc != PX_OK)
		code = px_bk_fail(rc, "key", &r->store->errmsg);
out:
	if (out.data)   /* it may hold the exported master key */
		px_crypto_wipe(out.data, out.len);
	px_buf_free(&out);
	px_bk_repo_close(r);
	return code;
}
