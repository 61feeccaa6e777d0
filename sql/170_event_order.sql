-- 170_event_order: events are ordered without a global lock and commit
-- without NOTIFY (docs/ARCHITECTURE.md, "Event order without a global lock").
--
-- Until now px_emit took one advisory lock held to commit, so that ids became
-- visible in id order, and notified in the same transaction; PostgreSQL
-- serialises the commits of notifying transactions, so every post waited for
-- the previous post's WAL flush. Now:
--
-- * An event's id is its transaction's id (xid8) times 65,536 plus its place
--   in that transaction (plus a fixed base that keeps the ids above those of
--   earlier events). Ids of one transaction are consecutive; ids of different
--   transactions never interleave.
-- * Readers deliver only ids below the horizon: the first id of the oldest
--   transaction still running when their statement's snapshot was taken
--   (pg_snapshot_xmin). Every transaction below it has ended, so every event
--   below the horizon that will ever exist is already visible: a cursor can
--   move past it without skipping an event that commits later.
-- * Posts to one channel still take the channel's lock (076) before they
--   write, so they are given their transaction ids, hence their event ids, in
--   the order they commit: message.created events follow message ids.
-- * px_emit notifies in the transaction only for sessions that did not say
--   they wake the readers themselves after commit: plexichat.fcgi's request
--   workers set px.wake = 'after_commit' and one thread per process sends
--   one NOTIFY for a batch of commits (fcgi/waker.c). Every other session
--   (the admin CLI, background threads, psql) keeps the notice in its
--   transaction, as before.

-- No event may be written with an id from the old sequence while the base is
-- chosen.
LOCK TABLE events IN EXCLUSIVE MODE;

-- The base: the first id of this migration's transaction lands above every
-- earlier event; later transactions have larger xids, so larger ids.
DO $$
DECLARE base bigint;
BEGIN
  SELECT greatest(0, coalesce(max(id), 0) + 1 - (pg_current_xact_id()::text::bigint << 16))
    INTO base FROM events;
  EXECUTE format('CREATE FUNCTION px_event_base() RETURNS bigint LANGUAGE sql IMMUTABLE'
                 ' AS %L', 'SELECT ' || base || '::bigint');
END $$;

-- The next event id of the current transaction. Its events are the only
-- ones in its range, so the range's highest id (its own, uncommitted rows
-- included) says how many it wrote; a rolled-back subtransaction's events
-- are gone from the range with it.
CREATE FUNCTION px_event_next() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  lo bigint := (pg_current_xact_id()::text::bigint << 16) + px_event_base();
  top bigint;
BEGIN
  SELECT e.id INTO top FROM events e WHERE e.id >= lo AND e.id < lo + 65536
    ORDER BY e.id DESC LIMIT 1;
  IF top IS NULL THEN
    RETURN lo;
  END IF;
  IF top + 1 >= lo + 65536 THEN
    RAISE EXCEPTION 'more than 65536 events in one transaction';
  END IF;
  RETURN top + 1;
END $$;
ALTER TABLE events ALTER COLUMN id SET DEFAULT px_event_next();

-- Every event with a smaller id that will ever commit is visible to the
-- calling statement. STABLE and one SELECT: inlined, so it reads the
-- statement's own snapshot, the one its scan of events uses.
CREATE FUNCTION px_event_horizon() RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 16) + px_event_base()
$$;

CREATE OR REPLACE FUNCTION px_emit(k text, ch bigint, uid bigint, d json) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE eid bigint;
BEGIN
  INSERT INTO events (kind, channel_id, user_id, data) VALUES (k, ch, uid, d)
    RETURNING id INTO eid;
  IF ch IS NOT NULL THEN
    INSERT INTO channel_heads (channel_id, event_id) VALUES (ch, eid)
      ON CONFLICT (channel_id) DO UPDATE SET event_id = excluded.event_id;
  END IF;
  IF current_setting('px.wake', true) IS DISTINCT FROM 'after_commit' THEN
    PERFORM pg_notify('px_events', '');
  END IF;
  RETURN eid;
END $$;

-- An incoming webhook's post writes the hook's last use after the post, so
-- that its transaction id is taken under the channel's lock (as for every
-- post) and its message.created event is in the channel's commit order
-- (the rest as in 128).
CREATE OR REPLACE FUNCTION px_hook_incoming_post(p_token_hash text, p_body text, p_html text,
    p_lang regconfig, p_names text[], p_props jsonb, OUT status text, OUT message json)
LANGUAGE plpgsql AS $$
DECLARE
  h incoming_hooks;
  c channels;
BEGIN
  SELECT * INTO h FROM incoming_hooks WHERE token_hash = p_token_hash AND revoked_at IS NULL;
  IF NOT FOUND THEN status := 'no_hook'; RETURN; END IF;
  SELECT * INTO c FROM channels WHERE id = h.channel_id;
  IF c.archived_at IS NOT NULL THEN status := 'archived'; RETURN; END IF;
  SELECT r.status, r.message INTO status, message FROM px_hook_post(h.channel_id, c.kind,
    h.bot_id, p_body, p_html, p_lang, p_names,
    p_props || jsonb_build_object('via', 'incoming webhook ' || h.name)) r;
  IF h.last_used_at IS NULL OR h.last_used_at < now() - interval '1 minute' THEN
    UPDATE incoming_hooks SET last_used_at = now() WHERE id = h.id;
  END IF;
END $$;
