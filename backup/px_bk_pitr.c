/* px_bk_pitr.c: choosing a base backup chain for a recovery target,
 * rebuilding the data directory from it, and the recovery settings (see
 * px_bk_pitr.h). */
#include "backup/px_bk_pitr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/codec.h"
#include "core/dirs.h"
#include "backup/px_bk_base.h"
#include "backup/px_bk_crypto.h"
#include "backup/px_bk_delta.h"
#include "backup/px_bk_manifest.h"
#include "backup/px_bk_reader.h"

#define READ_WINDOW 8

/* ---- targets ---- */

int px_bk_target_parse(enum px_bk_target_kind kind, const char *s,
		       struct px_bk_target *out)
{
	struct tm tm;
	char *end;
	double frac = 0;
	int used = 0;
	time_t t;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	switch (kind) {
	case PX_BK_TO_LATEST:
		return 0;
	case PX_BK_TO_LSN:
		if (px_bk_lsn_parse(s, &out->lsn) != 0)
			return -1;
		snprintf(out->text, sizeof(out->text), "%s", s);
		return 0;
	case PX_BK_TO_XID:
		errno = 0;
		out->xid = strtoull(s, &end, 10);
		if (errno || end == s || *end)
			return -1;
		snprintf(out->text, sizeof(out->text), "%llu", (unsigned long long)out->xid);
		return 0;
	case PX_BK_TO_TIME:
		break;
	}
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6)
		return -1;
	s += used;
	if (*s == '.') {
		frac = strtod(s, &end);
		s = end;
	}
	if (strcmp(s, "Z") && strcmp(s, "+00") && strcmp(s, "+00:00") && strcmp(s, "UTC"))
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	out->time = (double)t + frac;
	snprintf(out->text, sizeof(out->text), "%04d-%02d-%02d %02d:%02d:%09.6f+00",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec + frac);
	return 0;
}

/* ---- choosing the chain ---- */

static const char *str_of(json_object *m, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(m, k, &v) ? json_object_get_string(v) : NULL;
}

static int64_t int_of(json_object *m, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(m, k, &v) ? json_object_get_int64(v) : -1;
}

/* Whether base backup m was consistent before the target. */
static int ends_before(json_object *m, const struct px_bk_target *t)
{
	uint64_t end;

	switch (t->kind) {
	case PX_BK_TO_LATEST:
		return 1;
	case PX_BK_TO_TIME:   /* end_time is taken after the backup returned */
		return int_of(m, "end_time") >= 0 && (double)int_of(m, "end_time") <= t->time;
	case PX_BK_TO_LSN:
		return px_bk_lsn_parse(str_of(m, "end_lsn"), &end) == 0 && end <= t->lsn;
	case PX_BK_TO_XID:    /* no xid >= next_xid committed before it ended */
		return int_of(m, "next_xid") >= 0 && (uint64_t)int_of(m, "next_xid") <= t->xid;
	}
	return 0;
}

void px_bk_chain_free(json_object **chain, size_t n)
{
	size_t i;

	for (i = 0; chain && i < n; i++)
		json_object_put(chain[i]);
	free(chain);
}

static int is_base(json_object *m)
{
	const char *k = str_of(m, "kind");

	return k && !strcmp(k, "base");
}

/* Only the newest backup's block maps check the restored files: the
 * parents' (16 bytes a block each) are not kept, so a chain costs about
 * one manifest's maps. */
