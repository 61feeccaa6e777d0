/* model/people.c: the statements behind model/people.h. Time zones are
 * PostgreSQL's own list (pg_timezone_names), so what is stored is always
 * a zone the database can convert to. */
#include "model/people.h"
#include "model/rows.h"

#include <libpq-fe.h>
#include <stdlib.h>

enum px_err px_m_people_profile(struct px_db *db, const char *username, long long viewer,
				struct px_buf *out)
{
	char v[PX_M_LL];
	const char *p[2] = { username, px_m_ll(v, viewer) };

	return px_m_json_row(db, "people_profile",
		"SELECT jsonb_build_object('id', u.id, 'username', u.username::text,"
		" 'display_name', u.display_name, 'bio', u.bio, 'status_text', u.status_text,"
		" 'time_zone', u.time_zone,"
		" 'local_time', CASE WHEN u.time_zone = '' THEN NULL"
		"  ELSE to_char(now() AT TIME ZONE u.time_zone, 'HH24:MI') END,"
		" 'utc_offset', CASE WHEN u.time_zone = '' THEN NULL ELSE"
		"  (SELECT CASE WHEN s < 0 THEN '-' ELSE '+' END || lpad((abs(s) / 3600)::text, 2, '0')"
		"   || ':' || lpad((abs(s) % 3600 / 60)::text, 2, '0')"
		"   FROM (SELECT extract(epoch FROM z.utc_offset)::int AS s FROM pg_timezone_names z"
		"   WHERE z.name = u.time_zone) o) END,"
		" 'avatar', coalesce((SELECT left(a.large, 16) FROM user_avatars a WHERE a.user_id = u.id), ''),"
		" 'online', coalesce(pr.last_seen_at > now() - interval '5 minutes', false),"
		" 'created_at', u.created_at,"
		" 'dm_id', (SELECT c.id FROM channels c WHERE c.kind = 'dm'"
		"  AND EXISTS (SELECT 1 FROM channel_members a WHERE a.channel_id = c.id AND a.user_id = u.id)"
		"  AND EXISTS (SELECT 1 FROM channel_members b WHERE b.channel_id = c.id AND b.user_id = $2)"
		"  AND (SELECT count(*) FROM channel_members x WHERE x.channel_id = c.id)"
		"      = CASE WHEN u.id = $2 THEN 1 ELSE 2 END LIMIT 1))"
		" FROM users u LEFT JOIN user_presence pr ON pr.user_id = u.id"
		" WHERE u.username = $1::citext AND u.deactivated_at IS NULL", 2, p, out);
}

enum px_err px_m_people_set_status(struct px_db *db, long long user, const char *status,
				   const char *time_zone)
{
	char u[PX_M_LL];
	const char *p[3] = { px_m_ll(u, user), status, time_zone };
	long rows = 0;
	enum px_err e;

	e = px_m_exec_rows(db, "people_status",
		"UPDATE users SET status_text = $2, time_zone = $3 WHERE id = $1"
		" AND ($3 = '' OR EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $3))",
		3, p, &rows);
	return e == PX_OK && rows == 0 ? PX_E_VALIDATION_FIELD_FORMAT : e;
}

enum px_err px_m_people_time_zones(struct px_db *db, struct px_buf *out)
{
	/* the POSIX-style and deprecated aliases are left out of the choice */
	return px_m_json_row(db, "people_zones",
		"SELECT coalesce(jsonb_agg(name ORDER BY name), '[]') FROM pg_timezone_names"
		" WHERE name ~ '^(Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific)/'"
		" OR name = 'UTC'", 0, NULL, out);
}

enum px_err px_m_people_directory(struct px_db *db, long long user, struct px_buf *out)
{
	char u[PX_M_LL];
	const char *p[1] = { px_m_ll(u, user) };

	return px_m_json_row(db, "people_directory",
		"SELECT coalesce(json_agg(j ORDER BY name), '[]') FROM px_channel_list($1)"
		" WHERE kind = 'public' AND NOT archived", 1, p, out);
}

enum px_err px_m_people_set_notify(struct px_db *db, long long channel, long long user,
				   const char *level)
{
	char c[PX_M_LL], u[PX_M_LL];
	const char *p[3] = { px_m_ll(c, channel), px_m_ll(u, user), level };
	long rows = 0;
	enum px_err e;

	e = px_m_exec_rows(db, "people_notify",
		"UPDATE channel_members SET notify = $3 WHERE channel_id = $1 AND user_id = $2",
		3, p, &rows);
	return e == PX_OK && rows == 0 ? PX_E_VALIDATION_NOT_FOUND : e;
}

enum px_err px_m_people_settings(struct px_db *db, struct px_buf *out)
{
	return px_m_json_row(db, "people_settings",
		"SELECT jsonb_build_object('default_channel', coalesce("
		" (SELECT value FROM site_settings WHERE key = 'default_channel'), ''))", 0, NULL, out);
}

enum px_err px_m_people_set_default_channel(struct px_db *db, const char *name, long long actor)
{
	char a[PX_M_LL];
	const char *p[2] = { name, px_m_ll(a, actor) };
	long rows = 0;
	enum px_err e;

	if (!*name)
		return px_m_exec_rows(db, "people_default_clear",
			"DELETE FROM site_settings WHERE key = 'default_channel' AND $1 = ''"
			" AND $2::bigint IS NOT NULL", 2, p, NULL);
	e = px_m_exec_rows(db, "people_default_set",
		"INSERT INTO site_settings (key, value, updated_by)"
		" SELECT 'default_channel', c.name::text, $2::bigint FROM channels c"
		" WHERE c.name = $1::citext AND c.kind = 'public' AND c.archived_at IS NULL"
		" ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,"
		" updated_by = EXCLUDED.updated_by, updated_at = now()", 2, p, &rows);
	return e == PX_OK && rows == 0 ? PX_E_VALIDATION_NOT_FOUND : e;
}

enum px_err px_m_people_default_channel(struct px_db *db, long long *id)
{
	PGresult *r = NULL;
	enum px_err e;

	*id = 0;
	e = px_db_exec_prepared(db, "people_default_get",
		"SELECT c.id FROM site_settings s JOIN channels c ON c.name = s.value::citext"
		" WHERE s.key = 'default_channel' AND c.kind = 'public' AND c.archived_at IS NULL",
		0, NULL, &r);
	if (e != PX_OK)
		return e;
	if (PQntuples(r) == 1)
		*id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return PX_OK;
}
