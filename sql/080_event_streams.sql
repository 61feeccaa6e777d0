-- 080_event_streams: the open event streams (SSE responses and waiting
-- long-polls) of every plexichat.fcgi process on every machine, so that the
-- caps on streams per user and per client address hold across processes:
-- under mod_fcgid each stream lives in a process of its own.
-- A row lives while its process renews the lease (fcgi/events_hub.c); the
-- rows of a process that died lapse with their lease. Unlogged: after a
-- crash every stream is gone anyway.
-- session_id or token_id says what the stream was opened with, so that the
-- hub can end it when that session or token stops being valid.
CREATE UNLOGGED TABLE event_streams (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL,
    addr        text NOT NULL,
    session_id  bigint,
    token_id    bigint,
    lease_until timestamptz NOT NULL
);
CREATE INDEX event_streams_user ON event_streams (user_id);
CREATE INDEX event_streams_addr ON event_streams (addr);

-- Opens a stream unless the user holds per_user live streams or the address
-- per_addr already. Returns the new row's id, -1 when the user is at the
-- cap, -2 when the address is. Openers of one user, then of one address,
-- take their turn (two-key advisory locks, users before addresses, so that
-- two openers never wait for each other in a cycle): two cannot both take
-- the last place.
CREATE FUNCTION px_stream_open(p_user bigint, p_addr text, p_session bigint,
                               p_token_hash text, p_per_user int, p_per_addr int,
                               p_lease int) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  held int;
  tok bigint;
  sid bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(7243080, (p_user % 2147483647)::int);
  PERFORM pg_advisory_xact_lock(7243081, hashtext(p_addr));
  DELETE FROM event_streams WHERE lease_until < now()
    AND (user_id = p_user OR addr = p_addr);
  SELECT count(*) INTO held FROM event_streams WHERE user_id = p_user;
  IF held >= p_per_user THEN
    RETURN -1;
  END IF;
  SELECT count(*) INTO held FROM event_streams WHERE addr = p_addr;
  IF held >= p_per_addr THEN
    RETURN -2;
  END IF;
  IF p_token_hash <> '' THEN
    SELECT id INTO tok FROM api_tokens WHERE token_hash = p_token_hash;
  END IF;
  INSERT INTO event_streams (user_id, addr, session_id, token_id, lease_until)
    VALUES (p_user, p_addr, nullif(p_session, 0), tok,
            now() + make_interval(secs => p_lease))
    RETURNING id INTO sid;
  RETURN sid;
END $$;
