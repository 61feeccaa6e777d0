#!/usr/bin/env bash
# bench/workload.sh: a workload, not an operation (issue 22). Simulated users
# over real HTTP through lighttpd (bench/workload.c, one epoll thread): each
# holds an open event stream (SSE through mod_fastcgi to plexichat.fcgi, or
# for WL_WS_SHARE percent of them a WebSocket through lighttpd's mod_proxy
# upgrade to plexichat-ws) and a keep-alive connection for its actions, and
# after an exponential think time (mean WL_THINK_MS) does one of: read the
# latest 50 messages of a channel 30%, post 15%, react 10%, search 5%, mark
# read 20%, typing 20% (WebSocket users send typing and read markers as
# frames on their socket, as the web UI does). Users are added step by step
# (PX_BENCH_STEPS) until the p99 of the actions passes 200 ms, a delivery is
# missing or more than 1% of actions fail. Printed per step and at the end:
# users sustained, messages/s, server CPU per 1,000 users, memory (PSS) per
# connected user summed over lighttpd, plexichat.fcgi, plexichat-ws and every
# PostgreSQL process, delivery latency of posts to the other members'
# streams, and where the time goes (per-process CPU shares, then a perf
# profile of the whole machine held at the highest sustained step).
# Accounts: PX_BENCH_MAX_USERS users and their sessions are made once in SQL
# (no password hashing: each session token's SHA-256 is stored, as the login
# does) and kept in build/workload between runs. User i is a member of team
# channel i/25 (25 members) and of department channel i/250 (250 members).
#   PX_BENCH_STEPS (100,250,500,750,1000,1500,2000,2500,3000,4000,5000),
#   PX_BENCH_MAX_USERS (6000), PX_BENCH_MESSAGES (200000, made once),
#   WL_THINK_MS (10000), WL_WS_SHARE (50), WL_WARM (10), WL_WINDOW (30),
#   WL_GRACE (5), WL_HOLD (15; 0: no hold and no profile), PX_BENCH_PROFILE
#   (1; 0: no perf), PX_BENCH_NICE (unset; see below), PX_BENCH_WORKERS
#   (plexichat.fcgi's worker threads, 4 as configured by default), PX_BENCH_PG_PORT (20250),
#   PX_BENCH_HTTP_PORT (20251),
#   PX_BUILD_DIR
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root"
install_pkgs $PX_BUILD_PKGS $PX_RUN_PKGS
open_path "$PX_ROOT"
BUILD=${PX_BUILD_DIR:-$PX_ROOT/build/workload-build}
WORK="$PX_ROOT/build/workload"
STEPS=${PX_BENCH_STEPS:-100,250,500,750,1000,1500,2000,2500,3000,4000,5000}
MAXU=${PX_BENCH_MAX_USERS:-6000}; N=${PX_BENCH_MESSAGES:-200000}
PGPORT=${PX_BENCH_PG_PORT:-20250}; PORT=${PX_BENCH_HTTP_PORT:-20251}
URL="http://127.0.0.1:$PORT"
ulimit -n "$(ulimit -Hn)"
FDS=$(ulimit -n)
build "$BUILD"
bench_db "$WORK" "$PGPORT" "$BUILD"
$ADMIN create-user wlowner --password-stdin <<<"Bench-$(head -c 8 "$WORK/pg.password")" >/dev/null 2>&1 || true
[ -s "$WORK/token.secret" ] || od -An -tx1 -N16 /dev/urandom | tr -d ' \n' > "$WORK/token.secret"
SECRET=$(cat "$WORK/token.secret")

have=$($PSQL -At -c "SELECT count(*) FROM users WHERE username LIKE 'wl%' AND username <> 'wlowner'")
if [ "$have" -lt "$MAXU" ]; then
  log "making $MAXU users, their channels and $N messages (once; kept in $WORK)"
  # usernames wl1..wlN are plain ASCII: their fold is the name, and a
  # skeleton unique to each is enough for the uniqueness rule it serves
  $PSQL <<SQL
INSERT INTO users (username, username_skeleton, username_fold, display_name, role, password_changed_at)
  SELECT 'wl' || g, 'wl-bench-skeleton-' || g, 'wl' || g, 'Workload ' || g, 'member', now()
  FROM generate_series(1, $MAXU) g ON CONFLICT DO NOTHING;
