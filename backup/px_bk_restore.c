/* px_bk_restore.c: the restore side of px_bk_dump and px_bk_files. */
#include "backup/px_bk_restore.h"
#include "backup/px_bk_bincopy.h"
#include "backup/px_bk_files.h"
#include "backup/px_bk_manifest.h"
#include "backup/px_bk_psql.h"
#include "backup/px_bk_reader.h"
#include "core/codec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGING ".plexichat-restore"

static const char SQL_NONEMPTY[] =
	"SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
	"WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
	"AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'";
static const char SQL_SETVAL[] =
	"SELECT setval(format('%I.%I', $1::text, $2::text)::regclass, $3::bigint, true)";

struct present {
	struct px_bk_repo *r;
	size_t missing;
	struct px_buf *err;
};

static int check_one(void *arg, const char *hex, size_t size)
{
	struct present *p = arg;
	unsigned char id[32];

	if (px_codec_hex_decode_fixed(hex, id, 32) != 0 || !px_bk_known_has(p->r->known, id)) {
		if (!p->missing++)
			px_buf_printf(p->err, "shard %s is missing", hex);
	}
	return 0;
}

enum px_err px_bk_check_present(struct px_bk_repo *r, json_object *m,
				size_t *missing, struct px_buf *err)
{
	struct present p = { r, 0, err };
	enum px_err rc = px_bk_known_rebuild(r->known, r->store);

	*missing = 0;
	if (rc != PX_OK)
		return rc;
	px_bk_manifest_each_shard(m, check_one, &p);
	*missing = p.missing;
	return p.missing ? PX_E_STORAGE_SHARD_MISSING : PX_OK;
}

#define READ_WINDOW 8

struct ctx {
	const struct px_bk_restore_opts *o;
	struct px_bk_restore_stats *st;
	struct px_buf *err;
	struct px_bk_reader *rd;
	struct px_buf plain;
};

/* The shards in the order restore consumes them: files, then the schema
 * before the data, the tables, the schema after the data. */
struct order {
	unsigned char (*ids)[32];
	size_t n, cap;
	int bad;
};

static int add_id(void *arg, const char *hex, size_t size)
{
	struct order *o = arg;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 256;
		void *p = realloc(o->ids, cap * 32);

		if (!p) {
			o->bad = 1;
			return 1;
		}
		o->ids = p;
		o->cap = cap;
	}
	if (px_codec_hex_decode_fixed(hex, o->ids[o->n], 32) != 0) {
		o->bad = 1;
		return 1;
	}
	o->n++;
	return 0;
}

static int add_item(struct order *o, json_object *item)
{
	json_object *shards;
	size_t i;

	if (!item || !json_object_object_get_ex(item, "shards", &shards))
		return 0;
	for (i = 0; i < json_object_array_length(shards) && !o->bad; i++) {
		json_object *ref = json_object_array_get_idx(shards, i);
		const char *hex = json_object_get_string(json_object_array_get_idx(ref, 0));

		add_id(o, hex ? hex : "", 0);
	}
	return o->bad ? -1 : 0;
}

static int build_order(json_object *files, json_object *dbm, struct order *o)
{
	json_object *x, *tables;
	size_t i;

	for (i = 0; files && i < json_object_array_length(files); i++)
		if (add_item(o, json_object_array_get_idx(files, i)) != 0)
			return -1;
	if (!dbm)
		return 0;
	if (json_object_object_get_ex(dbm, "pre", &x) && add_item(o, x) != 0)
		return -1;
	if (json_object_object_get_ex(dbm, "tables", &tables))
		for (i = 0; i < json_object_array_length(tables); i++)
			if (add_item(o, json_object_array_get_idx(tables, i)) != 0)
				return -1;
	if (json_object_object_get_ex(dbm, "post", &x) && add_item(o, x) != 0)
		return -1;
	return 0;
}

/* Reads a stream's shards in order, calling sink for each plaintext and
 * checking the stream's length. */
