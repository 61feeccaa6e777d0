-- 023_msg_functions: the JSON shapes of messaging resources and the two
-- write paths that must be one round trip (posting, emitting events).
-- The shapes live here once so that API answers and event payloads agree.

-- A message's JSON is assembled from three parts: the row's own fields,
-- rendered to text once per write by a trigger (messages.j, an object left
-- open: without its closing brace), the author and the reactions. Reading a page then concatenates text instead of
-- building and formatting objects per row, and px_message_view joins the
-- parts so that "WHERE channel_id = $1 ORDER BY id DESC LIMIT 50" walks the
-- (channel_id, id) index and stops after 50 rows.
CREATE FUNCTION px_message_row_json() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.j := json_build_object(
    'id', NEW.id, 'channel_id', NEW.channel_id, 'thread_root_id', NEW.thread_root_id,
    'body', NEW.body, 'html', NEW.html, 'created_at', NEW.created_at,
    'edited_at', NEW.edited_at, 'deleted', NEW.deleted_at IS NOT NULL,
    'pinned', NEW.pinned_at IS NOT NULL, 'reply_count', NEW.reply_count,
    'last_reply_at', NEW.last_reply_at)::text;
  NEW.j := left(NEW.j, -1);
  RETURN NEW;
END $$;
CREATE TRIGGER messages_row_json BEFORE INSERT OR UPDATE ON messages
  FOR EACH ROW EXECUTE FUNCTION px_message_row_json();

CREATE FUNCTION px_user_obj(id bigint, username citext, display_name text) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN id IS NULL THEN NULL ELSE
    json_build_object('id', id, 'username', username::text, 'display_name', display_name) END
$$;

CREATE FUNCTION px_user_json(uid bigint) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT px_user_obj(u.id, u.username, u.display_name) FROM users u WHERE u.id = uid
$$;

-- The whole message as JSON text: its row JSON plus author and reactions.
CREATE FUNCTION px_message_text(row_json text, author json, reactions json) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT row_json || ', "author" : ' || coalesce(author::text, 'null')
         || ', "reactions" : ' || coalesce(reactions::text, '[]') || '}'
$$;

CREATE VIEW px_message_view AS
  SELECT m.id, m.channel_id, m.thread_root_id, m.pinned_at,
         px_message_text(m.j, px_user_obj(u.id, u.username, u.display_name), r.j) AS t
  FROM messages m
  LEFT JOIN users u ON u.id = m.author_id
  LEFT JOIN LATERAL (
    SELECT json_agg(json_build_object('emoji', g.emoji, 'count', g.n, 'users', g.users)
                    ORDER BY g.first) AS j
    FROM (SELECT x.emoji, count(*) AS n, min(x.created_at) AS first,
                 json_agg(ru.username::text ORDER BY x.created_at) AS users
          FROM reactions x JOIN users ru ON ru.id = x.user_id
          WHERE x.message_id = m.id GROUP BY x.emoji) g) r ON m.deleted_at IS NULL;

CREATE FUNCTION px_message_json(m messages) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT t::json FROM px_message_view WHERE id = m.id
$$;

CREATE FUNCTION px_reactions_json(mid bigint) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT t::json->'reactions' FROM px_message_view WHERE id = mid
$$;

CREATE FUNCTION px_event_json(e events) RETURNS json LANGUAGE sql IMMUTABLE AS $$
  SELECT json_build_object('id', e.id, 'type', e.kind, 'channel_id', e.channel_id,
                           'at', e.at, 'data', e.data)
$$;

-- Appends one event and wakes every listening process. The advisory lock
-- is held to commit, so ids become visible in order; call it last.
CREATE FUNCTION px_emit(k text, ch bigint, uid bigint, d json) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE eid bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(7243001);
  INSERT INTO events (kind, channel_id, user_id, data) VALUES (k, ch, uid, d)
    RETURNING id INTO eid;
  PERFORM pg_notify('px_events', eid::text);
  RETURN eid;
END $$;