INSERT INTO channels (kind, name, created_by)
  SELECT 'public', 'wl-team-' || g, (SELECT id FROM users WHERE username = 'wlowner')
  FROM generate_series(0, ($MAXU - 1) / 25) g ON CONFLICT DO NOTHING;
INSERT INTO channels (kind, name, created_by)
  SELECT 'public', 'wl-dept-' || g, (SELECT id FROM users WHERE username = 'wlowner')
  FROM generate_series(0, ($MAXU - 1) / 250) g ON CONFLICT DO NOTHING;
INSERT INTO channel_members (channel_id, user_id, role)
  SELECT c.id, (SELECT id FROM users WHERE username = 'wlowner'), 'owner' FROM channels c
  WHERE c.name LIKE 'wl-%' ON CONFLICT DO NOTHING;
INSERT INTO channel_members (channel_id, user_id, role)
  SELECT c.id, u.id, 'member' FROM generate_series(1, $MAXU) g
  JOIN users u ON u.username = 'wl' || g
  JOIN channels c ON c.name IN ('wl-team-' || (g - 1) / 25, 'wl-dept-' || (g - 1) / 250)
  ON CONFLICT DO NOTHING;
SQL
fi
if [ "$($PSQL -At -c "SELECT count(*) FROM messages")" -lt "$N" ]; then
  WORDS=$(tr '\n' ',' < "$(dirname "$0")/msg-words.txt" | sed 's/,$//; s/[^,]*/"&"/g')
  $PSQL <<SQL
CREATE TEMP TABLE gin_defs AS SELECT indexdef FROM pg_indexes
  WHERE indexname IN ('messages_tsv', 'messages_trgm');
DROP INDEX messages_tsv; DROP INDEX messages_trgm;
WITH w AS (SELECT '{$WORDS}'::text[] AS a),
c AS (SELECT array_agg(id ORDER BY id) AS ids FROM channels WHERE name LIKE 'wl-%'),
u AS (SELECT array_agg(id ORDER BY id) AS ids FROM users WHERE username LIKE 'wl%')
INSERT INTO messages (channel_id, author_id, body, html, created_at)
SELECT c.ids[1 + g % cardinality(c.ids)], u.ids[1 + (g * 7) % cardinality(u.ids)], t, '<p>' || t || '</p>',
       now() - make_interval(secs => ($N - g) * 2)
FROM generate_series(1, $N) g, w, c, u,
LATERAL (SELECT w.a[1 + abs(hashint4(g)) % cardinality(w.a)] || ' ' ||
                substr(md5(g::text), 1, 6) || ' the ' ||
                w.a[1 + abs(hashint4(g * 31)) % cardinality(w.a)] AS t) x;
SELECT indexdef FROM gin_defs \gexec
VACUUM ANALYZE;
SQL
fi
# sessions are made again each run (the server may have expired them)
$PSQL <<SQL
DELETE FROM sessions WHERE user_agent = 'workload';
INSERT INTO sessions (user_id, token_hash, expires_at, user_agent, ip)
  SELECT id, encode(sha256(convert_to('pxs_wl' || id || '_$SECRET', 'UTF8')), 'hex'),
         now() + interval '1 day', 'workload', '127.0.0.1'
  FROM users WHERE username LIKE 'wl%' AND username <> 'wlowner';
DELETE FROM messages WHERE body LIKE 'wl-%';
DELETE FROM events; DELETE FROM event_streams;
VACUUM ANALYZE messages;
SQL
$PSQL -At -F' ' > "$WORK/users" <<SQL
SELECT 'pxs_wl' || u.id || '_$SECRET',
       (SELECT id FROM channels WHERE name = 'wl-team-' || (g - 1) / 25),
       (SELECT id FROM channels WHERE name = 'wl-dept-' || (g - 1) / 250)
FROM generate_series(1, $MAXU) g JOIN users u ON u.username = 'wl' || g ORDER BY g;
SQL

