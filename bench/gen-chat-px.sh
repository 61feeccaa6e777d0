#!/bin/sh
# gen-chat-px.sh: fills the tables of a migrated PlexiChat database with a
# chat-shaped data set of PX_BENCH_MESSAGES messages (run through
# bench/gen-chat-data.sh with that knob set; bench/scale-bench.sh uses it).
#
#   DB="host=/path/pg.sock port=29532 user=postgres dbname=px10m" \
#   PX_BENCH_MESSAGES=10000000 bench/gen-chat-data.sh
#
# Shape (deterministic per SEED):
# - users: N/2000 (at least 1,000), named genN; bench0..bench9 when the
#   database has them are among them.
# - channels: N/5000 (at least 300), named gen-K; a message lands in
#   channel K with probability ~1/K (K = floor((C+1)^r), r uniform): at
#   10 M the largest holds ~1.2 M messages, the smallest a few hundred.
# - members: every user in ~150-200 channels (half drawn like the messages,
#   half uniformly), bench0..bench9 in exactly 200 (the 20 largest and 180
#   others); each read marker a little behind its channel's newest message,
#   so unread counts range from 0 to over a thousand.
# - bodies: two "sentences" of a pool of 500,000, each 3-12 words drawn
#   with Zipf's law (s = 1) from 50,000 words (the ~150 of
#   bench/msg-words.txt and English fillers first, then made-up words), and
#   in half the messages one rare made-up word out of 3 M (found in ~1-5
#   messages): common words, rare words and every rank between.
# - threads: one message in 11 (by a hash of its id) answers the previous
#   message of its channel, unless that one is itself an answer: ~8% replies.
# - times: two years, ids in time order, as posting makes them.
#
# The load is one transaction: TRUNCATE (messages made earlier go), one
# INSERT in id order, the indexes the migrations define built afterwards.
# Triggers are off during the INSERT (session_replication_role = replica:
# no per-row foreign key checks, no unfurl or embedding queue), so the row
# JSON that the messages_row_json trigger (sql/129) keeps is computed here
# with the same expression (checked: an UPDATE that fires the trigger
# leaves it unchanged). With wal_level = minimal (scale-bench.sh sets it)
# none of it is written twice.
set -eu
: "${DB:?set DB to a libpq conninfo}"
N=${PX_BENCH_MESSAGES:?}
SEED=${SEED:-0.42}
C=$((N / 5000)); [ "$C" -ge 300 ] || C=300
U=$((N / 2000)); [ "$U" -ge 1000 ] || U=1000
V=50000; P=500000
WORDS=$(tr '\n' ',' < "$(dirname "$0")/msg-words.txt" | sed 's/,$//; s/[^,]*/"&"/g')

start=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 "$DB" <<SQL
SET work_mem = '1GB';
SET maintenance_work_mem = '1GB';
SET synchronous_commit = off;
SELECT setseed($SEED);

-- made-up words: 2 to 5 syllables by rank, so each rank has its own word
CREATE FUNCTION pg_temp.syl(i bigint) RETURNS text LANGUAGE sql IMMUTABLE AS \$\$
  SELECT (ARRAY['ka','lo','mi','ren','tas','vo','du','pel','shi','gor','an','ex',
                'ul','bri','zen','fa','ro','ti','ne','qua','dem','os','ly','cor'])[1 + i % 24]
\$\$;
CREATE FUNCTION pg_temp.pw(k bigint) RETURNS text LANGUAGE sql IMMUTABLE AS \$\$
  SELECT pg_temp.syl(k) || pg_temp.syl(k / 24)
         || CASE WHEN k >= 576 THEN pg_temp.syl(k / 576) ELSE '' END
         || CASE WHEN k >= 13824 THEN pg_temp.syl(k / 13824) ELSE '' END
         || CASE WHEN k >= 331776 THEN pg_temp.syl(k / 331776) ELSE '' END
\$\$;

