-- 021_messages: messages with Markdown source and rendering, edit history,
-- reactions, thread followers, mentions and search indexes.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE messages (
    id             bigserial PRIMARY KEY,
    channel_id     bigint NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    author_id      bigint REFERENCES users(id) ON DELETE SET NULL,
    thread_root_id bigint REFERENCES messages(id) ON DELETE CASCADE,
    body           text NOT NULL,      -- Markdown source; '' once deleted
    html           text NOT NULL,      -- safe rendering; '' once deleted
    lang           regconfig NOT NULL DEFAULT 'english',
    tsv            tsvector GENERATED ALWAYS AS (to_tsvector(lang, body)) STORED,
    created_at     timestamptz NOT NULL DEFAULT now(),
    edited_at      timestamptz,
    deleted_at     timestamptz,
    pinned_at      timestamptz,
    pinned_by      bigint REFERENCES users(id) ON DELETE SET NULL,
    reply_count    integer NOT NULL DEFAULT 0,
    last_reply_at  timestamptz,
    idem_key       text,
    j              text NOT NULL DEFAULT ''  -- JSON of the row's own fields, kept by a trigger
);
-- top-level messages of a channel in order: history pages, unread counts
CREATE INDEX messages_channel ON messages (channel_id, id) WHERE thread_root_id IS NULL;
CREATE INDEX messages_thread ON messages (thread_root_id, id) WHERE thread_root_id IS NOT NULL;
CREATE INDEX messages_pinned ON messages (channel_id, pinned_at) WHERE pinned_at IS NOT NULL;
CREATE UNIQUE INDEX messages_idem ON messages (author_id, idem_key) WHERE idem_key IS NOT NULL;
-- Search reads messages_tsv first: no pending list, so its cost does not
-- depend on how much was posted since the last vacuum. The trigram index
-- (many entries per message, read only as a fallback) keeps a short one.
CREATE INDEX messages_tsv ON messages USING gin (tsv) WITH (fastupdate = off);
CREATE INDEX messages_trgm ON messages USING gin (body gin_trgm_ops)
  WITH (gin_pending_list_limit = 512);

CREATE TABLE message_edits (
    id         bigserial PRIMARY KEY,
    message_id bigint NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    body       text NOT NULL,
    html       text NOT NULL,
    edited_at  timestamptz NOT NULL DEFAULT now(),
    editor_id  bigint REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX message_edits_message ON message_edits (message_id, id);

CREATE TABLE reactions (
    message_id bigint NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    emoji      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, emoji, user_id)
);

CREATE TABLE thread_followers (
    message_id bigint NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (message_id, user_id)
);

-- One row per user mentioned in a message (directly, @channel or @here);
-- mention counts are derived from it and the read markers.
CREATE TABLE mentions (
    message_id bigint NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    channel_id bigint NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, channel_id, message_id)
);
