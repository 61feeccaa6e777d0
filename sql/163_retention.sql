-- 163_retention: how long messages are kept (docs/ADMIN_CLI.md "Retention").
-- The instance keeps them retention_days (configuration; 0: forever), a
-- channel may say otherwise, and a legal hold on a channel or a person
-- keeps everything it covers until it is released, whatever the policy.

-- NULL: the instance's; 0: forever; N: N days.
ALTER TABLE channels ADD COLUMN retention_days integer CHECK (retention_days >= 0);

CREATE TABLE legal_holds (
    id          bigserial PRIMARY KEY,
    channel_id  bigint REFERENCES channels(id) ON DELETE CASCADE,
    user_id     bigint REFERENCES users(id) ON DELETE CASCADE,
    reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    created_at  timestamptz NOT NULL DEFAULT now(),
    released_at timestamptz,
    CHECK ((channel_id IS NULL) <> (user_id IS NULL))
);
CREATE INDEX legal_holds_active ON legal_holds (channel_id, user_id) WHERE released_at IS NULL;
CREATE INDEX messages_channel_created ON messages (channel_id, created_at);

-- The messages past their channel's policy and under no hold. A thread's
-- first message stays while any reply in it is kept, so that no kept
-- reply loses its thread.
CREATE FUNCTION px_retention_due(p_default integer) RETURNS TABLE (id bigint, channel_id bigint)
LANGUAGE sql STABLE AS $$
  WITH e AS MATERIALIZED (
    SELECT m.id, m.channel_id, m.thread_root_id FROM messages m
      JOIN channels c ON c.id = m.channel_id
     WHERE coalesce(c.retention_days, p_default) > 0
       AND m.created_at < now() - make_interval(days => coalesce(c.retention_days, p_default))
       AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL
                         AND (h.channel_id = m.channel_id OR h.user_id = m.author_id)))
  SELECT e.id, e.channel_id FROM e
   WHERE NOT EXISTS (SELECT 1 FROM messages r WHERE r.thread_root_id = e.id
                       AND NOT EXISTS (SELECT 1 FROM e x WHERE x.id = r.id))
$$;
