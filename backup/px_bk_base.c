/* px_bk_base.c: BASE_BACKUP over a libpq replication connection, the tar
 * stream parsed as it arrives, and the block maps that make increments
 * (see px_bk_base.h). Memory: one 8 KiB block, one tar header, the new
 * block map of the file being read, and the parent's manifest; the slice
 * sums stream through (px_bk_delta.h). */
#include "backup/px_bk_base.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/codec.h"
#include "backup/px_bk_crypto.h"

int px_bk_lsn_parse(const char *s, uint64_t *out)
{
	unsigned int hi, lo;
	int used = 0;

	if (!s || sscanf(s, "%X/%X%n", &hi, &lo, &used) != 2 || s[used])
		return -1;
	*out = (uint64_t)hi << 32 | lo;
	return 0;
}

/* ---- tar stream ---- */

struct tarp {
	struct px_bk_writer *w;
	const struct px_bk_base_delta *d;
	json_object *files;        /* "pgdata" array being filled */
	json_object *prev_by_path; /* parent's entries by path, or NULL */
	struct px_bk_base_stats *st;
	struct px_buf *err;
	unsigned char hdr[512];
	size_t hlen;
	uint64_t left, pad;        /* file bytes, then padding, still to come */
	/* the regular file being read; its runs and slices packed
	 * (px_bk_packed_*), not as JSON arrays: a JSON pair per changed block
	 * cost about 250 bytes of memory */
	json_object *cur;
	struct px_buf runs, slices;
	uint64_t runs_end, slices_next, nslices;
	struct px_buf map, prevmap, pack;
	unsigned char blk[PX_BK_BLOCK];
	unsigned char sums[PX_BK_SUMS_PER_BLOCK], psums[PX_BK_SUMS_PER_BLOCK];
	size_t blen;
	uint64_t bidx, run_start, run_len;
	int prev_sums;             /* the parent's sums of this file are being read */
	int ended, is_label;
	int oom;                   /* a packed list or block map could not grow */
	FILE *maps;                /* this backup's block maps, file after file */
	uint64_t maps_len;
	int maps_err;              /* writing them failed */
	FILE *prev_maps;           /* the parent's (px_bk_maps_fetch), or NULL */
	struct px_buf label;       /* backup_label's text: it names the start WAL file */
};

static uint64_t octal(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n && p[i] == ' '; i++)
		;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(p[i] - '0');
	return v;
}

int px_bk_base_path_ok(const char *p)
{
	const char *s = p;

	if (!*p || *p == '/')
		return 0;
	while (*s) {
		size_t n = strcspn(s, "/");

		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		s += n;
		if (*s == '/')
			s++;
	}
	return 1;
}

