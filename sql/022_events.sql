-- 022_events: the durable, ordered event log, notifications.
-- Event ids are taken under an advisory lock held to commit, so they become
-- visible in id order: a reader that has seen id N has seen every id < N.
CREATE TABLE events (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    kind       text NOT NULL,
    channel_id bigint,                 -- audience: the channel's members ...
    user_id    bigint,                 -- ... and/or this one user
    data       json NOT NULL DEFAULT '{}'
);
-- Only the primary key: every read walks ids upwards from a cursor, and
-- pruning walks them from the oldest; each extra index would cost every post.

-- The highest id removed by pruning; a resume from below it missed events.
CREATE TABLE events_pruned (
    one        boolean PRIMARY KEY DEFAULT true CHECK (one),
    upto_id    bigint NOT NULL DEFAULT 0
);
INSERT INTO events_pruned DEFAULT VALUES;

CREATE TABLE notifications (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('mention', 'dm', 'reply')),
    channel_id bigint NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    message_id bigint NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    actor_id   bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz
);
CREATE INDEX notifications_user ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
