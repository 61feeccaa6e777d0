-- 125_hooks: bot accounts, incoming webhooks, outgoing webhooks and their
-- durable delivery queue (docs/INTEGRATIONS.md).

-- A bot is an account owned by a person (or made for a hook); it has no
-- password and cannot sign in, and its messages say they come from a bot.
ALTER TABLE users ADD COLUMN bot_owner_id bigint REFERENCES users(id) ON DELETE CASCADE;
ALTER TABLE users ADD COLUMN is_bot boolean NOT NULL DEFAULT false;
CREATE INDEX users_bot_owner ON users (bot_owner_id) WHERE bot_owner_id IS NOT NULL;

-- What a bot's post says about itself: {"name", "icon_url", "via"}, shown
-- beside the bot account's own name, never instead of it.
ALTER TABLE messages ADD COLUMN bot jsonb;

-- The row JSON gains "bot" (null for people). Bot posts go through
-- px_hook_post, which hands the override to this trigger in a
-- transaction-local setting, so px_message_post keeps one signature.
CREATE OR REPLACE FUNCTION px_message_row_json() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.bot := nullif(current_setting('plexichat.msg_bot', true), '')::jsonb;
  END IF;
  NEW.j := json_build_object(
    'id', NEW.id, 'channel_id', NEW.channel_id, 'thread_root_id', NEW.thread_root_id,
    'body', NEW.body, 'html', NEW.html, 'created_at', NEW.created_at,
    'edited_at', NEW.edited_at, 'deleted', NEW.deleted_at IS NOT NULL,
    'pinned', NEW.pinned_at IS NOT NULL, 'reply_count', NEW.reply_count,
    'last_reply_at', NEW.last_reply_at, 'bot', NEW.bot)::text;
  NEW.j := left(NEW.j, -1);
  RETURN NEW;
END $$;

-- Incoming webhooks: a secret URL per hook; only its SHA-256 is kept.
CREATE TABLE incoming_hooks (
    id           bigserial PRIMARY KEY,
    channel_id   bigint NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    creator_id   bigint REFERENCES users(id) ON DELETE SET NULL,
    bot_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         text NOT NULL,
    token_hash   text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX incoming_hooks_channel ON incoming_hooks (channel_id);

-- Outgoing webhooks: POST to url on messages starting with a trigger word
-- and/or on the listed event kinds of the channel. The signing secret is
-- kept sealed (px_crypto_seal with secret_key); the sender opens it.
CREATE TABLE outgoing_hooks (
    id            bigserial PRIMARY KEY,
    channel_id    bigint NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    creator_id    bigint REFERENCES users(id) ON DELETE SET NULL,
    bot_id        bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          text NOT NULL,
    url           text NOT NULL,
    secret_sealed text NOT NULL,
    trigger_words text[] NOT NULL DEFAULT '{}',
    events        text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz
);
CREATE INDEX outgoing_hooks_channel ON outgoing_hooks (channel_id) WHERE revoked_at IS NULL;

-- The queue: one row per delivery, written in the transaction of the event
-- that caused it. A sender claims rows with FOR UPDATE SKIP LOCKED by
-- moving next_at past a lease; a sender that dies leaves the row to be
-- claimed again when the lease ends (at least once). delivered, failed:
-- final. The body is fixed at enqueue time, so retries send the same bytes.
CREATE TABLE hook_deliveries (
    id           bigserial PRIMARY KEY,
    delivery_id  uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    hook_id      bigint NOT NULL REFERENCES outgoing_hooks(id) ON DELETE CASCADE,
    event_id     bigint,
    kind         text NOT NULL,
    body         text NOT NULL,
    state        text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts     integer NOT NULL DEFAULT 0,
    next_at      timestamptz NOT NULL DEFAULT now(),
    created_at   timestamptz NOT NULL DEFAULT now(),
    done_at      timestamptz,
    last_status  integer,
    last_error   text
);
CREATE INDEX hook_deliveries_due ON hook_deliveries (next_at) WHERE state = 'pending';
CREATE INDEX hook_deliveries_hook ON hook_deliveries (hook_id, id DESC);

-- The first word of a message's Markdown source, lower-cased, for the
-- trigger-word match (Mattermost's "first word" rule).
CREATE FUNCTION px_first_word(body text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT lower(substring(ltrim(body) FROM '^[^[:space:]]+'))
$$;

-- Enqueues deliveries for every live outgoing hook of the event's channel
-- that wants it: its kind is listed, or it is a new top-level message whose
-- first word is a trigger word. A hook never hears its own bot.
CREATE FUNCTION px_hooks_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  h outgoing_hooks;
  author bigint;
  word text;
  uname text;
  n integer := 0;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM outgoing_hooks WHERE channel_id = NEW.channel_id
                 AND revoked_at IS NULL) THEN
    RETURN NULL;
  END IF;
  IF NEW.kind LIKE 'message.%' THEN
    author := (NEW.data->'author'->>'id')::bigint;
    uname := NEW.data->'author'->>'username';
    IF NEW.kind = 'message.created' THEN
      word := px_first_word(NEW.data->>'body');
    END IF;
  END IF;
  FOR h IN SELECT * FROM outgoing_hooks WHERE channel_id = NEW.channel_id
           AND revoked_at IS NULL LOOP
    CONTINUE WHEN author IS NOT NULL AND author = h.bot_id;
    IF NEW.kind = ANY (h.events) THEN
      INSERT INTO hook_deliveries (hook_id, event_id, kind, body) VALUES (h.id, NEW.id,
        NEW.kind, json_build_object('hook_id', h.id, 'event', NEW.kind, 'event_id', NEW.id,
          'channel_id', NEW.channel_id, 'at', NEW.at, 'data', NEW.data)::text);
      n := n + 1;
    ELSIF word IS NOT NULL AND word = ANY (h.trigger_words)
          AND (NEW.data->>'thread_root_id') IS NULL THEN
      INSERT INTO hook_deliveries (hook_id, event_id, kind, body) VALUES (h.id, NEW.id,
        'trigger', json_build_object('hook_id', h.id, 'event', 'trigger', 'event_id', NEW.id,
          'channel_id', NEW.channel_id, 'at', NEW.at, 'trigger_word', word,
          'text', NEW.data->>'body', 'user_id', author, 'user_name', uname,
          'post_id', NEW.data->>'id', 'timestamp',
          (extract(epoch FROM NEW.at) * 1000)::bigint, 'data', NEW.data)::text);
      n := n + 1;
    END IF;
  END LOOP;
  IF n > 0 THEN
    PERFORM pg_notify('px_hooks', '');
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER events_hooks AFTER INSERT ON events FOR EACH ROW
  WHEN (NEW.channel_id IS NOT NULL) EXECUTE FUNCTION px_hooks_enqueue();

-- A bot's post: the override rides in a transaction-local setting read by
-- px_message_row_json, then is cleared for whatever follows.
CREATE FUNCTION px_hook_post(p_channel bigint, p_kind text, p_bot bigint, p_body text,
    p_html text, p_lang regconfig, p_names text[], p_props jsonb,
    OUT status text, OUT message json) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('plexichat.msg_bot', coalesce(p_props::text, ''), true);
  SELECT r.status, r.message INTO status, message
    FROM px_message_post(p_channel, p_kind, p_bot, NULL, p_body, p_html, p_lang, NULL,
                         p_names) r;
  PERFORM set_config('plexichat.msg_bot', '', true);
END $$;
