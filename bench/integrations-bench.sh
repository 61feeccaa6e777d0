#!/usr/bin/env bash
# bench/integrations-bench.sh: webhook figures through lighttpd, each beside
# an anchor measured in the same run on this machine:
#   1. incoming webhook posts (POST /api/v1/hooks/{token}, a Slack payload)
#      vs the normal authenticated POST of a message (wrk -c16, two rounds)
#   2. outgoing: 10,000 queued deliveries drained by 4 sender threads to a
#      local receiver (bench/hook-receiver.py on 127.0.0.2), beside what the
#      receiver alone answers (wrk -c4 straight at it)
#   3. the receiver down for PX_BENCH_DOWN seconds (default 60) while
#      deliveries queue, then back: every delivery arrives (unique ids)
#   PX_BENCH_SECONDS (default 10), PX_BENCH_DELIVERIES (default 10000),
#   PX_BENCH_DOWN (default 60), PX_BENCH_ONLY (in,out,down; default all),
#   PX_BENCH_BUILD (a build folder to use instead of build/integrations)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root"
install_pkgs $PX_BUILD_PKGS $PX_RUN_PKGS wrk python3
open_path "$PX_ROOT"
BUILD=${PX_BENCH_BUILD:-$PX_ROOT/build/integrations}
WORK="$PX_ROOT/build/integrations-bench"
SECS=${PX_BENCH_SECONDS:-10}; N=${PX_BENCH_DELIVERIES:-10000}; DOWN=${PX_BENCH_DOWN:-60}
ONLY=${PX_BENCH_ONLY:-in,out,down}
PGPORT=${PX_BENCH_PG_PORT:-23732}; PORT=${PX_BENCH_HTTP_PORT:-23380}; RPORT=${PX_BENCH_RECV_PORT:-23190}
URL="http://127.0.0.1:$PORT"
RECV="http://127.0.0.2:$RPORT"
[ -n "${PX_BENCH_BUILD:-}" ] || build "$BUILD"
pg_stop "$WORK/pg" 2>/dev/null || true
rm -rf "$WORK"; mkdir -p "$WORK/var" "$WORK/run"; chmod 755 "$WORK"
chown -R www-data:www-data "$WORK/var" "$WORK/run"
RPID=; FPID=
cleanup() {
  trap - INT TERM EXIT; set +e
  [ -n "$RPID" ] && kill "$RPID" 2>/dev/null
  [ -n "$FPID" ] && kill "$FPID" 2>/dev/null
  stop_all; pg_stop "$WORK/pg"
}
trap cleanup INT TERM EXIT
pg_start "$WORK/pg" "$PGPORT"
write_config "$WORK/plexichat.conf" "$WORK" "$PGPORT"
echo "outbound_allow_private = 127.0.0.2/32" >> "$WORK/plexichat.conf"
ADMIN="$BUILD/plexichat-admin -c $WORK/plexichat.conf"
$ADMIN migrate >/dev/null
PSQL="runuser -u postgres -- psql -X -q -At -h $WORK/pg.sock -p $PGPORT -d plexichat -v ON_ERROR_STOP=1"
PW="Bench-$(head -c 8 "$WORK/pg.password")"
$ADMIN create-user bench0 --password-stdin <<<"$PW" >/dev/null 2>&1

# start_fcgi SENDERS: plexichat.fcgi behind lighttpd with that many senders
start_fcgi() {
  PLEXICHAT_RATE_LIMIT=off PLEXICHAT_WORKERS=4 PLEXICHAT_LOG_LEVEL=warn PLEXICHAT_HOOKS_SENDERS=$1 \
    PX_FCGI_LOG="$WORK/plexichat.log" fcgi_spawn "$BUILD" "$WORK/plexichat.conf" "$WORK/run/px.sock"
  FPID=$PX_SPAWNED
  fcgi_ready "$WORK/run/px.sock" || die "plexichat.fcgi did not start"
}
stop_fcgi() { kill "$FPID"; wait "$FPID" 2>/dev/null || true; }
start_recv() {
  python3 "$(dirname "$0")/hook-receiver.py" 127.0.0.2 "$RPORT" "$WORK/recv.count" & RPID=$!
  local i; for i in $(seq 50); do [ -s "$WORK/recv.count" ] && return 0; sleep 0.1; done
  die "receiver did not start"
}
stop_recv() { kill "$RPID"; wait "$RPID" 2>/dev/null || true; RPID=; }

