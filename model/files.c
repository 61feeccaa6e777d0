/* model/files.c: statements on files, uploads and message_files. Only
 * rows in state 'ready' are ever returned to callers. */
#include "model/files.h"
#include "model/channels.h"
#include "model/rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum px_err px_m_files_insert(struct px_db *db, const struct px_m_file_new *f,
			      struct px_buf *out)
{
	char o[PX_M_LL], c[PX_M_LL], s[PX_M_LL], w[PX_M_LL], h[PX_M_LL];
	const char *p[9] = { px_m_ll(o, f->owner), f->channel ? px_m_ll(c, f->channel) : NULL,
			     f->name, f->declared, f->detected, px_m_ll(s, f->size), f->sha256,
			     f->width > 0 ? px_m_ll(w, f->width) : NULL,
			     f->height > 0 ? px_m_ll(h, f->height) : NULL };

	return px_m_json_row(db, "files_insert",
		"INSERT INTO files (owner_id, channel_id, name, declared_type, detected_type,"
		" size, sha256, width, height) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
		" RETURNING px_file_json(files)::text", 9, p, out);
}

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* The columns FILE_COLS lists, of r's first row, into *f. */
static void read_file(const PGresult *r, struct px_m_file *f)
{
	f->id = atoll(PQgetvalue(r, 0, 0));
	f->owner = atoll(PQgetvalue(r, 0, 1));
	f->channel = atoll(PQgetvalue(r, 0, 2));
	copy(f->name, sizeof(f->name), PQgetvalue(r, 0, 3));
	copy(f->detected, sizeof(f->detected), PQgetvalue(r, 0, 4));
	copy(f->sha256, sizeof(f->sha256), PQgetvalue(r, 0, 5));
	f->size = atoll(PQgetvalue(r, 0, 6));
	f->mtime = atoll(PQgetvalue(r, 0, 7));
	f->unreachable = PQgetvalue(r, 0, 8)[0] == 't';
	f->clean[0] = f->thumb[0] = f->preview[0] = '\0';
}

/* What read_file reads; each statement adds its own columns after it. */
#define FILE_COLS                                                                        \
	"SELECT f.id, coalesce(f.owner_id, 0), coalesce(f.channel_id, 0), f.name,"        \
	" f.detected_type, f.sha256, f.size, floor(extract(epoch FROM f.created_at))::bigint,"   \
	" EXISTS (SELECT 1 FROM message_files mf JOIN messages m ON m.id = mf.message_id" \
	"  WHERE mf.file_id = f.id AND m.deleted_at IS NOT NULL),"

enum px_err px_m_files_get_as(struct px_db *db, long long id, long long user,
			      struct px_m_file *f, struct px_buf *json,
			      struct px_chan_access *a)
{
	char i[PX_M_LL], u[PX_M_LL];
	const char *p[2] = { px_m_ll(i, id), px_m_ll(u, user) };
	PGresult *r = NULL;
	enum px_err e;

	/* one round trip: the file, and the reader's standing in its channel */
	e = px_m_one_row(db, "files_get_as",
		FILE_COLS " px_file_json(f)::text, " PX_CHAN_STANDING_COLS ","
		" coalesce(fi.clean, ''), coalesce(fi.thumb, ''), coalesce(fi.preview, '')"
		" FROM files f CROSS JOIN LATERAL (SELECT f.channel_id AS chan, $2::bigint AS usr) sc"
		PX_CHAN_STANDING_JOINS
		" LEFT JOIN file_images fi ON fi.sha256 = f.sha256"
		" WHERE f.id = $1 AND f.state = 'ready'", 2, p, &r);
	if (e != PX_OK)
		return e;
	read_file(r, f);
	if (json)
		px_buf_append(json, PQgetvalue(r, 0, 9), (size_t)PQgetlength(r, 0, 9));
	if (a)
		px_chan_standing_read(r, 10, a); /* zero when there is no channel */
	copy(f->clean, sizeof(f->clean), PQgetvalue(r, 0, 15));
	copy(f->thumb, sizeof(f->thumb), PQgetvalue(r, 0, 16));
	copy(f->preview, sizeof(f->preview), PQgetvalue(r, 0, 17));
	PQclear(r);
	return json && json->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}

