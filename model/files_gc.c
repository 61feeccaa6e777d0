/* model/files_gc.c: clean-up and usage of the file store (see
 * files_gc.h). Rows go first, objects after: an object is removed only
 * once the rows naming it are gone, under its lock, so a crash in between
 * leaves at worst an orphan object that the next pass removes, never a
 * row without its bytes. */
#include "model/files_gc.h"
#include "model/files.h"
#include "model/rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct release_args {
	const struct px_m_files_objects *ob;
	const char *hex;
	int removed, busy;
};

static enum px_err release_tx(struct px_db *db, void *arg)
{
	struct release_args *a = arg;
	long long refs = 0;
	int got = 0;
	enum px_err e;

	if ((e = px_m_files_object_lock(db, a->hex, 1, &got)) != PX_OK)
		return e;
	if (!got) {
		a->busy = 1; /* being stored or removed right now: theirs to decide */
		return PX_OK;
	}
	if ((e = px_m_files_object_refs(db, a->hex, &refs)) != PX_OK || refs > 0)
		return e;
	return a->ob->remove(a->ob->store, a->hex, &a->removed);
}

/* As px_m_files_release; *busy gets 1 when the lock was taken elsewhere. */
static enum px_err release(struct px_db *db, const struct px_m_files_objects *ob,
			   const char *hex, int *removed, int *busy)
{
	struct release_args a = { ob, hex, 0, 0 };
	enum px_err e = px_db_tx(db, release_tx, &a);

	if (removed)
		*removed = a.removed;
	if (busy)
		*busy = a.busy;
	return e;
}

enum px_err px_m_files_release(struct px_db *db, const struct px_m_files_objects *ob,
			       const char *hex, int *removed)
{
	return release(db, ob, hex, removed, NULL);
}

/* ---- sets of names, sorted for bsearch ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct names {
	PGresult *r;   /* owns the strings */
	char **v;
	size_t n;
};

/* The first column of a statement's rows, sorted. */
static enum px_err names_load(struct px_db *db, const char *name, const char *sql,
			      struct names *s)
{
	enum px_err e = px_db_exec_prepared(db, name, sql, 0, NULL, &s->r);
	size_t i;

	if (e != PX_OK)
		return e;
	s->n = (size_t)PQntuples(s->r);
	s->v = calloc(s->n ? s->n : 1, sizeof(*s->v));
	if (!s->v)
		return PX_E_SYSTEM_INTERNAL;
	for (i = 0; i < s->n; i++)
		s->v[i] = PQgetvalue(s->r, (int)i, 0);
	qsort(s->v, s->n, sizeof(*s->v), cmp_str);
	return PX_OK;
}

static int names_has(const struct names *s, const char *x)
{
	return s->n && bsearch(&x, s->v, s->n, sizeof(*s->v), cmp_str) != NULL;
}

