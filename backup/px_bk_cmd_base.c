/* px_bk_cmd_base.c: the physical commands: base-backup (full,
 * differential or incremental), restore to a point in time into a data
 * directory, and drill (the same into a scratch cluster, reported and
 * removed). */
#include "backup/px_bk_cmd.h"

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
	struct px_buf err = PX_BUF_INIT;
	struct timespec t0;
	json_object *m = json_object_new_object(), *prev = NULL, *tot;
	const char *conninfo = o->db ? o->db : px_cfg_str(o->cfg, "db_conninfo");
	char name[64], fields[640];
	enum px_err rc;
	int code;

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
	if (rc != PX_OK)
		goto out;
	rc = PX_E_SYSTEM_INTERNAL;
	w = px_bk_writer_new(r, NULL, on_tick, lock);
	if (!w || !m || px_bk_snapshot_name_now(name, sizeof(name)) != 0)
		goto out;
	json_object_object_add(m, "format", json_object_new_string("plexichat-backup"));
	json_object_object_add(m, "version", json_object_new_int(1));
	json_object_object_add(m, "kind", json_object_new_string("base"));
	json_object_object_add(m, "name", json_object_new_string(name));
	json_object_object_add(m, "created", json_object_new_int64(time(NULL)));
	json_object_object_add(m, "chunk_avg", json_object_new_int64((int64_t)r->chunk_avg));
	rc = px_bk_base_run(conninfo, prev, w, m, &st, &err);
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
		 "\"blocks_changed\":%llu,\"bytes_changed\":%llu,\"bytes_uploaded\":%llu,"
		 "\"seconds\":%.3f}", name + strlen(PX_BK_SNAP_PREFIX),
		 str_of(m, "parent") ? (o->base_mode == 'D' ? "diff" : "incr") : "full",
		 str_of(m, "parent") ? str_of(m, "parent") + strlen(PX_BK_SNAP_PREFIX) : "",
		 str_of(m, "start_lsn"), str_of(m, "end_lsn"),
		 (unsigned long long)st.files, (unsigned long long)st.bytes,
		 (unsigned long long)st.blocks, (unsigned long long)st.blocks_changed,
		 (unsigned long long)st.bytes_changed,
		 (unsigned long long)px_bk_writer_stats(w)->bytes_stored, since(&t0));
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
	px_bk_writer_free(w);
	px_bk_lock_release(lock);
	json_object_put(m);
	json_object_put(prev);
	px_bk_repo_close(r);
	px_buf_free(&err);
	return code;
}