static void put_varint(struct px_buf *b, uint64_t v)
{
	unsigned char p[10];
	size_t n = 0;

	do {
		p[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	px_buf_append(b, p, n);
}

static int get_varint(struct px_bk_packed *it, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (it->p < it->end && shift < 64) {
		unsigned char c = *it->p++;

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

int px_bk_packed_run(struct px_bk_packed *it, uint64_t *first, uint64_t *count)
{
	uint64_t gap;

	if (it->p == it->end)
		return 0;
	if (get_varint(it, &gap) != 0 || get_varint(it, count) != 0 || *count == 0 ||
	    gap > UINT64_MAX / 2 - it->next || *count > UINT64_MAX / 2 - it->next - gap)
		return -1;
	*first = it->next + gap;
	it->next = *first + *count;
	return 1;
}

int px_bk_packed_slice(struct px_bk_packed *it, uint64_t *block, uint32_t *mask)
{
	uint64_t gap;

	if (it->p == it->end)
		return 0;
	if (get_varint(it, &gap) != 0 || it->end - it->p < 4 || gap > UINT64_MAX / 2 - it->next)
		return -1;
	*block = it->next + gap;
	*mask = (uint32_t)it->p[0] | (uint32_t)it->p[1] << 8 | (uint32_t)it->p[2] << 16 |
		(uint32_t)it->p[3] << 24;
	it->p += 4;
	it->next = *block + 1;
	return 1;
}

static void end_run(struct tarp *t)
{
	if (!t->run_len)
		return;
	put_varint(&t->runs, t->run_start - t->runs_end);
	put_varint(&t->runs, t->run_len);
	t->runs_end = t->run_start + t->run_len;
	t->run_len = 0;
}

/* Stores a changed block: only the slices that differ from the parent's
 * when its sums are known, else the whole block. */
static enum px_err store_block(struct tarp *t, int have_prev)
{
	uint32_t all = px_bk_slice_all(t->blen), mask = all, m;
	unsigned char le[4];
	enum px_err rc;

	if (have_prev) {
		m = px_bk_slice_diff(t->psums, t->sums, t->blen);
		if (m)   /* 0: the sums disagree with the block map: trust the map */
			mask = m;
	}
	if (mask == all) {
		t->st->bytes_written += t->blen;
		return px_bk_writer_write(t->w, t->blk, t->blen);
	}
	px_buf_reset(&t->pack);
	px_bk_slice_pack(t->blk, t->blen, mask, &t->pack);
	if (t->pack.failed)
		return PX_E_SYSTEM_INTERNAL;
	rc = px_bk_writer_write(t->w, t->pack.data, t->pack.len);
	if (rc != PX_OK)
		return rc;
	put_varint(&t->slices, t->bidx - t->slices_next);
	le[0] = (unsigned char)mask;
	le[1] = (unsigned char)(mask >> 8);
	le[2] = (unsigned char)(mask >> 16);
	le[3] = (unsigned char)(mask >> 24);
	px_buf_append(&t->slices, le, sizeof(le));
	t->slices_next = t->bidx + 1;
	t->nslices++;
	t->st->blocks_sliced++;
	t->st->bytes_written += t->pack.len;
	return PX_OK;
}

static enum px_err do_block(struct tarp *t)
{
	unsigned char h[PX_BK_HASH_LEN];
	const size_t hb = PX_BK_BLOCK_HASH;
	int same, have_prev = 0;
	enum px_err rc;

	if (t->is_label && t->label.len < 65536)
		px_buf_append(&t->label, t->blk, t->blen);
	px_bk_sha256(t->blk, t->blen, h);
	px_buf_append(&t->map, h, hb);
	same = (t->bidx + 1) * hb <= t->prevmap.len &&
	       !memcmp(t->prevmap.data + t->bidx * hb, h, hb);
	t->st->blocks++;
	if (t->d && t->d->slicer) {
		if (px_bk_slicer_sums(t->d->slicer, t->blk, t->blen, t->sums) != 0) {
			px_buf_puts(t->err, "cannot hash a block's slices");
			return PX_E_SYSTEM_INTERNAL;
		}
		if (t->d->out)
			px_bk_sums_add(t->d->out, t->sums);
		/* read in step with the blocks, changed or not */
		if (t->prev_sums)
			have_prev = px_bk_sums_next(t->d->prev, t->psums) == 0;
		t->prev_sums = have_prev;
	}
	if (!same) {
		rc = store_block(t, have_prev && t->bidx * hb < t->prevmap.len);
		if (rc != PX_OK)
			return rc;
		if (t->run_len && t->run_start + t->run_len == t->bidx) {
			t->run_len++;
		} else {
			end_run(t);
			t->run_start = t->bidx;
			t->run_len = 1;
		}
		t->st->blocks_changed++;
		t->st->bytes_changed += t->blen;
	}
	t->bidx++;
	t->blen = 0;
	return PX_OK;
}

/* Adds p[0..n) to the file's entry as base64 under key. */
static void add_b64(struct tarp *t, const char *key, const struct px_buf *p)
{
	struct px_buf b64 = PX_BUF_INIT;

	px_codec_b64_encode(&b64, p->data ? p->data : "", p->len, PX_CODEC_B64);
	json_object_object_add(t->cur, key, json_object_new_string_len(b64.data ? b64.data : "",
									(int)b64.len));
	px_buf_free(&b64);
}

static void end_file(struct tarp *t)
{
	end_run(t);
	if (t->runs.failed || t->slices.failed || t->map.failed)
		t->oom = 1;
	add_b64(t, "runs", &t->runs);
	if (t->nslices)
		add_b64(t, "slicemap", &t->slices);
	/* the block map goes to the maps stream, not into the manifest */
	json_object_object_add(t->cur, "map_at", json_object_new_int64((int64_t)t->maps_len));
	if (t->map.len && fwrite(t->map.data, 1, t->map.len, t->maps) != t->map.len)
		t->maps_err = 1;
	t->maps_len += t->map.len;
	t->cur = NULL;
}

static int64_t int_of(json_object *e, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(e, k, &v) ? json_object_get_int64(v) : -1;
}

int px_bk_map_of(json_object *e, FILE *maps, struct px_buf *map)
{
	json_object *v;
	int64_t size, at;
	size_t n;

	px_buf_reset(map);
	if (json_object_object_get_ex(e, "map", &v))
		return px_codec_b64_decode(json_object_get_string(v),
					   (size_t)json_object_get_string_len(v), PX_CODEC_B64, map);
	size = int_of(e, "size");
	at = int_of(e, "map_at");
	if (!maps || size < 0 || at < 0)
		return -1;
	n = (size_t)((size + PX_BK_BLOCK - 1) / PX_BK_BLOCK) * PX_BK_BLOCK_HASH;
	if (px_buf_reserve(map, n) != 0 ||
	    (n && pread(fileno(maps), map->data, n, (off_t)at) != (ssize_t)n))
		return -1;
	map->len = n;
	return 0;
}

/* The parent's block map of path into t->prevmap (empty when none). */
static void load_prev_map(struct tarp *t, const char *path)
{
	json_object *e;

	px_buf_reset(&t->prevmap);
	if (!t->prev_by_path || !json_object_object_get_ex(t->prev_by_path, path, &e))
		return;
	if (px_bk_map_of(e, t->prev_maps, &t->prevmap) != 0)
		px_buf_reset(&t->prevmap);
}

static enum px_err do_header(struct tarp *t)
{
	char name[256], link[101];
	const unsigned char *h = t->hdr;
	json_object *e;
	size_t i, n;
	char type = (char)h[156];

	for (i = 0; i < 512 && !h[i]; i++)
		;
	if (i == 512) {   /* the end-of-archive blocks */
		t->ended = 1;
		return PX_OK;
	}
	if (t->ended || memcmp(h + 257, "ustar", 5) != 0) {
		px_buf_puts(t->err, "BASE_BACKUP sent something that is not a ustar archive");
		return PX_E_VALIDATION_FAILED;
	}
	name[0] = '\0';
	if (h[345])
		snprintf(name, sizeof(name), "%.155s/", (const char *)h + 345);
	n = strlen(name);
	snprintf(name + n, sizeof(name) - n, "%.100s", (const char *)h);
	n = strlen(name);
	while (n > 0 && name[n - 1] == '/')
		name[--n] = '\0';
	/* PostgreSQL names entries "./base/1/..." */
	while (!strncmp(name, "./", 2))
		memmove(name, name + 2, strlen(name + 2) + 1);
	if (!strcmp(name, ".") || (!name[0] && type == '5'))
		return PX_OK;   /* the data directory itself */
	if (!px_bk_base_path_ok(name)) {
		px_buf_printf(t->err, "unsafe path \"%s\" in the base backup archive", name);
		return PX_E_VALIDATION_FAILED;
	}
	e = json_object_new_object();
	json_object_object_add(e, "path", json_object_new_string(name));
	json_object_object_add(e, "mode", json_object_new_int((int)(octal(h + 100, 8) & 07777)));
	json_object_array_add(t->files, e);
	if (type == '5') {
		json_object_object_add(e, "type", json_object_new_string("dir"));
		return PX_OK;
	}
	if (type == '2') {
		snprintf(link, sizeof(link), "%.100s", (const char *)h + 157);
		json_object_object_add(e, "type", json_object_new_string("symlink"));
		json_object_object_add(e, "target", json_object_new_string(link));
		return PX_OK;
	}
	if (type != '0' && type != '\0') {
		px_buf_printf(t->err, "unexpected tar entry type '%c' for %s", type, name);
		return PX_E_VALIDATION_FAILED;
	}
	if (h[124] & 0x80) {
		px_buf_printf(t->err, "%s: file too large for this reader", name);
		return PX_E_VALIDATION_FAILED;
	}
	t->left = octal(h + 124, 12);
	t->pad = (512 - t->left % 512) % 512;
	json_object_object_add(e, "type", json_object_new_string("file"));
	json_object_object_add(e, "size", json_object_new_int64((int64_t)t->left));
	t->cur = e;
	t->is_label = !strcmp(name, "backup_label");
	px_buf_reset(&t->runs);
	px_buf_reset(&t->slices);
	t->runs_end = t->slices_next = t->nslices = 0;
	t->bidx = t->run_len = 0;
	t->blen = 0;
	px_buf_reset(&t->map);
	load_prev_map(t, name);
	if (t->d && t->d->out)
		px_bk_sums_file(t->d->out, name, (t->left + PX_BK_BLOCK - 1) / PX_BK_BLOCK);
	/* the parent's sums only along with the parent's block map */
	t->prev_sums = t->d && t->d->prev && t->prevmap.len > 0 &&
		       px_bk_sums_seek(t->d->prev, name) >= 0;
	t->st->files++;
	t->st->bytes += t->left;
	if (t->left == 0)
		end_file(t);
	return PX_OK;
}

static enum px_err tar_feed(struct tarp *t, const unsigned char *p, size_t n)
{
	enum px_err rc;
	size_t k;

	while (n > 0) {
		if (t->left > 0) {
			k = PX_BK_BLOCK - t->blen;
			if (k > n)
				k = n;
			if (k > t->left)
				k = (size_t)t->left;
			memcpy(t->blk + t->blen, p, k);
			t->blen += k;
			t->left -= k;
			if (t->blen == PX_BK_BLOCK || t->left == 0) {
				rc = do_block(t);
				if (rc != PX_OK)
					return rc;
			}
			if (t->left == 0)
				end_file(t);
		} else if (t->pad > 0) {
			k = n < t->pad ? n : (size_t)t->pad;
			t->pad -= k;
		} else {
			k = 512 - t->hlen;
			if (k > n)
				k = n;
			memcpy(t->hdr + t->hlen, p, k);
			t->hlen += k;
			if (t->hlen == 512) {
				t->hlen = 0;
				rc = do_header(t);
				if (rc != PX_OK)
					return rc;
			}
		}
		p += k;
		n -= k;
	}
	return PX_OK;
}

/* ---- the replication connection ---- */

static enum px_err db_fail(PGconn *c, const char *what, struct px_buf *err)
{
	px_buf_printf(err, "%s: %s", what, c ? PQerrorMessage(c) : "out of memory");
	while (err->len && (err->data[err->len - 1] == '\n'))
		px_buf_truncate(err, err->len - 1);
	return PX_E_SYSTEM_DB_UNAVAILABLE;
}

static json_object *by_path(json_object *prev)
{
	json_object *arr, *idx, *e, *p;
	size_t i;

	if (!prev || !json_object_object_get_ex(prev, "pgdata", &arr))
		return NULL;
	idx = json_object_new_object();
	for (i = 0; i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(e, "path", &p))
			json_object_object_add(idx, json_object_get_string(p), json_object_get(e));
	}
	return idx;
}

/* Reads the COPY stream of BASE_BACKUP into the tar parser. */
static enum px_err read_copy(PGconn *c, struct tarp *t, struct px_buf *err)
{
	char *buf = NULL;
	int n, in_base = 0;
	enum px_err rc = PX_OK;

	while ((n = PQgetCopyData(c, &buf, 0)) > 0) {
		if (rc != PX_OK) {   /* drain after a failure */
			PQfreemem(buf);
			continue;
		}
		switch (buf[0]) {
		case 'n':    /* a new archive: name, tablespace location */
			in_base = !strcmp(buf + 1, "base.tar");
			if (!in_base) {
				px_buf_printf(err, "the cluster has a tablespace outside its data directory "
					      "(%s): not supported by base-backup", buf + 1);
				rc = PX_E_VALIDATION_FAILED;
			}
			break;
		case 'd':
			if (in_base)
				rc = tar_feed(t, (const unsigned char *)buf + 1, (size_t)n - 1);
			break;
		default:     /* 'p' progress, 'm' manifest: not asked for */
			break;
		}
		PQfreemem(buf);
	}
	if (n == -2 && rc == PX_OK)
		rc = db_fail(c, "BASE_BACKUP stream", err);
	if (rc == PX_OK && (t->left || t->pad || t->hlen || t->cur)) {
		px_buf_puts(err, "BASE_BACKUP archive ended in the middle of a file");
		rc = PX_E_VALIDATION_FAILED;
	}
	return rc;
}

static enum px_err next_xid(const char *conninfo, json_object *m, struct px_buf *err)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *res = NULL;
	enum px_err rc = PX_OK;

	if (PQstatus(c) != CONNECTION_OK) {
		rc = db_fail(c, "connect", err);
		goto out;
	}
	res = PQexec(c, "SELECT txid_snapshot_xmax(txid_current_snapshot())::text");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		rc = db_fail(c, "read the next transaction id", err);
		goto out;
	}
	json_object_object_add(m, "next_xid", json_object_new_int64(strtoll(PQgetvalue(res, 0, 0), NULL, 10)));
out:
	PQclear(res);
	PQfinish(c);
	return rc;
}

/* The block maps, gathered in t->maps, as the backup's second stream. */
static enum px_err write_maps(struct tarp *t, struct px_bk_writer *w, json_object *m,
			      struct px_buf *err)
{
	unsigned char buf[65536];
	json_object *item;
	enum px_err rc = PX_OK;
	size_t n;

	if (t->maps_err || fflush(t->maps) != 0 || fseek(t->maps, 0, SEEK_SET) != 0) {
		px_buf_puts(err, "cannot write the block maps to a temporary file");
		return PX_E_STORAGE_FAILED;
	}
	item = json_object_new_object();
	px_bk_writer_begin(w);
	while (rc == PX_OK && (n = fread(buf, 1, sizeof(buf), t->maps)) > 0)
		rc = px_bk_writer_write(w, buf, n);
	if (rc == PX_OK && ferror(t->maps)) {
		px_buf_puts(err, "cannot read the block maps back from a temporary file");
		rc = PX_E_STORAGE_FAILED;
	}
	if (rc == PX_OK)
		rc = px_bk_writer_end(w, item);
	if (rc == PX_OK)
		json_object_object_add(m, "maps", item);
	else
		json_object_put(item);
	return rc;
}

enum px_err px_bk_base_run(const char *conninfo, json_object *prev, FILE *prev_maps,
			   const struct px_bk_base_delta *d, struct px_bk_writer *w, json_object *m,
			   struct px_bk_base_stats *st, struct px_buf *err)
{
	const char *keys[] = { "dbname", "replication", NULL };
	const char *vals[] = { conninfo, "true", NULL };
	struct tarp t;
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	PGresult *res = NULL;
	json_object *v, *blocks = json_object_new_object();
	enum px_err rc = PX_E_SYSTEM_DB_UNAVAILABLE;
	uint64_t lsn;
	int step = 0;

	memset(&t, 0, sizeof(t));
	memset(st, 0, sizeof(*st));
	t.w = w;
	t.d = d;
	t.st = st;
	t.err = err;
	t.files = json_object_new_array();
	t.prev_maps = prev_maps;
	t.maps = tmpfile();
	px_buf_init(&t.map);
	px_buf_init(&t.runs);
	px_buf_init(&t.slices);
	px_buf_init(&t.prevmap);
	px_buf_init(&t.pack);
	px_buf_init(&t.label);
	if (!t.maps) {
		px_buf_puts(err, "cannot create a temporary file for the block maps");
		rc = PX_E_STORAGE_FAILED;
		goto out;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		rc = db_fail(c, "replication connection", err);
		goto out;
	}
	res = PQexec(c, "IDENTIFY_SYSTEM");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		rc = db_fail(c, "IDENTIFY_SYSTEM", err);
		goto out;
	}
	json_object_object_add(m, "system_id", json_object_new_string(PQgetvalue(res, 0, 0)));
	/* an increment only against a backup of this very cluster */
	if (prev && json_object_object_get_ex(prev, "system_id", &v) &&
	    !strcmp(json_object_get_string(v), PQgetvalue(res, 0, 0)))
		t.prev_by_path = by_path(prev);
	PQclear(res);
	res = NULL;
	json_object_object_add(m, "start_time", json_object_new_int64(time(NULL)));
	if (!PQsendQuery(c, "BASE_BACKUP (LABEL 'plexichat-backup', CHECKPOINT 'fast', "
			 "WAIT true, MANIFEST 'no')")) {
		rc = db_fail(c, "BASE_BACKUP", err);
		goto out;
	}
	px_bk_writer_begin(w);
	rc = PX_OK;
	while ((res = PQgetResult(c)) != NULL) {
		ExecStatusType s = PQresultStatus(res);

		if (s == PGRES_COPY_OUT) {
			rc = read_copy(c, &t, err);
		} else if (s == PGRES_TUPLES_OK && (step == 0 || step == 2) && PQntuples(res) == 1) {
			/* the start position before the archive, the end after it */
			if (px_bk_lsn_parse(PQgetvalue(res, 0, 0), &lsn) != 0 && rc == PX_OK) {
				px_buf_printf(err, "bad LSN \"%s\"", PQgetvalue(res, 0, 0));
				rc = PX_E_VALIDATION_FAILED;
			}
			json_object_object_add(m, step == 0 ? "start_lsn" : "end_lsn",
					       json_object_new_string(PQgetvalue(res, 0, 0)));
			json_object_object_add(m, "timeline",
					       json_object_new_int(atoi(PQgetvalue(res, 0, 1))));
			step++;
		} else if (s == PGRES_TUPLES_OK && step == 1) {
			step++;   /* the tablespaces: the data directory's own is checked in the stream */
		} else if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && rc == PX_OK) {
			rc = db_fail(c, "BASE_BACKUP", err);
		}
		PQclear(res);
	}
	res = NULL;
	if (rc == PX_OK && t.oom) {
		px_buf_puts(err, "out of memory for the block maps");
		rc = PX_E_SYSTEM_INTERNAL;
	}
	if (rc == PX_OK && step != 3) {
		px_buf_puts(err, "BASE_BACKUP ended without its end position");
		rc = PX_E_VALIDATION_FAILED;
	}
	if (rc != PX_OK)
		goto out;
	json_object_object_add(m, "end_time", json_object_new_int64(time(NULL)));
	{
		/* "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)":
		 * the oldest WAL file a restore of this backup needs */
		const char *f = t.label.data ? strstr(t.label.data, "(file ") : NULL;

		if (!f || strspn(f + 6, "0123456789ABCDEF") != 24) {
			px_buf_puts(err, "backup_label does not name the start WAL file");
			rc = PX_E_VALIDATION_FAILED;
			goto out;
		}
		json_object_object_add(m, "start_wal", json_object_new_string_len(f + 6, 24));
	}
	rc = next_xid(conninfo, m, err);
	if (rc != PX_OK)
		goto out;
	rc = px_bk_writer_end(w, blocks);
	if (rc != PX_OK)
		goto out;
	json_object_object_add(m, "blocks", blocks);
	blocks = NULL;
	rc = write_maps(&t, w, m, err);
	if (rc != PX_OK)
		goto out;
	json_object_object_add(m, "pgdata", t.files);
	t.files = NULL;
out:
	json_object_put(blocks);
	json_object_put(t.files);
	json_object_put(t.prev_by_path);
	if (t.maps)
		fclose(t.maps);
	px_buf_free(&t.map);
	px_buf_free(&t.runs);
	px_buf_free(&t.slices);
	px_buf_free(&t.prevmap);
	px_buf_free(&t.pack);
	px_buf_free(&t.label);
	PQclear(res);
	PQfinish(c);
	return rc;
}
