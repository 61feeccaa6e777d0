/* model/user_export.c: a person's own data export (model/user_export.h),
 * one statement in one snapshot, so the parts agree with each other. */
#include "model/user_export.h"
#include "model/rows.h"

enum px_err px_m_user_export(struct px_db *db, long long user, struct px_buf *out)
{
	char u[PX_M_LL];
	const char *p[1] = { px_m_ll(u, user) };

	return px_m_json_row(db, "user_export",
		"SELECT json_build_object('format', 'plexichat-user-export/1',"
		" 'exported_at', now(),"
		" 'profile', json_build_object('id', u.id, 'username', u.username::text,"
		"  'display_name', u.display_name, 'email', u.email::text, 'role', u.role,"
		"  'created_at', u.created_at, 'time_zone', u.time_zone,"
		"  'status_text', u.status_text, 'is_bot', u.is_bot),"
		" 'channels', (SELECT coalesce(json_agg(json_build_object('id', c.id,"
		"  'kind', c.kind, 'name', c.name::text, 'role', m.role, 'joined_at', m.joined_at,"
		"  'notify', m.notify) ORDER BY c.id), '[]') FROM channel_members m"
		"  JOIN channels c ON c.id = m.channel_id WHERE m.user_id = u.id),"
		" 'messages', (SELECT coalesce(json_agg(json_build_object('id', x.id,"
		"  'channel_id', x.channel_id, 'thread_root_id', x.thread_root_id,"
		"  'body', x.body, 'created_at', x.created_at, 'edited_at', x.edited_at,"
		"  'file_ids', (SELECT coalesce(json_agg(mf.file_id ORDER BY mf.position), '[]')"
		"   FROM message_files mf WHERE mf.message_id = x.id)) ORDER BY x.id), '[]')"
		"  FROM messages x WHERE x.author_id = u.id AND x.deleted_at IS NULL),"
		" 'reactions', (SELECT coalesce(json_agg(json_build_object('message_id',"
		"  r.message_id, 'emoji', r.emoji, 'created_at', r.created_at)"
		"  ORDER BY r.created_at, r.message_id), '[]') FROM reactions r WHERE r.user_id = u.id),"
		" 'files', (SELECT coalesce(json_agg(px_file_json(f) ORDER BY f.id), '[]')"
		"  FROM files f WHERE f.owner_id = u.id AND f.state <> 'deleted'))::text"
		" FROM users u WHERE u.id = $1", 1, p, out);
}