static enum px_err read_stream(struct ctx *c, json_object *item, const char *what,
			       enum px_err (*sink)(struct ctx *, void *), void *arg)
{
	json_object *shards, *bytes;
	unsigned char id[32];
	uint64_t total = 0;
	size_t i, n;

	if (!json_object_object_get_ex(item, "shards", &shards) ||
	    !json_object_object_get_ex(item, "bytes", &bytes)) {
		px_buf_printf(c->err, "manifest entry %s has no shards", what);
		return PX_E_STORAGE_SHARD_CORRUPT;
	}
	n = json_object_array_length(shards);
	for (i = 0; i < n; i++) {
		const char *sid = json_object_get_string(
			json_object_array_get_idx(json_object_array_get_idx(shards, i), 0));
		enum px_err rc;

		if (!sid || px_codec_hex_decode_fixed(sid, id, 32) != 0)
			return PX_E_STORAGE_SHARD_CORRUPT;
		rc = px_bk_reader_next(c->rd, id, &c->plain);
		if (rc != PX_OK) {
			px_buf_printf(c->err, "shard %s of %s", sid, what);
			return rc;
		}
		total += c->plain.len;
		rc = sink(c, arg);
		if (rc != PX_OK)
			return rc;
		c->st->bytes += c->plain.len;
		if (c->o->on_progress)
			c->o->on_progress(c->o->arg, c->st->bytes);
	}
	if (total != (uint64_t)json_object_get_int64(bytes)) {
		px_buf_printf(c->err, "%s: stream length mismatch", what);
		return PX_E_STORAGE_SHARD_CORRUPT;
	}
	return PX_OK;
}

static enum px_err collect_sink(struct ctx *c, void *arg)
{
	px_buf_append(arg, c->plain.data, c->plain.len);
	return ((struct px_buf *)arg)->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}

static enum px_err sql_fail(PGconn *db, const char *what, struct px_buf *err)
{
	px_buf_printf(err, "%s: %s", what, PQerrorMessage(db));
	while (err->len && err->data[err->len - 1] == '\n')
		err->data[--err->len] = '\0';
	return PQstatus(db) == CONNECTION_OK ? PX_E_SYSTEM_INTERNAL :
					       PX_E_SYSTEM_DB_UNAVAILABLE;
}

/* Runs a pg_dump schema section; psql meta-commands (\connect,
 * \restrict ...) are dropped: the target connection is already right.
 * Backups written since the dumper strips them too have none left. */
static enum px_err run_section(struct ctx *c, PGconn *db, json_object *item,
			       const char *what)
{
	struct px_buf text = PX_BUF_INIT, sql = PX_BUF_INIT;
	enum px_err rc;
	PGresult *res;

	rc = read_stream(c, item, what, collect_sink, &text);
	if (rc != PX_OK)
		goto out;
	rc = PX_E_SYSTEM_INTERNAL;
	if (px_bk_psql_strip_meta(text.data, text.len, &sql) != 0)
		goto out;
	rc = PX_OK;
	if (!sql.len)
		goto out;
	res = PQexec(db, sql.data);
	rc = PQresultStatus(res) == PGRES_COMMAND_OK ||
	     PQresultStatus(res) == PGRES_TUPLES_OK ? PX_OK :
	     sql_fail(db, what, c->err);
	PQclear(res);
out:
	px_buf_free(&text);
	px_buf_free(&sql);
	return rc;
}

struct copy_arg {
	PGconn *db;
	long long rows;
};

static enum px_err copy_sink(struct ctx *c, void *arg)
{
	struct copy_arg *a = arg;

	if (PQputCopyData(a->db, c->plain.data, (int)c->plain.len) != 1)
		return sql_fail(a->db, "COPY", c->err);
	return PX_OK;
}

/* A delta-coded table (px_bk_bincopy.h): shards cut the stream anywhere,
 * so bytes wait in pending until they make whole tuples, which are decoded
 * to binary COPY (bin) and sent on as text COPY rows. */
struct delta_arg {
	struct copy_arg a;
	enum px_bk_col *cols;
	struct px_bk_delta d;
	struct px_bk_bincopy conv;
	struct px_buf pending, bin, text;
};

