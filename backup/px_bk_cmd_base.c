/* px_bk_cmd_base.c: the physical commands: base-backup (full,
 * differential or incremental), restore to a point in time into a data
 * directory, and drill (the same into a scratch cluster, reported and
 * removed). */
#include "backup/px_bk_cmd.h"

#include <dirent.h>
#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "backup/px_bk_base.h"
#include "backup/px_bk_crypto.h"
#include "backup/px_bk_delta.h"
#include "backup/px_bk_lock.h"
#include "backup/px_bk_manifest.h"
#include "backup/px_bk_pitr.h"
#include "backup/px_bk_proc.h"
#include "backup/px_bk_wal.h"
#include "backup/px_bk_writer.h"

static const char *str_of(json_object *m, const char *k)
{
	json_object *v;

	return m && json_object_object_get_ex(m, k, &v) ? json_object_get_string(v) : NULL;
}

/* The newest base backup (with full_only, the newest full one); *m NULL
 * when there is none. */
static enum px_err newest_base(struct px_bk_repo *r, int full_only, json_object **m)
{
	struct px_bk_snaplist l = { 0 };
	enum px_err rc = px_bk_snapshots(r->store, &l);
	const char *k;
	size_t i;

	*m = NULL;
	for (i = l.n; rc == PX_OK && i-- > 0;) {
		rc = px_bk_manifest_load(r, l.names[i], m);
		if (rc != PX_OK)
			break;
		k = str_of(*m, "kind");
		if (k && !strcmp(k, "base") && (!full_only || !str_of(*m, "parent")))
			break;
		json_object_put(*m);
		*m = NULL;
	}
	px_bk_snaplist_free(&l);
	return rc;
}

/* ---- the local sums files of sub-page deltas (px_bk_delta.h) ---- */

#define SUMS_PREFIX "base-sums-"

/* Path of the sums file of snapshot name (caller frees). */
static char *sums_path(const struct px_bk_repo *r, const char *name)
{
	struct px_buf f = PX_BUF_INIT;
	char *p;

	px_buf_printf(&f, SUMS_PREFIX "%s", name + strlen(PX_BK_SNAP_PREFIX));
	p = f.failed ? NULL : px_bk_repo_cache_path(r, f.data);
	px_buf_free(&f);
	return p;
}

/* Sets up d: the slicer, the parent's sums file (when prev has one that
 * is whole) and this backup's new one. *note says what became of the
 * parent's. A failure only costs size: d keeps what could be set up. */
static void delta_open(struct px_bk_repo *r, json_object *prev, const char *name,
		       struct px_bk_base_delta *d, const char **note)
{
	unsigned char key[PX_BK_KEY_LEN];
	struct px_buf err = PX_BUF_INIT;
	char *path = NULL;
	enum px_err rc;

	memset(d, 0, sizeof(*d));
	*note = prev ? "absent" : "full";
	if (px_bk_hkdf(r->keys.id_key, sizeof(r->keys.id_key), "plexichat-backup slice sums",
		       key, sizeof(key)) != 0 || !(d->slicer = px_bk_slicer_new(key)))
		goto out;
	if (prev && str_of(prev, "name") && (path = sums_path(r, str_of(prev, "name")))) {
		rc = px_bk_sums_open(path, str_of(prev, "name"), &d->prev, &err);
		if (rc == PX_OK)
			*note = "used";
		else if (rc != PX_E_VALIDATION_NOT_FOUND)
			*note = "damaged";
		if (rc != PX_OK)
			px_log_warn(PX_BK_LOG_MODULE, NULL, "changed blocks stored whole: %s",
				    err.data ? err.data : px_err_message(rc));
	}
	free(path);
	px_buf_reset(&err);
	path = sums_path(r, name);
	if (path && !(d->out = px_bk_sums_create(path, name, &err)))
		px_log_warn(PX_BK_LOG_MODULE, NULL, "the next increment will store whole blocks: %s",
			    err.data ? err.data : "");
out:
	px_crypto_wipe(key, sizeof(key));
	free(path);
	px_buf_free(&err);
}

/* Keeps the sums files of name and of full (may be NULL: the newest
 * full backup, which a --diff takes as parent), removes the others. */
