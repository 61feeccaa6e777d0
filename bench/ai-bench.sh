#!/usr/bin/env bash
# bench/ai-bench.sh: the AI figures of docs/AI.md, each beside its anchor
# measured in the same run on this machine:
#   1. posting p50 with moderation on (built-in rules, mode flag) vs off
#   2. background embedding rate of the built-in provider (the worker
#      thread of plexichat.fcgi draining ai_embed_queue) beside the rate of
#      the INSERT that filled it
#   3. ask p50/p95 over PX_BENCH_MESSAGES messages (default 1000000) with
#      the approximate index (ai/ai_ann.h, built by the worker) beside
#      full-text search and beside the exact scan of the newest
#      ai_semantic_window vectors it replaced; recall@10 of the index
#      against the exact scan of every vector in process (bench/ai_ann_bench:
#      nprobe tuned on one set of questions, recall reported on another),
#      of ask's sources against ask over every vector exactly, and of the
#      stored int8 vectors against float search
#   4. the provider client's p50 overhead against a local OpenAI-compatible
#      server (tests/integration/ai_fake.py) beside plain libcurl
# Data is kept in build/ai-bench between runs (PX_BENCH_FRESH=1 remakes it).
#   PX_BENCH_POSTS (default 1000), PX_BENCH_ASKS (default 100), PX_BENCH_RECALL
#   (default 0.95: the tuning set's recall@10 nprobe must reach),
#   PX_BENCH_BUILD (default build/ai-bench)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root"
install_pkgs $PX_BUILD_PKGS $PX_RUN_PKGS python3
open_path "$PX_ROOT"
BUILD=${PX_BENCH_BUILD:-$PX_ROOT/build/ai-bench}
WORK="$PX_ROOT/build/ai-bench-data"
N=${PX_BENCH_MESSAGES:-1000000}; POSTS=${PX_BENCH_POSTS:-1000}; ASKS=${PX_BENCH_ASKS:-100}
PGPORT=${PX_BENCH_PG_PORT:-25190}; PORT=${PX_BENCH_HTTP_PORT:-25191}; FAKEPORT=$((PORT + 1))
URL="http://127.0.0.1:$PORT"
build "$BUILD"
make -C "$BUILD" -s bench/ai_bench bench/ai_ann_bench >/dev/null
[ "${PX_BENCH_FRESH:-0}" = 1 ] && { pg_stop "$WORK/pg"; rm -rf "$WORK"; }
bench_db "$WORK" "$PGPORT" "$BUILD"
PW="Bench-$(head -c 8 "$WORK/pg.password")"
$ADMIN create-user bench0 --password-stdin <<<"$PW" >/dev/null 2>&1 || true

echo "== $(nproc) cores shared by the load generator, lighttpd, plexichat.fcgi and PostgreSQL"
have=$($PSQL -At -c "SELECT count(*) FROM messages")
if [ "$have" -lt "$N" ]; then
  VOCAB="deploy release database migration lunch coffee review merge branch server backup restore
ticket customer invoice meeting standup sprint design kubernetes docker cache latency error timeout
network firewall password rotate token login holiday weekend monday friday budget report metrics
dashboard alert incident postmortem roadmap feature bug fix test build pipeline runner queue worker"
  WORDS=$(echo $VOCAB | tr ' ' ',' | sed 's/[^,]*/"&"/g')
  t0=$(date +%s.%N)
  $PSQL <<SQL
INSERT INTO channels (kind, name, created_by)
  SELECT 'public', 'aibench-' || i, (SELECT id FROM users WHERE username = 'bench0')
  FROM generate_series(0, 9) i ON CONFLICT DO NOTHING;
INSERT INTO channel_members (channel_id, user_id, role)
  SELECT c.id, u.id, 'member' FROM channels c, users u
  WHERE c.name LIKE 'aibench-%' AND u.username = 'bench0' ON CONFLICT DO NOTHING;
WITH w AS (SELECT '{$WORDS}'::text[] AS a),
c AS (SELECT array_agg(id ORDER BY id) AS ids FROM channels WHERE name LIKE 'aibench-%')
INSERT INTO messages (channel_id, author_id, body, html)
SELECT c.ids[1 + g % 10], (SELECT id FROM users WHERE username = 'bench0'), t, '<p>' || t || '</p>'
FROM generate_series(1, $N - $have) g, w, c,
LATERAL (SELECT w.a[1 + abs(hashint4(g)) % cardinality(w.a)] || ' ' ||
                w.a[1 + abs(hashint4(g * 7)) % cardinality(w.a)] || ' the ' ||
                w.a[1 + abs(hashint4(g * 31)) % cardinality(w.a)] || ' ' ||
                w.a[1 + abs(hashint4(g * 131)) % cardinality(w.a)] || ' ' ||
                substr(md5(g::text), 1, 6) AS t) x;
SQL
  t1=$(date +%s.%N)
  ins=$(python3 -c "print(int(($N - $have) / ($t1 - $t0)))")
else
  ins=""
fi
# a queue left by an interrupted run is drained (and measured) too
queued=$($PSQL -At -c "SELECT count(*) FROM ai_embed_queue")