enum px_err px_m_files_get(struct px_db *db, long long id, struct px_m_file *f,
			   struct px_buf *json)
{
	return px_m_files_get_as(db, id, 0, f, json, NULL);
}

enum px_err px_m_files_list(struct px_db *db, long long channel, long long before,
			    int limit, struct px_buf *out)
{
	char c[PX_M_LL], b[PX_M_LL], l[PX_M_LL];
	const char *p[3] = { px_m_ll(c, channel), before ? px_m_ll(b, before) : NULL,
			     px_m_ll(l, limit) };

	/* files carried by deleted messages are unreachable, so not listed */
	return px_m_json_row(db, "files_list",
		"SELECT json_build_object('files', coalesce(json_agg(x.j ORDER BY x.id DESC)"
		"  FILTER (WHERE x.rn <= $3::int), '[]'),"
		" 'has_more', count(*) > $3::int,"
		" 'next_before', CASE WHEN count(*) > $3::int THEN min(x.id) FILTER (WHERE x.rn <= $3::int) END)::text"
		" FROM (SELECT f.id, row_number() OVER (ORDER BY f.id DESC) AS rn,"
		"  (px_file_json(f)::jsonb || jsonb_build_object("
		"   'uploader', CASE WHEN u.id IS NULL THEN NULL ELSE jsonb_build_object('id', u.id,"
		"    'username', u.username, 'display_name', u.display_name) END,"
		"   'message_id', m.id, 'thread_root_id', m.thread_root_id))::json AS j"
		"  FROM files f LEFT JOIN users u ON u.id = f.owner_id"
		"  LEFT JOIN message_files mf ON mf.file_id = f.id"
		"  LEFT JOIN messages m ON m.id = mf.message_id"
		"  WHERE f.channel_id = $1 AND f.state = 'ready' AND ($2::bigint IS NULL OR f.id < $2)"
		"  AND m.deleted_at IS NULL"
		"  ORDER BY f.id DESC LIMIT $3::int + 1) x",
		3, p, out);
}

enum px_err px_m_files_delete(struct px_db *db, long long id)
{
	char i[PX_M_LL];
	const char *p[1] = { px_m_ll(i, id) };
	long rows = 0;
	enum px_err e = px_m_exec_rows(db, "files_delete",
		"UPDATE files SET state = 'deleted', deleted_at = now()"
		" WHERE id = $1 AND state = 'ready'", 1, p, &rows);

	return e == PX_OK && rows == 0 ? PX_E_VALIDATION_NOT_FOUND : e;
}

enum px_err px_m_files_usage(struct px_db *db, long long owner, long long *user,
			     long long *total)
{
	long long quota;

	return px_m_files_usage_quota(db, owner, user, total, &quota);
}

enum px_err px_m_files_attach(struct px_db *db, long long message, long long channel,
			      long long author, const char *ids, int count)
{
	char m[PX_M_LL], c[PX_M_LL], a[PX_M_LL], n[PX_M_LL];
	const char *p[5] = { px_m_ll(m, message), px_m_ll(c, channel), px_m_ll(a, author), ids,
			     px_m_ll(n, count) };
	long rows = 0;
	enum px_err e;

	e = px_m_exec_rows(db, "files_attach",
		"WITH want AS (SELECT x.id, x.pos FROM unnest(string_to_array($4, ',')::bigint[])"
		"  WITH ORDINALITY AS x(id, pos)),"
		" moved AS (UPDATE files f SET channel_id = $2 FROM want w"
		"  WHERE f.id = w.id AND f.owner_id = $3 AND f.channel_id IS NULL AND f.state = 'ready'"
		"  RETURNING f.id, w.pos)"
		" INSERT INTO message_files (message_id, file_id, position)"
		" SELECT $1, id, pos FROM moved WHERE (SELECT count(*) FROM moved) = $5::int",
		5, p, &rows);
	if (e == PX_OK && rows != count)
		return PX_E_FILES_NOT_DRAFT; /* the caller's transaction rolls back */
	if (e != PX_OK)
		return e;
	/* the message.created event was stored before its files were attached;
	 * only its id is notified (at commit), so readers get this version */
	return px_m_exec_rows(db, "files_attach_event",
		"UPDATE events e SET data = px_message_json(m) FROM messages m"
		" WHERE m.id = $1::bigint AND e.kind = 'message.created'"
		" AND e.data->>'id' = $1::text AND e.channel_id = m.channel_id", 1, p, NULL);
}