static enum px_err delta_sink(struct ctx *c, void *arg)
{
	struct delta_arg *x = arg;
	long k;

	px_buf_append(&x->pending, c->plain.data, c->plain.len);
	if (x->pending.failed)
		return PX_E_SYSTEM_INTERNAL;
	px_buf_reset(&x->bin);
	px_buf_reset(&x->text);
	k = px_bk_delta_decode(&x->d, x->pending.data, x->pending.len, &x->bin);
	if (k < 0 || (x->bin.len && px_bk_bincopy_feed(&x->conv, x->bin.data, x->bin.len,
							&x->text) != 0)) {
		px_buf_puts(c->err, "table rows are not a delta-coded binary COPY");
		return PX_E_STORAGE_SHARD_CORRUPT;
	}
	px_buf_drop(&x->pending, (size_t)k);
	if (x->text.len && PQputCopyData(x->a.db, x->text.data, (int)x->text.len) != 1)
		return sql_fail(x->a.db, "COPY", c->err);
	return PX_OK;
}

/* Sets x up from the manifest's column kinds; -1 when they are unreadable. */
static int delta_setup(struct delta_arg *x, json_object *kinds)
{
	size_t i, n = json_object_array_length(kinds);

	x->cols = calloc(n ? n : 1, sizeof(*x->cols));
	if (!x->cols)
		return -1;
	for (i = 0; i < n; i++) {
		int k = px_bk_col_parse(json_object_get_string(json_object_array_get_idx(kinds, i)));

		if (k < 0)
			return -1;
		x->cols[i] = (enum px_bk_col)k;
	}
	px_bk_bincopy_init(&x->conv, x->cols, (int)n);
	return px_bk_delta_init(&x->d, x->cols, (int)n);
}

static enum px_err load_table(struct ctx *c, PGconn *db, json_object *t,
			      int binary)
{
	json_object *v, *cols;
	struct px_buf sql = PX_BUF_INIT, what = PX_BUF_INIT;
	const char *nsp, *rel;
	char *qn = NULL, *qr = NULL;
	struct delta_arg x = { .a = { db, 0 }, .pending = PX_BUF_INIT, .bin = PX_BUF_INIT,
				 .text = PX_BUF_INIT };
	json_object *kinds = NULL;
	enum px_err rc = PX_E_STORAGE_SHARD_CORRUPT;
	PGresult *res = NULL;
	size_t i;

	if (!json_object_object_get_ex(t, "schema", &v) || !(nsp = json_object_get_string(v)) ||
	    !json_object_object_get_ex(t, "name", &v) || !(rel = json_object_get_string(v)) ||
	    !json_object_object_get_ex(t, "columns", &cols))
		goto out;
	if (json_object_object_get_ex(t, "column_kinds", &kinds) &&
	    (json_object_array_length(kinds) != json_object_array_length(cols) ||
	     delta_setup(&x, kinds) != 0))
		goto out;
	rc = PX_E_SYSTEM_INTERNAL;
	qn = PQescapeIdentifier(db, nsp, strlen(nsp));
	qr = PQescapeIdentifier(db, rel, strlen(rel));
	if (!qn || !qr)
		goto out;
	px_buf_printf(&what, "table %s.%s", nsp, rel);
	px_buf_printf(&sql, "COPY %s.%s", qn, qr);
	if (json_object_array_length(cols)) {
		px_buf_puts(&sql, " (");
		for (i = 0; i < json_object_array_length(cols); i++) {
			const char *col = json_object_get_string(json_object_array_get_idx(cols, i));
			char *q = PQescapeIdentifier(db, col, strlen(col));

			if (!q)
				goto out;
			px_buf_printf(&sql, "%s%s", i ? ", " : "", q);
			PQfreemem(q);
		}
		px_buf_putc(&sql, ')');
	}
	px_buf_puts(&sql, binary ? " FROM STDIN (FORMAT binary)" : " FROM STDIN");
	if (sql.failed || what.failed)
		goto out;
	res = PQexec(db, sql.data);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		rc = sql_fail(db, what.data, c->err);
		goto out;
	}
	PQclear(res);
	res = NULL;
	if (kinds) {
		rc = read_stream(c, t, what.data, delta_sink, &x);
		if (rc == PX_OK && (x.pending.len || !x.d.trailer_seen)) {
			px_buf_printf(c->err, "%s: the rows end in the middle", what.data);
			rc = PX_E_STORAGE_SHARD_CORRUPT;
		}
	} else {
		rc = read_stream(c, t, what.data, copy_sink, &x.a);
	}
	if (PQputCopyEnd(db, rc == PX_OK ? NULL : "restore aborted") != 1 && rc == PX_OK)
		rc = sql_fail(db, what.data, c->err);
	res = PQgetResult(db);
	if (rc == PX_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = sql_fail(db, what.data, c->err);
	x.a.rows = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	while ((res = PQgetResult(db)) != NULL)
		PQclear(res);
	if (rc == PX_OK && json_object_object_get_ex(t, "rows", &v) &&
	    json_object_get_int64(v) != x.a.rows) {
		px_buf_printf(c->err, "%s: %lld rows restored, manifest says %lld",
			      what.data, x.a.rows, (long long)json_object_get_int64(v));
		rc = PX_E_STORAGE_SHARD_CORRUPT;
	}
	c->st->tables++;
	c->st->rows += (uint64_t)x.a.rows;
out:
	px_bk_delta_free(&x.d);
	free(x.cols);
	px_buf_free(&x.pending);
	px_buf_free(&x.bin);
	px_buf_free(&x.text);
	PQclear(res);
	PQfreemem(qn);
	PQfreemem(qr);
	px_buf_free(&sql);
	px_buf_free(&what);
	return rc;
}