static void drop_maps(json_object *m)
{
	json_object *files;
	size_t i;

	if (!json_object_object_get_ex(m, "pgdata", &files) ||
	    !json_object_is_type(files, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(files); i++) {
		json_object *e = json_object_array_get_idx(files, i);

		if (json_object_is_type(e, json_type_object))
			json_object_object_del(e, "map");
	}
}

enum px_err px_bk_chain_for(struct px_bk_repo *r, const struct px_bk_target *t,
			    json_object ***chain, size_t *n, struct px_buf *err)
{
	struct px_bk_snaplist l = { 0 };
	json_object *m = NULL, **c = NULL;
	const char *parent;
	enum px_err rc;
	size_t i, k, bases = 0;

	*chain = NULL;
	*n = 0;
	rc = px_bk_snapshots(r->store, &l);
	if (rc != PX_OK)
		goto out;
	/* newest first: the first base backup that ends before the target */
	for (i = l.n; i-- > 0; m = NULL) {
		rc = px_bk_manifest_load(r, l.names[i], &m);
		if (rc != PX_OK) {
			px_buf_printf(err, "cannot read %s", l.names[i]);
			goto out;
		}
		if (is_base(m) && ++bases && ends_before(m, t))
			break;
		json_object_put(m);
	}
	if (!m) {
		px_buf_printf(err, "no base backup ends before the target (%zu base backups in the store)",
			      bases);
		rc = PX_E_VALIDATION_NOT_FOUND;
		goto out;
	}
	rc = PX_E_SYSTEM_INTERNAL;
	c = calloc(l.n + 1, sizeof(*c));
	if (!c)
		goto out;
	c[0] = m;
	m = NULL;
	for (k = 1; (parent = str_of(c[k - 1], "parent")) != NULL; k++) {
		if (k > l.n) {
			px_buf_puts(err, "the chain of increments loops");
			rc = PX_E_STORAGE_SHARD_CORRUPT;
			goto out;
		}
		rc = px_bk_manifest_load(r, parent, &c[k]);
		if (rc != PX_OK) {
			px_buf_printf(err, "base backup %s, parent of %s, is missing or unreadable",
				      parent, str_of(c[k - 1], "name"));
			goto out;
		}
		/* only its name and parent stay: materialize reads it again
		 * when its turn comes, so a long chain is not held whole */
		m = json_object_new_object();
		json_object_object_add(m, "name", json_object_new_string(parent));
		if (str_of(c[k], "parent"))
			json_object_object_add(m, "parent", json_object_new_string(str_of(c[k], "parent")));
		json_object_put(c[k]);
		c[k] = m;
		m = NULL;
	}
	for (i = 0; i < k / 2; i++) {   /* oldest first */
		m = c[i];
		c[i] = c[k - 1 - i];
		c[k - 1 - i] = m;
	}
	m = NULL;
	*chain = c;
	*n = k;
	c = NULL;
	rc = PX_OK;
out:
	json_object_put(m);
	px_bk_chain_free(c, l.n + 1);
	px_bk_snaplist_free(&l);
	return rc;
}

/* ---- rebuilding the data directory ---- */

/* The blocks stream of one backup, read shard by shard. */
struct stream {
	struct px_bk_reader *rd;
	struct px_buf cur;
	size_t off;
	const char *backup;
};

static enum px_err stream_read(struct stream *s, unsigned char *p, size_t n,
			       struct px_buf *err)
{
	enum px_err rc;
	size_t k;

	while (n > 0) {
		if (s->off == s->cur.len) {
			rc = px_bk_reader_next(s->rd, NULL, &s->cur);
			if (rc != PX_OK) {
				px_buf_printf(err, "blocks of base backup %s: %s", s->backup,
					      rc == PX_E_SYSTEM_INTERNAL ? "stream shorter than its files" :
					      px_err_message(rc));
				return rc == PX_E_SYSTEM_INTERNAL ? PX_E_STORAGE_SHARD_CORRUPT : rc;
			}
			s->off = 0;
		}
		k = s->cur.len - s->off;
		if (k > n)
			k = n;
		memcpy(p, s->cur.data + s->off, k);
		s->off += k;
		p += k;
		n -= k;
	}
	return PX_OK;
}

/* Opens the stream item (m's "blocks" or "maps") of backup m. */
static int stream_open_item(struct px_bk_repo *r, json_object *m, const char *item,
			    struct stream *s)
{
	json_object *b, *sh, *e;
	unsigned char (*ids)[32] = NULL;
	size_t i, n;

	memset(s, 0, sizeof(*s));
	px_buf_init(&s->cur);
	s->backup = str_of(m, "name");
	if (!json_object_object_get_ex(m, item, &b) ||
	    !json_object_object_get_ex(b, "shards", &sh) ||
	    !json_object_is_type(sh, json_type_array))
		return -1;
	n = json_object_array_length(sh);
	ids = calloc(n ? n : 1, 32);
	if (!ids)
		return -1;
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(sh, i);
		if (px_codec_hex_decode_fixed(json_object_get_string(json_object_array_get_idx(e, 0)),
					      ids[i], 32) != 0) {
			free(ids);
			return -1;
		}
	}
	s->rd = px_bk_reader_new(r, (const unsigned char (*)[32])ids, n, READ_WINDOW);
	free(ids);
	return s->rd ? 0 : -1;
}