static void sums_sweep(struct px_bk_repo *r, const char *name, const char *full)
{
	DIR *dir = opendir(r->cache_dir);
	struct dirent *de;
	const char *n;
	char *p;

	if (!dir)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, SUMS_PREFIX, strlen(SUMS_PREFIX)) != 0)
			continue;
		n = de->d_name + strlen(SUMS_PREFIX);
		if (!strcmp(n, name + strlen(PX_BK_SNAP_PREFIX)) ||
		    (full && !strcmp(n, full + strlen(PX_BK_SNAP_PREFIX))))
			continue;
		p = px_bk_repo_cache_path(r, de->d_name);
		if (p)
			unlink(p);
		free(p);
	}
	closedir(dir);
}

/* Seals this backup's sums file and sweeps the old ones. */
static void delta_finish(struct px_bk_repo *r, struct px_bk_base_delta *d, const char *name,
			 int is_full)
{
	struct px_buf err = PX_BUF_INIT;
	json_object *full = NULL;
	int ok;

	ok = d->out && px_bk_sums_finish(d->out, &err) == 0;
	d->out = NULL;
	if (!ok) {
		px_log_warn(PX_BK_LOG_MODULE, NULL, "the next increment will store whole blocks: %s",
			    err.data ? err.data : "no sums file");
	} else if (is_full) {
		sums_sweep(r, name, NULL);
	} else if (newest_base(r, 1, &full) == PX_OK) {
		sums_sweep(r, name, full ? str_of(full, "name") : NULL);
	}
	json_object_put(full);
	px_buf_free(&err);
}

static void delta_close(struct px_bk_base_delta *d)
{
	px_bk_sums_abort(d->out);
	px_bk_sums_close(d->prev);
	px_bk_slicer_free(d->slicer);
	memset(d, 0, sizeof(*d));
}

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void on_tick(void *arg)
{
	if (px_bk_lock_refresh(arg) != PX_OK)
		px_log_warn(PX_BK_LOG_MODULE, NULL, "could not refresh the store lock");
}

