-- 076_channel_post_order: message ids of a channel commit in id order.
-- With concurrent posters, an id taken earlier could commit after a later
-- one, and history polled with after=<last id> skipped it for good.
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
  -- Posts to one channel take their ids one after another, each holding
  -- the lock to commit: a message id is never committed after a larger one
  -- of its channel, so a client reading history with after=<last id> can
  -- never skip a message that commits late. Channels do not wait on each
  -- other (a hash collision of two channels only costs a wait). Taken
  -- first: before the thread root's row and px_emit's lock, as everywhere.
  PERFORM pg_advisory_xact_lock(7243002, hashint8(p_channel));
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
