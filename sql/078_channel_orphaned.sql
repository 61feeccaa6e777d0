-- 078_channel_orphaned: one definition of "this channel has no active
-- owner", for the rule that keeps one (model/channels.c) and for the
-- break-glass listing (plexichat-admin channel-owner --orphaned).
CREATE FUNCTION px_channel_orphaned(ch bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT NOT EXISTS (SELECT 1 FROM channel_members m JOIN users u ON u.id = m.user_id
                     WHERE m.channel_id = ch AND m.role = 'owner' AND u.deactivated_at IS NULL)
$$;
