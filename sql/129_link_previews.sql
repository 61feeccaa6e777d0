-- 129_link_previews: link previews (unfurling). A message whose text has
-- a web link gets a job in the outgoing webhooks' durable queue
-- (hook_deliveries, kind 'unfurl', no hook); a sender thread fetches the
-- first link through core/safefetch, reads its Open Graph / Twitter / <title>
-- tags and stores the preview on the message, which then rides in the
-- message's JSON everywhere (API, events, pages). docs/INTEGRATIONS.md.

-- {"url", "title", "description", "image", "site_name"}; NULL: none.
-- preview_removed: the author took it away; it is not fetched again.
ALTER TABLE messages ADD COLUMN preview jsonb;
ALTER TABLE messages ADD COLUMN preview_removed boolean NOT NULL DEFAULT false;

-- Channel managers may turn previews off for their channel.
ALTER TABLE channels ADD COLUMN link_previews boolean NOT NULL DEFAULT true;

-- What a URL gave when last fetched (preview NULL: nothing to show or not
-- fetchable), so a link posted again is not fetched again for a while.
-- Only ever copied onto a message that holds the same URL, so it tells
-- nobody more than fetching the link would.
CREATE TABLE link_preview_cache (
    url        text PRIMARY KEY,
    preview    jsonb,
    fetched_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX link_preview_cache_age ON link_preview_cache (fetched_at);

-- Unfurl jobs have no hook, like reminders.
ALTER TABLE hook_deliveries DROP CONSTRAINT hook_deliveries_target;
ALTER TABLE hook_deliveries ADD CONSTRAINT hook_deliveries_target
  CHECK ((hook_id IS NULL) = (kind IN ('reminder', 'unfurl')));

-- The row JSON gains "preview" (125's body otherwise); a deleted message
-- loses its preview with its text.
CREATE OR REPLACE FUNCTION px_message_row_json() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.bot := nullif(current_setting('plexichat.msg_bot', true), '')::jsonb;
  END IF;
  IF NEW.deleted_at IS NOT NULL THEN
    NEW.preview := NULL;
  END IF;
  NEW.j := json_build_object(
    'id', NEW.id, 'channel_id', NEW.channel_id, 'thread_root_id', NEW.thread_root_id,
    'body', NEW.body, 'html', NEW.html, 'created_at', NEW.created_at,
    'edited_at', NEW.edited_at, 'deleted', NEW.deleted_at IS NOT NULL,
    'pinned', NEW.pinned_at IS NOT NULL, 'reply_count', NEW.reply_count,
    'last_reply_at', NEW.last_reply_at, 'bot', NEW.bot, 'preview', NEW.preview)::text;
  NEW.j := left(NEW.j, -1);
  RETURN NEW;
END $$;

-- Queues an unfurl job for a new message with "://" in its text, or an
-- edited one whose text changed (the link may be new, or gone), unless
-- the channel has previews off or the author removed the preview. The
-- sender finds the real link in the rendered HTML; this is only the cheap
-- test of whether there may be one.
CREATE FUNCTION px_unfurl_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.deleted_at IS NOT NULL OR NEW.preview_removed THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.body IS NOT DISTINCT FROM OLD.body THEN
    RETURN NULL;
  END IF;
  IF position('://' IN NEW.body) = 0 AND NEW.preview IS NULL THEN
    RETURN NULL;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM channels WHERE id = NEW.channel_id AND link_previews) THEN
    RETURN NULL;
  END IF;
  INSERT INTO hook_deliveries (kind, body) VALUES ('unfurl',
    json_build_object('channel_id', NEW.channel_id, 'message_id', NEW.id)::text);
  PERFORM pg_notify('px_hooks', '');
  RETURN NULL;
END $$;
CREATE TRIGGER messages_unfurl AFTER INSERT OR UPDATE OF body ON messages
  FOR EACH ROW EXECUTE FUNCTION px_unfurl_enqueue();