static int stream_open(struct px_bk_repo *r, json_object *m, struct stream *s)
{
	return stream_open_item(r, m, "blocks", s);
}

static void stream_close(struct stream *s)
{
	px_bk_reader_free(s->rd);
	px_buf_free(&s->cur);
}

static enum px_err io_fail(const char *what, const char *path, struct px_buf *err)
{
	px_buf_printf(err, "cannot %s %s: %s", what, path, strerror(errno));
	return PX_E_STORAGE_FAILED;
}

/* Writes the slices of mask of block b (len bytes) from the stream, in
 * place: the rest of the block is the parent's, already there. */
static enum px_err apply_slices(int fd, const char *path, int64_t b, size_t len,
				uint32_t mask, struct stream *s, uint64_t *bytes,
				struct px_buf *err)
{
	unsigned char p[PX_BK_SLICE];
	size_t n;
	unsigned i;
	enum px_err rc;

	if (!mask || (mask & ~px_bk_slice_all(len))) {
		px_buf_printf(err, "block %lld of %s has a bad slice mask", (long long)b, path);
		return PX_E_VALIDATION_FAILED;
	}
	for (i = 0; i < PX_BK_SLICES; i++) {
		if (!(mask & (1u << i)))
			continue;
		n = px_bk_slice_len(len, i);
		rc = stream_read(s, p, n, err);
		if (rc != PX_OK)
			return rc;
		if (pwrite(fd, p, n, (off_t)(b * PX_BK_BLOCK + i * PX_BK_SLICE)) != (ssize_t)n)
			return io_fail("write", path, err);
		*bytes += n;
	}
	return PX_OK;
}

/* A file entry's runs of changed blocks and its sliced blocks, in the
 * packed form (px_bk_base.h) or the JSON arrays of older backups. */
struct lists {
	json_object *runs, *slices;          /* older form, or NULL */
	struct px_buf rbuf, sbuf;            /* packed form, decoded */
	struct px_bk_packed r, s;
	size_t ri, si;
};

static int b64_list(json_object *e, const char *key, struct px_buf *b, struct px_bk_packed *it)
{
	json_object *v;

	memset(it, 0, sizeof(*it));
	if (!json_object_object_get_ex(e, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string) ||
	    px_codec_b64_decode(json_object_get_string(v), (size_t)json_object_get_string_len(v),
				PX_CODEC_B64, b) != 0)
		return -1;
	it->p = (const unsigned char *)(b->data ? b->data : "");
	it->end = it->p + b->len;
	return 1;
}

/* 0, or -1 when the entry has no readable list of runs. */
static int lists_open(json_object *e, struct lists *l)
{
	memset(l, 0, sizeof(*l));
	px_buf_init(&l->rbuf);
	px_buf_init(&l->sbuf);
	if (json_object_object_get_ex(e, "runs", NULL))
		return b64_list(e, "runs", &l->rbuf, &l->r) == 1 &&
		       b64_list(e, "slicemap", &l->sbuf, &l->s) >= 0 ? 0 : -1;
	if (json_object_object_get_ex(e, "changed", &l->runs))
		return json_object_is_type(l->runs, json_type_array) ? 0 : -1;
	if (json_object_object_get_ex(e, "stored", &l->runs) &&
	    json_object_object_get_ex(e, "slices", &l->slices))
		return json_object_is_type(l->runs, json_type_array) &&
		       json_object_is_type(l->slices, json_type_array) ? 0 : -1;
	return -1;
}

static void lists_close(struct lists *l)
{
	px_buf_free(&l->rbuf);
	px_buf_free(&l->sbuf);
}

/* A [a, b] pair of an older list: 1, 0 past its end. */
static int json_pair(json_object *arr, size_t *i, int64_t *a, int64_t *b)
{
	json_object *pair;

	if (!arr || *i >= json_object_array_length(arr))
		return 0;
	pair = json_object_array_get_idx(arr, (*i)++);
	*a = json_object_get_int64(json_object_array_get_idx(pair, 0));
	*b = json_object_get_int64(json_object_array_get_idx(pair, 1));
	return 1;
}

