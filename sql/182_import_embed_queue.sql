-- 182_import_embed_queue: imported history is queued for its AI embedding
-- in one statement per batch instead of by 140's row trigger.
--
-- The row trigger made one PL/pgSQL call and a one-row INSERT ... ON
-- CONFLICT per imported message (pg_stat_statements counted 12 s of a
-- 55 s import of 100,000 messages for it, though 2,000-row batches timed
-- back to back took about as long with it as without: docs/INTEGRATIONS.md).
-- The import sets plexichat.import for its own transaction only (131), so
-- every other write still goes through the trigger; px_import_messages
-- puts the ids it inserted into the queue itself, in the same statement,
-- and the embedding worker finds imported messages there as it finds
-- posted ones (docs/AI.md).
DROP TRIGGER messages_ai_embed ON messages;
CREATE TRIGGER messages_ai_embed AFTER INSERT OR UPDATE OF body, deleted_at ON messages
    FOR EACH ROW WHEN (current_setting('plexichat.import', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION px_ai_embed_track();

-- 131's function with the queueing added (the "queued" step); the rest is
-- unchanged. SET plan_cache_mode as 133 gave it (a replaced definition
-- keeps only the settings it names).
CREATE OR REPLACE FUNCTION px_import_messages(p_source text, p_channel bigint, p_sids text[],
    p_authors bigint[], p_bodies text[], p_htmls text[], p_created timestamptz[],
    p_roots text[]) RETURNS integer LANGUAGE plpgsql
    SET plan_cache_mode = force_custom_plan AS $$
DECLARE
  n integer;
BEGIN
  PERFORM set_config('plexichat.import', 'on', true);
  -- the channel's post lock, as px_message_post takes it: ids of a channel
  -- commit in order, which the compliance export's cursor relies on
  PERFORM pg_advisory_xact_lock(7243002, hashint8(p_channel));
  -- import_map look-ups are LATERAL ... LIMIT 1, index probes per row (131)
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
    RETURNING id
  ), mapped AS (
    INSERT INTO import_map (source, kind, source_id, target_id, root_sid)
    SELECT p_source, 'message', f.sid, f.id, CASE WHEN f.root_id IS NULL THEN f.root END
      FROM fresh f
  ), queued AS (
    -- what the trigger skipped: every new message waits for its embedding
    INSERT INTO ai_embed_queue (message_id)
    SELECT i.id FROM ins i
    ON CONFLICT DO NOTHING
  )
  SELECT count(*) INTO n FROM ins;
  RETURN n;
END $$;
