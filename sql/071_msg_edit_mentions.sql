-- 071_msg_edit_mentions: an edit that names someone new tells them, as a
-- post does; names already mentioned by the earlier text are not told
-- again (the mentions row exists, so the insert skips them).
CREATE FUNCTION px_message_mention(p_message bigint, p_channel bigint, p_author bigint,
                                   p_names text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE mentioned bigint[];
BEGIN
  IF coalesce(array_length(p_names, 1), 0) = 0 THEN RETURN; END IF;
  WITH ins AS (
    INSERT INTO mentions (message_id, user_id, channel_id)
    SELECT p_message, cm.user_id, p_channel FROM channel_members cm
      JOIN users u ON u.id = cm.user_id
      LEFT JOIN user_presence pr ON pr.user_id = cm.user_id
    WHERE cm.channel_id = p_channel AND cm.user_id <> p_author
      AND (u.username = ANY (p_names::citext[]) OR 'channel' = ANY (p_names)
           OR ('here' = ANY (p_names) AND pr.last_seen_at > now() - interval '5 minutes'))
    ON CONFLICT DO NOTHING RETURNING user_id)
  SELECT coalesce(array_agg(user_id), '{}') INTO mentioned FROM ins;
  PERFORM px_notify_users(mentioned, 'mention', p_channel, p_message, p_author);
END $$;
