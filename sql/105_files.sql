-- 105_files.sql: uploaded files, resumable upload sessions and the files
-- a message carries. A file's bytes live in the file store under their
-- SHA-256 (storage/px_st_files.h), so two rows may name the same object;
-- rows are what is visible. Only state 'ready' is ever listed or served:
-- 'uploading' rows do not exist (an upload in progress is an uploads row),
-- 'quarantined' is for the virus-scan hook, 'deleted' keeps the row for
-- the store's clean-up. channel_id NULL is a draft, visible to its owner
-- only, until a message of the owner carries it into a channel.
CREATE TABLE files (
	id            bigserial PRIMARY KEY,
	owner_id      bigint REFERENCES users(id) ON DELETE SET NULL,
	channel_id    bigint REFERENCES channels(id) ON DELETE CASCADE,
	name          text NOT NULL CHECK (name <> '' AND length(name) <= 255),
	declared_type text NOT NULL DEFAULT '',
	detected_type text NOT NULL DEFAULT '',
	size          bigint NOT NULL CHECK (size > 0),
	sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	state         text NOT NULL DEFAULT 'ready'
	              CHECK (state IN ('uploading', 'ready', 'quarantined', 'deleted')),
	width         integer,
	height        integer,
	created_at    timestamptz NOT NULL DEFAULT now(),
	deleted_at    timestamptz
);
-- a channel's files, newest first (cursor pages by id)
CREATE INDEX files_channel ON files (channel_id, id) WHERE state = 'ready';
-- quotas: bytes per owner
CREATE INDEX files_owner ON files (owner_id) WHERE state <> 'deleted';
-- whether an object is still referenced before the store drops it
CREATE INDEX files_sha256 ON files (sha256);

-- A resumable upload: bytes arrive in order into temp_path until offset
-- reaches size; then the file is checked and becomes a files row.
CREATE TABLE uploads (
	id            bigserial PRIMARY KEY,
	token         text NOT NULL UNIQUE CHECK (token ~ '^[0-9a-f]{32}$'),
	owner_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	channel_id    bigint REFERENCES channels(id) ON DELETE CASCADE,
	name          text NOT NULL CHECK (name <> '' AND length(name) <= 255),
	declared_type text NOT NULL DEFAULT '',
	size          bigint NOT NULL CHECK (size > 0),
	received      bigint NOT NULL DEFAULT 0 CHECK (received >= 0 AND received <= size),
	temp_path     text NOT NULL,
	created_at    timestamptz NOT NULL DEFAULT now(),
	expires_at    timestamptz NOT NULL
);
CREATE INDEX uploads_owner ON uploads (owner_id);

CREATE TABLE message_files (
	message_id bigint NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
	file_id    bigint NOT NULL REFERENCES files(id) ON DELETE CASCADE,
	position   integer NOT NULL,
	PRIMARY KEY (message_id, file_id),
	UNIQUE (file_id)
);

-- The public JSON of a file (metadata; never the store path).
CREATE FUNCTION px_file_json(f files) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_build_object('id', f.id, 'name', f.name, 'type', f.detected_type,
    'declared_type', f.declared_type, 'size', f.size, 'sha256', f.sha256,
    'channel_id', f.channel_id, 'owner_id', f.owner_id, 'state', f.state,
    'width', f.width, 'height', f.height, 'created_at', f.created_at,
    'url', '/api/v1/files/' || f.id || '/content')
$$;

-- Messages carry their files: the view gains a "files" member (empty for
-- deleted messages, whose files are unreachable).
CREATE OR REPLACE FUNCTION px_message_text(row_json text, author json, reactions json,
                                           files json) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT row_json || ', "author" : ' || coalesce(author::text, 'null')
         || ', "reactions" : ' || coalesce(reactions::text, '[]')
         || ', "files" : ' || coalesce(files::text, '[]') || '}'
$$;

-- the posting functions' three-argument form gives the same shape
CREATE OR REPLACE FUNCTION px_message_text(row_json text, author json, reactions json)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT px_message_text(row_json, author, reactions, NULL::json)
$$;

CREATE OR REPLACE VIEW px_message_view AS
  SELECT m.id, m.channel_id, m.thread_root_id, m.pinned_at,
         px_message_text(m.j, px_user_obj(u.id, u.username, u.display_name), r.j, fl.j) AS t
  FROM messages m
  LEFT JOIN users u ON u.id = m.author_id
  LEFT JOIN LATERAL (
    SELECT json_agg(json_build_object('emoji', g.emoji, 'count', g.n, 'users', g.users)
                    ORDER BY g.first) AS j
    FROM (SELECT x.emoji, count(*) AS n, min(x.created_at) AS first,
                 json_agg(ru.username::text ORDER BY x.created_at) AS users
          FROM reactions x JOIN users ru ON ru.id = x.user_id
          WHERE x.message_id = m.id GROUP BY x.emoji) g) r ON m.deleted_at IS NULL
  LEFT JOIN LATERAL (
    SELECT json_agg(px_file_json(f) ORDER BY mf.position) AS j
    FROM message_files mf JOIN files f ON f.id = mf.file_id AND f.state = 'ready'
    WHERE mf.message_id = m.id) fl ON m.deleted_at IS NULL;
