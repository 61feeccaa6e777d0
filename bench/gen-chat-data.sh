#!/bin/sh
# gen-chat-data.sh: fills a PostgreSQL database with a chat-shaped dataset
# (users, channels, messages, reactions) of about SIZE_MB megabytes of table
# data, and optionally an uploads folder. Deterministic per SEED. The tables
# live in their own schema (SCHEMA, default chatbench) so that they never
# clash with PlexiChat's migrations in the same database.
#
#   DB="host=127.0.0.1 port=18410 user=postgres dbname=bench" SIZE_MB=100 \
#   UPLOADS=/tmp/uploads UPLOADS_MB=20 bench/gen-chat-data.sh
#
# With PX_BENCH_MESSAGES=N it fills PlexiChat's own tables of a migrated
# database instead (bench/gen-chat-px.sh: the 10 M-message data set of
# bench/scale-bench.sh).
#
# Message bodies are slices of one shared word corpus, so they compress
# roughly like real chat text; a share carry random links.
set -eu
: "${DB:?set DB to a libpq conninfo}"
# PX_BENCH_MESSAGES=N: fill PlexiChat's own (migrated) tables instead
if [ -n "${PX_BENCH_MESSAGES:-}" ]; then
	exec sh "$(dirname "$0")/gen-chat-px.sh"
fi
SIZE_MB=${SIZE_MB:-100}
SEED=${SEED:-0.42}
UPLOADS=${UPLOADS:-}
UPLOADS_MB=${UPLOADS_MB:-10}
# ~490 bytes of database (heap, TOAST, indexes) per message with its reactions
MESSAGES=$((SIZE_MB * 1000000 / 490))
USERS=$((MESSAGES / 2000 + 50))
CHANNELS=$((MESSAGES / 20000 + 10))

SCHEMA=${SCHEMA:-chatbench}

psql -X -q -v ON_ERROR_STOP=1 "$DB" <<SQL
CREATE SCHEMA IF NOT EXISTS $SCHEMA;
SET search_path = $SCHEMA, public;
SELECT setseed($SEED);
CREATE TABLE IF NOT EXISTS users (
    id bigserial PRIMARY KEY, username text NOT NULL UNIQUE,
    display_name text NOT NULL DEFAULT '', created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS channels (
    id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, topic text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS messages (
    id bigserial PRIMARY KEY,
    channel_id bigint NOT NULL REFERENCES channels(id),
    user_id bigint NOT NULL REFERENCES users(id),
    reply_to bigint,
    body text NOT NULL,
    created_at timestamptz NOT NULL,
    edited_at timestamptz);
CREATE INDEX IF NOT EXISTS messages_channel_idx ON messages (channel_id, id);
CREATE TABLE IF NOT EXISTS reactions (
    message_id bigint NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users(id),
    emoji text NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji));

INSERT INTO users (username, display_name, created_at)
SELECT 'user' || g, 'User ' || g, '2025-01-01'::timestamptz + g * interval '1 minute'
FROM generate_series(1, $USERS) g;
INSERT INTO channels (name, topic, created_at)
SELECT 'channel-' || g, 'Topic of channel ' || g, '2025-01-01'::timestamptz + g * interval '1 hour'
FROM generate_series(1, $CHANNELS) g;

-- 5000 short word runs; each message is a slice of one of them (kept small
-- so no value is TOASTed and slicing stays cheap)
CREATE TEMP TABLE words AS
SELECT row_number() OVER () AS i, w FROM unnest(ARRAY['the','deploy','is','done','can','you',
    'review','my','pull','request','meeting','at','noon','lunch','anyone','build','failed',
    'again','on','main','thanks','great','work','see','ticket','please','check','logs',
    'database','migration','ok','sounds','good','tomorrow','morning','release','notes','bug',
    'fixed','customer','reported','issue','with','login','page','I','will','look','into','it',
    'later','coffee','standup','in','five','minutes','who','owns','this','service','😀','👍']) w;
CREATE TEMP TABLE corpus AS
SELECT p AS id, string_agg(w.w, ' ') AS txt
FROM generate_series(1, 5000) p
CROSS JOIN LATERAL (SELECT 1 + floor(random() * 62)::int AS i, p AS q
                    FROM generate_series(1, 120)) r
JOIN words w ON w.i = r.i
GROUP BY p;
CREATE UNIQUE INDEX ON corpus (id);

INSERT INTO messages (channel_id, user_id, reply_to, body, created_at)
SELECT 1 + (s.g * 7919) % $CHANNELS,
       1 + floor(random() * $USERS)::bigint,
       CASE WHEN random() < 0.1 THEN greatest(1, s.g - floor(random() * 50)::bigint) END,
       substr(c.txt, 1 + floor(random() * 40)::int, 20 + floor(random() * 440)::int)
         || CASE WHEN random() < 0.3 THEN ' https://files.example/' || md5(random()::text) ELSE '' END,
       '2025-01-01'::timestamptz + s.g * interval '7 seconds'
FROM (SELECT g, 1 + floor(random() * 5000)::int AS cid
      FROM generate_series(1::bigint, $MESSAGES) g) s
JOIN corpus c ON c.id = s.cid
ORDER BY s.g;

INSERT INTO reactions (message_id, user_id, emoji)
SELECT DISTINCT 1 + floor(random() * $MESSAGES)::bigint, 1 + floor(random() * $USERS)::bigint,
       (ARRAY['👍','❤️','😂','🎉','👀'])[1 + floor(random() * 5)::int]
FROM generate_series(1, $MESSAGES / 10)
ON CONFLICT DO NOTHING;
ANALYZE;
SQL

if [ -n "$UPLOADS" ]; then
	mkdir -p "$UPLOADS"
	python3 - "$UPLOADS" "$UPLOADS_MB" <<'PY'
import os, random, sys
root, mb = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
total, i = 0, 0
while total < mb * 1000000:
    d = os.path.join(root, "%02x" % (i % 64))
    os.makedirs(d, exist_ok=True)
    size = int(rnd.expovariate(1 / 200000)) + 100
    with open(os.path.join(d, "file-%06d.bin" % i), "wb") as f:
        f.write(rnd.randbytes(size))
    total += size
    i += 1
print("uploads: %d files, %d bytes" % (i, total))
PY
fi
psql -X -At "$DB" -c "SELECT 'messages', count(*), pg_size_pretty(pg_database_size(current_database())) FROM $SCHEMA.messages"
