/* model/notifications.c: listing and marking notifications. Rows of
 * channels the user has left are never shown, so nothing leaks from them. */
#include "model/notifications.h"
#include "model/rows.h"

enum px_err px_m_notifications_list(struct px_db *db, long long user, int unread_only,
				    long long before, int limit, struct px_buf *out)
{
	char u[PX_M_LL], b[PX_M_LL], l[PX_M_LL];
	const char *p[4] = { px_m_ll(u, user), unread_only ? "1" : "0",
			     px_m_ll(b, before ? before : 9223372036854775807LL),
			     px_m_ll(l, limit) };

	return px_m_json_row(db, "notif_list",
		"SELECT jsonb_build_object('notifications', coalesce(jsonb_agg(j ORDER BY id DESC)"
		" FILTER (WHERE rn <= $4), '[]'), 'has_more', count(*) > $4,"
		" 'unread_count', (SELECT count(*) FROM notifications x JOIN channel_members cm"
		" ON cm.channel_id = x.channel_id AND cm.user_id = x.user_id"
		" WHERE x.user_id = $1 AND x.read_at IS NULL))"
		" FROM (SELECT n.id, row_number() OVER (ORDER BY n.id DESC) AS rn,"
		" jsonb_build_object('id', n.id, 'kind', n.kind, 'channel_id', n.channel_id,"
		" 'channel_name', (SELECT c.name::text FROM channels c WHERE c.id = n.channel_id"
		"  AND c.kind IN ('public', 'private')),"
		" 'message', px_message_json(m), 'actor', px_user_json(n.actor_id),"
		" 'created_at', n.created_at, 'read', n.read_at IS NOT NULL) AS j"
		" FROM notifications n JOIN channel_members cm ON cm.channel_id = n.channel_id"
		" AND cm.user_id = n.user_id JOIN messages m ON m.id = n.message_id"
		" WHERE n.user_id = $1 AND n.id < $3 AND ($2 = '0' OR n.read_at IS NULL)"
		" ORDER BY n.id DESC LIMIT $4::int + 1) s", 4, p, out);
}

/* The marking statement; with $3 true it yields no row (so NOT_FOUND)
 * unless user has notification $2, read or not. */
#define MARK_SQL(where) \
	"WITH up AS (UPDATE notifications SET read_at = now() WHERE user_id = $1" \
	" AND read_at IS NULL AND ($2::text IS NULL" \
	" OR id = ANY (string_to_array($2, ',')::bigint[])) RETURNING 1)" \
	" SELECT jsonb_build_object('marked', (SELECT count(*) FROM up), 'unread_count'," \
	" (SELECT count(*) FROM notifications x JOIN channel_members cm" \
	" ON cm.channel_id = x.channel_id AND cm.user_id = x.user_id" \
	" WHERE x.user_id = $1 AND x.read_at IS NULL) - (SELECT count(*) FROM up))" where

enum px_err px_m_notifications_read(struct px_db *db, long long user,
				    const char *ids_csv, struct px_buf *out)
{
	char u[PX_M_LL];
	const char *p[2] = { px_m_ll(u, user), ids_csv };

	return px_m_json_row(db, "notif_read", MARK_SQL(""), 2, p, out);
}

enum px_err px_m_notifications_read_one(struct px_db *db, long long user, long long id,
					struct px_buf *out)
{
	char u[PX_M_LL], n[PX_M_LL];
	const char *p[2] = { px_m_ll(u, user), px_m_ll(n, id) };

	return px_m_json_row(db, "notif_read_one",
			     MARK_SQL(" WHERE EXISTS (SELECT 1 FROM notifications"
				      " WHERE user_id = $1 AND id = $2::bigint)"), 2, p, out);
}
