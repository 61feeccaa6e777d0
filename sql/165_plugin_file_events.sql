-- 165_plugin_file_events: channel events for files, and the "event.file"
-- hook of process plugins (docs/PLUGIN_DEVELOPMENT.md "Events and
-- commands", docs/API.md "Events"). A file becomes visible in a channel
-- when it is uploaded into it ("file.uploaded") or when a message carries
-- it there ("file.attached", with the message's id); "file.deleted" when
-- it is deleted. Each is a px_emit in the change's own transaction, so
-- the plugin queue (sql/161) hands it to the plugins enabled in that
-- channel like any other event. Drafts (no channel) emit nothing.

CREATE FUNCTION px_file_event_json(f files, p_message bigint) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object('file', px_file_json(f), 'message_id', p_message,
                           'user', json_build_object('id', f.owner_id))
$$;

CREATE FUNCTION px_files_emit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  f files;
BEGIN
  -- imported history is not news (sql/131): its files emit nothing
  IF current_setting('plexichat.import', true) = 'on' THEN
    RETURN NULL;
  END IF;
  IF TG_TABLE_NAME = 'message_files' THEN
    SELECT * INTO f FROM files WHERE id = NEW.file_id;
    IF f.channel_id IS NOT NULL AND f.state = 'ready' THEN
      PERFORM px_emit('file.attached', f.channel_id, NULL, px_file_event_json(f, NEW.message_id));
    END IF;
  ELSIF TG_OP = 'INSERT' THEN
    IF NEW.channel_id IS NOT NULL AND NEW.state = 'ready' THEN
      PERFORM px_emit('file.uploaded', NEW.channel_id, NULL, px_file_event_json(NEW, NULL));
    END IF;
  ELSIF NEW.state = 'deleted' AND OLD.state <> 'deleted' AND NEW.channel_id IS NOT NULL THEN
    PERFORM px_emit('file.deleted', NEW.channel_id, NULL, px_file_event_json(NEW, NULL));
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER files_events AFTER INSERT OR UPDATE OF state ON files
  FOR EACH ROW EXECUTE FUNCTION px_files_emit();
CREATE TRIGGER message_files_events AFTER INSERT ON message_files
  FOR EACH ROW EXECUTE FUNCTION px_files_emit();

-- the queue now takes "file.*" for "event.file" (the rest as in 161)
CREATE OR REPLACE FUNCTION px_plugins_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  hook text := 'event.' || split_part(NEW.kind, '.', 1);
  msg json;
  n integer;
BEGIN
  IF hook NOT IN ('event.message', 'event.reaction', 'event.member', 'event.file')
     OR NOT EXISTS (SELECT 1 FROM plugins WHERE enabled) THEN
    RETURN NULL;
  END IF;
  -- a reaction's plugin sees the message it is on, as the API shows it
  IF hook = 'event.reaction' THEN
    msg := (SELECT t::json FROM px_message_view WHERE id = (NEW.data->>'message_id')::bigint);
  END IF;
  INSERT INTO plugin_deliveries (plugin, event_id, body)
  SELECT p.name, NEW.id, json_build_object('type', 'event', 'event', NEW.kind,
           'event_id', NEW.id, 'channel_id', NEW.channel_id, 'at', NEW.at,
           'data', NEW.data, 'message', msg)::text
    FROM plugins p JOIN plugin_versions v ON v.name = p.name AND v.version = p.version
   WHERE p.enabled AND p.status NOT LIKE 'disabled%'
     AND (v.manifest -> 'hooks') ? hook
     AND (p.all_channels OR EXISTS (SELECT 1 FROM plugin_channels c
                                     WHERE c.name = p.name AND c.channel_id = NEW.channel_id))
     -- a plugin is not told of what it did itself
     AND (p.bot_id IS NULL OR p.bot_id IS DISTINCT FROM
          coalesce((NEW.data->'author'->>'id')::bigint, (NEW.data->'user'->>'id')::bigint));
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n > 0 THEN
    PERFORM pg_notify('px_hooks', '');
  END IF;
  RETURN NULL;
END $$;
