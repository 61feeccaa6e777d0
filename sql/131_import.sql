-- 131_import: importing history from Slack and Mattermost exports
-- (plexichat-admin import, admin/import_*.c, docs/INTEGRATIONS.md).
--
-- import_map remembers what each record of a source became here, so that
-- running an import again finds it and makes nothing twice. root_sid is a
-- reply's thread root as the source names it, until the root is found.
CREATE TABLE import_map (
    source     text NOT NULL,          -- 'slack', 'mattermost'
    kind       text NOT NULL,          -- 'user', 'channel', 'message'
    source_id  text NOT NULL,
    target_id  bigint NOT NULL,
    root_sid   text,
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, kind, source_id)
);
CREATE INDEX import_map_pending ON import_map (source) WHERE root_sid IS NOT NULL;

-- Imported history is not news: no link-preview job for its links (an
-- import of years of messages would otherwise fetch every URL ever
-- posted). The import sets plexichat.import for its own transaction only;
-- otherwise this is 129's function unchanged.
CREATE OR REPLACE FUNCTION px_unfurl_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('plexichat.import', true) = 'on' THEN
    RETURN NULL;
  END IF;
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

-- One batch of messages of one channel (usually a day's file). Those whose
-- source id is already mapped are left alone; the others are inserted with
-- their original time, no events, notifications, mentions or unfurl jobs
-- (px_message_post's live side effects make no sense for history), and
-- mapped. A reply's root is looked up among what is mapped already; when
-- it is not there yet (a later file), import_map keeps its source id for
-- px_import_threads. Returns how many were inserted.
CREATE FUNCTION px_import_messages(p_source text, p_channel bigint, p_sids text[],
    p_authors bigint[], p_bodies text[], p_htmls text[], p_created timestamptz[],
    p_roots text[]) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  PERFORM set_config('plexichat.import', 'on', true);
  -- the channel's post lock, as px_message_post takes it: ids of a channel
  -- commit in order, which the compliance export's cursor relies on
  PERFORM pg_advisory_xact_lock(7243002, hashint8(p_channel));
  -- The look-ups of import_map are LATERAL ... LIMIT 1, index probes per
  -- row: a plain join is planned once for the function from the table's
  -- statistics, which an import outgrows while it runs (a nested loop over
  -- every mapped row, per row, was the result).
  WITH src AS (
    SELECT DISTINCT ON (u.sid) u.sid, u.author, u.body, u.html, u.created, u.root, u.ord
      FROM unnest(p_sids, p_authors, p_bodies, p_htmls, p_created, p_roots)
           WITH ORDINALITY AS u(sid, author, body, html, created, root, ord)
      LEFT JOIN LATERAL (SELECT 1 AS hit FROM import_map m WHERE m.source = p_source
                           AND m.kind = 'message' AND m.source_id = u.sid LIMIT 1) m ON true
     WHERE m.hit IS NULL
     ORDER BY u.sid, u.ord
  ), numbered AS (
    -- ids in time order, as history pages read them
    SELECT nextval('messages_id_seq') AS id, o.*
      FROM (SELECT s.*, r.target_id AS mapped_root FROM src s
              LEFT JOIN LATERAL (SELECT r.target_id FROM import_map r
                                  WHERE s.root IS NOT NULL AND r.source = p_source
                                    AND r.kind = 'message' AND r.source_id = s.root
                                  LIMIT 1) r ON true
             ORDER BY s.created, s.ord) o
  ), fresh AS (
    -- a root in this same batch is found here (the foreign key is checked
    -- at the end of the statement, when it is in)
    SELECT n.*, coalesce(n.mapped_root, g.id) AS root_id
      FROM numbered n
      LEFT JOIN numbered g ON n.root IS NOT NULL AND g.sid = n.root AND g.root IS NULL
  ), ins AS (
    INSERT INTO messages (id, channel_id, author_id, thread_root_id, body, html, created_at)
    SELECT f.id, p_channel, f.author, f.root_id, f.body, f.html, f.created
      FROM fresh f ORDER BY f.id
    RETURNING 1
  ), mapped AS (
    INSERT INTO import_map (source, kind, source_id, target_id, root_sid)
    SELECT p_source, 'message', f.sid, f.id, CASE WHEN f.root_id IS NULL THEN f.root END
      FROM fresh f
  )
  SELECT count(*) INTO n FROM ins;
  RETURN n;
END $$;

-- Reactions of imported messages, by the messages' source ids; those
-- already there are left alone. Returns how many were added.
CREATE FUNCTION px_import_reactions(p_source text, p_sids text[], p_users bigint[],
    p_emoji text[]) RETURNS integer LANGUAGE sql AS $$
  WITH ins AS (
    INSERT INTO reactions (message_id, user_id, emoji, created_at)
    SELECT m.target_id, u.uid, u.emoji, msg.created_at
      FROM unnest(p_sids, p_users, p_emoji) AS u(sid, uid, emoji)
      JOIN LATERAL (SELECT m.target_id FROM import_map m WHERE m.source = p_source
                      AND m.kind = 'message' AND m.source_id = u.sid LIMIT 1) m ON true
      JOIN messages msg ON msg.id = m.target_id
    ON CONFLICT DO NOTHING
    RETURNING 1
  )
  SELECT count(*)::integer FROM ins;
$$;

-- After the last batch: replies whose root came later are attached to it
-- (or stay top-level messages when the root never came: counted as
-- orphans), and the roots' reply counts, last reply times and followers
-- are set from what they now have. Returns the orphans.
CREATE FUNCTION px_import_threads(p_source text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  orphans integer;
BEGIN
  PERFORM set_config('plexichat.import', 'on', true);
  -- the table grew during the import: plan the joins below on what it holds
  ANALYZE import_map;
  CREATE TEMP TABLE px_import_roots ON COMMIT DROP AS
    SELECT c.target_id AS id, r.target_id AS root_id
      FROM import_map c
      JOIN import_map r ON r.source = p_source AND r.kind = 'message' AND r.source_id = c.root_sid
     WHERE c.source = p_source AND c.kind = 'message' AND c.root_sid IS NOT NULL;
  UPDATE messages m SET thread_root_id = t.root_id FROM px_import_roots t
   WHERE m.id = t.id AND m.thread_root_id IS NULL AND t.root_id <> t.id;
  UPDATE import_map c SET root_sid = NULL FROM px_import_roots t
   WHERE c.source = p_source AND c.kind = 'message' AND c.target_id = t.id;
  SELECT count(*) INTO orphans FROM import_map
   WHERE source = p_source AND kind = 'message' AND root_sid IS NOT NULL;
  -- every root with an imported reply, its counters from its replies
  UPDATE messages r SET reply_count = s.n, last_reply_at = s.last
    FROM (SELECT m.thread_root_id AS id, count(*)::integer AS n, max(m.created_at) AS last
            FROM messages m
           WHERE m.thread_root_id IN (SELECT x.thread_root_id FROM messages x
                   JOIN import_map i ON i.source = p_source AND i.kind = 'message'
                        AND i.target_id = x.id
                  WHERE x.thread_root_id IS NOT NULL)
             AND m.deleted_at IS NULL
           GROUP BY m.thread_root_id) s
   WHERE r.id = s.id AND (r.reply_count, r.last_reply_at) IS DISTINCT FROM (s.n, s.last);
  INSERT INTO thread_followers (message_id, user_id)
  SELECT DISTINCT m.thread_root_id, m.author_id FROM messages m
    JOIN import_map i ON i.source = p_source AND i.kind = 'message' AND i.target_id = m.id
   WHERE m.thread_root_id IS NOT NULL AND m.author_id IS NOT NULL
  UNION
  SELECT DISTINCT r.id, r.author_id FROM messages r
    JOIN messages m ON m.thread_root_id = r.id
    JOIN import_map i ON i.source = p_source AND i.kind = 'message' AND i.target_id = m.id
   WHERE r.author_id IS NOT NULL
  ON CONFLICT DO NOTHING;
  RETURN orphans;
END $$;
