-- 132_preview_choice: a poster may say "no preview" when posting: the API's
-- "link_preview": false, the composer's "No link preview" box, an incoming
-- webhook's Slack "unfurl_links": false (no preview) or "unfurl_media":
-- false (a preview without its image). docs/INTEGRATIONS.md.
--
-- The choice rides in a transaction-local setting, as a bot's override
-- does (125), read by a BEFORE INSERT trigger whose WHEN clause keeps
-- every other insert (the import's bulk path among them) free of it.

-- false: the message's preview never shows an image
ALTER TABLE messages ADD COLUMN preview_media boolean NOT NULL DEFAULT true;

CREATE FUNCTION px_message_preview_choice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('plexichat.msg_preview', true) = 'off' THEN
    -- as if the author removed it at once: no job is queued (129's trigger
    -- reads preview_removed) and an edit does not bring one
    NEW.preview_removed := true;
  ELSE
    NEW.preview_media := false;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER messages_preview_choice BEFORE INSERT ON messages FOR EACH ROW
  WHEN (current_setting('plexichat.msg_preview', true) IN ('off', 'no_media'))
  EXECUTE FUNCTION px_message_preview_choice();

-- px_message_post with the poster's choice ('off', 'no_media' or '').
CREATE FUNCTION px_message_post_preview(p_preview text, p_channel bigint, p_kind text,
    p_author bigint, p_root bigint, p_body text, p_html text, p_lang regconfig,
    p_idem text, p_names text[], OUT status text, OUT message json)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('plexichat.msg_preview', coalesce(p_preview, ''), true);
  SELECT r.status, r.message INTO status, message
    FROM px_message_post(p_channel, p_kind, p_author, p_root, p_body, p_html, p_lang,
                         p_idem, p_names) r;
  PERFORM set_config('plexichat.msg_preview', '', true);
END $$;

-- 128's incoming webhook post with the payload's choice.
CREATE FUNCTION px_hook_incoming_post(p_token_hash text, p_body text, p_html text,
    p_lang regconfig, p_names text[], p_props jsonb, p_preview text,
    OUT status text, OUT message json)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('plexichat.msg_preview', coalesce(p_preview, ''), true);
  SELECT r.status, r.message INTO status, message
    FROM px_hook_incoming_post(p_token_hash, p_body, p_html, p_lang, p_names, p_props) r;
  PERFORM set_config('plexichat.msg_preview', '', true);
END $$;

-- 125's bot post (outgoing webhook replies, slash command answers) with
-- the payload's choice.
CREATE FUNCTION px_hook_post(p_channel bigint, p_kind text, p_bot bigint, p_body text,
    p_html text, p_lang regconfig, p_names text[], p_props jsonb, p_preview text,
    OUT status text, OUT message json) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('plexichat.msg_preview', coalesce(p_preview, ''), true);
  SELECT r.status, r.message INTO status, message
    FROM px_hook_post(p_channel, p_kind, p_bot, p_body, p_html, p_lang, p_names, p_props) r;
  PERFORM set_config('plexichat.msg_preview', '', true);
END $$;