enum px_err px_m_uploads_create(struct px_db *db, const struct px_m_upload *u, long ttl,
				long long *id)
{
	char o[PX_M_LL], c[PX_M_LL], s[PX_M_LL], t[PX_M_LL];
	const char *p[8] = { u->token, px_m_ll(o, u->owner),
			     u->channel ? px_m_ll(c, u->channel) : NULL, u->name, u->declared,
			     px_m_ll(s, u->size), u->temp_path, px_m_ll(t, ttl) };
	struct px_buf out = PX_BUF_INIT;
	enum px_err e;

	e = px_m_json_row(db, "uploads_create",
		"INSERT INTO uploads (token, owner_id, channel_id, name, declared_type, size,"
		" temp_path, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7,"
		" now() + make_interval(secs => $8::int)) RETURNING id::text", 8, p, &out);
	if (e == PX_OK)
		*id = atoll(out.data);
	px_buf_free(&out);
	return e;
}

enum px_err px_m_uploads_get(struct px_db *db, long long id, long long owner,
			     struct px_m_upload *u)
{
	char i[PX_M_LL], o[PX_M_LL];
	const char *p[2] = { px_m_ll(i, id), px_m_ll(o, owner) };
	PGresult *r = NULL;
	enum px_err e;

	e = px_m_one_row(db, "uploads_get",
		"SELECT id, owner_id, coalesce(channel_id, 0), token, name, declared_type, size,"
		" received, temp_path FROM uploads WHERE id = $1 AND owner_id = $2"
		" AND expires_at > now()", 2, p, &r);
	if (e != PX_OK)
		return e;
	u->id = atoll(PQgetvalue(r, 0, 0));
	u->owner = atoll(PQgetvalue(r, 0, 1));
	u->channel = atoll(PQgetvalue(r, 0, 2));
	copy(u->token, sizeof(u->token), PQgetvalue(r, 0, 3));
	copy(u->name, sizeof(u->name), PQgetvalue(r, 0, 4));
	copy(u->declared, sizeof(u->declared), PQgetvalue(r, 0, 5));
	u->size = atoll(PQgetvalue(r, 0, 6));
	u->received = atoll(PQgetvalue(r, 0, 7));
	copy(u->temp_path, sizeof(u->temp_path), PQgetvalue(r, 0, 8));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_uploads_advance(struct px_db *db, long long id, long long from, long long to)
{
	char i[PX_M_LL], f[PX_M_LL], t[PX_M_LL];
	const char *p[3] = { px_m_ll(i, id), px_m_ll(f, from), px_m_ll(t, to) };
	long rows = 0;
	enum px_err e = px_m_exec_rows(db, "uploads_advance",
		"UPDATE uploads SET received = $3 WHERE id = $1 AND received = $2", 3, p, &rows);

	return e == PX_OK && rows == 0 ? PX_E_VALIDATION_CONFLICT : e;
}

enum px_err px_m_uploads_delete(struct px_db *db, long long id)
{
	char i[PX_M_LL];
	const char *p[1] = { px_m_ll(i, id) };

