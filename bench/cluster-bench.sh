#!/usr/bin/env bash
# bench/cluster-bench.sh: PlexiChat nodes behind HAProxy (dist/haproxy/
# plexichat.cfg from `defaults` on) on this machine, all sharing one
# PostgreSQL. Each node is plexichat.fcgi + lighttpd. Prints, from one run:
#   1. authenticated GET (latest 50 messages) and POST (a message), wrk
#      -c16, sent to 1 node directly (the anchor) and through HAProxy to 1,
#      2 and 3 nodes; the ratio HAProxy-to-2-nodes / 1-node-direct (the
#      target is >= 85%: the proxy hop's cost)
#   2. the time from SIGKILL of one node (of 3) to the last of its SSE
#      subscribers resumed through HAProxy on another node
# All nodes share this machine's 2 cores: more nodes add no CPU here, so
# the 1/2/3-node figures show the hop's and the spreading's cost, not
# scaling (docs/SCALING.md).
#   PX_BENCH_SECONDS (default 8), PX_BENCH_ROUNDS (2), PX_BENCH_SUBS (200),
#   PX_BENCH_NBTHREAD (HAProxy's threads, default 1),
#   PX_BENCH_PG_PORT (18752), PX_BENCH_HTTP_PORT (18400: nodes on +1..+3,
#   HAProxy on +10), PX_BUILD_DIR (default build/cluster-bench)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root"
install_pkgs $PX_BUILD_PKGS $PX_RUN_PKGS wrk python3 haproxy
open_path "$PX_ROOT"
BUILD=${PX_BUILD_DIR:-$PX_ROOT/build/cluster-bench}
WORK="$PX_ROOT/build/cluster-bench-run"
SECS=${PX_BENCH_SECONDS:-8}; SUBS=${PX_BENCH_SUBS:-200}; ROUNDS=${PX_BENCH_ROUNDS:-2}
PGPORT=${PX_BENCH_PG_PORT:-18752}; BASE=${PX_BENCH_HTTP_PORT:-18400}; HPORT=$((BASE + 10))
build "$BUILD"
rm -rf "$WORK"; mkdir -p "$WORK/var" "$WORK/run"; chmod 755 "$WORK"
chown -R www-data:www-data "$WORK/var" "$WORK/run"
HPID=
cleanup() { trap - INT TERM EXIT; set +e; [ -n "$HPID" ] && kill "$HPID"; stop_all; pg_stop "$WORK/pg"; }
trap cleanup INT TERM EXIT
pg_start "$WORK/pg" "$PGPORT"
write_config "$WORK/plexichat.conf" "$WORK" "$PGPORT"
cat >> "$WORK/plexichat.conf" <<CONF
rate_limit = off
log_level = warn
trusted_proxies = 127.0.0.2
events_max_streams_per_user = 1000
events_max_streams_per_addr = 2000
CONF
ADMIN="$BUILD/plexichat-admin -c $WORK/plexichat.conf"
$ADMIN migrate >/dev/null
PW="Bench-$(head -c 8 "$WORK/pg.password")"
for i in $(seq 0 9); do $ADMIN create-user "cb$i" --password-stdin <<<"$PW" >/dev/null; done

# node i: plexichat.fcgi on run/px-i.sock behind lighttpd on BASE+i
FPIDS=(); LPIDS=()
for i in 1 2 3; do
  PLEXICHAT_NODE_ADDRESS="127.0.0.1:$((BASE + i))" fcgi_spawn "$BUILD" "$WORK/plexichat.conf" "$WORK/run/px-$i.sock"
  PX_PIDS+=("$PX_SPAWNED"); FPIDS[$i]=$PX_SPAWNED
  fcgi_ready "$WORK/run/px-$i.sock" || die "node $i did not start"
  lighttpd_start "$WORK/run" $((BASE + i)) "$WORK/run/px-$i.sock"; LPIDS[$i]=${PX_PIDS[-1]}
  wait_http "http://127.0.0.1:$((BASE + i))/api/v1/system/health" || die "node $i does not answer"
done