# Every simulated user comes from 127.0.0.1: the per-address stream cap and
# the rate limiter (which would see one client) are lifted; the per-account
# cap stays (each user holds one stream).
export PLEXICHAT_EVENTS_MAX_STREAMS_PER_ADDR=100000 PLEXICHAT_EVENTS_MAX_WAITERS=$(( FDS / 2 )) \
  PLEXICHAT_WS_MAX_CONNECTIONS=$(( FDS / 2 )) PLEXICHAT_RATE_LIMIT=off PLEXICHAT_LOG_LEVEL=warn \
  PLEXICHAT_WORKERS=${PX_BENCH_WORKERS:-4}
bench_web "$BUILD" "$WORK" "$PORT" "$(( FDS * 6 / 10 ))" "$FDS"
PGPID=$(head -1 "$WORK/pg/postmaster.pid")

echo "== workload: $(nproc) cores shared by the client, lighttpd, plexichat.fcgi, plexichat-ws and PostgreSQL;" \
  "$($PSQL -At -c 'SELECT count(*) FROM messages') messages; descriptor limit $FDS; load average" \
  "$(cut -d' ' -f1-3 /proc/loadavg) before the run; plexichat.fcgi with ${PX_BENCH_WORKERS:-4} worker threads"
PROFILE=""
if [ "${PX_BENCH_PROFILE:-1}" = 1 ] && command -v perf >/dev/null; then
  # the server's processes only (the client puts their pids in WL_PIDS):
  # on a shared machine a system-wide profile is mostly other work
  PROFILE="perf record -q -F 1999 -g -p \$WL_PIDS -o $WORK/perf.data -- sleep 10 >/dev/null 2>&1"
fi
# PX_BENCH_NICE (e.g. -10): on a machine shared with other work, the
# servers and the client run at that priority, every thread of them (nice
# is per thread on Linux; backends forked later inherit the postmaster's),
# so that the figure is closer to the servers' own limit than to the load
# beside them. Off by default; the output says when it was on.
NICE_RUN=()
if [ -n "${PX_BENCH_NICE:-}" ]; then
  for p in "$LPID" "$FPID" "$WPID" "$PGPID" $(pgrep -P "$PGPID"); do
    for t in /proc/"$p"/task/*; do renice -n "$PX_BENCH_NICE" -p "${t##*/}" >/dev/null; done
  done
  NICE_RUN=(nice -n "$PX_BENCH_NICE")
  echo "== servers and client at nice $PX_BENCH_NICE (PX_BENCH_NICE)"
fi
rm -f "$WORK/perf.data"  # never a profile of an earlier run
rc=0
WL_PROFILE=$PROFILE WL_HOLD=${WL_HOLD:-15} "${NICE_RUN[@]}" "$BUILD/bench/workload" 127.0.0.1 "$PORT" "$WORK/users" \
  "$(dirname "$0")/msg-words.txt" "$STEPS" "lighttpd=$LPID,plexichat.fcgi=$FPID,plexichat-ws=$WPID,postgres=$PGPID" \
  || rc=$?
if [ -n "$PROFILE" ] && [ -s "$WORK/perf.data" ]; then
  echo "-- where the time goes: perf (-g, 1999 Hz) of the server's processes for 10 s during the hold"
  perf report -i "$WORK/perf.data" --no-children -g none --sort comm --stdio > "$WORK/perf-comm.txt" 2>/dev/null || true
  perf report -i "$WORK/perf.data" --no-children -g none --sort comm,dso --stdio > "$WORK/perf-dso.txt" 2>/dev/null || true
  perf report -i "$WORK/perf.data" --no-children -g none --sort comm,dso,symbol --stdio \
    > "$WORK/perf-sym.txt" 2>/dev/null || true
  tidy() { grep -E '^ +[0-9]' "$1" | sed -e 's/ *- *- *$//' -e 's/ *$//' -e 's/  */ /g' | head -"$2" || true; }
  echo "   CPU samples by process ($(sed -n 's/^# Samples: \([0-9.]*[KM]*\).*/\1/p' "$WORK/perf-comm.txt") samples):"
  tidy "$WORK/perf-comm.txt" 8
  echo "   by process and library (kernel = system calls, network and scheduling):"
  tidy "$WORK/perf-dso.txt" 14
  echo "   top symbols (process, library, symbol):"
  tidy "$WORK/perf-sym.txt" 25
fi
exit $rc