-- Notifies each recipient once and tells their event streams.
CREATE FUNCTION px_notify_users(recipients bigint[], k text, ch bigint, mid bigint,
                                actor bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN INSERT INTO notifications (user_id, kind, channel_id, message_id, actor_id)
           SELECT DISTINCT u, k, ch, mid, actor FROM unnest(recipients) u
           WHERE u IS DISTINCT FROM actor
           RETURNING id, user_id, kind, channel_id, message_id, created_at LOOP
    PERFORM px_emit('notification.created', NULL, r.user_id,
      json_build_object('id', r.id, 'kind', r.kind, 'channel_id', r.channel_id,
                        'message_id', r.message_id, 'actor', px_user_json(actor),
                        'created_at', r.created_at));
  END LOOP;
END $$;

-- The earlier message posted with an idempotency key: replayed when the
-- retry is the same post, mismatch when the key was used for another one,
-- no row when the key is new.
CREATE FUNCTION px_message_replay(p_channel bigint, p_author bigint, p_root bigint,
    p_body text, p_idem text, OUT status text, OUT message json)
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN m.channel_id = p_channel AND m.body = p_body
                   AND m.thread_root_id IS NOT DISTINCT FROM p_root
              THEN 'replayed' ELSE 'mismatch' END,
         px_message_json(m)
  FROM messages m WHERE m.author_id = p_author AND m.idem_key = p_idem
$$;

-- Posts a message in one round trip: idempotency, thread counters and
-- followers, mentions, notifications and the message.created event.
-- status: created | replayed | mismatch | no_root. The caller has already
-- checked that the author may post to the channel, whose kind it passes.
CREATE FUNCTION px_message_post(p_channel bigint, p_kind text, p_author bigint,
    p_root bigint, p_body text, p_html text, p_lang regconfig, p_idem text,
    p_names text[], OUT status text, OUT message json) LANGUAGE plpgsql AS $$
DECLARE
  m messages;
  mentioned bigint[] := '{}';
  others bigint[];
BEGIN
  IF p_idem IS NOT NULL THEN
    SELECT r.status, r.message INTO status, message FROM px_message_replay(p_channel,
      p_author, p_root, p_body, p_idem) r;
    IF status IS NOT NULL THEN RETURN; END IF;
  END IF;
  IF p_root IS NOT NULL THEN
    UPDATE messages SET reply_count = reply_count + 1, last_reply_at = now()
      WHERE id = p_root AND channel_id = p_channel AND thread_root_id IS NULL
        AND deleted_at IS NULL RETURNING * INTO m;
    IF NOT FOUND THEN status := 'no_root'; RETURN; END IF;
    IF m.reply_count = 1 AND m.author_id IS NOT NULL THEN
      INSERT INTO thread_followers VALUES (p_root, m.author_id) ON CONFLICT DO NOTHING;
    END IF;
    INSERT INTO thread_followers VALUES (p_root, p_author) ON CONFLICT DO NOTHING;
  END IF;
  INSERT INTO messages (channel_id, author_id, thread_root_id, body, html, lang, idem_key)
    VALUES (p_channel, p_author, p_root, p_body, p_html, p_lang, p_idem)
    ON CONFLICT (author_id, idem_key) WHERE idem_key IS NOT NULL DO NOTHING
    RETURNING * INTO m;
  IF NOT FOUND THEN
    -- a concurrent request with the same key won the insert
    IF p_root IS NOT NULL THEN
      UPDATE messages SET reply_count = reply_count - 1 WHERE id = p_root;
    END IF;
    SELECT r.status, r.message INTO status, message FROM px_message_replay(p_channel,
      p_author, p_root, p_body, p_idem) r;
    RETURN;
  END IF;
  IF array_length(p_names, 1) > 0 THEN
    WITH ins AS (
      INSERT INTO mentions (message_id, user_id, channel_id)
      SELECT m.id, cm.user_id, p_channel FROM channel_members cm
        JOIN users u ON u.id = cm.user_id
        LEFT JOIN user_presence pr ON pr.user_id = cm.user_id
      WHERE cm.channel_id = p_channel AND cm.user_id <> p_author
        AND (u.username = ANY (p_names::citext[]) OR 'channel' = ANY (p_names)
             OR ('here' = ANY (p_names) AND pr.last_seen_at > now() - interval '5 minutes'))
      ON CONFLICT DO NOTHING RETURNING user_id)
    SELECT coalesce(array_agg(user_id), '{}') INTO mentioned FROM ins;
    PERFORM px_notify_users(mentioned, 'mention', p_channel, m.id, p_author);
  END IF;
  IF p_kind IN ('dm', 'group') THEN
    SELECT coalesce(array_agg(user_id), '{}') INTO others FROM channel_members
      WHERE channel_id = p_channel AND user_id <> p_author AND user_id <> ALL (mentioned);
    PERFORM px_notify_users(others, 'dm', p_channel, m.id, p_author);
    mentioned := mentioned || others;
  END IF;
  IF p_root IS NOT NULL THEN
    SELECT coalesce(array_agg(f.user_id), '{}') INTO others FROM thread_followers f
      JOIN channel_members cm ON cm.channel_id = p_channel AND cm.user_id = f.user_id
      WHERE f.message_id = p_root AND f.user_id <> p_author AND f.user_id <> ALL (mentioned);
    PERFORM px_notify_users(others, 'reply', p_channel, m.id, p_author);
  END IF;
  -- a new message has no reactions yet
  message := px_message_text(m.j, px_user_json(p_author), NULL)::json;
  PERFORM px_emit('message.created', p_channel, NULL, message);
  status := 'created';
END $$;

-- A channel as user uid sees it: their role, read marker and counts.
-- Unread counts stop at 1000 ("999+") so that a long-absent member costs little.
CREATE FUNCTION px_channel_json(c channels, uid bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', c.id, 'kind', c.kind, 'name', c.name::text, 'topic', c.topic,
    'archived', c.archived_at IS NOT NULL, 'created_at', c.created_at,
    'created_by', c.created_by,
    'member_count', (SELECT count(*) FROM channel_members x WHERE x.channel_id = c.id),
    'members', CASE WHEN c.kind IN ('dm', 'group') THEN
      (SELECT jsonb_agg(px_user_json(x.user_id) ORDER BY x.user_id)
       FROM channel_members x WHERE x.channel_id = c.id) END,
    'my_role', m.role, 'last_read_id', coalesce(m.last_read_id, 0),
    'last_message_id', (SELECT coalesce(max(x.id), 0) FROM messages x WHERE x.channel_id = c.id),
    'unread_count', CASE WHEN m.role IS NULL THEN 0 ELSE
      (SELECT count(*) FROM (SELECT 1 FROM messages x
        WHERE x.channel_id = c.id AND x.id > m.last_read_id AND x.thread_root_id IS NULL
          AND x.deleted_at IS NULL AND x.author_id IS DISTINCT FROM uid LIMIT 1000) s) END,
    'mention_count', CASE WHEN m.role IS NULL THEN 0 ELSE
      (SELECT count(*) FROM mentions x WHERE x.user_id = uid AND x.channel_id = c.id
         AND x.message_id > m.last_read_id) END)
  FROM (SELECT 1) one
  LEFT JOIN channel_members m ON m.channel_id = c.id AND m.user_id = uid
$$;

CREATE FUNCTION px_member_json(ch bigint, uid bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT px_user_json(uid)::jsonb || jsonb_build_object('role', m.role, 'joined_at', m.joined_at,
    'presence', CASE WHEN p.last_active_at > now() - interval '5 minutes' THEN 'online'
                     WHEN p.last_seen_at > now() - interval '5 minutes' THEN 'away'
                     ELSE 'offline' END,
    'last_seen_at', p.last_seen_at)
  FROM channel_members m LEFT JOIN user_presence p ON p.user_id = m.user_id
  WHERE m.channel_id = ch AND m.user_id = uid
$$;

-- A short HTML-escaped excerpt of body around the first term found, with
-- every term wrapped in <mark>. Terms are matched as plain text.
CREATE FUNCTION px_snippet(body text, terms text[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  WITH t AS (SELECT array_agg(x) AS a FROM unnest(terms) x WHERE length(x) > 0),
  pos AS (SELECT coalesce(min(nullif(strpos(lower(body), lower(x)), 0)), 1) AS p
          FROM unnest((SELECT a FROM t)) x),
  cut AS (SELECT CASE WHEN p > 60 THEN '…' ELSE '' END
                 || substr(body, greatest(p - 60, 1), 200)
                 || CASE WHEN length(body) > greatest(p - 60, 1) + 199 THEN '…' ELSE '' END AS s
          FROM pos),
  esc AS (SELECT replace(replace(replace(replace(replace(s, '&', '&amp;'), '<', '&lt;'),
                 '>', '&gt;'), '"', '&quot;'), '''', '&#39;') AS s FROM cut)
  SELECT CASE WHEN (SELECT a FROM t) IS NULL THEN esc.s ELSE
    regexp_replace(esc.s, '(' || (SELECT string_agg(regexp_replace(
      replace(replace(replace(x, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
      '([.^$*+?()\[\]{}|\\-])', '\\\1', 'g'), '|') FROM unnest((SELECT a FROM t)) x)
      || ')', '<mark>\1</mark>', 'gi') END
  FROM esc
$$;
