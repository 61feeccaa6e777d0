/* model/imports.c: import_map look-ups and the batched history inserts
 * (sql/131 holds the functions that do the work in one statement each). */
#include "model/imports.h"
#include "model/rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int px_m_import_lookup(struct px_db *db, const char *source, const char *kind,
		       const char *sid, long long *id)
{
	const char *p[3] = { source, kind, sid };
	PGresult *r = NULL;
	int found;

	if (px_db_exec_prepared(db, "import_lookup",
		"SELECT target_id FROM import_map WHERE source = $1 AND kind = $2"
		" AND source_id = $3", 3, p, &r) != PX_OK)
		return -1;
	found = PQntuples(r) == 1;
	if (found)
		*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return found;
}

enum px_err px_m_import_map(struct px_db *db, const char *source, const char *kind,
			    const char *sid, long long id)
{
	char i[PX_M_LL];
	const char *p[4] = { source, kind, sid, px_m_ll(i, id) };

	return px_db_exec(db, "INSERT INTO import_map (source, kind, source_id, target_id)"
			  " VALUES ($1, $2, $3, $4)", 4, p, NULL);
}

long long px_m_import_user_by_email(struct px_db *db, const char *email)
{
	const char *p[1] = { email };
	PGresult *r = NULL;
	long long id = 0;

	if (px_db_exec(db, "SELECT id FROM users WHERE lower(email) = lower($1)"
		       " ORDER BY id LIMIT 1", 1, p, &r) != PX_OK)
		return -1;
	if (PQntuples(r) == 1)
		id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return id;
}

