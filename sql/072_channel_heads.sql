-- The id of each channel's newest event, written by px_emit in the same
-- transaction. Every change a channel's message pages show (posts, edits,
-- deletions, reactions, pins, replies) emits an event there, so a page made
-- while the head was H is still right as long as the head is H: the
-- channel check reads it and plexichat.fcgi reuses such pages (core/vcache).
-- Each event writes its own id, so the head never takes a value twice.
CREATE TABLE channel_heads (
    channel_id bigint PRIMARY KEY REFERENCES channels(id) ON DELETE CASCADE,
    event_id   bigint NOT NULL
);
INSERT INTO channel_heads (channel_id, event_id)
  SELECT e.channel_id, max(e.id) FROM events e JOIN channels c ON c.id = e.channel_id
  GROUP BY e.channel_id;

CREATE OR REPLACE FUNCTION px_emit(k text, ch bigint, uid bigint, d json) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE eid bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(7243001);
  INSERT INTO events (kind, channel_id, user_id, data) VALUES (k, ch, uid, d)
    RETURNING id INTO eid;
  IF ch IS NOT NULL THEN
    INSERT INTO channel_heads (channel_id, event_id) VALUES (ch, eid)
      ON CONFLICT (channel_id) DO UPDATE SET event_id = excluded.event_id;
  END IF;
  PERFORM pg_notify('px_events', eid::text);
  RETURN eid;
END $$;
