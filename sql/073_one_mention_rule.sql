-- 073_one_mention_rule: who a message mentions is decided in one place.
-- px_message_mention (071, written for edits) now returns whom it told,
-- and px_message_post calls it instead of its own copy of the rule (the
-- post needs the list: DM and reply notices skip those already told).
DROP FUNCTION px_message_mention(bigint, bigint, bigint, text[]);
CREATE FUNCTION px_message_mention(p_message bigint, p_channel bigint, p_author bigint,
                                   p_names text[]) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE mentioned bigint[] := '{}';
BEGIN
  IF coalesce(array_length(p_names, 1), 0) = 0 THEN RETURN mentioned; END IF;
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
  RETURN mentioned;
END $$;

CREATE OR REPLACE FUNCTION px_message_post(p_channel bigint, p_kind text, p_author bigint,
    p_root bigint, p_body text, p_html text, p_lang regconfig, p_idem text,
    p_names text[], OUT status text, OUT message json) LANGUAGE plpgsql AS $$
DECLARE
  m messages;
  mentioned bigint[];
  others bigint[];
BEGIN
  IF p_idem IS NOT NULL THEN
    SELECT r.status, r.message INTO status, message FROM px_message_replay(p_channel,
      p_author, p_root, p_body, p_idem) r;
    IF status IS NOT NULL THEN RETURN; END IF;
  END IF;
  IF p_root IS NOT NULL THEN
    UPDATE messages SET reply_count = reply_count + 1, last_reply_at = now()
      WHERE id = p_root AND channel_id = p_channel AND thread_root_id IS NULL
        AND deleted_at IS NULL RETURNING * INTO m;
    IF NOT FOUND THEN status := 'no_root'; RETURN; END IF;
    IF m.reply_count = 1 AND m.author_id IS NOT NULL THEN
      INSERT INTO thread_followers VALUES (p_root, m.author_id) ON CONFLICT DO NOTHING;
    END IF;
    INSERT INTO thread_followers VALUES (p_root, p_author) ON CONFLICT DO NOTHING;
  END IF;
  INSERT INTO messages (channel_id, author_id, thread_root_id, body, html, lang, idem_key)
    VALUES (p_channel, p_author, p_root, p_body, p_html, p_lang, p_idem)
    ON CONFLICT (author_id, idem_key) WHERE idem_key IS NOT NULL DO NOTHING
    RETURNING * INTO m;
  IF NOT FOUND THEN
    -- a concurrent request with the same key won the insert
    IF p_root IS NOT NULL THEN
      UPDATE messages SET reply_count = reply_count - 1 WHERE id = p_root;
    END IF;
    SELECT r.status, r.message INTO status, message FROM px_message_replay(p_channel,
      p_author, p_root, p_body, p_idem) r;
    RETURN;
  END IF;
  mentioned := px_message_mention(m.id, p_channel, p_author, p_names);
  IF p_kind IN ('dm', 'group') THEN
    SELECT coalesce(array_agg(user_id), '{}') INTO others FROM channel_members
      WHERE channel_id = p_channel AND user_id <> p_author AND user_id <> ALL (mentioned);
    PERFORM px_notify_users(others, 'dm', p_channel, m.id, p_author);
    mentioned := mentioned || others;
  END IF;
  IF p_root IS NOT NULL THEN
    SELECT coalesce(array_agg(f.user_id), '{}') INTO others FROM thread_followers f
      JOIN channel_members cm ON cm.channel_id = p_channel AND cm.user_id = f.user_id
      WHERE f.message_id = p_root AND f.user_id <> p_author AND f.user_id <> ALL (mentioned);
    PERFORM px_notify_users(others, 'reply', p_channel, m.id, p_author);
  END IF;
  -- a new message has no reactions yet
  message := px_message_text(m.j, px_user_json(p_author), NULL)::json;
  PERFORM px_emit('message.created', p_channel, NULL, message);
  status := 'created';
END $$;