/* The next run: 1, 0 at the end, -1 malformed. */
static int next_run(struct lists *l, int64_t *first, int64_t *count)
{
	uint64_t f, c;
	int rc;

	if (l->runs)
		return json_pair(l->runs, &l->ri, first, count);
	rc = px_bk_packed_run(&l->r, &f, &c);
	*first = (int64_t)f;
	*count = (int64_t)c;
	return rc;
}

/* The next sliced block (-1 past the end) and its mask; -1 malformed. */
static int next_slice(struct lists *l, int64_t *blk, uint32_t *mask)
{
	uint64_t b;
	int64_t m = 0;
	int rc;

	if (l->runs)
		rc = json_pair(l->slices, &l->si, blk, &m);
	else
		rc = px_bk_packed_slice(&l->s, &b, mask);
	if (rc != 1) {
		*blk = -1;
		*mask = 0;
		return rc;
	}
	if (l->runs)
		*mask = (uint32_t)m;
	else
		*blk = (int64_t)b;
	return 0;
}

/* Writes the changed blocks of one file entry: whole blocks, or the
 * slices of those its slice list names. */
static enum px_err apply_file(json_object *e, const char *path, struct stream *s,
			      uint64_t *bytes, struct px_buf *err)
{
	unsigned char blk[PX_BK_BLOCK];
	struct lists l;
	int64_t size = int_of(e, "size"), first, count, b, sb;
	uint32_t mask;
	size_t len;
	enum px_err rc = PX_OK;
	int got = 0, fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return io_fail("create", path, err);
	got = lists_open(e, &l);
	if (size < 0 || got != 0 || next_slice(&l, &sb, &mask) < 0) {
		px_buf_printf(err, "malformed entry for %s", path);
		rc = PX_E_VALIDATION_FAILED;
		goto out;
	}
	while (rc == PX_OK && (got = next_run(&l, &first, &count)) == 1) {
		for (b = first; rc == PX_OK && b < first + count; b++) {
			if (b < 0 || b * PX_BK_BLOCK >= size) {
				px_buf_printf(err, "block %lld of %s is past its end", (long long)b, path);
				rc = PX_E_VALIDATION_FAILED;
				break;
			}
			len = size - b * PX_BK_BLOCK < PX_BK_BLOCK ? (size_t)(size - b * PX_BK_BLOCK) :
			      PX_BK_BLOCK;
			if (b == sb) {
				rc = apply_slices(fd, path, b, len, mask, s, bytes, err);
				if (rc == PX_OK && next_slice(&l, &sb, &mask) < 0)
					got = -1;
				if (got < 0)
					break;
				continue;
			}
			rc = stream_read(s, blk, len, err);
			if (rc == PX_OK && pwrite(fd, blk, len, (off_t)b * PX_BK_BLOCK) != (ssize_t)len)
				rc = io_fail("write", path, err);
			*bytes += len;
		}
		if (got < 0)
			break;
	}
	/* a malformed list, or a slice entry outside the runs or out of order */
	if (rc == PX_OK && (got < 0 || sb != -1)) {
		px_buf_printf(err, "malformed runs or slices for %s", path);
		rc = PX_E_VALIDATION_FAILED;
	}
	if (rc == PX_OK && ftruncate(fd, (off_t)size) != 0)
		rc = io_fail("truncate", path, err);
out:
	lists_close(&l);
	if (close(fd) != 0 && rc == PX_OK)
		rc = io_fail("close", path, err);
	return rc;
}

static enum px_err apply_entry(json_object *e, const char *dir, struct stream *s,
			       uint64_t *bytes, struct px_buf *err)
{
	const char *rel = str_of(e, "path"), *type = str_of(e, "type"), *target;
	struct px_buf path = PX_BUF_INIT;
	enum px_err rc = PX_OK;

	if (!rel || !type || !px_bk_base_path_ok(rel)) {
		px_buf_printf(err, "unsafe or missing path \"%s\" in the manifest", rel ? rel : "");
		return PX_E_VALIDATION_FAILED;
	}
	px_buf_printf(&path, "%s/%s", dir, rel);
	if (path.failed)
		return PX_E_SYSTEM_INTERNAL;
	if (!strcmp(type, "dir")) {
		if (mkdir(path.data, 0700) != 0 && errno != EEXIST)
			rc = io_fail("create", path.data, err);
	} else if (!strcmp(type, "symlink")) {
		target = str_of(e, "target");
		unlink(path.data);
		if (!target || symlink(target, path.data) != 0)
			rc = io_fail("link", path.data, err);
	} else {
		rc = apply_file(e, path.data, s, bytes, err);
	}
	px_buf_free(&path);
	return rc;
}

