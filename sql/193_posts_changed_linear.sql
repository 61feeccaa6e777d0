-- 193_posts_changed_linear: the statement trigger of sql/190 that marks
-- the channels an UPDATE of messages changed no longer joins its old and
-- new rows.
--
-- PL/pgSQL plans a trigger's statements once per database session, with
-- the sizes of the transition tables of the first call. An import's
-- session first updated a few rows, so the join of old_rows with new_rows
-- was planned as a nested loop; linking the replies of a 1,000,000-message
-- Slack export then updated half a million rows in one statement, and the
-- loop read the spilled new rows again for each old row: still running
-- after 6 minutes (bench/import-bench.sh), where 200,000 messages had
-- taken 4 s. Any large UPDATE after a small one in the same session did
-- the same (a retention run, a bulk edit).
--
-- Now no statement of the trigger can be planned as a loop over the rows:
-- the old and new versions of each row are reduced to the columns the
-- tallies depend on and put together with UNION, which keeps one tuple for
-- a row that did not change there and two for one that did; a window
-- counts them per id. Hashing, sorting and the window all grow with the
-- rows, whatever the plan of the first call.

CREATE OR REPLACE FUNCTION px_posts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH versions AS (
    SELECT id, channel_id, deleted_at IS NULL, thread_root_id IS NULL, author_id FROM old_rows
    UNION
    SELECT id, channel_id, deleted_at IS NULL, thread_root_id IS NULL, author_id FROM new_rows),
  marks AS (
    SELECT channel_id, max(id) AS id
      FROM (SELECT id, channel_id, count(*) OVER (PARTITION BY id) AS k FROM versions) v
     WHERE k > 1 GROUP BY channel_id ORDER BY channel_id)
  UPDATE channel_post_counts t SET gone_id = m.id FROM marks m
   WHERE t.channel_id = m.channel_id AND t.gone_id < m.id;
  -- moved: the newest message of both channels again
  WITH places AS (
    SELECT id, channel_id FROM old_rows UNION SELECT id, channel_id FROM new_rows)
  UPDATE channel_post_counts t SET last_id = px_channel_newest(t.channel_id)
   WHERE t.channel_id IN (SELECT DISTINCT channel_id
                            FROM (SELECT channel_id, count(*) OVER (PARTITION BY id) AS k
                                    FROM places) p
                           WHERE k > 1);
  RETURN NULL;
END $$;