static enum px_err set_sequences(struct ctx *c, PGconn *db, json_object *seqs)
{
	size_t i;

	for (i = 0; seqs && i < json_object_array_length(seqs); i++) {
		json_object *s = json_object_array_get_idx(seqs, i), *a, *b, *v;
		const char *p[3];
		PGresult *res;
		int ok;

		if (!json_object_object_get_ex(s, "value", &v))
			continue;
		if (!json_object_object_get_ex(s, "schema", &a) ||
		    !json_object_object_get_ex(s, "name", &b))
			return PX_E_STORAGE_SHARD_CORRUPT;
		p[0] = json_object_get_string(a);
		p[1] = json_object_get_string(b);
		p[2] = json_object_get_string(v);
		res = PQexecParams(db, SQL_SETVAL, 3, NULL, p, NULL, NULL, 0);
		ok = PQresultStatus(res) == PGRES_TUPLES_OK;
		PQclear(res);
		if (!ok)
			return sql_fail(db, "setval", c->err);
	}
	return PX_OK;
}

static enum px_err exec_simple(PGconn *db, const char *sql, struct px_buf *err)
{
	PGresult *res = PQexec(db, sql);
	enum px_err rc = PQresultStatus(res) == PGRES_COMMAND_OK ? PX_OK :
			 sql_fail(db, sql, err);

	PQclear(res);
	return rc;
}

static enum px_err restore_db(struct ctx *c, PGconn *db, json_object *dbm)
{
	json_object *pre, *post, *tables, *seqs = NULL, *fmt;
	PGresult *res;
	enum px_err rc;
	size_t i;
	int binary = json_object_object_get_ex(dbm, "copy_format", &fmt) &&
		     !strcmp(json_object_get_string(fmt), "binary");

