-- 122_channel_notify: each member chooses what a channel tells them:
-- 'all' (unread count and every notice), 'mentions' (no unread count, only
-- mention notices) or 'none' (muted: no counts, no notices).
ALTER TABLE channel_members
    ADD COLUMN notify text NOT NULL DEFAULT 'all' CHECK (notify IN ('all', 'mentions', 'none'));

-- Notices skip members who asked for fewer (the rest as in 023).
CREATE OR REPLACE FUNCTION px_notify_users(recipients bigint[], k text, ch bigint, mid bigint,
                                           actor bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN INSERT INTO notifications (user_id, kind, channel_id, message_id, actor_id)
           SELECT DISTINCT u, k, ch, mid, actor FROM unnest(recipients) u
           WHERE u IS DISTINCT FROM actor
             AND NOT EXISTS (SELECT 1 FROM channel_members cm
                             WHERE cm.channel_id = ch AND cm.user_id = u
                               AND (cm.notify = 'none' OR (cm.notify = 'mentions' AND k <> 'mention')))
           RETURNING id, user_id, kind, channel_id, message_id, created_at LOOP
    PERFORM px_emit('notification.created', NULL, r.user_id,
      json_build_object('id', r.id, 'kind', r.kind, 'channel_id', r.channel_id,
                        'message_id', r.message_id, 'actor', px_user_json(actor),
                        'created_at', r.created_at));
  END LOOP;
END $$;

-- The channel JSON gains notify; the unread count is 0 unless it is 'all',
-- the mention count 0 when it is 'none' (107's body otherwise).
CREATE OR REPLACE FUNCTION px_channel_json(c channels, uid bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', c.id, 'kind', c.kind, 'name', c.name::text, 'topic', c.topic,
    'archived', c.archived_at IS NOT NULL, 'created_at', c.created_at,
    'created_by', c.created_by,
    'member_count', (SELECT count(*) FROM channel_members x WHERE x.channel_id = c.id),
    'members', CASE WHEN c.kind IN ('dm', 'group') THEN
      (SELECT jsonb_agg(px_user_json(x.user_id) ORDER BY x.user_id)
       FROM channel_members x WHERE x.channel_id = c.id) END,
    'my_role', m.role, 'last_read_id', coalesce(m.last_read_id, 0),
    'notify', coalesce(m.notify, 'all'),
    'last_message_id', (SELECT coalesce(max(x.id), 0) FROM messages x WHERE x.channel_id = c.id),
    'unread_count', CASE WHEN m.role IS NULL OR m.notify <> 'all' THEN 0 ELSE
      (SELECT count(*) FROM (SELECT 1 FROM messages x
        WHERE x.channel_id = c.id AND x.id > m.last_read_id AND x.thread_root_id IS NULL
          AND x.deleted_at IS NULL AND x.author_id IS DISTINCT FROM uid LIMIT 1000) s) END,
    'mention_count', CASE WHEN m.role IS NULL OR m.notify = 'none' THEN 0 ELSE
      (SELECT count(*) FROM mentions x WHERE x.user_id = uid AND x.channel_id = c.id
         AND x.message_id > m.last_read_id) END,
    'files_retention_days', c.files_retention_days)
  FROM (SELECT 1) one
  LEFT JOIN channel_members m ON m.channel_id = c.id AND m.user_id = uid
$$;
