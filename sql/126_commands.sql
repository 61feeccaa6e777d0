-- 126_commands: slash commands registered by administrators, and the
-- response URLs handed to their services (docs/INTEGRATIONS.md).

-- A command "/name" answered by a service at url. The verification token
-- (Slack's "token" field) is sent with every call, so it is kept sealed
-- (px_crypto_seal under the context "command:" || command). The command's
-- own bot posts its in_channel answers.
CREATE TABLE slash_commands (
    id           bigserial PRIMARY KEY,
    command      text NOT NULL UNIQUE CHECK (command ~ '^[a-z0-9_-]{1,32}$'),
    url          text NOT NULL,
    description  text NOT NULL DEFAULT '',
    token_sealed text NOT NULL,
    bot_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    creator_id   bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- One invocation's response_url: the service may post up to five
-- in_channel answers within 30 minutes, as Slack allows.
CREATE TABLE command_responses (
    token_hash  text PRIMARY KEY,
    command_id  bigint NOT NULL REFERENCES slash_commands(id) ON DELETE CASCADE,
    channel_id  bigint NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    user_id     bigint REFERENCES users(id) ON DELETE CASCADE,
    uses_left   integer NOT NULL DEFAULT 5,
    expires_at  timestamptz NOT NULL DEFAULT now() + interval '30 minutes'
);
CREATE INDEX command_responses_expiry ON command_responses (expires_at);