static void names_free(struct names *s)
{
	PQclear(s->r);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- the steps ---- */

/* Runs sql (no parameters) and adds each row's columns 0 and 1 to *n and
 * *bytes; col_path (>= 0) names a temporary file to remove. */
static enum px_err rows_step(struct px_db *db, const struct px_m_files_objects *ob, const char *name,
			     const char *sql, int col_path, long long *n, long long *bytes)
{
	PGresult *r = NULL;
	enum px_err e = px_db_exec_prepared(db, name, sql, 0, NULL, &r);
	int i;

	if (e != PX_OK)
		return e;
	for (i = 0; i < PQntuples(r); i++) {
		*n += atoll(PQgetvalue(r, i, 0));
		*bytes += atoll(PQgetvalue(r, i, 1));
		if (col_path >= 0 && ob->is_tmp(ob->store, PQgetvalue(r, i, col_path)))
			unlink(PQgetvalue(r, i, col_path));
	}
	PQclear(r);
	return PX_OK;
}

static enum px_err expired_uploads(struct px_db *db, const struct px_m_files_objects *ob, int dry,
				   struct px_m_files_gc_stats *s)
{
	if (dry)
		return rows_step(db, ob, "files_gc_uploads_count",
			"SELECT count(*), coalesce(sum(received), 0) FROM uploads WHERE expires_at < now()",
			-1, &s->uploads_expired, &s->uploads_bytes);
	return rows_step(db, ob, "files_gc_uploads",
		"DELETE FROM uploads WHERE expires_at < now() RETURNING 1, received, temp_path",
		2, &s->uploads_expired, &s->uploads_bytes);
}

struct tmp_walk {
	const struct names *live;
	time_t before;
	int dry;
	struct px_m_files_gc_stats *s;
};

static int on_tmp(void *arg, const char *path, uint64_t size, time_t mtime)
{
	struct tmp_walk *w = arg;

	/* a file still being written has a fresh mtime; a session's is named */
	if (mtime >= w->before || names_has(w->live, path))
		return 0;
	if (w->dry || unlink(path) == 0) {
		w->s->tmp_removed++;
		w->s->tmp_bytes += (long long)size;
	}
	return 0;
}

static enum px_err stale_tmp(struct px_db *db, const struct px_m_files_objects *ob,
			     const struct px_m_files_gc_opts *o, struct px_m_files_gc_stats *s)
{
	struct names live = { 0 };
	struct tmp_walk w = { &live, time(NULL) - o->tmp_age, o->dry_run, s };
	enum px_err e = names_load(db, "files_gc_live_tmp", "SELECT temp_path FROM uploads", &live);

	if (e == PX_OK && ob->list_tmp(ob->store, on_tmp, &w) != 0)
		e = PX_OK; /* no tmp/ yet: nothing is stale */
	names_free(&live);
	return e;
}

/* Releases each distinct object named in column 0 of r. */
static void release_all(struct px_db *db, const struct px_m_files_objects *ob, PGresult *r,
			struct px_m_files_gc_stats *s)
{
	int i, removed, busy;

	for (i = 0; i < PQntuples(r); i++) {
		if (i > 0 && strcmp(PQgetvalue(r, i, 0), PQgetvalue(r, i - 1, 0)) == 0)
			continue;
		if (release(db, ob, PQgetvalue(r, i, 0), &removed, &busy) == PX_OK && removed) {
			s->objects_removed++;
			s->objects_bytes += atoll(PQgetvalue(r, i, 1));
		}
		s->objects_busy += busy;
	}
}

static enum px_err retention(struct px_db *db, const struct px_m_files_objects *ob, int dry,
			     struct px_m_files_gc_stats *s)
{
	PGresult *r = NULL;
	enum px_err e;

	if (dry)
		return rows_step(db, ob, "files_gc_retention_count",
			"SELECT count(*), coalesce(sum(f.size), 0) FROM files f JOIN channels c"
			" ON c.id = f.channel_id WHERE c.files_retention_days IS NOT NULL"
			" AND f.state <> 'deleted'"
			" AND f.created_at < now() - make_interval(days => c.files_retention_days)",
			-1, &s->retention_files, &s->retention_bytes);
	e = px_db_exec_prepared(db, "files_gc_retention",
		"WITH gone AS (DELETE FROM files f USING channels c WHERE c.id = f.channel_id"
		"  AND c.files_retention_days IS NOT NULL AND f.state <> 'deleted'"
		"  AND f.created_at < now() - make_interval(days => c.files_retention_days)"
		"  RETURNING f.sha256, f.size)"
		" SELECT sha256, max(size), count(*), sum(size) FROM gone GROUP BY sha256 ORDER BY sha256",
		0, NULL, &r);
	if (e != PX_OK)
		return e;
	for (int i = 0; i < PQntuples(r); i++) {
		s->retention_files += atoll(PQgetvalue(r, i, 2));
		s->retention_bytes += atoll(PQgetvalue(r, i, 3));
	}
	release_all(db, ob, r, s);
	PQclear(r);
	return PX_OK;
}

static enum px_err deleted_rows(struct px_db *db, const struct px_m_files_objects *ob, int dry,
				struct px_m_files_gc_stats *s)
{
	PGresult *r = NULL;
	long long unused = 0;
	enum px_err e;

	if (dry)
		return rows_step(db, ob, "files_gc_deleted_count",
			"SELECT count(*), 0 FROM files WHERE state = 'deleted'", -1,
			&s->deleted_rows, &unused);
	e = px_db_exec_prepared(db, "files_gc_deleted",
		"WITH gone AS (DELETE FROM files WHERE state = 'deleted' RETURNING sha256, size)"
		" SELECT sha256, max(size), count(*) FROM gone GROUP BY sha256 ORDER BY sha256",
		0, NULL, &r);
	if (e != PX_OK)
		return e;
	for (int i = 0; i < PQntuples(r); i++)
		s->deleted_rows += atoll(PQgetvalue(r, i, 2));
	release_all(db, ob, r, s);
	PQclear(r);
	return PX_OK;
}

/* Every object a row names: originals, the derivatives of images and
 * avatars (sql/106_images.sql). */
#define OBJECT_REFS                                                          \
	"SELECT sha256 FROM files WHERE state <> 'deleted'"                  \
	" UNION SELECT clean FROM file_images UNION SELECT thumb FROM file_images" \
	" UNION SELECT preview FROM file_images"                             \
	" UNION SELECT large FROM user_avatars UNION SELECT small FROM user_avatars"

/* The derivatives of originals no live file names any more: their rows
 * go here, their objects in the orphan walk that follows. */
static enum px_err gone_images(struct px_db *db, int dry, struct px_m_files_gc_stats *s)
{
	long long unused = 0;

	if (dry)
		return rows_step(db, NULL, "files_gc_images_count",
			"SELECT count(*), 0 FROM file_images i WHERE NOT EXISTS"
			" (SELECT 1 FROM files f WHERE f.sha256 = i.sha256 AND f.state <> 'deleted')",
			-1, &s->image_rows, &unused);
	return rows_step(db, NULL, "files_gc_images",
		"WITH gone AS (DELETE FROM file_images i WHERE NOT EXISTS"
		" (SELECT 1 FROM files f WHERE f.sha256 = i.sha256 AND f.state <> 'deleted')"
		" RETURNING 1) SELECT count(*), 0 FROM gone",
		-1, &s->image_rows, &unused);
}

struct orphan_walk {
	struct px_db *db;
	const struct px_m_files_objects *ob;
	const struct names *refs;
	int dry;
	struct px_m_files_gc_stats *s;
};

static int on_object(void *arg, const char *hex, uint64_t size, time_t mtime)
{
	struct orphan_walk *w = arg;
	int removed = 0, busy = 0;

	(void)mtime;
	w->s->objects_checked++;
	if (names_has(w->refs, hex))
		return 0;
	if (w->dry) {
		removed = 1;
	} else if (release(w->db, w->ob, hex, &removed, &busy) != PX_OK) {
		removed = 0;
	}
	w->s->objects_busy += busy;
	if (removed) {
		w->s->objects_removed++;
		w->s->objects_bytes += (long long)size;
	}
	return 0;
}

static enum px_err orphans(struct px_db *db, const struct px_m_files_objects *ob, int dry,
			   struct px_m_files_gc_stats *s, struct px_buf *err)
{
	struct names refs = { 0 };
	struct orphan_walk w = { db, ob, &refs, dry, s };
	enum px_err e = names_load(db, "files_gc_refs", OBJECT_REFS, &refs);

	if (e == PX_OK && (e = ob->list(ob->store, on_object, &w)) != PX_OK)
		px_buf_printf(err, "cannot list the file store: %s",
			      *ob->detail(ob->store) ? ob->detail(ob->store) : "unreadable objects folder");
	names_free(&refs);
	return e;
}

enum px_err px_m_files_cleanup(struct px_db *db, const struct px_m_files_objects *ob,
			       const struct px_m_files_gc_opts *o,
			       struct px_m_files_gc_stats *s, struct px_buf *err)
{
	enum px_err e;

	memset(s, 0, sizeof(*s));
	if ((e = expired_uploads(db, ob, o->dry_run, s)) != PX_OK ||
	    (e = stale_tmp(db, ob, o, s)) != PX_OK ||
	    (e = retention(db, ob, o->dry_run, s)) != PX_OK ||
	    (e = deleted_rows(db, ob, o->dry_run, s)) != PX_OK ||
	    (e = gone_images(db, o->dry_run, s)) != PX_OK)
		return e;
	return orphans(db, ob, o->dry_run, s, err);
}

/* ---- re-thumbnail ---- */

enum px_err px_m_files_rethumb(struct px_db *db, const struct px_m_files_objects *ob,
			       const char *sha256, int dry, struct px_m_files_gc_stats *s)
{
	const char *p[1] = { sha256 };
	PGresult *r = NULL;
	enum px_err e;
	int removed, busy;

	if (dry) {
		e = px_db_exec_prepared(db, "files_rethumb_count",
			"SELECT count(*) FROM file_images WHERE $1::text IS NULL OR sha256 = $1", 1, p, &r);
		if (e == PX_OK)
			s->image_rows += atoll(PQgetvalue(r, 0, 0));
		PQclear(r);
		return e;
	}
	/* rows first: a view meanwhile finds none and derives again */
	e = px_db_exec_prepared(db, "files_rethumb",
		"DELETE FROM file_images WHERE $1::text IS NULL OR sha256 = $1"
		" RETURNING clean, thumb, preview", 1, p, &r);
	if (e != PX_OK)
		return e;
	s->image_rows += PQntuples(r);
	for (int i = 0; i < PQntuples(r); i++)
		for (int c = 0; c < 3; c++) {
			removed = busy = 0;
			if (release(db, ob, PQgetvalue(r, i, c), &removed, &busy) == PX_OK && removed)
				s->objects_removed++;
			s->objects_busy += busy;
		}
	PQclear(r);
	return PX_OK;
}

/* ---- usage ---- */

#define USAGE_TOTALS                                                                     \
	"jsonb_build_object("                                                            \
	" 'files', (SELECT count(*) FROM files WHERE state = 'ready'),"                  \
	" 'bytes', (SELECT coalesce(sum(size), 0) FROM files WHERE state = 'ready'),"    \
	" 'quarantined', (SELECT count(*) FROM files WHERE state = 'quarantined'),"      \
	" 'objects', (SELECT count(DISTINCT sha256) FROM files WHERE state <> 'deleted')," \
	" 'stored_bytes', (SELECT coalesce(sum(size), 0) FROM (SELECT DISTINCT ON (sha256) size" \
	"  FROM files WHERE state <> 'deleted') d),"                                     \
	" 'uploads', (SELECT count(*) FROM uploads),"                                    \
	" 'upload_bytes', (SELECT coalesce(sum(received), 0) FROM uploads))"

enum px_err px_m_files_usage_json(struct px_db *db, enum px_m_files_by by, int limit,
				  struct px_buf *out)
{
	char l[PX_M_LL];
	const char *p[1] = { px_m_ll(l, limit) };

	if (by == PX_M_FILES_BY_USER)
		return px_m_json_row(db, "files_usage_users",
			"SELECT " USAGE_TOTALS " || jsonb_build_object('users',"
			" (SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.bytes DESC, x.id), '[]') FROM"
			"  (SELECT u.id, u.username::text AS username, count(f.id) AS files,"
			"   coalesce(sum(f.size), 0) AS bytes, q.bytes AS quota"
			"   FROM users u JOIN files f ON f.owner_id = u.id AND f.state <> 'deleted'"
			"   LEFT JOIN file_quotas q ON q.user_id = u.id"
			"   GROUP BY u.id, q.bytes ORDER BY bytes DESC, u.id LIMIT $1::int) x))",
			1, p, out);
	if (by == PX_M_FILES_BY_CHANNEL)
		return px_m_json_row(db, "files_usage_channels",
			"SELECT " USAGE_TOTALS " || jsonb_build_object('channels',"
			" (SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.bytes DESC, x.id), '[]') FROM"
			"  (SELECT c.id, c.name::text AS name, c.kind, count(f.id) AS files,"
			"   coalesce(sum(f.size), 0) AS bytes, c.files_retention_days"
			"   FROM channels c JOIN files f ON f.channel_id = c.id AND f.state <> 'deleted'"
			"   GROUP BY c.id ORDER BY bytes DESC, c.id LIMIT $1::int) x))",
			1, p, out);
	return px_m_json_row(db, "files_usage", "SELECT " USAGE_TOTALS " WHERE $1::int > 0", 1, p,
			     out);
}