# HAProxy in front of the first N nodes, from the repository's file
haproxy_for() {
  local n=$1 i cfg="$WORK/haproxy-$1.cfg"
  { printf 'global\n    maxconn 4000\n'
    # one thread: HAProxy shares this machine's cores with the nodes, the
    # database and wrk; a thread per core (its default, right on a machine
    # of its own) made its threads contend with them (docs/SCALING.md)
    printf '    nbthread %s\n' "${PX_BENCH_NBTHREAD:-1}"
    sed -n '/^defaults/,$p' "$PX_ROOT/dist/haproxy/plexichat.cfg" \
      | sed -e "s|^    bind :80$|    bind 127.0.0.1:$HPORT|" -e '/^    server /d'
    echo "    source 127.0.0.2"
    for i in $(seq 1 "$n"); do echo "    server n$i 127.0.0.1:$((BASE + i))"; done
  } > "$cfg"
  [ -n "$HPID" ] && { kill "$HPID"; wait "$HPID" 2>/dev/null || true; }
  haproxy -db -f "$cfg" >/dev/null 2>&1 & HPID=$!
  for i in $(seq 50); do
    [ "$(curl -s "http://127.0.0.1:$HPORT/api/v1/system/ready" | grep -c ready)" = 1 ] && break
    sleep 0.2
  done
  sleep 2.5   # every server checked up (rise 2 at 1 s)
}

URL1="http://127.0.0.1:$((BASE + 1))"
token() {
  curl -s -X POST "$URL1/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$PW\"}" | python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])'
}
TOK=$(token cb0)
: > "$WORK/tokens"; for i in $(seq 0 9); do token "cb$i" >> "$WORK/tokens"; done
CH=$(curl -s -X POST "$URL1/api/v1/channels" -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' \
  -d '{"kind":"public","name":"cluster-bench"}' | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
for i in $(seq 1 9); do
  T=$(sed -n "$((i + 1))p" "$WORK/tokens")
  curl -s -o /dev/null -X POST "$URL1/api/v1/channels/$CH/members" -H "Authorization: Bearer $T" \
    -H 'Content-Type: application/json' -d '{}'
done
for i in $(seq 60); do
  curl -s -o /dev/null -X POST "$URL1/api/v1/channels/$CH/messages" -H "Authorization: Bearer $TOK" \
    -H 'Content-Type: application/json' -d "{\"body\":\"seed $i\"}"
done
cat > "$WORK/get.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $TOK"
LUA
cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOK"
wrk.body = '{"body":"cluster benchmark message"}'
LUA
rate() { # rate URL LUA PATH: requests/s over SECS at 16 connections
  wrk -t2 -c16 -d2s -s "$2" "$1$3" >/dev/null 2>&1
  wrk -t2 -c16 -d"${SECS}s" -s "$2" "$1$3" 2>/dev/null | awk '/Requests\/sec/ {print int($2)}'
}
GETP="/api/v1/channels/$CH/messages?limit=50"; POSTP="/api/v1/channels/$CH/messages"
# Other work on the machine moves the figures: every round measures the
# anchor again right before the HAProxy arrangements, and the ratios are
# taken within a round.
echo
echo "== cluster-bench: wrk -t2 -c16 ${SECS}s per figure, authenticated, $(nproc) cores shared by all"
printf '%-6s %-30s %10s %10s\n' "round" "arrangement" "GET req/s" "POST req/s"
for r in $(seq "$ROUNDS"); do
  [ -n "$HPID" ] && { kill "$HPID"; wait "$HPID" 2>/dev/null || true; HPID=; }
  G1=$(rate "$URL1" "$WORK/get.lua" "$GETP"); P1=$(rate "$URL1" "$WORK/post.lua" "$POSTP")
  printf '%-6s %-30s %10s %10s\n' "$r" "1 node directly (anchor)" "$G1" "$P1"
  for n in 1 2 3; do
    haproxy_for "$n"
    G=$(rate "http://127.0.0.1:$HPORT" "$WORK/get.lua" "$GETP")
    P=$(rate "http://127.0.0.1:$HPORT" "$WORK/post.lua" "$POSTP")
    printf '%-6s %-30s %10s %10s\n' "$r" "HAProxy -> $n node(s)" "$G" "$P"
    [ "$n" = 2 ] && awk -v g="$G" -v g1="$G1" -v p="$P" -v p1="$P1" -v r="$r" 'BEGIN {
      printf "round %s: HAProxy->2 nodes vs 1 node direct: GET %.0f%%, POST %.0f%% (target >= 85%%)\n",
        r, 100*g/g1, 100*p/p1 }' >> "$WORK/ratios"
  done
done
cat "$WORK/ratios"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"

log "SIGKILL of node 1 under $SUBS subscribers through HAProxy to 3 nodes"
haproxy_for 3
python3 "$PX_ROOT/bench/cluster_resume.py" "$HPORT" "$SUBS" "$WORK/tokens" "${FPIDS[1]}" "${LPIDS[1]}"
