-- 183_channel_list_set: the channel lists (GET /channels, the browse list,
-- the people directory) as one set-based statement (issue 22). They called
-- px_channel_json once per channel: a SQL function with a FROM clause is not
-- inlined, so each of the ~200 channels of a user paid its own executor
-- start-up and its subqueries one by one.
--
-- px_channel_list(uid) is every channel as user uid sees it, with the same
-- JSON as px_channel_json(c, uid) (which stays for single channels and
-- events). It is one SELECT in a LANGUAGE sql, non-strict, STABLE function:
-- PostgreSQL inlines it into the calling query, so the caller's WHERE on
-- the columns (member, kind, archived) filters the channels before any count
-- is computed, and a prepared statement keeps the whole plan.
CREATE FUNCTION px_channel_list(uid bigint)
RETURNS TABLE (id bigint, name citext, kind text, archived boolean, member boolean, j jsonb)
LANGUAGE sql STABLE AS $$
  SELECT c.id, c.name, c.kind, c.archived_at IS NOT NULL, m.user_id IS NOT NULL,
    jsonb_build_object(
      'id', c.id, 'kind', c.kind, 'name', c.name::text, 'topic', c.topic,
      'archived', c.archived_at IS NOT NULL, 'created_at', c.created_at,
      'created_by', c.created_by,
      'member_count', coalesce(n.n, 0),
      'members', CASE WHEN c.kind IN ('dm', 'group') THEN
        (SELECT jsonb_agg(px_user_obj(u.id, u.username, u.display_name) ORDER BY x.user_id)
         FROM channel_members x JOIN users u ON u.id = x.user_id WHERE x.channel_id = c.id) END,
      'my_role', m.role, 'last_read_id', coalesce(m.last_read_id, 0),
      'notify', coalesce(m.notify, 'all'),
      'last_message_id', coalesce(l.id, 0),
      'unread_count', coalesce(r.n, 0),
      'mention_count', coalesce(t.n, 0),
      'files_retention_days', c.files_retention_days)
  FROM channels c
  LEFT JOIN channel_members m ON m.channel_id = c.id AND m.user_id = uid
  LEFT JOIN channel_member_counts n ON n.channel_id = c.id
  -- the newest message: the last entry of messages_channel_cover
  LEFT JOIN LATERAL (SELECT x.id FROM messages x WHERE x.channel_id = c.id
                     ORDER BY x.id DESC LIMIT 1) l ON true
  -- unread (stops at 1000, "999+"): an index-only scan of
  -- messages_channel_cover after the read marker, for members who get it
  LEFT JOIN LATERAL (SELECT count(*) AS n FROM (SELECT 1 FROM messages x
      WHERE m.notify = 'all' AND x.channel_id = c.id AND x.id > m.last_read_id
        AND x.thread_root_id IS NULL AND x.deleted_at IS NULL
        AND x.author_id IS DISTINCT FROM uid LIMIT 1000) s) r ON true
  LEFT JOIN LATERAL (SELECT count(*) AS n FROM mentions x
      WHERE m.notify <> 'none' AND x.user_id = uid AND x.channel_id = c.id
        AND x.message_id > m.last_read_id) t ON true
$$;
