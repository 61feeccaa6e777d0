-- 190_unread_kept: unread counts from kept tallies instead of counting the
-- index entries after every read marker (issue 22: the unread counts of a
-- user in 200 channels within 5 ms at 10 M messages).
--
-- A member's unread count is the number of top-level, not deleted messages
-- of the channel after their read marker that someone else wrote. Counting
-- them costs an index scan per channel and request; keeping the count per
-- member would cost a write per member and post. Instead each channel keeps
-- how many top-level messages were ever added to it (posts), each member
-- how many of those they wrote (own_n), and when a member's read marker is
-- set, the count it has then is stored relative to both (unread_k):
--
--   unread = posts - own_n + unread_k
--
-- Until the marker moves again, the count can only change by posts (each
-- adds one to posts, and to own_n when it is the member's own) or by a
-- message after the marker being deleted, undeleted, turned into a reply or
-- given another author. Those changes raise the channel's gone_id to the
-- message's id; a member whose marker is below gone_id has the count made
-- by the scan again, as before. A marker set to the newest message, the
-- usual case, makes the count an addition.
--
-- Counts stop at 1,000 ("999+"): a member with 1,000 or more unread stores
-- 1,000, which stays true (only deletions, gated as above, lower it).
--
-- Consistency: the insert trigger raises posts and own_n in the posting
-- transaction, so a reader's snapshot sees the message and the tallies
-- together or neither. The marker trigger runs with the member's row locked
-- (a BEFORE ROW trigger), and its one statement takes a fresh snapshot (the
-- function is VOLATILE): a post by the same member waits for that lock
-- before raising own_n; posts by others commit message and posts together.

CREATE TABLE channel_post_counts (
    channel_id bigint PRIMARY KEY REFERENCES channels(id) ON DELETE CASCADE,
    posts      bigint NOT NULL DEFAULT 0,
    gone_id    bigint NOT NULL DEFAULT 0,
    last_id    bigint NOT NULL DEFAULT 0,
    mention_id bigint NOT NULL DEFAULT 0
);
-- The newest message and the newest mention of each channel must be right
-- from the start (they have no scan to fall back on); an index-only pass.
INSERT INTO channel_post_counts (channel_id, last_id)
  SELECT channel_id, max(id) FROM messages GROUP BY channel_id;
INSERT INTO channel_post_counts AS t (channel_id, mention_id)
  SELECT channel_id, max(message_id) FROM mentions GROUP BY channel_id
  ON CONFLICT (channel_id) DO UPDATE SET mention_id = excluded.mention_id;

-- Tallies start at zero: only changes after a marker was stored count, and
-- no marker is stored yet (unread_k NULL: the scan, until the member reads).
ALTER TABLE channel_members
    ADD COLUMN own_n bigint NOT NULL DEFAULT 0,
    ADD COLUMN unread_k bigint;

-- A member's unread count by the scan, stopping at 1,000.
CREATE FUNCTION px_unread_scan(ch bigint, uid bigint, marker bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM (SELECT 1 FROM messages x
    WHERE x.channel_id = ch AND x.id > marker AND x.thread_root_id IS NULL
      AND x.deleted_at IS NULL AND x.author_id IS DISTINCT FROM uid LIMIT 1000) s
$$;

-- A channel's newest message found again, where the kept one was removed
-- or moved away (the last entry of messages_channel_cover).
CREATE FUNCTION px_channel_newest(ch bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT coalesce(max(x.id), 0) FROM messages x WHERE x.channel_id = ch
$$;

CREATE FUNCTION px_posts_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- channel by channel, then member by member, in key order: two statements
  -- adding to the same channels lock their rows in the same order
  INSERT INTO channel_post_counts AS t (channel_id, posts, last_id)
    SELECT channel_id, count(*) FILTER (WHERE thread_root_id IS NULL), max(id) FROM added
     GROUP BY channel_id ORDER BY channel_id
    ON CONFLICT (channel_id) DO UPDATE
      SET posts = t.posts + excluded.posts, last_id = greatest(t.last_id, excluded.last_id);
  UPDATE channel_members m SET own_n = m.own_n + a.n
    FROM (SELECT channel_id, author_id, count(*) AS n FROM added
           WHERE thread_root_id IS NULL AND author_id IS NOT NULL
           GROUP BY channel_id, author_id ORDER BY channel_id, author_id) a
   WHERE m.channel_id = a.channel_id AND m.user_id = a.author_id;
  RETURN NULL;
END $$;
CREATE TRIGGER messages_posts_added AFTER INSERT ON messages
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION px_posts_added();

-- Rows removed: the channels' gone_id, and their newest message again
-- where it was among them.
CREATE FUNCTION px_posts_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE channel_post_counts t
     SET gone_id = greatest(t.gone_id, coalesce(g.top_id, 0)),
         last_id = CASE WHEN g.id < t.last_id THEN t.last_id ELSE
           px_channel_newest(t.channel_id) END
    FROM (SELECT channel_id, max(id) AS id, max(id) FILTER (WHERE thread_root_id IS NULL) AS top_id
            FROM gone GROUP BY channel_id ORDER BY channel_id) g
   WHERE t.channel_id = g.channel_id;
  RETURN NULL;
END $$;
CREATE TRIGGER messages_posts_deleted AFTER DELETE ON messages
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION px_posts_removed();

-- An update that changes what the count tests marks the old and the new
-- row's channel. Statement-level, like the others: a row-level trigger
-- would update the channel's row once per changed message, and a
-- transaction that updates one row n times walks n versions of it each
-- time (n = 20,000 took 9.5 s here; an import links its replies in one
-- statement). The price is copying each updated row into the transition
-- tables, for edits and reply counts too.
CREATE FUNCTION px_posts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH changed AS (
    SELECT o.channel_id AS old_channel, n.channel_id AS new_channel, n.id
      FROM old_rows o JOIN new_rows n ON n.id = o.id
     WHERE (o.deleted_at IS NULL) <> (n.deleted_at IS NULL)
        OR (o.thread_root_id IS NULL) <> (n.thread_root_id IS NULL)
        OR o.author_id IS DISTINCT FROM n.author_id
        OR o.channel_id <> n.channel_id),
  marks AS (
    SELECT channel_id, max(id) AS id FROM (
      SELECT old_channel AS channel_id, id FROM changed
      UNION ALL SELECT new_channel, id FROM changed) x
     GROUP BY channel_id ORDER BY channel_id)
  UPDATE channel_post_counts t SET gone_id = m.id FROM marks m
   WHERE t.channel_id = m.channel_id AND t.gone_id < m.id;
  -- moved: the newest message of both channels again
  UPDATE channel_post_counts t
     SET last_id = px_channel_newest(t.channel_id)
    FROM (SELECT o.channel_id AS a, n.channel_id AS b FROM old_rows o JOIN new_rows n ON n.id = o.id
           WHERE o.channel_id <> n.channel_id) mv
   WHERE t.channel_id IN (mv.a, mv.b);
  RETURN NULL;
END $$;
CREATE TRIGGER messages_posts_changed AFTER UPDATE ON messages
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION px_posts_changed();

-- The count when the marker is set, relative to the tallies; one statement,
-- so the scan and the channel's posts are read in one snapshot.
CREATE FUNCTION px_unread_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.unread_k := px_unread_scan(NEW.channel_id, NEW.user_id, NEW.last_read_id)
    - coalesce((SELECT t.posts FROM channel_post_counts t WHERE t.channel_id = NEW.channel_id), 0)
    + NEW.own_n;
  RETURN NEW;
END $$;
CREATE TRIGGER channel_members_unread_mark
  BEFORE INSERT OR UPDATE OF last_read_id ON channel_members
  FOR EACH ROW EXECUTE FUNCTION px_unread_mark();

-- A mention written raises its channel's mention_id: a member whose marker
-- is at or past it has no unread mention there, without looking.
CREATE FUNCTION px_mentions_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO channel_post_counts AS t (channel_id, mention_id)
    SELECT channel_id, max(message_id) FROM added GROUP BY channel_id ORDER BY channel_id
    ON CONFLICT (channel_id) DO UPDATE SET mention_id = greatest(t.mention_id, excluded.mention_id);
  RETURN NULL;
END $$;
CREATE TRIGGER mentions_added AFTER INSERT ON mentions
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION px_mentions_added();

-- 183's list; unread_count from the tallies where they hold, the scan where
-- they do not (a marker never stored, or a change after the marker); the
-- newest message kept; mentions counted only where one is after the marker.
-- The objects are json, not jsonb: with the counts added up, building 200
-- jsonb objects and their jsonb_agg was most of the statement (4.9 against
-- 1.8 ms p50 at 10 M, pgbench); the lists are sent as they are built.
DROP FUNCTION px_channel_list(bigint);
CREATE FUNCTION px_channel_list(uid bigint)
RETURNS TABLE (id bigint, name citext, kind text, archived boolean, member boolean, j json)
LANGUAGE sql STABLE AS $$
  SELECT c.id, c.name, c.kind, c.archived_at IS NOT NULL, m.user_id IS NOT NULL,
    json_build_object(
      'id', c.id, 'kind', c.kind, 'name', c.name::text, 'topic', c.topic,
      'archived', c.archived_at IS NOT NULL, 'created_at', c.created_at,
      'created_by', c.created_by,
      'member_count', coalesce(n.n, 0),
      'members', CASE WHEN c.kind IN ('dm', 'group') THEN
        (SELECT json_agg(px_user_obj(u.id, u.username, u.display_name) ORDER BY x.user_id)
         FROM channel_members x JOIN users u ON u.id = x.user_id WHERE x.channel_id = c.id) END,
      'my_role', m.role, 'last_read_id', coalesce(m.last_read_id, 0),
      'notify', coalesce(m.notify, 'all'),
      'last_message_id', coalesce(p.last_id, 0),
      'unread_count', CASE
        WHEN m.notify IS DISTINCT FROM 'all' THEN 0
        WHEN m.unread_k IS NOT NULL AND coalesce(p.gone_id, 0) <= m.last_read_id
          THEN least(coalesce(p.posts, 0) - m.own_n + m.unread_k, 1000)
        ELSE px_unread_scan(c.id, uid, m.last_read_id) END,
      'mention_count', CASE
        WHEN m.notify IS NULL OR m.notify = 'none' OR coalesce(p.mention_id, 0) <= m.last_read_id THEN 0
        ELSE (SELECT count(*) FROM mentions x WHERE x.user_id = uid AND x.channel_id = c.id
                AND x.message_id > m.last_read_id) END,
      'files_retention_days', c.files_retention_days)
  FROM channels c
  LEFT JOIN channel_members m ON m.channel_id = c.id AND m.user_id = uid
  LEFT JOIN channel_member_counts n ON n.channel_id = c.id
  LEFT JOIN channel_post_counts p ON p.channel_id = c.id
$$;

-- One channel as px_channel_list has it: one definition of the JSON.
CREATE OR REPLACE FUNCTION px_channel_json(c channels, uid bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT l.j::jsonb FROM px_channel_list(uid) l WHERE l.id = c.id
$$;
