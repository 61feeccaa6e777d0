/* model/previews.c: link previews' SQL (model/previews.h). A preview is
 * written to its message and announced in the same transaction, so a
 * live client hears of it exactly when readers can see it. */
#include "model/previews.h"
#include "model/rows.h"

#include <stdlib.h>
#include <string.h>

enum px_err px_m_previews_source(struct px_db *db, long long id, struct px_buf *html,
				 int *wanted, int *has)
{
	char i[PX_M_LL];
	const char *p[1] = { px_m_ll(i, id) };
	PGresult *r = NULL;
	enum px_err e;

	e = px_m_one_row(db, "preview_source",
		"SELECT m.html, m.deleted_at IS NULL AND NOT m.preview_removed AND c.link_previews,"
		" m.preview IS NOT NULL FROM messages m JOIN channels c ON c.id = m.channel_id"
		" WHERE m.id = $1", 1, p, &r);
	if (e != PX_OK)
		return e;
	px_buf_append(html, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
	*wanted = PQgetvalue(r, 0, 1)[0] == 't';
	*has = PQgetvalue(r, 0, 2)[0] == 't';
	PQclear(r);
	return html->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}

enum px_err px_m_previews_cached(struct px_db *db, const char *url, long long ttl_s,
				 int *hit, struct px_buf *out)
{
	char t[PX_M_LL];
	const char *p[2] = { url, px_m_ll(t, ttl_s) };
	PGresult *r = NULL;
	enum px_err e;

	*hit = 0;
	e = px_m_one_row(db, "preview_cached",
		"SELECT coalesce(preview::text, '') FROM link_preview_cache WHERE url = $1"
		" AND fetched_at > now() - make_interval(secs => $2::bigint)", 2, p, &r);
	if (e == PX_E_VALIDATION_NOT_FOUND)
		return PX_OK;
	if (e != PX_OK)
		return e;
	*hit = 1;
	px_buf_append(out, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
	PQclear(r);
	return out->failed ? PX_E_SYSTEM_INTERNAL : PX_OK;
}

/* Emits kind with message id as data; out (may be NULL) gets it. */
static enum px_err emit(struct px_db *db, long long id, struct px_buf *out)
{
	char i[PX_M_LL];
	const char *p[1] = { px_m_ll(i, id) };
	struct px_buf ignored = PX_BUF_INIT;
	enum px_err e;

	e = px_m_json_row(db, "preview_emit",
		"SELECT mj::text FROM messages m, LATERAL px_message_json(m) mj,"
		" LATERAL px_emit('message.updated', m.channel_id, NULL, mj) e WHERE m.id = $1",
		1, p, out ? out : &ignored);
	px_buf_free(&ignored);
	return e;
}

struct store {
	long long id, ttl;
	const char *url, *preview;
	int changed;
};

static enum px_err store_tx(struct px_db *db, void *arg)
{
	struct store *s = arg;
	char i[PX_M_LL], t[PX_M_LL];
	const char *p[2] = { px_m_ll(i, s->id), s->preview };
	const char *c[3] = { s->url, s->preview, px_m_ll(t, s->ttl) };
	long rows = 0;
	enum px_err e = PX_OK;

	/* each fetch drops up to ten stale entries, oldest first (by index) */
	if (s->url)
		e = px_m_exec_rows(db, "preview_cache_put",
			"WITH old AS (DELETE FROM link_preview_cache WHERE url IN (SELECT url"
			" FROM link_preview_cache WHERE fetched_at < now() - make_interval(secs =>"
			" $3::bigint) AND url <> $1 ORDER BY fetched_at LIMIT 10))"
			" INSERT INTO link_preview_cache (url, preview) VALUES ($1, $2::jsonb)"
			" ON CONFLICT (url) DO UPDATE SET preview = EXCLUDED.preview, fetched_at = now()",
			3, c, NULL);
	if (e == PX_OK)
		e = px_m_exec_rows(db, "preview_put",
			"UPDATE messages SET preview = CASE WHEN preview_media THEN $2::jsonb"
			" ELSE jsonb_set($2::jsonb, '{image}', 'null') END"
			" WHERE id = $1 AND deleted_at IS NULL AND NOT preview_removed"
			" AND preview IS DISTINCT FROM CASE WHEN preview_media THEN $2::jsonb"
			" ELSE jsonb_set($2::jsonb, '{image}', 'null') END",
			2, p, &rows);
	s->changed = rows > 0;
	return e == PX_OK && s->changed ? emit(db, s->id, NULL) : e;
}

enum px_err px_m_previews_store(struct px_db *db, long long id, const char *url,
				const char *preview, long long ttl_s, int *changed)
{
	struct store s = { id, ttl_s, url, preview, 0 };
	enum px_err e = px_db_tx(db, store_tx, &s);

	if (changed)
		*changed = s.changed;
	return e;
}

struct removal {
	long long channel, id, actor;
	struct px_buf *out;
};

static enum px_err remove_tx(struct px_db *db, void *arg)
{
	struct removal *x = arg;
	char c[PX_M_LL], i[PX_M_LL];
	const char *p[2] = { px_m_ll(c, x->channel), px_m_ll(i, x->id) };
	PGresult *r = NULL;
	long long author;
	int deleted;
	enum px_err e;

	e = px_m_one_row(db, "preview_lock",
		"SELECT coalesce(author_id, 0), deleted_at IS NOT NULL FROM messages"
		" WHERE channel_id = $1 AND id = $2 FOR UPDATE", 2, p, &r);
	if (e != PX_OK)
		return e;
	author = atoll(PQgetvalue(r, 0, 0));
	deleted = PQgetvalue(r, 0, 1)[0] == 't';
	PQclear(r);
	if (deleted)
		return PX_E_VALIDATION_MESSAGE_DELETED;
	if (author != x->actor)
		return PX_E_AUTH_NOT_AUTHOR;
	e = px_m_exec_rows(db, "preview_remove",
		"UPDATE messages SET preview = NULL, preview_removed = true WHERE id = $1",
		1, p + 1, NULL);
	return e != PX_OK ? e : emit(db, x->id, x->out);
}

enum px_err px_m_previews_remove(struct px_db *db, long long channel, long long id,
				 long long actor, struct px_buf *out)
{
	struct removal x = { channel, id, actor, out };

	return px_db_tx(db, remove_tx, &x);
}

enum px_err px_m_previews_channel(struct px_db *db, long long channel, int set,
				  struct px_buf *out)
{
	char c[PX_M_LL];
	const char *p[2] = { px_m_ll(c, channel), set < 0 ? NULL : set ? "true" : "false" };

	return px_m_json_row(db, "preview_channel",
		"WITH u AS (UPDATE channels SET link_previews = $2::boolean WHERE id = $1"
		" AND $2::boolean IS NOT NULL RETURNING link_previews)"
		" SELECT json_build_object('channel_id', c.id, 'enabled',"
		" coalesce((SELECT link_previews FROM u), c.link_previews))"
		" FROM channels c WHERE c.id = $1", 2, p, out);
}
