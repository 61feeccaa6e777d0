-- 020_channels: channels (public, private, 1:1 DMs, group DMs) and their members.
CREATE EXTENSION IF NOT EXISTS citext;

CREATE TABLE channels (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('public', 'private', 'dm', 'group')),
    name        citext,                -- NULL for DMs and group DMs
    topic       text NOT NULL DEFAULT '',
    created_by  bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    archived_at timestamptz,
    dm_key      text UNIQUE,           -- "low:high" user ids of a 1:1 DM
    CHECK ((kind IN ('public', 'private')) = (name IS NOT NULL))
);
CREATE UNIQUE INDEX channels_name ON channels (name) WHERE name IS NOT NULL;

CREATE TABLE channel_members (
    channel_id   bigint NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role         text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'moderator', 'member')),
    joined_at    timestamptz NOT NULL DEFAULT now(),
    last_read_id bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX channel_members_user ON channel_members (user_id, channel_id);

-- Presence: last_active_at moves on deliberate actions (post, typing, read),
-- last_seen_at on any messaging request or open event stream.
CREATE TABLE user_presence (
    user_id        bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_active_at timestamptz NOT NULL DEFAULT now()
);
