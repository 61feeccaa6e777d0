/* px_bk_prune.c: retention selection and garbage collection. */
#include "backup/px_bk_prune.h"
#include "core/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "backup/px_bk_wal.h"

/* Keeps the newest snapshot of each of the newest n buckets. */
static void keep_buckets(const struct px_bk_snaplist *l, int n, const char *fmt,
			 int *keep)
{
	char last[32] = "", cur[32];
	size_t i;

	for (i = l->n; n > 0 && i-- > 0;) {
		time_t t = px_bk_snapshot_time(l->names[i]);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(cur, sizeof(cur), fmt, &tm);
		if (!strcmp(cur, last))
			continue;
		memcpy(last, cur, sizeof(last));
		keep[i] = 1;
		n--;
	}
}

void px_bk_prune_select(const struct px_bk_snaplist *l,
			const struct px_bk_policy *p, int *keep)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		keep[i] = l->n - i <= (size_t)(p->last > 0 ? p->last : 0);
	keep_buckets(l, p->hourly, "%Y-%m-%dT%H", keep);
	keep_buckets(l, p->daily, "%Y-%m-%d", keep);
	keep_buckets(l, p->weekly, "%G-W%V", keep);
	keep_buckets(l, p->monthly, "%Y-%m", keep);
	keep_buckets(l, p->yearly, "%Y", keep);
}

int px_bk_wal_prunable(const char *name, const char *start_wal)
{
	/* the log and segment numbers, whatever the timeline: a file of an
	 * older timeline at a lower position is as unneeded */
	return strlen(name) >= 24 && !strstr(name, ".history") && strlen(start_wal) == 24 &&
	       strncmp(name + 8, start_wal + 8, 16) < 0;
}

/* Selects within each kind (logical snapshots, base backups) apart. */
static void select_by_kind(const struct px_bk_snaplist *l, const int *is_base,
			   const struct px_bk_policy *p, int *keep)
{
	struct px_bk_snaplist sub;
	size_t *map = calloc(l->n ? l->n : 1, sizeof(*map)), i, k;
	int *sk = calloc(l->n ? l->n : 1, sizeof(*sk)), base;

	sub.names = calloc(l->n ? l->n : 1, sizeof(*sub.names));
	for (base = 0; map && sk && sub.names && base < 2; base++) {
		for (i = 0, sub.n = 0; i < l->n; i++)
			if (!!is_base[i] == base) {
				map[sub.n] = i;
				sub.names[sub.n++] = l->names[i];
			}
		px_bk_prune_select(&sub, p, sk);
		for (k = 0; k < sub.n; k++)
			keep[map[k]] = sk[k];
	}
	free(map);
	free(sk);
	free(sub.names);
}

struct sweep {
	struct px_bk_repo *r;
	struct px_bk_known *refs;
	int dry_run;
	struct px_bk_prune_stats *st;
	enum px_err rc;
	char **doomed;
	size_t *sizes;
	size_t n, cap;
};

static int add_ref(void *arg, const char *hex, size_t size)
{
	struct sweep *s = arg;
	unsigned char id[32];

	if (px_codec_hex_decode_fixed(hex, id, 32) == 0 && px_bk_known_add(s->refs, id) != 0) {
		s->rc = PX_E_SYSTEM_INTERNAL;
		return 1;
	}
	return 0;
}

/* Collects unreferenced shard names first: deleting while listing would
 * disturb S3 continuation tokens. */
static int consider(void *arg, const char *name, size_t size)
{
	struct sweep *s = arg;
	unsigned char id[32];

	if (px_bk_shard_parse(name, id) != 0)
		return 0;
	if (px_bk_known_has(s->refs, id)) {
		s->st->shards_kept++;
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		char **d = realloc(s->doomed, cap * sizeof(*d));
		size_t *z;

		if (!d)
			goto fail;
		s->doomed = d;
		z = realloc(s->sizes, cap * sizeof(*z));
		if (!z)
			goto fail;
		s->sizes = z;
		s->cap = cap;
	}
	if (!(s->doomed[s->n] = strdup(name)))
		goto fail;
	s->sizes[s->n++] = size;
	return 0;
fail:
	s->rc = PX_E_SYSTEM_INTERNAL;
	return 1;
}

enum px_err px_bk_prune(struct px_bk_repo *r, const struct px_bk_policy *p,
			int dry_run, struct px_bk_prune_stats *st,
			struct px_buf *err)
{
	struct px_bk_snaplist l;
	struct px_bk_wal_names wal = { NULL, 0 };
	json_object **mans = NULL;
	int *is_base = NULL;
	char wal_from[32] = "";
	struct sweep s = { r, px_bk_known_new(), dry_run, st, PX_OK, NULL, NULL, 0, 0 };
	char marker[80];
	int *keep = NULL;
	enum px_err rc;
	size_t i;

