-- 140_ai: AI governance and features: per-channel and per-user settings,
-- the audit of every provider call (budgets are summed from it), message
-- embeddings with their background queue, and the moderation review queue.

-- A channel's AI settings; no row means the defaults (features on with the
-- local built-in provider, nothing sent to a remote provider, moderation off).
CREATE TABLE ai_channel_settings (
    channel_id  bigint PRIMARY KEY REFERENCES channels(id) ON DELETE CASCADE,
    enabled     boolean NOT NULL DEFAULT true,
    remote      boolean NOT NULL DEFAULT false,
    moderation  text NOT NULL DEFAULT 'off' CHECK (moderation IN ('off', 'flag', 'hold', 'block')),
    updated_by  bigint REFERENCES users(id) ON DELETE SET NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A user's consent that their messages in DMs and private channels may go
-- to a remote provider (every member must consent).
CREATE TABLE ai_user_settings (
    user_id     bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    remote_ok   boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per provider call (and per refused call). sent_sha256 is the
-- SHA-256 of exactly the bytes sent; payload only when ai_audit_payload is on.
CREATE TABLE ai_audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     bigint REFERENCES users(id) ON DELETE SET NULL,
    feature     text NOT NULL,
    channel_id  bigint REFERENCES channels(id) ON DELETE SET NULL,
    provider    text NOT NULL,
    model       text NOT NULL DEFAULT '',
    remote      boolean NOT NULL,
    tokens_in   integer NOT NULL DEFAULT 0,
    tokens_out  integer NOT NULL DEFAULT 0,
    cost        numeric(14, 6) NOT NULL DEFAULT 0,
    duration_ms integer NOT NULL DEFAULT 0,
    status      text NOT NULL,
    sent_sha256 text NOT NULL DEFAULT '',
    redactions  integer NOT NULL DEFAULT 0,
    payload     text
);
CREATE INDEX ai_audit_at ON ai_audit (at);
CREATE INDEX ai_audit_user ON ai_audit (user_id, at);
CREATE INDEX ai_audit_channel ON ai_audit (channel_id, at);

-- Embeddings of messages (built-in: 256 components quantised to int8). channel_id is copied so
-- that the readable-channel filter needs no join with messages.
CREATE TABLE ai_embeddings (
    message_id  bigint PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    channel_id  bigint NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    model       text NOT NULL,
    vec         bytea NOT NULL     -- int8 components (x127), dim bytes
);
CREATE INDEX ai_embeddings_channel ON ai_embeddings (channel_id, message_id);

-- Messages waiting for an embedding: filled by the trigger below, drained
-- by the background worker (FOR UPDATE SKIP LOCKED, so any process may).
CREATE TABLE ai_embed_queue (
    message_id  bigint PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    queued_at   timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION px_ai_embed_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.deleted_at IS NOT NULL THEN
        DELETE FROM ai_embeddings WHERE message_id = NEW.id;
        DELETE FROM ai_embed_queue WHERE message_id = NEW.id;
    ELSIF TG_OP = 'INSERT' OR NEW.body IS DISTINCT FROM OLD.body THEN
        INSERT INTO ai_embed_queue (message_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER messages_ai_embed AFTER INSERT OR UPDATE OF body, deleted_at ON messages
    FOR EACH ROW EXECUTE FUNCTION px_ai_embed_track();

-- Moderation: flagged posts (already posted) and held posts (not posted
-- until a moderator approves; the body waits here).
CREATE TABLE ai_moderation (
    id          bigserial PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    channel_id  bigint NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    author_id   bigint REFERENCES users(id) ON DELETE SET NULL,
    message_id  bigint REFERENCES messages(id) ON DELETE CASCADE,
    thread_root_id bigint,
    body        text NOT NULL,
    action      text NOT NULL CHECK (action IN ('flag', 'hold')),
    category    text NOT NULL,
    match       text NOT NULL,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    reviewed_by bigint REFERENCES users(id) ON DELETE SET NULL,
    reviewed_at timestamptz
);
CREATE INDEX ai_moderation_pending ON ai_moderation (id) WHERE status = 'pending';