touch "$WORK/plexichat.log"; chown www-data "$WORK/plexichat.log"
start_fcgi 0
lighttpd_start "$WORK/run" "$PORT" "$WORK/run/px.sock"
wait_http "$URL/api/v1/system/health"
TOK=$(curl -s -X POST "$URL/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"username\":\"bench0\",\"password\":\"$PW\"}" | python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])')
api() { curl -s -X "$1" "$URL$2" -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' ${3:+-d "$3"}; }
CH=$(api POST /api/v1/channels '{"name":"bench-hooks"}' | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
CH2=$(api POST /api/v1/channels '{"name":"bench-out"}' | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
HOOK=$(api POST "/api/v1/channels/$CH/hooks/incoming" '{"name":"bench"}' \
  | python3 -c 'import sys,json,urllib.parse; print(urllib.parse.urlsplit(json.load(sys.stdin)["url"]).path)')
api POST "/api/v1/channels/$CH2/hooks/outgoing" \
  "{\"name\":\"bench\",\"url\":\"$RECV/hook\",\"events\":[\"message.created\"]}" >/dev/null

want() { case ",$ONLY," in *",$1,"*) return 0 ;; esac; return 1; }
echo "== $(nproc) cores shared by wrk, lighttpd, plexichat.fcgi, PostgreSQL and the receiver"

if want in; then
  cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOK"
wrk.body = '{"body":"benchmark message with **some** markdown"}'
LUA
  cat > "$WORK/hook.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"text":"benchmark message with *some* markdown","username":"bench"}'
LUA
  # warm-up: every worker has its connection and prepared statements
  wrk -t2 -c16 -d2s -s "$WORK/post.lua" "$URL/api/v1/channels/$CH/messages" >/dev/null 2>&1
  wrk -t2 -c16 -d2s -s "$WORK/hook.lua" "$URL$HOOK" >/dev/null 2>&1
  for round in 1 2; do
    px=$(wrk -t2 -c16 -d"${SECS}s" -s "$WORK/post.lua" "$URL/api/v1/channels/$CH/messages" 2>/dev/null \
         | awk '/Requests\/sec/ {print int($2)}')
    hk=$(wrk -t2 -c16 -d"${SECS}s" -s "$WORK/hook.lua" "$URL$HOOK" 2>/dev/null \
         | awk '/Requests\/sec/ {print int($2)}')
    [ "$round" = 1 ] && for c in 1; do
      px1=$(wrk -t1 -c1 -d3s -s "$WORK/post.lua" "$URL/api/v1/channels/$CH/messages" 2>/dev/null | awk '/Requests\/sec/ {print int($2)}')
      hk1=$(wrk -t1 -c1 -d3s -s "$WORK/hook.lua" "$URL$HOOK" 2>/dev/null | awk '/Requests\/sec/ {print int($2)}')
      echo "one connection: incoming webhook $hk1/s, message POST $px1/s"
    done
    echo "round $round: incoming webhook $hk posts/s, authenticated message POST $px/s ($(( 100 * hk / px ))%, target >= 80%)"
  done
  bad=$($PSQL -c "SELECT count(*) FROM messages m JOIN users u ON u.id = m.author_id WHERE m.channel_id = $CH AND u.is_bot AND m.bot IS NULL")
  [ "$bad" = 0 ] || die "$bad webhook posts without their bot props"
fi

# enqueue K: K message.created events in the outgoing hook's channel, in
# one transaction (the trigger writes one delivery each)
enqueue() {
  $PSQL -c "SELECT count(px_emit('message.created', $CH2, NULL, json_build_object('body', 'bench ' || g))) FROM generate_series(1, $1) g" >/dev/null
}
delivered() { $PSQL -c "SELECT count(*) FROM hook_deliveries WHERE state = 'delivered'"; }
now_ms() { date +%s%3N; }

if want out; then
  start_recv
  cat > "$WORK/recv.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Connection"] = "close"
wrk.body = '{"event":"message.created"}'
LUA
  anchor=$(wrk -t2 -c4 -d"${SECS}s" -s "$WORK/recv.lua" "$RECV/hook" 2>/dev/null | awk '/Requests\/sec/ {print int($2)}')
  stop_recv; rm -f "$WORK/recv.count"; start_recv
  $PSQL -c "DELETE FROM hook_deliveries" >/dev/null
  enqueue "$N"
  stop_fcgi; start_fcgi 4
  t0=$(now_ms)
  while [ "$(delivered)" -lt "$N" ]; do
    [ $(( $(now_ms) - t0 )) -lt 300000 ] || die "not drained in 300 s: $(delivered) of $N"
    sleep 0.2
  done
  t1=$(now_ms)
  sleep 1.2
  read -r reqs uniq < "$WORK/recv.count"
  echo "outgoing: $N queued deliveries drained in $(( t1 - t0 )) ms by 4 senders: $(( N * 1000 / (t1 - t0) ))/s (target >= 1000/s); receiver alone (wrk -c4, new connection each): $anchor req/s; it got $reqs requests, $uniq distinct delivery ids"
  stop_recv
fi

if want down; then
  rm -f "$WORK/recv.count"
  $PSQL -c "DELETE FROM hook_deliveries" >/dev/null
  K=$(( N / 10 ))
  enqueue "$K"
  log "receiver down for $DOWN s with $K deliveries queued"
  sleep "$DOWN"
  pend=$($PSQL -c "SELECT count(*) || ' pending, ' || coalesce(max(attempts), 0) || ' attempts at most' FROM hook_deliveries WHERE state = 'pending'")
  start_recv
  t0=$(now_ms)
  while [ "$(delivered)" -lt "$K" ]; do
    [ $(( $(now_ms) - t0 )) -lt 900000 ] || die "not all delivered 900 s after the receiver came back: $(delivered) of $K"
    sleep 0.5
  done
  t1=$(now_ms)
  sleep 1.2
  read -r reqs uniq < "$WORK/recv.count"
  failed=$($PSQL -c "SELECT count(*) FROM hook_deliveries WHERE state = 'failed'")
  echo "receiver down ${DOWN} s ($pend when it came back): all $K delivered $(( (t1 - t0) / 1000 )) s after; it got $reqs requests, $uniq distinct ids; $failed given up"
  [ "$uniq" = "$K" ] || die "the receiver saw $uniq distinct deliveries of $K"
fi