touch "$WORK/plexichat.log"; chown www-data "$WORK/plexichat.log"
t0=$(date +%s.%N)
PLEXICHAT_RATE_LIMIT=off PLEXICHAT_WORKERS=4 PLEXICHAT_LOG_LEVEL=warn \
  PX_FCGI_LOG="$WORK/plexichat.log" fcgi_start "$BUILD" "$WORK/plexichat.conf" "$WORK/run/px.sock"
lighttpd_start "$WORK/run" "$PORT" "$WORK/run/px.sock"
wait_http "$URL/api/v1/system/health"
if [ "$queued" -gt 0 ]; then
  while [ "$($PSQL -At -c 'SELECT count(*) FROM ai_embed_queue')" -gt 0 ]; do sleep 0.2; done
  t1=$(date +%s.%N)
  rate=$(python3 -c "print(int($queued / ($t1 - $t0)))")
  echo "background embedding (built-in, 1 worker thread): $rate messages/s over $queued messages (target >= 2000/s)"
  echo "  anchor, the INSERT that queued them: ${ins:-not measured (queued by an earlier run)} messages/s"
else
  echo "background embedding: nothing queued (data kept from an earlier run; PX_BENCH_FRESH=1 measures it)"
fi
# the worker builds the index once the queue is empty (ai_ann_min_vectors)
IDX="$WORK/var/ai-ann.idx"
# a file of an earlier run may be of an older build: the worker's own is waited for
[ "$queued" -gt 0 ] || rm -f "$IDX"
t0=$(date +%s.%N)
for _ in $(seq 1 1800); do [ -s "$IDX" ] && break; sleep 0.5; done
[ -s "$IDX" ] || die "no ann index after 15 minutes (see $WORK/plexichat.log)"
echo "ann index present after $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s of waiting once the queue was empty"
TOK=$(curl -s -X POST "$URL/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"username\":\"bench0\",\"password\":\"$PW\"}" | python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])')
CH_OFF=$($PSQL -At -c "SELECT id FROM channels WHERE name = 'aibench-0'")
CH_ON=$($PSQL -At -c "SELECT id FROM channels WHERE name = 'aibench-1'")
$PSQL -c "INSERT INTO ai_channel_settings (channel_id, moderation) VALUES ($CH_ON, 'flag')
          ON CONFLICT (channel_id) DO UPDATE SET moderation = 'flag'"
echo "$($PSQL -At -c 'SELECT count(*) FROM ai_embeddings') messages with vectors"
python3 "$(dirname "$0")/ai_bench.py" post "$URL" "$TOK" "$CH_OFF" "$CH_ON" 50 >/dev/null
python3 "$(dirname "$0")/ai_bench.py" post "$URL" "$TOK" "$CH_OFF" "$CH_ON" "$POSTS"
# recall of the index in process, and the nprobe the tuning questions ask for
CONN="host=$WORK/pg.sock port=$PGPORT dbname=plexichat user=plexichat password=$(cat "$WORK/pg.password")"
"$BUILD/bench/ai_ann_bench" "$CONN" "$IDX" 200 200 "${PX_BENCH_RECALL:-0.95}" 16 | tee "$WORK/ann.txt" | grep -v '^nprobe='
NPROBE=$(sed -n 's/^nprobe=//p' "$WORK/ann.txt")
conf() { sed -i '/^ai_ann\b\|^ai_ann_nprobe\|^ai_semantic_window/d' "$WORK/plexichat.conf"
         printf '%s\n' "$@" >> "$WORK/plexichat.conf"; sleep 2; }
# exact over every vector first (the server re-reads its config within a second)
conf "ai_ann = off" "ai_semantic_window = 0"
python3 "$(dirname "$0")/ai_bench.py" ask-exact "$URL" "$TOK" "$WORK/exact.json"
# the anchor: the exact scan of the newest ai_semantic_window vectors (before the index)
conf "ai_ann = off"
python3 "$(dirname "$0")/ai_bench.py" ask "$URL" "$TOK" 5 warm >/dev/null
python3 "$(dirname "$0")/ai_bench.py" ask "$URL" "$TOK" "$ASKS" \
  "exact scan of the newest ai_semantic_window vectors (the anchor, no index)" | grep -v "^  anchor"
conf "ai_ann = on" "ai_ann_nprobe = $NPROBE"
python3 "$(dirname "$0")/ai_bench.py" ask "$URL" "$TOK" 5 warm >/dev/null
python3 "$(dirname "$0")/ai_bench.py" ask "$URL" "$TOK" "$ASKS" \
  "ann index over all $N+ messages at nprobe $NPROBE + full-text, built-in answer" "$WORK/exact.json"
conf "ai_ann = on"
python3 "$(dirname "$0")/ai_bench.py" ask "$URL" "$TOK" "$ASKS" \
  "ann index at the default nprobe (16)" "$WORK/exact.json" | grep -v "^  anchor"
"$BUILD/bench/ai_bench" recall 100000 50
python3 "$PX_ROOT/tests/integration/ai_fake.py" "$FAKEPORT" >/dev/null & PX_PIDS+=($!)
sleep 1
"$BUILD/bench/ai_bench" client "http://127.0.0.1:$FAKEPORT/openai/ok/v1" 300