	if (!json_object_object_get_ex(dbm, "pre", &pre) ||
	    !json_object_object_get_ex(dbm, "post", &post) ||
	    !json_object_object_get_ex(dbm, "tables", &tables))
		return PX_E_STORAGE_SHARD_CORRUPT;
	json_object_object_get_ex(dbm, "sequences", &seqs);
	res = PQexec(db, SQL_NONEMPTY);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return sql_fail(db, "inspect target", c->err);
	}
	if (strcmp(PQgetvalue(res, 0, 0), "0") != 0) {
		px_buf_printf(c->err, "target database is not empty (%s relations)",
			      PQgetvalue(res, 0, 0));
		PQclear(res);
		return PX_E_VALIDATION_CONFLICT;
	}
	PQclear(res);
	rc = exec_simple(db, "BEGIN", c->err);
	if (rc == PX_OK)
		rc = run_section(c, db, pre, "schema (pre-data)");
	for (i = 0; rc == PX_OK && i < json_object_array_length(tables); i++)
		rc = load_table(c, db, json_object_array_get_idx(tables, i), binary);
	if (rc == PX_OK)
		rc = set_sequences(c, db, seqs);
	if (rc == PX_OK)
		rc = run_section(c, db, post, "schema (post-data)");
	if (rc == PX_OK)
		rc = exec_simple(db, "COMMIT", c->err);
	else
		PQclear(PQexec(db, "ROLLBACK"));
	return rc;
}

static int rm_one(const char *path, const struct stat *s, int flag, struct FTW *f)
{
	return remove(path) == 0 ? 0 : -1;
}

static int dir_empty_or_absent(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return errno == ENOENT;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

/* Moves staging's top-level entries into dir, then removes staging. */
static enum px_err publish(const char *staging, const char *dir, struct px_buf *err)
{
	DIR *d = opendir(staging);
	struct dirent *e;
	enum px_err rc = PX_OK;

	if (!d)
		return PX_E_STORAGE_FAILED;
	while (rc == PX_OK && (e = readdir(d)) != NULL) {
		struct px_buf from = PX_BUF_INIT, to = PX_BUF_INIT;

		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			px_buf_printf(&from, "%s/%s", staging, e->d_name);
			px_buf_printf(&to, "%s/%s", dir, e->d_name);
			if (from.failed || to.failed || rename(from.data, to.data) != 0) {
				px_buf_printf(err, "rename into %s: %s", dir, strerror(errno));
				rc = PX_E_STORAGE_FAILED;
			}
		}
		px_buf_free(&from);
		px_buf_free(&to);
	}
	closedir(d);
	if (rc == PX_OK)
		rmdir(staging);
	return rc;
}

/* px_bk_files_restored_fn for a remote file store: commits the restored
 * file (staged under the store's tmp/) as the object its path names,
 * checking that its SHA-256 is that name. */
static enum px_err commit_object(void *arg, const char *full, const char *path,
				 struct px_buf *err)
{
	const struct px_st_files *fs = arg;
	char want[65], got[65];
	enum px_err rc;
	int fd;

	/* "objects/ab/<62 hex>" */
	if (strlen(path) != 73 || strncmp(path, "objects/", 8) != 0 || path[10] != '/') {
		unlink(full);
		return PX_OK;   /* not an object: a remote store keeps only objects */
	}
	snprintf(want, sizeof(want), "%.2s%s", path + 8, path + 11);
	fd = open(full, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		px_buf_printf(err, "open %s: %s", full, strerror(errno));
		return PX_E_STORAGE_FAILED;
	}
	rc = px_st_files_commit_fd(fs, fd, full, got, NULL);
	if (rc != PX_OK) {
		px_buf_printf(err, "store object %s in the file store: %s", want,
			      px_st_files_detail_cb((void *)fs));
		return rc;
	}
	if (strcmp(want, got) != 0) {
		px_buf_printf(err, "object %s restored with SHA-256 %s", want, got);
		return PX_E_STORAGE_SHARD_CORRUPT;
	}
	return PX_OK;
}

/* Restores the files into the remote file store fs through a staging
 * folder under its tmp/, removed afterwards. */