	return px_m_exec_rows(db, "uploads_delete", "DELETE FROM uploads WHERE id = $1", 1, p,
			      NULL);
}

/* ---- the file store's upkeep ---------------------------------------- */

enum px_err px_m_files_usage_quota(struct px_db *db, long long owner, long long *user,
				   long long *total, long long *quota)
{
	char o[PX_M_LL];
	const char *p[1] = { px_m_ll(o, owner) };
	PGresult *r = NULL;
	enum px_err e;

	e = px_m_one_row(db, "files_usage_quota",
		"SELECT (SELECT coalesce(sum(size), 0) FROM files WHERE owner_id = $1 AND state <> 'deleted')"
		" + (SELECT coalesce(sum(size), 0) FROM uploads WHERE owner_id = $1),"
		" (SELECT coalesce(sum(size), 0) FROM files WHERE state <> 'deleted')"
		" + (SELECT coalesce(sum(size), 0) FROM uploads),"
		" coalesce((SELECT bytes FROM file_quotas WHERE user_id = $1), -1)", 1, p, &r);
	if (e != PX_OK)
		return e;
	*user = atoll(PQgetvalue(r, 0, 0));
	*total = atoll(PQgetvalue(r, 0, 1));
	*quota = atoll(PQgetvalue(r, 0, 2));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_files_quota_set(struct px_db *db, long long user, long long bytes)
{
	char u[PX_M_LL], b[PX_M_LL];
	const char *p[2] = { px_m_ll(u, user), px_m_ll(b, bytes) };
	long rows = 0;
	enum px_err e;

	if (bytes < 0)
		return px_m_exec_rows(db, "files_quota_clear",
				      "DELETE FROM file_quotas WHERE user_id = $1", 1, p, NULL);
	e = px_m_exec_rows(db, "files_quota_set",
		"INSERT INTO file_quotas (user_id, bytes) SELECT id, $2 FROM users WHERE id = $1"
		" ON CONFLICT (user_id) DO UPDATE SET bytes = EXCLUDED.bytes, updated_at = now()",
		2, p, &rows);
	return e == PX_OK && rows == 0 ? PX_E_VALIDATION_NOT_FOUND : e;
}

enum px_err px_m_files_get_any(struct px_db *db, long long id, struct px_m_file *f,
			       char state[16])
{
	char i[PX_M_LL];
	const char *p[1] = { px_m_ll(i, id) };
	PGresult *r = NULL;
	enum px_err e;

	e = px_m_one_row(db, "files_get_any",
		FILE_COLS " f.state"
		" FROM files f WHERE f.id = $1 AND f.state <> 'deleted'", 1, p, &r);
	if (e != PX_OK)
		return e;
	read_file(r, f);
	copy(state, 16, PQgetvalue(r, 0, 9));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_files_quarantine(struct px_db *db, long long id, const char *note)
{
	char i[PX_M_LL];
	const char *p[2] = { px_m_ll(i, id), note ? note : "" };

	return px_m_exec_rows(db, "files_quarantine",
		"UPDATE files SET state = 'quarantined', scan_note = $2 WHERE id = $1", 2, p, NULL);
}

enum px_err px_m_files_retention_set(struct px_db *db, long long channel, int days)
{
	char c[PX_M_LL], d[PX_M_LL];
	const char *p[2] = { px_m_ll(c, channel), days > 0 ? px_m_ll(d, days) : NULL };
	long rows = 0;
	enum px_err e = px_m_exec_rows(db, "files_retention_set",
		"UPDATE channels SET files_retention_days = $2::int WHERE id = $1", 2, p, &rows);

	return e == PX_OK && rows == 0 ? PX_E_VALIDATION_NOT_FOUND : e;
}

/* The lock's two keys: 'pxfs' and the object name's first 32 bits. */
#define OBJECT_LOCK_KEYS "1886939763, ('x' || substr($1, 1, 8))::bit(32)::int"

enum px_err px_m_files_object_lock(struct px_db *db, const char *hex, int try_only, int *got)
{
	const char *p[1] = { hex };
	PGresult *r = NULL;
	enum px_err e;

	if (try_only)
		e = px_db_exec_prepared(db, "files_obj_trylock",
			"SELECT pg_try_advisory_xact_lock(" OBJECT_LOCK_KEYS ")", 1, p, &r);
	else
		e = px_db_exec_prepared(db, "files_obj_lock",
			"SELECT pg_advisory_xact_lock(" OBJECT_LOCK_KEYS ")", 1, p, &r);
	if (e != PX_OK)
		return e;
	if (got)
		*got = try_only ? PQgetvalue(r, 0, 0)[0] == 't' : 1;
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_files_object_refs(struct px_db *db, const char *hex, long long *n)
{
	const char *p[1] = { hex };
	PGresult *r = NULL;
	enum px_err e;

	/* derivatives of images and avatars are objects no files row names */
	e = px_db_exec_prepared(db, "files_obj_refs",
		"SELECT (SELECT count(*) FROM files WHERE sha256 = $1 AND state <> 'deleted')"
		" + (SELECT count(*) FROM file_images WHERE clean = $1 OR thumb = $1 OR preview = $1)"
		" + (SELECT count(*) FROM user_avatars WHERE large = $1 OR small = $1)", 1, p, &r);
	if (e != PX_OK)
		return e;
	*n = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return PX_OK;
}
