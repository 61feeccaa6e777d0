-- 173_channel_list_counts: the channel list (GET /channels, every channel
-- with its counts) at 10 M messages and ~200 channels a user (issue 22,
-- bench/scale-bench.sh). Its cost was three per-channel subqueries:
-- member_count read every member's index entry, last_message_id walked the
-- primary key backwards through other channels' rows (no index has every
-- message of a channel by id: messages_channel leaves out replies), and
-- unread_count fetched up to 1,000 heap rows to test replies, deletion and
-- author.

-- Every message of a channel by id, carrying what the unread count tests:
-- last_message_id is its last entry, the unread count an index-only scan
-- (the heap is read only for pages changed since the last vacuum).
CREATE INDEX messages_channel_cover ON messages (channel_id, id)
  INCLUDE (thread_root_id, deleted_at, author_id);

-- Members per channel, kept by statement triggers from the rows each
-- statement added or removed (one update per channel and statement, so a
-- bulk join costs one row lock, not one per member).
CREATE TABLE channel_member_counts (
    channel_id bigint PRIMARY KEY REFERENCES channels(id) ON DELETE CASCADE,
    n          bigint NOT NULL
);
INSERT INTO channel_member_counts (channel_id, n)
  SELECT channel_id, count(*) FROM channel_members GROUP BY channel_id;

CREATE FUNCTION px_member_count_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO channel_member_counts AS t (channel_id, n)
    SELECT channel_id, count(*) FROM added GROUP BY channel_id ORDER BY channel_id
    ON CONFLICT (channel_id) DO UPDATE SET n = t.n + excluded.n;
  RETURN NULL;
END $$;
-- a removal whose channel is being deleted finds no row (or one the
-- channel's deletion removes next): nothing to keep then
CREATE FUNCTION px_member_count_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE channel_member_counts t SET n = t.n - r.n
    FROM (SELECT channel_id, count(*) AS n FROM removed GROUP BY channel_id) r
   WHERE t.channel_id = r.channel_id;
  RETURN NULL;
END $$;
CREATE TRIGGER channel_members_count_add AFTER INSERT ON channel_members
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION px_member_count_add();
CREATE TRIGGER channel_members_count_remove AFTER DELETE ON channel_members
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION px_member_count_remove();

-- 122's body; member_count from the kept count. last_message_id and
-- unread_count are unchanged: the planner reads them from
-- messages_channel_cover.
CREATE OR REPLACE FUNCTION px_channel_json(c channels, uid bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', c.id, 'kind', c.kind, 'name', c.name::text, 'topic', c.topic,
    'archived', c.archived_at IS NOT NULL, 'created_at', c.created_at,
    'created_by', c.created_by,
    'member_count', coalesce((SELECT x.n FROM channel_member_counts x WHERE x.channel_id = c.id), 0),
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
