-- 187_import_plans: the import's batch functions no longer run under
-- plan_cache_mode = force_custom_plan (133).
--
-- A function's SET applies to everything run while it runs, also to the
-- foreign-key checks PostgreSQL makes for every inserted row (channel,
-- author, thread root, pinned_by; the embedding queue's message; a
-- reaction's message and user). Those are cached plans too, and with
-- force_custom_plan each one was planned again for every row: perf over a
-- 50,000-message import found 38% of the backend's time in GetCachedPlan
-- under AfterTriggerEndQuery (docs/INTEGRATIONS.md#import-speed). What
-- 133 wanted, the batch statement planned for its arrays' real sizes, is
-- kept by running that statement with EXECUTE, which plans it at each
-- call with the values it is given; the checks keep their generic plans.
ALTER FUNCTION px_import_reactions(text, text[], bigint[], text[]) RESET plan_cache_mode;

-- 182's function, its statement run by EXECUTE ... USING (the same text,
-- $1..$8 for the parameters); nothing else changed.
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
  ), ins AS (
    INSERT INTO messages (id, channel_id, author_id, thread_root_id, body, html, created_at)
    SELECT f.id, $2, f.author, f.root_id, f.body, f.html, f.created
      FROM fresh f ORDER BY f.id
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
ALTER FUNCTION px_import_messages(text, bigint, text[], bigint[], text[], text[],
    timestamptz[], text[]) RESET plan_cache_mode;