/* Removes what the previous backup of the chain had and this one has
 * not (dropped tables, removed WAL summaries...), deepest first. */
static void remove_gone(json_object *prev, json_object *cur, const char *dir)
{
	json_object *pa, *ca, *have = json_object_new_object(), *e;
	struct px_buf path = PX_BUF_INIT;
	size_t i;

	if (!json_object_object_get_ex(prev, "pgdata", &pa) ||
	    !json_object_object_get_ex(cur, "pgdata", &ca))
		goto out;
	for (i = 0; i < json_object_array_length(ca); i++) {
		e = json_object_array_get_idx(ca, i);
		json_object_object_add(have, str_of(e, "path"), NULL);
	}
	for (i = json_object_array_length(pa); i-- > 0;) {
		e = json_object_array_get_idx(pa, i);
		if (json_object_object_get_ex(have, str_of(e, "path"), NULL) ||
		    !px_bk_base_path_ok(str_of(e, "path")))
			continue;
		px_buf_reset(&path);
		px_buf_printf(&path, "%s/%s", dir, str_of(e, "path"));
		if (path.data && !strcmp(str_of(e, "type"), "dir"))
			rmdir(path.data);
		else if (path.data)
			unlink(path.data);
	}
out:
	json_object_put(have);
	px_buf_free(&path);
}

enum px_err px_bk_maps_fetch(struct px_bk_repo *r, json_object *m, FILE **out,
			     struct px_buf *err)
{
	struct stream s;
	json_object *item, *v;
	uint64_t got = 0;
	enum px_err rc = PX_OK;
	size_t i;
	FILE *f;

	*out = NULL;
	if (!json_object_object_get_ex(m, "maps", &item))
		return PX_OK;   /* an older backup: its maps are in the manifest */
	if (stream_open_item(r, m, "maps", &s) != 0) {
		px_buf_printf(err, "malformed block maps of base backup %s", str_of(m, "name"));
		return PX_E_VALIDATION_FAILED;
	}
	f = tmpfile();
	if (!f) {
		stream_close(&s);
		return io_fail("create", "a temporary file for block maps", err);
	}
	json_object_object_get_ex(item, "shards", &v);
	for (i = 0; rc == PX_OK && i < json_object_array_length(v); i++) {
		rc = px_bk_reader_next(s.rd, NULL, &s.cur);
		if (rc != PX_OK) {
			px_buf_printf(err, "block maps of base backup %s: %s", str_of(m, "name"),
				      px_err_message(rc));
			break;
		}
		if (s.cur.len && fwrite(s.cur.data, 1, s.cur.len, f) != s.cur.len)
			rc = io_fail("write", "a temporary file for block maps", err);
		got += s.cur.len;
	}
	stream_close(&s);
	if (rc == PX_OK && (fflush(f) != 0 || ferror(f)))
		rc = io_fail("write", "a temporary file for block maps", err);
	if (rc == PX_OK && (!json_object_object_get_ex(item, "bytes", &v) ||
			    (uint64_t)json_object_get_int64(v) != got)) {
		px_buf_printf(err, "block maps of base backup %s: %llu bytes read, not as listed",
			      str_of(m, "name"), (unsigned long long)got);
		rc = PX_E_STORAGE_SHARD_CORRUPT;
	}
	if (rc != PX_OK) {
		fclose(f);
		return rc;
	}
	*out = f;
	return PX_OK;
}

/* Checks one restored file against the block map of its entry. */
static enum px_err check_file(json_object *e, const char *dir, FILE *maps, struct px_buf *map,
			      struct px_buf *err)
{
	unsigned char blk[PX_BK_BLOCK], h[PX_BK_HASH_LEN];
	const char *rel = str_of(e, "path");
	struct px_buf path = PX_BUF_INIT;
	int64_t size = int_of(e, "size"), b = 0, got = 0;
	enum px_err rc = PX_E_STORAGE_SHARD_CORRUPT;
	ssize_t n;
	int fd = -1;

