-- 107_files_store.sql: what the file store's upkeep needs: retention per
-- channel (files older than N days are removed by `plexichat-admin files
-- cleanup`; NULL keeps them), per-user quota overrides, the virus
-- scanner's verdict on quarantined files, and the indexes clean-up reads.
ALTER TABLE channels ADD COLUMN files_retention_days integer
	CHECK (files_retention_days IS NULL OR files_retention_days BETWEEN 1 AND 36500);

-- A user's own quota in bytes instead of files_quota_user (0: no limit).
CREATE TABLE file_quotas (
	user_id    bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	bytes      bigint NOT NULL CHECK (bytes >= 0),
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- What the scanner said of a quarantined file ("Eicar-Test-Signature").
ALTER TABLE files ADD COLUMN scan_note text;

-- retention: a channel's files by age
CREATE INDEX files_channel_created ON files (channel_id, created_at) WHERE state <> 'deleted';
-- clean-up: expired upload sessions
CREATE INDEX uploads_expires ON uploads (expires_at);

-- The channel JSON gains files_retention_days (023's body otherwise).
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
    'last_message_id', (SELECT coalesce(max(x.id), 0) FROM messages x WHERE x.channel_id = c.id),
    'unread_count', CASE WHEN m.role IS NULL THEN 0 ELSE
      (SELECT count(*) FROM (SELECT 1 FROM messages x
        WHERE x.channel_id = c.id AND x.id > m.last_read_id AND x.thread_root_id IS NULL
          AND x.deleted_at IS NULL AND x.author_id IS DISTINCT FROM uid LIMIT 1000) s) END,
    'mention_count', CASE WHEN m.role IS NULL THEN 0 ELSE
      (SELECT count(*) FROM mentions x WHERE x.user_id = uid AND x.channel_id = c.id
         AND x.message_id > m.last_read_id) END,
    'files_retention_days', c.files_retention_days)
  FROM (SELECT 1) one
  LEFT JOIN channel_members m ON m.channel_id = c.id AND m.user_id = uid
$$;
