-- 188_import_row_json: the rows an import inserts get their messages.j
-- in the import's own statement instead of from the row trigger.
--
-- After 187, the BEFORE row trigger (one PL/pgSQL call per row) was a
-- tenth of an import's time in PostgreSQL (perf, docs/INTEGRATIONS.md
-- #import-speed). The row JSON keeps one definition, px_message_j below:
-- the trigger calls it for every other insert and for every update (so
-- the import's later thread and reply-count updates still go through
-- it), and px_import_messages calls it for the rows it inserts, while it
-- sets plexichat.import for its transaction (131), as the link-preview
-- and embedding triggers already skip such rows (133, 182).

-- 129's expression: the message as JSON text without its closing brace
-- (readers append their own fields). STABLE: timestamps are written in
-- the session's time zone.
CREATE FUNCTION px_message_j(p_id bigint, p_channel bigint, p_root bigint, p_body text,
    p_html text, p_created timestamptz, p_edited timestamptz, p_deleted timestamptz,
    p_pinned timestamptz, p_reply_count integer, p_last_reply timestamptz, p_bot jsonb,
    p_preview jsonb) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT left(json_build_object(
    'id', p_id, 'channel_id', p_channel, 'thread_root_id', p_root,
    'body', p_body, 'html', p_html, 'created_at', p_created,
    'edited_at', p_edited, 'deleted', p_deleted IS NOT NULL,
    'pinned', p_pinned IS NOT NULL, 'reply_count', p_reply_count,
    'last_reply_at', p_last_reply, 'bot', p_bot, 'preview', p_preview)::text, -1)
$$;

-- 129's trigger function with the expression moved into px_message_j.
CREATE OR REPLACE FUNCTION px_message_row_json() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.bot := nullif(current_setting('plexichat.msg_bot', true), '')::jsonb;
  END IF;
  IF NEW.deleted_at IS NOT NULL THEN
    NEW.preview := NULL;
  END IF;
  NEW.j := px_message_j(NEW.id, NEW.channel_id, NEW.thread_root_id, NEW.body, NEW.html,
    NEW.created_at, NEW.edited_at, NEW.deleted_at, NEW.pinned_at, NEW.reply_count,
    NEW.last_reply_at, NEW.bot, NEW.preview);
  RETURN NEW;
END $$;

-- Updates always; inserts unless made by the import (the same name for
-- inserts keeps the BEFORE triggers' order: messages_preview_choice first).
DROP TRIGGER messages_row_json ON messages;
CREATE TRIGGER messages_row_json BEFORE INSERT ON messages
  FOR EACH ROW WHEN (current_setting('plexichat.import', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION px_message_row_json();
CREATE TRIGGER messages_row_json_update BEFORE UPDATE ON messages
  FOR EACH ROW EXECUTE FUNCTION px_message_row_json();

-- 187's function; the insert now sets bot and j as the trigger would
-- have (an imported row has no edit, deletion, pin, replies or preview
-- yet: those columns' defaults).
CREATE OR REPLACE FUNCTION px_import_messages(p_source text, p_channel bigint, p_sids text[],
    p_authors bigint[], p_bodies text[], p_htmls text[], p_created timestamptz[],
    p_roots text[]) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  PERFORM set_config('plexichat.import', 'on', true);
  -- the channel's post lock, as px_message_post takes it: ids of a channel
  -- commit in order, which the compliance export's cursor relies on
  PERFORM pg_advisory_xact_lock(7243002, hashint8(p_channel));
  EXECUTE $q$
  WITH src AS (
    SELECT DISTINCT ON (u.sid) u.sid, u.author, u.body, u.html, u.created, u.root, u.ord
      FROM unnest($3, $4, $5, $6, $7, $8)
           WITH ORDINALITY AS u(sid, author, body, html, created, root, ord)
      LEFT JOIN LATERAL (SELECT 1 AS hit FROM import_map m WHERE m.source = $1
                           AND m.kind = 'message' AND m.source_id = u.sid LIMIT 1) m ON true
     WHERE m.hit IS NULL
     ORDER BY u.sid, u.ord
  ), numbered AS (
    -- ids in time order, as history pages read them
    SELECT nextval('messages_id_seq') AS id, o.*
      FROM (SELECT s.*, r.target_id AS mapped_root FROM src s
              LEFT JOIN LATERAL (SELECT r.target_id FROM import_map r
                                  WHERE s.root IS NOT NULL AND r.source = $1
                                    AND r.kind = 'message' AND r.source_id = s.root
                                  LIMIT 1) r ON true
             ORDER BY s.created, s.ord) o
  ), fresh AS (
    -- a root in this same batch is found here (the foreign key is checked
    -- at the end of the statement, when it is in)
    SELECT n.*, coalesce(n.mapped_root, g.id) AS root_id
      FROM numbered n
      LEFT JOIN numbered g ON n.root IS NOT NULL AND g.sid = n.root AND g.root IS NULL
  ), bot AS (
    SELECT nullif(current_setting('plexichat.msg_bot', true), '')::jsonb AS bot
  ), ins AS (
    INSERT INTO messages (id, channel_id, author_id, thread_root_id, body, html, created_at,
                          bot, j)
    SELECT f.id, $2, f.author, f.root_id, f.body, f.html, f.created, b.bot,
           px_message_j(f.id, $2, f.root_id, f.body, f.html, f.created, NULL, NULL, NULL, 0,
                        NULL, b.bot, NULL)
      FROM fresh f, bot b ORDER BY f.id
    RETURNING id
  ), mapped AS (
    INSERT INTO import_map (source, kind, source_id, target_id, root_sid)
    SELECT $1, 'message', f.sid, f.id, CASE WHEN f.root_id IS NULL THEN f.root END
      FROM fresh f
  ), queued AS (
    -- what the trigger skipped: every new message waits for its embedding
    INSERT INTO ai_embed_queue (message_id)
    SELECT i.id FROM ins i
    ON CONFLICT DO NOTHING
  )
  SELECT count(*) FROM ins
  $q$ INTO n USING p_source, p_channel, p_sids, p_authors, p_bodies, p_htmls, p_created, p_roots;
  RETURN n;
END $$;