int px_bk_cmd_base_backup(struct px_bk_opts *o, int argc, char **argv)
{
	struct px_bk_repo *r = NULL;
	struct px_bk_lock *lock = NULL;
	struct px_bk_writer *w = NULL;
	struct px_bk_base_stats st;
	struct px_bk_writer_stats wst;
	struct px_bk_base_delta dl = { 0 };
	const char *sums_note = "none";
	struct px_buf err = PX_BUF_INIT;
	struct timespec t0;
	json_object *m = json_object_new_object(), *prev = NULL, *tot;
	FILE *prev_maps = NULL;   /* the parent's block maps (px_bk_maps_fetch) */
	const char *conninfo = o->db ? o->db : px_cfg_str(o->cfg, "db_conninfo");
	char name[64], fields[800];
	enum px_err rc;
	int code, is_full;

	(void)argc;
	(void)argv;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	code = px_bk_open_repo(o, &r);
	if (code != PX_BK_EXIT_OK) {
		json_object_put(m);
		return code;
	}
	rc = px_bk_lock_take(r, "base-backup", 1, px_bk_opt_lock_ttl(o), &lock, &err);
	if (rc == PX_OK)
		rc = px_bk_repo_known_load(r);
	if (rc == PX_OK && o->base_mode != 'F')
		rc = newest_base(r, o->base_mode == 'D', &prev);
	if (rc == PX_OK)
		rc = px_bk_snapshot_name_next(r->store, name, sizeof(name));
	if (rc != PX_OK)
		goto out;
	rc = PX_E_SYSTEM_INTERNAL;
	w = px_bk_writer_new(r, NULL, on_tick, lock);
	if (!w || !m)
		goto out;
	json_object_object_add(m, "format", json_object_new_string("plexichat-backup"));
	json_object_object_add(m, "version", json_object_new_int(1));
	json_object_object_add(m, "kind", json_object_new_string("base"));
	json_object_object_add(m, "name", json_object_new_string(name));
	json_object_object_add(m, "created", json_object_new_int64(time(NULL)));
	json_object_object_add(m, "chunk_avg", json_object_new_int64((int64_t)r->chunk_avg));
	delta_open(r, prev, name, &dl, &sums_note);
	rc = prev ? px_bk_maps_fetch(r, prev, &prev_maps, &err) : PX_OK;
	if (rc == PX_OK)
		rc = px_bk_base_run(conninfo, prev, prev_maps, &dl, w, m, &st, &err);
	if (prev_maps)
		fclose(prev_maps);
	prev_maps = NULL;
	if (rc == PX_OK)
		rc = px_bk_writer_drain(w);
	if (rc != PX_OK)
		goto out;
	/* a parent of another cluster was not used: this one is then full */
	if (prev && str_of(prev, "system_id") && str_of(m, "system_id") &&
		 strcmp(str_of(prev, "system_id"), str_of(m, "system_id")) == 0)
		json_object_object_add(m, "parent", json_object_new_string(str_of(prev, "name")));
	tot = json_object_new_object();
	json_object_object_add(tot, "bytes", json_object_new_int64((int64_t)st.bytes));
	json_object_object_add(tot, "files", json_object_new_int64((int64_t)st.files));
	json_object_object_add(tot, "shards", json_object_new_int64((int64_t)px_bk_writer_stats(w)->shards));
	json_object_object_add(m, "totals", tot);
	/* the manifest is serialised and sealed whole (its block maps grow
	 * with the cluster): not while the parent's and the writer's chunk
	 * buffers are still held */
	wst = *px_bk_writer_stats(w);
	px_bk_writer_free(w);
	w = NULL;
	json_object_put(prev);
	prev = NULL;
	rc = px_st_flush(r->store);   /* every shard durable before the manifest */
	if (rc == PX_OK)
		rc = px_bk_manifest_save(r, name, m);
	if (rc != PX_OK)
		goto out;
	if (px_bk_repo_known_save(r) != PX_OK)
		px_log_warn(PX_BK_LOG_MODULE, NULL, "could not save the shard cache");
	snprintf(fields, sizeof(fields),
		 "{\"snapshot\":\"%s\",\"kind\":\"%s\",\"parent\":\"%s\",\"start_lsn\":\"%s\","
		 "\"end_lsn\":\"%s\",\"files\":%llu,\"bytes\":%llu,\"blocks\":%llu,"
		 "\"blocks_changed\":%llu,\"bytes_changed\":%llu,\"blocks_sliced\":%llu,"
		 "\"bytes_written\":%llu,\"parent_sums\":\"%s\",\"bytes_uploaded\":%llu,"
		 "\"seconds\":%.3f}", name + strlen(PX_BK_SNAP_PREFIX),
		 str_of(m, "parent") ? (o->base_mode == 'D' ? "diff" : "incr") : "full",
		 str_of(m, "parent") ? str_of(m, "parent") + strlen(PX_BK_SNAP_PREFIX) : "",
		 str_of(m, "start_lsn"), str_of(m, "end_lsn"),
		 (unsigned long long)st.files, (unsigned long long)st.bytes,
		 (unsigned long long)st.blocks, (unsigned long long)st.blocks_changed,
		 (unsigned long long)st.bytes_changed, (unsigned long long)st.blocks_sliced,
		 (unsigned long long)st.bytes_written, str_of(m, "parent") ? sums_note : "full",
		 (unsigned long long)wst.bytes_stored, since(&t0));
	is_full = !str_of(m, "parent");
	/* delta_finish reads manifests back to the newest full backup: not
	 * while this one and its parent are held as well */
	json_object_put(m);
	json_object_put(prev);
	m = prev = NULL;
	delta_finish(r, &dl, name, is_full);
	px_log_fields(PX_LOG_INFO, PX_BK_LOG_MODULE, NULL, fields, "base backup %s done", name);
	printf("%s\n", fields);
out:
	if (rc != PX_OK) {
		struct px_buf d = PX_BUF_INIT;

		px_buf_puts(&d, px_bk_detail_of(r, &err));
		if (w && px_bk_writer_drain(w) != PX_OK)
			px_log_debug(PX_BK_LOG_MODULE, NULL, "sealing thread stopped with an error");
		(void)px_st_flush(r->store);
		code = px_bk_fail(rc, "base-backup", &d);
		px_buf_free(&d);
	}
	delta_close(&dl);
	px_bk_writer_free(w);
	px_bk_lock_release(lock);
	json_object_put(m);
	json_object_put(prev);
	px_bk_repo_close(r);
	px_buf_free(&err);
	return code;
}
