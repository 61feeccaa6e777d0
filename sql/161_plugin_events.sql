-- 161_plugin_events: the "event.*" hooks of process plugins and what they
-- post (docs/PLUGIN_DEVELOPMENT.md "Events and commands"). An event of a
-- channel a plugin is enabled in, of a kind it declared, becomes a row of
-- plugin_deliveries in the event's own transaction, so none is lost when
-- a process dies; the webhook sender threads hand them to the plugin.

-- The account a plugin posts as; its name is generated, so no existing
-- account can stand in its way.
ALTER TABLE plugins ADD COLUMN bot_id bigint REFERENCES users(id);

CREATE TABLE plugin_deliveries (
    id         bigserial PRIMARY KEY,
    plugin     text NOT NULL REFERENCES plugins (name) ON DELETE CASCADE,
    event_id   bigint NOT NULL,
    body       text NOT NULL,                -- the JSON the plugin receives
    attempts   integer NOT NULL DEFAULT 0,
    next_at    timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX plugin_deliveries_due ON plugin_deliveries (next_at, id);
CREATE INDEX plugin_deliveries_plugin ON plugin_deliveries (plugin, id);

-- "message.created" is for "event.message", "reaction.added" for
-- "event.reaction", and so on; channel events have no plugin hook.
CREATE FUNCTION px_plugins_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  hook text := 'event.' || split_part(NEW.kind, '.', 1);
  msg json;
  n integer;
BEGIN
  IF hook NOT IN ('event.message', 'event.reaction', 'event.member')
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

CREATE TRIGGER events_plugins AFTER INSERT ON events FOR EACH ROW
  WHEN (NEW.channel_id IS NOT NULL) EXECUTE FUNCTION px_plugins_enqueue();

-- The plugin's bot, made on first use.
CREATE FUNCTION px_plugin_bot(p_name text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  b bigint;
BEGIN
  SELECT bot_id INTO b FROM plugins WHERE name = p_name FOR UPDATE;
  IF b IS NULL AND FOUND THEN
    INSERT INTO users (username, display_name, role, is_bot)
      VALUES (left(p_name, 20) || '-' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 8),
              p_name, 'member', true) RETURNING id INTO b;
    UPDATE plugins SET bot_id = b WHERE name = p_name;
  END IF;
  RETURN b;
END $$;