	px_buf_reset(map);
	px_buf_printf(&path, "%s/%s", dir, rel);
	if (path.failed || px_bk_map_of(e, maps, map) != 0) {
		px_buf_printf(err, "malformed block map for %s", rel);
		rc = PX_E_VALIDATION_FAILED;
		goto out;
	}
	fd = open(path.data, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = io_fail("open", path.data, err);
		goto out;
	}
	while ((n = read(fd, blk, sizeof(blk))) > 0) {
		px_bk_sha256(blk, (size_t)n, h);
		if ((size_t)(b + 1) * PX_BK_BLOCK_HASH > map->len ||
		    memcmp(map->data + b * PX_BK_BLOCK_HASH, h, PX_BK_BLOCK_HASH)) {
			px_buf_printf(err, "restored %s differs from the backup at block %lld", rel,
				      (long long)b);
			goto out;
		}
		got += n;
		b++;
		if (n < (ssize_t)sizeof(blk))
			break;
	}
	if (n < 0) {
		rc = io_fail("read", path.data, err);
		goto out;
	}
	if (got != size || (size_t)b * PX_BK_BLOCK_HASH != map->len) {
		px_buf_printf(err, "restored %s has %lld bytes, the backup %lld", rel,
			      (long long)got, (long long)size);
		goto out;
	}
	rc = PX_OK;
out:
	if (fd >= 0)
		close(fd);
	px_buf_free(&path);
	return rc;
}

/* Every restored regular file must hash to the last backup's block map:
 * the proof that the chain of increments (whole blocks and slices) was
 * applied right, before PostgreSQL replays WAL over it (full-page
 * images could hide a wrong page until the next checkpoint). */
static enum px_err check_dir(struct px_bk_repo *r, json_object *m, const char *dir,
			     struct px_buf *err)
{
	struct px_buf map = PX_BUF_INIT;
	json_object *files, *e;
	enum px_err rc;
	FILE *maps = NULL;
	size_t i;

	if (!json_object_object_get_ex(m, "pgdata", &files))
		return PX_E_VALIDATION_FAILED;
	rc = px_bk_maps_fetch(r, m, &maps, err);
	for (i = 0; rc == PX_OK && i < json_object_array_length(files); i++) {
		e = json_object_array_get_idx(files, i);
		if (str_of(e, "type") && !strcmp(str_of(e, "type"), "file"))
			rc = check_file(e, dir, maps, &map, err);
	}
	if (maps)
		fclose(maps);
	px_buf_free(&map);
	return rc;
}

static int dir_empty_or_absent(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return errno == ENOENT;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

enum px_err px_bk_pitr_materialize(struct px_bk_repo *r, json_object **chain,
				   size_t n, const char *dir, uint64_t *bytes,
				   struct px_buf *err)
{
	struct stream s;
	json_object *files, *cur = NULL, *before = NULL;
	enum px_err rc = PX_OK;
	size_t k, i;
	int fd;

	*bytes = 0;
	if (!dir_empty_or_absent(dir)) {
		px_buf_printf(err, "target folder %s is not empty", dir);
		return PX_E_VALIDATION_CONFLICT;
	}
	if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || chmod(dir, 0700) != 0)
		return io_fail("create", dir, err);
	for (k = 0; rc == PX_OK && k < n; k++) {
		/* chain[n - 1] is whole; the parents are read here, one at a
		 * time, and only the one before is kept (for remove_gone) */
		if (k + 1 < n) {
			rc = px_bk_manifest_load(r, str_of(chain[k], "name"), &cur);
			if (rc != PX_OK) {
				px_buf_printf(err, "cannot read base backup %s", str_of(chain[k], "name"));
				break;
			}
			drop_maps(cur);
		} else {
			cur = json_object_get(chain[k]);
		}
		if (!json_object_object_get_ex(cur, "pgdata", &files) ||
		    stream_open(r, cur, &s) != 0) {
			px_buf_printf(err, "malformed base backup manifest %s", str_of(chain[k], "name"));
			rc = PX_E_VALIDATION_FAILED;
			break;
		}
		for (i = 0; rc == PX_OK && i < json_object_array_length(files); i++)
			rc = apply_entry(json_object_array_get_idx(files, i), dir, &s, bytes, err);
		stream_close(&s);
		if (rc == PX_OK && before)
			remove_gone(before, cur, dir);
		json_object_put(before);
		before = cur;
		cur = NULL;
	}
	json_object_put(before);
	json_object_put(cur);
	if (rc == PX_OK && n > 0)
		rc = check_dir(r, chain[n - 1], dir, err);
	if (rc != PX_OK)
		return rc;
	/* the cluster's own pg_wal: the server excluded its contents */
	{
		struct px_buf w = PX_BUF_INIT;

		px_buf_printf(&w, "%s/pg_wal/archive_status", dir);
		if (w.failed || px_dirs_make(w.data, 0700) != 0)
			rc = io_fail("create", w.data ? w.data : dir, err);
		px_buf_free(&w);
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || syncfs(fd) != 0)
		rc = io_fail("sync", dir, err);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ---- recovery settings ---- */

static void conf_str(struct px_buf *b, const char *key, const char *v)
{
	px_buf_printf(b, "%s = '", key);
	for (; *v; v++) {
		if (*v == '\'')
			px_buf_putc(b, '\'');
		px_buf_putc(b, *v);
	}
	px_buf_puts(b, "'\n");
}

/* Whether a postgresql.auto.conf line sets what a restore sets: such
 * lines from an earlier restore of the backed-up cluster (a cluster that
 * was itself restored) must not steer this one. */
static int ours(const char *line)
{
	static const char *const keys[] = { "restore_command", "recovery_target", "archive_mode" };
	size_t i;

	line += strspn(line, " \t");
	if (!strncmp(line, "# written by plexichat-backup", 29))
		return 1;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strncmp(line, keys[i], strlen(keys[i])))
			return 1;
	return 0;
}

