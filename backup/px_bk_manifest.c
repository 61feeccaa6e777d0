/* px_bk_manifest.c: naming, sealing and walking snapshot manifests. */
#include "backup/px_bk_manifest.h"
#include "core/log.h"
#include "core/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int px_bk_snapshot_name(time_t t, long usec, char *out, size_t outlen)
{
	unsigned char rnd[4];
	char hex[9], ts[32];
	struct tm tm;

	if (px_bk_random(rnd, sizeof(rnd)) != 0 || !gmtime_r(&t, &tm) ||
	    usec < 0 || usec > 999999)
		return -1;
	px_codec_hex_str(hex, rnd, 4);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%S", &tm);
	return snprintf(out, outlen, PX_BK_SNAP_PREFIX "%s.%06ldZ-%s", ts, usec, hex) <
	       (int)outlen ? 0 : -1;
}

int px_bk_snapshot_name_now(char *out, size_t outlen)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return px_bk_snapshot_name(now.tv_sec, now.tv_nsec / 1000, out, outlen);
}

enum px_err px_bk_snapshot_name_next(struct px_st_store *st, char *out, size_t outlen)
{
	struct px_bk_snaplist l = { NULL, 0 };
	enum px_err e = px_bk_snapshots(st, &l);

	if (e != PX_OK)
		return e;
	if (px_bk_snapshot_name_now(out, outlen) != 0)
		e = PX_E_SYSTEM_INTERNAL;
	else if (l.n && strcmp(out, l.names[l.n - 1]) <= 0) {
		px_log_error("backup", NULL, "the clock is behind the newest snapshot %s (now would be"
			     " %s): fix the clock and run again", l.names[l.n - 1], out);
		e = PX_E_STORAGE_CLOCK_BEHIND;
	}
	px_bk_snaplist_free(&l);
	return e;
}

time_t px_bk_snapshot_time(const char *name)
{
	struct tm tm;
	const char *p;

	if (strncmp(name, PX_BK_SNAP_PREFIX, strlen(PX_BK_SNAP_PREFIX)))
		return -1;
	memset(&tm, 0, sizeof(tm));
	p = strptime(name + strlen(PX_BK_SNAP_PREFIX), "%Y%m%dT%H%M%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') {     /* microseconds, kept so names sort by time */
		size_t digits = strspn(p + 1, "0123456789");

		if (digits != 6)
			return -1;
		p += 7;
	}
	if (p[0] != 'Z' || p[1] != '-')
		return -1;
	return timegm(&tm);
}

enum px_err px_bk_manifest_save(struct px_bk_repo *r, const char *name,
				json_object *m)
{
	const struct px_bk_datakey *k = px_bk_keys_current(&r->keys);
	struct px_buf box = PX_BUF_INIT;
	const char *txt = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN);
	enum px_err rc;

	if (!txt || px_bk_box_seal(r->codec, "PXMF", k->enc, k->id, name,
				   strlen(name), txt, strlen(txt), 1, &box) != 0)
		rc = PX_E_SYSTEM_INTERNAL;
	else
		rc = px_st_put(r->store, name, box.data, box.len);
	px_buf_free(&box);
	return rc;
}

enum px_err px_bk_manifest_load(struct px_bk_repo *r, const char *name,
				json_object **out)
{
	struct px_buf box = PX_BUF_INIT, plain = PX_BUF_INIT;
	enum px_err rc;

	*out = NULL;
	rc = px_st_get(r->store, name, &box);
	if (rc != PX_OK)
		goto out;
	rc = px_bk_box_open(r->codec, "PXMF", px_bk_keys_lookup, &r->keys,
			    name, strlen(name), box.data, box.len, &plain);
	if (rc == PX_E_STORAGE_KEY_INVALID)
		rc = PX_E_STORAGE_SHARD_CORRUPT;
	if (rc != PX_OK)
		goto out;
	*out = json_tokener_parse(plain.data);
	rc = *out && json_object_is_type(*out, json_type_object) ? PX_OK :
	     PX_E_STORAGE_SHARD_CORRUPT;
out:
	px_buf_free(&box);
	px_buf_free(&plain);
	return rc;
}