static enum px_err restore_remote(struct ctx *c, json_object *files,
				  const struct px_st_files *fs)
{
	struct px_buf dir = PX_BUF_INIT;
	enum px_err rc = PX_E_STORAGE_FAILED;

	/* mkdtemp's template ends in the six Xs it replaces */
	px_buf_printf(&dir, "%s/tmp/restore-", fs->root);
	for (int i = 0; i < 6; i++)
		px_buf_putc(&dir, 'X');
	if (dir.failed || !mkdtemp(dir.data)) {
		px_buf_printf(c->err, "cannot make a staging folder under %s/tmp: %s", fs->root,
			      strerror(errno));
		goto out;
	}
	rc = px_bk_files_restore(c->rd, files, dir.data, &c->st->bytes, commit_object, (void *)fs,
				 c->err);
	if (rc == PX_OK)
		c->st->files = json_object_array_length(files);
	nftw(dir.data, rm_one, 16, FTW_DEPTH | FTW_PHYS);
out:
	px_buf_free(&dir);
	return rc;
}

enum px_err px_bk_restore(struct px_bk_repo *r, json_object *m,
			  const struct px_bk_restore_opts *o,
			  struct px_bk_restore_stats *st, struct px_buf *err)
{
	struct ctx c = { o, st, err, NULL, PX_BUF_INIT };
	struct order order = { NULL, 0, 0, 0 };
	struct px_buf staging = PX_BUF_INIT;
	json_object *dbm = NULL, *files = NULL;
	PGconn *db = NULL;
	size_t missing = 0;
	enum px_err rc;

	memset(st, 0, sizeof(*st));
	rc = px_bk_check_present(r, m, &missing, err);
	if (rc != PX_OK) {
		if (missing > 1)
			px_buf_printf(err, " (and %zu more)", missing - 1);
		goto out;
	}
	json_object_object_get_ex(m, "db", &dbm);
	json_object_object_get_ex(m, "files", &files);
	if (!o->conninfo)
		dbm = NULL;
	if (!o->uploads && !o->file_store)
		files = NULL;
	rc = PX_E_STORAGE_SHARD_CORRUPT;
	if (build_order(files, dbm, &order) != 0) {
		px_buf_puts(err, "malformed shard list in the manifest");
		goto out;
	}
	rc = PX_E_SYSTEM_INTERNAL;
	c.rd = px_bk_reader_new(r, (const unsigned char (*)[32])order.ids, order.n,
				READ_WINDOW);
	if (!c.rd)
		goto out;
	if (files && !o->file_store) {
		if (!dir_empty_or_absent(o->uploads)) {
			px_buf_printf(err, "target folder %s is not empty", o->uploads);
			rc = PX_E_VALIDATION_CONFLICT;
			goto out;
		}
		px_buf_printf(&staging, "%s/" STAGING, o->uploads);
		if (staging.failed || (mkdir(o->uploads, 0750) != 0 && errno != EEXIST) ||
		    mkdir(staging.data, 0700) != 0) {
			px_buf_printf(err, "cannot create %s: %s", staging.data ? staging.data : "",
				      strerror(errno));
			px_buf_reset(&staging);
			rc = PX_E_STORAGE_FAILED;
			goto out;
		}
	}
	if (dbm) {
		db = PQconnectdb(o->conninfo);
		if (PQstatus(db) != CONNECTION_OK) {
			rc = sql_fail(db, "connect to target", err);
			goto out;
		}
	}
	if (staging.len) {
		rc = px_bk_files_restore(c.rd, files, staging.data, &st->bytes, NULL, NULL, err);
		if (rc != PX_OK)
			goto out;
		st->files = json_object_array_length(files);
	} else if (files) {
		/* objects are content-addressed: one restored before a failure
		 * further on is only an orphan (plexichat-admin files cleanup) */
		rc = restore_remote(&c, files, o->file_store);
		if (rc != PX_OK)
			goto out;
	}
	if (db) {
		rc = restore_db(&c, db, dbm);
		if (rc != PX_OK)
			goto out;
	}
	if (staging.len) {
		rc = publish(staging.data, o->uploads, err);
		if (rc == PX_OK)
			px_buf_reset(&staging);
	}
out:
	if (staging.len && staging.data)
		nftw(staging.data, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	PQfinish(db);
	px_bk_reader_free(c.rd);
	free(order.ids);
	px_buf_free(&c.plain);
	px_buf_free(&staging);
	return rc;
}