/* Rewrites path without the lines ours() matches; the rest is kept. */
static int drop_old_settings(const char *path, struct px_buf *keep)
{
	char line[4096];
	FILE *f = fopen(path, "re");

	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), f))
		if (!ours(line))
			px_buf_puts(keep, line);
	fclose(f);
	return keep->failed ? -1 : 0;
}

enum px_err px_bk_pitr_configure(const char *dir, const char *restore_command,
				 const struct px_bk_target *t, struct px_buf *err)
{
	struct px_buf conf = PX_BUF_INIT, path = PX_BUF_INIT;
	enum px_err rc = PX_E_STORAGE_FAILED;
	FILE *f = NULL;

	/* what an earlier restore left in the backed-up cluster */
	px_buf_printf(&path, "%s/plexichat-restore.log", dir);
	if (path.data)
		unlink(path.data);
	px_buf_reset(&path);
	px_buf_printf(&path, "%s/plexichat-restore.report", dir);
	if (path.data)
		unlink(path.data);
	px_buf_reset(&path);
	px_buf_printf(&path, "%s/postgresql.auto.conf", dir);
	if (path.failed || drop_old_settings(path.data, &conf) != 0) {
		io_fail("read", path.data ? path.data : dir, err);
		goto out;
	}
	px_buf_puts(&conf, "\n# written by plexichat-backup restore\n");
	conf_str(&conf, "restore_command", restore_command);
	if (t->kind == PX_BK_TO_TIME)
		conf_str(&conf, "recovery_target_time", t->text);
	else if (t->kind == PX_BK_TO_XID)
		conf_str(&conf, "recovery_target_xid", t->text);
	else if (t->kind == PX_BK_TO_LSN)
		conf_str(&conf, "recovery_target_lsn", t->text);
	if (t->kind != PX_BK_TO_LATEST)
		conf_str(&conf, "recovery_target_action", "promote");
	conf_str(&conf, "recovery_target_timeline", "latest");
	conf_str(&conf, "archive_mode", "off");
	if (conf.failed)
		goto out;
	f = fopen(path.data, "we");
	if (!f || fputs(conf.data, f) < 0) {
		io_fail("write", path.data, err);
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		io_fail("write", path.data, err);
		goto out;
	}
	f = NULL;
	px_buf_reset(&path);
	px_buf_printf(&path, "%s/recovery.signal", dir);
	f = path.data ? fopen(path.data, "we") : NULL;
	if (!f) {
		io_fail("create", path.data ? path.data : dir, err);
		goto out;
	}
	rc = PX_OK;
out:
	if (f && fclose(f) != 0 && rc == PX_OK)
		rc = io_fail("create", path.data, err);
	px_buf_free(&conf);
	px_buf_free(&path);
	return rc;
}