static int add_snap(void *arg, const char *name, size_t size)
{
	struct px_bk_snaplist *l = arg;
	char **nn;

	if (px_bk_snapshot_time(name) < 0)
		return 0;
	nn = realloc(l->names, (l->n + 1) * sizeof(*nn));
	if (!nn)
		return 1;
	l->names = nn;
	nn[l->n] = strdup(name);
	if (nn[l->n])
		l->n++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum px_err px_bk_snapshots(struct px_st_store *st, struct px_bk_snaplist *out)
{
	enum px_err rc;

	memset(out, 0, sizeof(*out));
	rc = px_st_list(st, PX_BK_SNAP_PREFIX, add_snap, out);
	if (rc == PX_OK && out->n)
		qsort(out->names, out->n, sizeof(char *), name_cmp);
	return rc;
}

void px_bk_snaplist_free(struct px_bk_snaplist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	memset(l, 0, sizeof(*l));
}

const char *px_bk_snapshot_find(const struct px_bk_snaplist *l, const char *want)
{
	size_t i, plen = strlen(PX_BK_SNAP_PREFIX);
	const char *hit = NULL;

	if (!want || !strcmp(want, "latest"))
		return l->n ? l->names[l->n - 1] : NULL;
	if (!strncmp(want, PX_BK_SNAP_PREFIX, plen))
		want += plen;
	for (i = 0; i < l->n; i++) {
		if (!strncmp(l->names[i] + plen, want, strlen(want))) {
			if (hit)
				return NULL;   /* ambiguous */
			hit = l->names[i];
		}
	}
	return hit;
}

static int each_list(json_object *shards,
		     int (*fn)(void *arg, const char *hex, size_t size), void *arg)
{
	size_t i, n;
	int rc;

	if (!shards || !json_object_is_type(shards, json_type_array))
		return 0;
	n = json_object_array_length(shards);
	for (i = 0; i < n; i++) {
		json_object *ref = json_object_array_get_idx(shards, i);
		const char *hex = json_object_get_string(json_object_array_get_idx(ref, 0));

		rc = fn(arg, hex ? hex : "",
			(size_t)json_object_get_int64(json_object_array_get_idx(ref, 1)));
		if (rc)
			return rc;
	}
	return 0;
}

static int each_item(json_object *item,
		     int (*fn)(void *arg, const char *hex, size_t size), void *arg)
{
	json_object *s;

	return item && json_object_object_get_ex(item, "shards", &s) ?
	       each_list(s, fn, arg) : 0;
}

int px_bk_manifest_each_shard(json_object *m,
			      int (*fn)(void *arg, const char *hex, size_t size),
			      void *arg)
{
	json_object *db = NULL, *arr, *x;
	size_t i;
	int rc = 0;

	if (json_object_object_get_ex(m, "db", &db)) {
		if (json_object_object_get_ex(db, "pre", &x) &&
		    (rc = each_item(x, fn, arg)))
			return rc;
		if (json_object_object_get_ex(db, "tables", &arr))
			for (i = 0; i < json_object_array_length(arr); i++)
				if ((rc = each_item(json_object_array_get_idx(arr, i),
						    fn, arg)))
					return rc;
		if (json_object_object_get_ex(db, "post", &x) &&
		    (rc = each_item(x, fn, arg)))
			return rc;
	}
	if (json_object_object_get_ex(m, "files", &arr))
		for (i = 0; i < json_object_array_length(arr); i++)
			if ((rc = each_item(json_object_array_get_idx(arr, i), fn, arg)))
				return rc;
	/* a base backup's changed blocks and block maps (px_bk_base.h) */
	if (json_object_object_get_ex(m, "blocks", &x) && (rc = each_item(x, fn, arg)))
		return rc;
	if (json_object_object_get_ex(m, "maps", &x) && (rc = each_item(x, fn, arg)))
		return rc;
	return 0;
}