enum px_err px_m_import_channel(struct px_db *db, const struct px_m_import_channel *c,
				long long *id)
{
	char cr[PX_M_LL];
	const char *p[10] = { c->source, c->sid, c->kind, c->name, c->topic ? c->topic : "",
			      c->created_at, c->archived_at,
			      c->creator ? px_m_ll(cr, c->creator) : NULL, c->members };
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec(db,
		"WITH c AS (INSERT INTO channels (kind, name, topic, created_by, created_at,"
		"  archived_at) VALUES ($3, $4, $5, $8, $6::timestamptz, $7::timestamptz)"
		"  RETURNING id),"
		" m AS (INSERT INTO channel_members (channel_id, user_id, role, joined_at)"
		"  SELECT c.id, u.id, CASE WHEN u.id = $8 THEN 'owner' ELSE 'member' END,"
		"         $6::timestamptz"
		"  FROM c, (SELECT DISTINCT x::bigint AS id FROM"
		"   unnest(string_to_array(nullif($9, ''), E'\\n')) x) u"
		"  WHERE EXISTS (SELECT 1 FROM users WHERE users.id = u.id)"
		"  ON CONFLICT DO NOTHING),"
		" k AS (INSERT INTO import_map (source, kind, source_id, target_id)"
		"  SELECT $1, 'channel', $2, c.id FROM c)"
		" SELECT id FROM c", 9, p, &r);
	if (e != PX_OK)
		return e;
	*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_import_direct(struct px_db *db, const struct px_m_import_direct *d,
			       long long *id, int *created)
{
	char cr[PX_M_LL], key[2 * PX_M_LL + 2];
	const char *p[8] = { d->source, d->sid, d->kind, d->topic ? d->topic : "",
			     d->creator ? px_m_ll(cr, d->creator) : NULL, d->created_at,
			     NULL, d->members };
	PGresult *r = NULL;
	enum px_err e;

	if (strcmp(d->kind, "dm") == 0) {
		snprintf(key, sizeof(key), "%lld:%lld", d->low, d->high);
		p[6] = key;
	}
	e = px_db_exec_prepared(db, "import_direct",
		"WITH ins AS (INSERT INTO channels (kind, topic, created_by, created_at, dm_key)"
		"  VALUES ($3, $4, $5::bigint, $6::timestamptz, $7)"
		"  ON CONFLICT (dm_key) DO NOTHING RETURNING id),"
		" c AS (SELECT id, true AS made FROM ins UNION ALL"
		"  SELECT id, false FROM channels WHERE dm_key = $7"
		"   AND NOT EXISTS (SELECT 1 FROM ins)),"
		" m AS (INSERT INTO channel_members (channel_id, user_id, role, joined_at)"
		"  SELECT c.id, u.id, CASE WHEN $3 = 'group' AND u.id = $5::bigint"
		"   THEN 'owner' ELSE 'member' END, $6::timestamptz"
		"  FROM c, (SELECT DISTINCT x::bigint AS id FROM"
		"   unnest(string_to_array(nullif($8, ''), E'\\n')) x) u"
		"  WHERE EXISTS (SELECT 1 FROM users WHERE users.id = u.id)"
		"  ON CONFLICT DO NOTHING),"
		" k AS (INSERT INTO import_map (source, kind, source_id, target_id)"
		"  SELECT $1, 'channel', $2, c.id FROM c)"
		" SELECT id, made FROM c", 8, p, &r);
	if (e != PX_OK)
		return e;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return PX_E_SYSTEM_INTERNAL;
	}
	*id = atoll(PQgetvalue(r, 0, 0));
	*created = PQgetvalue(r, 0, 1)[0] == 't';
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_import_member(struct px_db *db, long long channel, long long user)
{
	char c[PX_M_LL], u[PX_M_LL];
	const char *p[2] = { px_m_ll(c, channel), px_m_ll(u, user) };

	return px_db_exec(db, "INSERT INTO channel_members (channel_id, user_id) VALUES ($1, $2)"
			  " ON CONFLICT DO NOTHING", 2, p, NULL);
}

/* Appends s as one element of a PostgreSQL array literal being built in
 * a (without its braces): quoted, with '"' and '\' escaped; NULL: NULL. */
static void array_add(struct px_buf *a, const char *s)
{
	px_buf_putc(a, a->len ? ',' : '{');
	if (!s) {
		px_buf_puts(a, "NULL");
		return;
	}
	px_buf_putc(a, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			px_buf_putc(a, '\\');
		px_buf_putc(a, *s);
	}
	px_buf_putc(a, '"');
}

static void array_add_ll(struct px_buf *a, long long v)
{
	char s[PX_M_LL];

	array_add(a, v ? px_m_ll(s, v) : NULL);
}

void px_m_import_batch_add(struct px_m_import_batch *b, const char *sid, long long author,
			   const char *body, const char *html, const char *created,
			   const char *root)
{
	array_add(&b->sids, sid);
	array_add_ll(&b->authors, author);
	array_add(&b->bodies, body);
	array_add(&b->htmls, html);
	array_add(&b->created, created);
	array_add(&b->roots, root);
	b->n++;
}

void px_m_import_batch_react(struct px_m_import_batch *b, const char *sid, long long user,
			     const char *emoji)
{
	array_add(&b->r_sids, sid);
	array_add_ll(&b->r_users, user);
	array_add(&b->r_emoji, emoji);
	b->nreactions++;
}

static void batch_reset(struct px_m_import_batch *b)
{
	struct px_buf *all[] = { &b->sids, &b->authors, &b->bodies, &b->htmls, &b->created,
				 &b->roots, &b->r_sids, &b->r_users, &b->r_emoji };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		px_buf_reset(all[i]);
	b->n = b->nreactions = 0;
}

void px_m_import_batch_free(struct px_m_import_batch *b)
{
	struct px_buf *all[] = { &b->sids, &b->authors, &b->bodies, &b->htmls, &b->created,
				 &b->roots, &b->r_sids, &b->r_users, &b->r_emoji };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		px_buf_free(all[i]);
	b->n = b->nreactions = 0;
}

/* Closes the array literal and returns its text. */
static const char *array_end(struct px_buf *a)
{
	px_buf_puts(a, a->len ? "}" : "{}");
	return a->data;
}

static long count_of(PGresult *r)
{
	long n = atol(PQgetvalue(r, 0, 0));

	PQclear(r);
	return n;
}

enum px_err px_m_import_flush(struct px_db *db, const char *source, long long channel,
			      struct px_m_import_batch *b, long *messages, long *reactions)
{
	char ch[PX_M_LL];
	const char *p[8];
	PGresult *r = NULL;
	enum px_err e = PX_OK;
	int failed = b->sids.failed || b->bodies.failed || b->htmls.failed || b->r_emoji.failed;

	*messages = *reactions = 0;
	if (failed) {
		e = PX_E_SYSTEM_INTERNAL;
		goto out;
	}
	if (b->n) {
		p[0] = source;
		p[1] = px_m_ll(ch, channel);
		p[2] = array_end(&b->sids);
		p[3] = array_end(&b->authors);
		p[4] = array_end(&b->bodies);
		p[5] = array_end(&b->htmls);
		p[6] = array_end(&b->created);
		p[7] = array_end(&b->roots);
		e = px_db_exec_prepared(db, "import_messages",
			"SELECT px_import_messages($1, $2, $3::text[], $4::bigint[], $5::text[],"
			" $6::text[], $7::timestamptz[], $8::text[])", 8, p, &r);
		if (e != PX_OK)
			goto out;
		*messages = count_of(r);
	}
	if (b->nreactions) {
		p[0] = source;
		p[1] = array_end(&b->r_sids);
		p[2] = array_end(&b->r_users);
		p[3] = array_end(&b->r_emoji);
		e = px_db_exec_prepared(db, "import_reactions",
			"SELECT px_import_reactions($1, $2::text[], $3::bigint[], $4::text[])",
			4, p, &r);
		if (e == PX_OK)
			*reactions = count_of(r);
	}
out:
	batch_reset(b);
	return e;
}

int px_m_import_file(struct px_db *db, const struct px_m_import_file *f)
{
	char sz[PX_M_LL], pos[PX_M_LL];
	const char *p[8] = { f->source, f->sid, f->msg_sid, f->name, f->detected,
			     px_m_ll(sz, f->size), f->sha256, px_m_ll(pos, f->position) };
	PGresult *r = NULL;
	int n;

	if (px_db_exec_prepared(db, "import_file",
		/* plexichat.import for this transaction: an imported file is
		 * history, not news (no file.* events, sql/165) */
		"WITH m AS (SELECT x.id, x.channel_id, x.author_id, x.created_at"
		"   FROM import_map k JOIN messages x ON x.id = k.target_id"
		"   CROSS JOIN (SELECT set_config('plexichat.import', 'on', true)) AS s"
		"  WHERE k.source = $1 AND k.kind = 'message' AND k.source_id = $3),"
		" f AS (INSERT INTO files (owner_id, channel_id, name, declared_type,"
		"   detected_type, size, sha256, created_at)"
		"  SELECT m.author_id, m.channel_id, $4, '', $5, $6::bigint, $7, m.created_at"
		"   FROM m RETURNING id),"
		" a AS (INSERT INTO message_files (message_id, file_id, position)"
		"  SELECT m.id, f.id, $8::integer FROM m, f),"
		" k AS (INSERT INTO import_map (source, kind, source_id, target_id)"
		"  SELECT $1, 'file', $2, f.id FROM f)"
		" SELECT count(*) FROM f", 8, p, &r) != PX_OK)
		return -1;
	n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n > 0;
}

enum px_err px_m_import_threads(struct px_db *db, const char *source, long *orphans)
{
	const char *p[1] = { source };
	PGresult *r = NULL;
	enum px_err e;

	e = px_db_exec(db, "SELECT px_import_threads($1)", 1, p, &r);
	if (e == PX_OK)
		*orphans = count_of(r);
	return e;
}

/* sql/021's search indexes: the same definitions (test_import_speed
 * compares pg_indexes before and after a deferred import). */
static const struct {
	const char *name, *create;
} search_indexes[] = {
	{ "messages_tsv", "CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_tsv ON messages"
			  " USING gin (tsv) WITH (fastupdate = off)" },
	{ "messages_trgm", "CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_trgm ON messages"
			   " USING gin (body gin_trgm_ops) WITH (gin_pending_list_limit = 512)" },
};

/* 1 when index name exists and is valid, 0 when missing, -1 invalid (a
 * concurrent build that died), -2 on a database error. */
static int index_state(struct px_db *db, const char *name)
{
	const char *p[1] = { name };
	PGresult *r = NULL;
	int st;

	if (px_db_exec(db, "SELECT i.indisvalid FROM pg_index i JOIN pg_class c"
		       " ON c.oid = i.indexrelid WHERE c.relname = $1"
		       " AND c.relnamespace = 'public'::regnamespace", 1, p, &r) != PX_OK)
		return -2;
	st = PQntuples(r) == 0 ? 0 : PQgetvalue(r, 0, 0)[0] == 't' ? 1 : -1;
	PQclear(r);
	return st;
}

enum px_err px_m_import_search_indexes(struct px_db *db, int on, int *made)
{
	static const char *const drops[] = { "DROP INDEX CONCURRENTLY IF EXISTS messages_tsv",
					     "DROP INDEX CONCURRENTLY IF EXISTS messages_trgm" };
	enum px_err e = PX_OK;
	size_t i;
	int st;

	if (made)
		*made = 0;
	for (i = 0; i < sizeof(search_indexes) / sizeof(search_indexes[0]) && e == PX_OK; i++) {
		if ((st = index_state(db, search_indexes[i].name)) == -2)
			return PX_E_SYSTEM_INTERNAL;
		if (!on || st == -1)
			e = px_db_exec(db, drops[i], 0, NULL, NULL);
		if (e != PX_OK || !on || st == 1)
			continue;
		e = px_db_exec(db, "SET maintenance_work_mem = '256MB'", 0, NULL, NULL);
		if (e == PX_OK)
			e = px_db_exec(db, search_indexes[i].create, 0, NULL, NULL);
		if (e == PX_OK && made)
			(*made)++;
	}
	return e;
}