	memset(st, 0, sizeof(*st));
	rc = px_bk_snapshots(r->store, &l);
	if (rc != PX_OK)
		goto out;
	rc = PX_E_SYSTEM_INTERNAL;
	keep = calloc(l.n ? l.n : 1, sizeof(*keep));
	is_base = calloc(l.n ? l.n : 1, sizeof(*is_base));
	mans = calloc(l.n ? l.n : 1, sizeof(*mans));
	if (!keep || !is_base || !mans || !s.refs)
		goto out;
	/* every manifest first: its kind decides which policy count it
	 * belongs to, and none is deleted unless all could be read */
	for (i = 0; i < l.n; i++) {
		rc = px_bk_manifest_load(r, l.names[i], &mans[i]);
		if (rc != PX_OK) {
			px_buf_printf(err, "cannot read snapshot %s: nothing deleted", l.names[i]);
			goto out;
		}
		is_base[i] = json_object_object_get_ex(mans[i], "pgdata", NULL);
	}
	select_by_kind(&l, is_base, p, keep);
	/* newest first, so that a kept increment keeps its parent (older)
	 * before the parent's turn comes */
	for (i = l.n; i-- > 0;) {
		json_object *parent, *sw;
		size_t j;

		if (!keep[i]) {
			st->removed++;
			continue;
		}
		st->kept++;
		if (json_object_object_get_ex(mans[i], "parent", &parent))
			for (j = 0; j < i; j++)
				if (!strcmp(l.names[j], json_object_get_string(parent)))
					keep[j] = 1;
		if (is_base[i] && json_object_object_get_ex(mans[i], "start_wal", &sw) &&
		    (!wal_from[0] || strcmp(json_object_get_string(sw) + 8, wal_from + 8) < 0))
			snprintf(wal_from, sizeof(wal_from), "%s", json_object_get_string(sw));
		px_bk_manifest_each_shard(mans[i], add_ref, &s);
		if (s.rc != PX_OK) {
			rc = s.rc;
			goto out;
		}
	}
	rc = PX_OK;
	/* WAL: only once some base backup is kept, and only before the
	 * oldest kept one's start */
	if (wal_from[0])
		rc = px_bk_wal_list(r->store, &wal);
	if (rc != PX_OK)
		goto out;
	for (i = 0; i < wal.n; i++)
		if (px_bk_wal_prunable(wal.names[i], wal_from))
			st->wal_deleted++;
	rc = px_st_list(r->store, "shards/", consider, &s);
	if (rc == PX_OK)
		rc = s.rc;
	if (rc != PX_OK || dry_run) {
		st->shards_deleted = s.n;
		for (i = 0; i < s.n; i++)
			st->bytes_deleted += s.sizes[i];
		goto out;
	}
	/* the marker tells other hosts' shard caches they are stale */
	snprintf(marker, sizeof(marker), "prunes/");
	if (px_bk_snapshot_name_now(marker + 7, sizeof(marker) - 7) != 0) {
		rc = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	memmove(marker + 7, marker + 7 + strlen(PX_BK_SNAP_PREFIX),
		strlen(marker + 7 + strlen(PX_BK_SNAP_PREFIX)) + 1);
	rc = px_st_put(r->store, marker, "", 0);
	for (i = 0; rc == PX_OK && i < l.n; i++)
		if (!keep[i]) {
			px_log_info("backup", NULL, "prune: removing %s", l.names[i]);
			rc = px_st_del(r->store, l.names[i]);
		}
	for (i = 0; rc == PX_OK && i < wal.n; i++)
		if (px_bk_wal_prunable(wal.names[i], wal_from)) {
			char obj[96];

			snprintf(obj, sizeof(obj), "%s%s", PX_BK_WAL_PREFIX, wal.names[i]);
			rc = px_st_del(r->store, obj);
		}
	for (i = 0; rc == PX_OK && i < s.n; i++) {
		unsigned char id[32];

		rc = px_st_del(r->store, s.doomed[i]);
		if (rc == PX_OK) {
			st->shards_deleted++;
			st->bytes_deleted += s.sizes[i];
			if (px_bk_shard_parse(s.doomed[i], id) == 0)
				px_bk_known_del(r->known, id);
		}
	}
out:
	for (i = 0; mans && i < l.n; i++)
		json_object_put(mans[i]);
	free(mans);
	free(is_base);
	px_bk_wal_names_free(&wal);
	for (i = 0; i < s.n; i++)
		free(s.doomed[i]);
	free(s.doomed);
	free(s.sizes);
	px_bk_known_free(s.refs);
	px_bk_snaplist_free(&l);
	free(keep);
	return rc;
}