INSERT INTO users (username, display_name, created_at)
SELECT 'gen' || g, 'Gen User ' || g, '2024-01-01'::timestamptz + g * interval '1 minute'
FROM generate_series(1, $U) g ON CONFLICT DO NOTHING;
INSERT INTO channels (kind, name, topic, created_by, created_at)
SELECT 'public', 'gen-' || k, 'Channel of rank ' || k, NULL,
       '2024-01-01'::timestamptz + k * interval '1 minute'
FROM generate_series(1, $C) k ON CONFLICT DO NOTHING;
CREATE TEMP TABLE chans AS
  SELECT substr(name::text, 5)::int AS k, id FROM channels WHERE name LIKE 'gen-%';
CREATE UNIQUE INDEX ON chans (k);
CREATE TEMP TABLE people AS
  SELECT row_number() OVER (ORDER BY id) AS n, id FROM users
  WHERE username LIKE 'gen%' OR username LIKE 'bench%';
CREATE UNIQUE INDEX ON people (n);

-- vocabulary by rank and the sentence pool
CREATE TEMP TABLE vocab AS
  WITH common AS (SELECT ARRAY['the','to','a','is','and','it','on','for','in','we']
                         || '{$WORDS}'::text[] AS a)
  SELECT k, CASE WHEN k <= cardinality(a) THEN a[k] ELSE pg_temp.pw(k) END AS w
  FROM generate_series(1, $V) k, common;
CREATE UNIQUE INDEX ON vocab (k);
CREATE TEMP TABLE pool AS
  SELECT p, string_agg(v.w, ' ' ORDER BY i) AS txt
  FROM generate_series(1, $P) p,
       LATERAL (SELECT i, least($V, floor(($V + 1) ^ random()))::int AS k
                FROM generate_series(1, 3 + p % 10) i) r
  JOIN vocab v ON v.k = r.k
  GROUP BY p;
CREATE UNIQUE INDEX ON pool (p);
ANALYZE vocab; ANALYZE pool; ANALYZE chans; ANALYZE people;

-- one row per message: channel rank, author, sentences, and its
-- neighbours in the channel (threads)
CREATE TEMP TABLE base AS
  SELECT g, least($C, floor(($C + 1) ^ random()))::int AS k,
         1 + floor((SELECT count(*) FROM people) * random() ^ 2)::int AS a,
         1 + floor($P * random())::int AS p1, 1 + floor($P * random())::int AS p2,
         CASE WHEN random() < 0.5 THEN 100000 + abs(hashint8(g)) % 3000000 END AS rare
  FROM generate_series(1::bigint, $N) g;
CREATE TEMP TABLE shaped AS
  SELECT b.*, lag(g) OVER w AS prev, lead(g) OVER w AS next
  FROM base b WINDOW w AS (PARTITION BY k ORDER BY g);
DROP TABLE base;
CREATE FUNCTION pg_temp.answers(g bigint) RETURNS boolean LANGUAGE sql IMMUTABLE AS
  \$\$ SELECT abs(hashint8(g)) % 11 = 0 \$\$;

BEGIN;
TRUNCATE messages CASCADE;
CREATE TEMP TABLE idx_defs AS SELECT indexname, indexdef FROM pg_indexes
  WHERE tablename = 'messages' AND schemaname = 'public' AND indexname <> 'messages_pkey';
SELECT 'DROP INDEX ' || quote_ident(indexname) FROM idx_defs\gexec
SET LOCAL session_replication_role = replica;
SET LOCAL enable_hashjoin = off;
SET LOCAL enable_mergejoin = off;
INSERT INTO messages (id, channel_id, author_id, thread_root_id, body, html, lang,
                      created_at, reply_count, last_reply_at, j)
SELECT r.id, r.channel_id, r.author_id, r.root, r.body, '<p>' || r.body || '</p>', 'english',
       r.at, r.replies, r.last_reply,
       left(json_build_object(
         'id', r.id, 'channel_id', r.channel_id, 'thread_root_id', r.root,
         'body', r.body, 'html', '<p>' || r.body || '</p>', 'created_at', r.at,
         'edited_at', NULL::timestamptz, 'deleted', false, 'pinned', false,
         'reply_count', r.replies, 'last_reply_at', r.last_reply, 'bot', NULL::jsonb,
         'preview', NULL::jsonb)::text, -1)
