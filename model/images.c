/* model/images.c: statements on file_images and user_avatars. Object
 * names are checked by the table constraints (64 lower-case hex). */
#include "model/images.h"
#include "model/rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Column c of the one row of r into an object name. */
static void name_of(char *dst, const PGresult *r, int c)
{
	snprintf(dst, 65, "%s", PQgetvalue(r, 0, c));
}

enum px_err px_m_images_get(struct px_db *db, const char *sha256, struct px_m_image *m)
{
	const char *p[1] = { sha256 };
	PGresult *r = NULL;
	enum px_err e;

	e = px_m_one_row(db, "images_get",
		"SELECT width, height, clean, clean_size, thumb, thumb_width, thumb_height,"
		" preview, preview_width, preview_height FROM file_images WHERE sha256 = $1",
		1, p, &r);
	if (e != PX_OK)
		return e;
	memset(m, 0, sizeof(*m));
	snprintf(m->sha256, sizeof(m->sha256), "%s", sha256);
	m->width = atoi(PQgetvalue(r, 0, 0));
	m->height = atoi(PQgetvalue(r, 0, 1));
	name_of(m->clean, r, 2);
	m->clean_size = atoll(PQgetvalue(r, 0, 3));
	name_of(m->thumb, r, 4);
	m->thumb_width = atoi(PQgetvalue(r, 0, 5));
	m->thumb_height = atoi(PQgetvalue(r, 0, 6));
	name_of(m->preview, r, 7);
	m->preview_width = atoi(PQgetvalue(r, 0, 8));
	m->preview_height = atoi(PQgetvalue(r, 0, 9));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_images_put(struct px_db *db, const struct px_m_image *m)
{
	char w[PX_M_LL], h[PX_M_LL], cs[PX_M_LL], tw[PX_M_LL], th[PX_M_LL], pw[PX_M_LL],
		ph[PX_M_LL];
	const char *p[11] = { m->sha256, px_m_ll(w, m->width), px_m_ll(h, m->height), m->clean,
			      px_m_ll(cs, m->clean_size), m->thumb, px_m_ll(tw, m->thumb_width),
			      px_m_ll(th, m->thumb_height), m->preview,
			      px_m_ll(pw, m->preview_width), px_m_ll(ph, m->preview_height) };

	return px_m_exec_rows(db, "images_put",
		"WITH dims AS (UPDATE files SET width = $2::int, height = $3::int"
		"  WHERE sha256 = $1 AND width IS NULL)"
		" INSERT INTO file_images (sha256, width, height, clean, clean_size, thumb,"
		" thumb_width, thumb_height, preview, preview_width, preview_height)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
		" ON CONFLICT (sha256) DO UPDATE SET width = EXCLUDED.width,"
		" height = EXCLUDED.height, clean = EXCLUDED.clean, clean_size = EXCLUDED.clean_size,"
		" thumb = EXCLUDED.thumb, thumb_width = EXCLUDED.thumb_width,"
		" thumb_height = EXCLUDED.thumb_height, preview = EXCLUDED.preview,"
		" preview_width = EXCLUDED.preview_width, preview_height = EXCLUDED.preview_height",
		11, p, NULL);
}

enum px_err px_m_avatars_get(struct px_db *db, long long user, struct px_m_avatar *a)
{
	char u[PX_M_LL];
	const char *p[1] = { px_m_ll(u, user) };
	PGresult *r = NULL;
	enum px_err e;

	e = px_m_one_row(db, "avatars_get",
		"SELECT a.large, a.small, floor(extract(epoch FROM a.updated_at))::bigint"
		" FROM user_avatars a JOIN users u ON u.id = a.user_id"
		" WHERE a.user_id = $1 AND u.deactivated_at IS NULL", 1, p, &r);
	if (e != PX_OK)
		return e;
	name_of(a->large, r, 0);
	name_of(a->small, r, 1);
	a->mtime = atoll(PQgetvalue(r, 0, 2));
	PQclear(r);
	return PX_OK;
}

enum px_err px_m_avatars_set(struct px_db *db, long long user, const char *large,
			     const char *small)
{
	char u[PX_M_LL];
	const char *p[3] = { px_m_ll(u, user), large, small };

	return px_m_exec_rows(db, "avatars_set",
		"INSERT INTO user_avatars (user_id, large, small) VALUES ($1, $2, $3)"
		" ON CONFLICT (user_id) DO UPDATE SET large = EXCLUDED.large,"
		" small = EXCLUDED.small, updated_at = now()", 3, p, NULL);
}

enum px_err px_m_avatars_delete(struct px_db *db, long long user)
{
	char u[PX_M_LL];
	const char *p[1] = { px_m_ll(u, user) };
	long rows = 0;
	enum px_err e = px_m_exec_rows(db, "avatars_delete",
		"DELETE FROM user_avatars WHERE user_id = $1", 1, p, &rows);

	return e == PX_OK && rows == 0 ? PX_E_VALIDATION_NOT_FOUND : e;
}