FROM (SELECT s.g AS id, c.id AS channel_id, u.id AS author_id,
             CASE WHEN pg_temp.answers(s.g) AND s.prev IS NOT NULL
                   AND NOT pg_temp.answers(s.prev) THEN s.prev END AS root,
             x1.txt || ' ' || x2.txt || coalesce(' ' || pg_temp.pw(s.rare), '') AS body,
             '2024-06-01'::timestamptz + s.g * interval '6 seconds' * (10000000.0 / $N) AS at,
             CASE WHEN s.next IS NOT NULL AND pg_temp.answers(s.next)
                   AND NOT pg_temp.answers(s.g) THEN 1 ELSE 0 END AS replies,
             CASE WHEN s.next IS NOT NULL AND pg_temp.answers(s.next)
                   AND NOT pg_temp.answers(s.g)
                  THEN '2024-06-01'::timestamptz + s.next * interval '6 seconds' * (10000000.0 / $N)
             END AS last_reply
      FROM (SELECT * FROM shaped ORDER BY g) s
      JOIN chans c ON c.k = s.k JOIN people u ON u.n = s.a
      JOIN pool x1 ON x1.p = s.p1 JOIN pool x2 ON x2.p = s.p2) r;
SELECT setval('messages_id_seq', (SELECT max(id) FROM messages));
SELECT indexdef FROM idx_defs\gexec
COMMIT;
-- loaded with triggers off: the newest message of each channel, which the
-- insert trigger keeps (sql/190; its post counts only count changes)
INSERT INTO channel_post_counts AS t (channel_id, last_id)
  SELECT channel_id, max(id) FROM messages GROUP BY channel_id
  ON CONFLICT (channel_id) DO UPDATE SET last_id = excluded.last_id;
DROP TABLE shaped;

-- memberships: ~200 channels each; bench users exactly 200. Each new
-- membership would count its unread messages from the start (sql/190);
-- the read markers set below count them once, from the marker.
ALTER TABLE channel_members DISABLE TRIGGER channel_members_unread_mark;
INSERT INTO channel_members (channel_id, user_id, role, joined_at)
SELECT DISTINCT c.id, u.id, 'member', '2024-05-01'::timestamptz
FROM people u, generate_series(1, 200) j,
     LATERAL (SELECT CASE WHEN j % 2 = 0 THEN least($C, floor(($C + 1) ^ random()))::int
                          ELSE 1 + floor($C * random())::int END + 0 * u.n AS k) r
JOIN chans c ON c.k = r.k
WHERE u.id NOT IN (SELECT id FROM users WHERE username LIKE 'bench%')
ON CONFLICT DO NOTHING;
INSERT INTO channel_members (channel_id, user_id, role, joined_at)
SELECT c.id, u.id, 'member', '2024-05-01'::timestamptz
FROM users u, LATERAL (SELECT k FROM chans WHERE k <= 20
                       UNION ALL
                       (SELECT k FROM chans WHERE k > 20 ORDER BY hashint8(k * 1000 + u.id) LIMIT 180)) r
JOIN chans c ON c.k = r.k
WHERE u.username LIKE 'bench%'
ON CONFLICT DO NOTHING;
ALTER TABLE channel_members ENABLE TRIGGER channel_members_unread_mark;
VACUUM ANALYZE messages;
-- read markers: up to ~2% of the channel's span behind its newest message
CREATE TEMP TABLE spans AS
  SELECT channel_id, min(id) AS lo, max(id) AS hi FROM messages GROUP BY channel_id;
UPDATE channel_members m
   SET last_read_id = s.hi - floor(random() ^ 3 * (s.hi - s.lo) * 0.02)::bigint
  FROM spans s WHERE s.channel_id = m.channel_id;
VACUUM ANALYZE channel_members;
VACUUM ANALYZE users;
VACUUM ANALYZE channels;
VACUUM ANALYZE messages;
SQL
echo "gen-chat-px: $N messages, $C channels, $U users in $(( $(date +%s) - start )) s;" \
     "database $(psql -X -At "$DB" -c 'SELECT pg_size_pretty(pg_database_size(current_database()))')"
