#!/usr/bin/env bash
# bench/peer-bench.sh: PlexiChat beside a real chat server, in the same run
# on the same machine (issue 22). ejabberd 23.01 (Debian) with one
# multi-user chat room whose archive (mod_mam) is in its own PostgreSQL
# cluster, so that every message is committed as PlexiChat commits every
# post; and PlexiChat through lighttpd with one channel. Each has 1,000
# members (1,000 accounts, each with one XMPP session in the room, or one
# SSE stream from plexichat.fcgi, or one WebSocket from plexichat-ws). One
# client, bench/peer_fanout.c, drives them all the same way:
#   - delivery p50/p99 to every member at fixed send rates (open loop,
#     latency from each message's scheduled send to its arrival)
#   - messages/s into the room at saturation, by 1, 4 and 16 senders that
#     each send their next message once the last was accepted (PlexiChat:
#     the POST's 201; XMPP: the sender's own copy from the room)
#   - memory per connected member (ejabberd's beam.smp; Prosody's process;
#     plexichat.fcgi or plexichat-ws, and lighttpd), measured as the
#     members connect; the
#     first round's is the figure (later rounds start from what earlier
#     ones left in the processes' heaps)
# The saturation phases come first: an open-loop rate a server cannot keep
# leaves it a backlog that would slow the phases after it.
# Prosody 0.12 (Debian) joins them the same way (mod_muc with mod_muc_mam,
# storage in its own PostgreSQL cluster); PX_BENCH_PROSODY=0 leaves it out.
# Target (issue 22): PlexiChat >= 2x ejabberd's messages/s into the
# 1,000-member room at an equal or lower delivery p99.
# The systems take turns, PX_BENCH_ROUNDS times (default 2), each round
# ejabberd, Prosody, then PlexiChat's SSE, then its WebSocket; every
# server stays up all along. The load average is printed with every
# figure: on a shared machine it moves. Set-up and figures:
# docs/BENCHMARKS.md, "Side by side with ejabberd".
#   PX_BENCH_SUBS (1000), PX_BENCH_PHASES (see below), PX_BENCH_ROUNDS,
#   PX_BENCH_PG_PORT (24150, PlexiChat's cluster), PX_BENCH_EJ_PG_PORT
#   (24151, ejabberd's), PX_BENCH_HTTP_PORT (24152), PX_BENCH_XMPP_PORT
#   (24153), PX_BENCH_DIST_PORT (24154, ejabberd's Erlang distribution),
#   PX_BENCH_PR_PG_PORT (24155, Prosody's cluster), PX_BENCH_PR_XMPP_PORT
#   (24156), PX_BENCH_PROSODY (1), PX_BUILD_DIR
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root"
PROSODY=${PX_BENCH_PROSODY:-1}
install_pkgs $PX_BUILD_PKGS $PX_RUN_PKGS python3 ejabberd erlang-p1-pgsql
[ "$PROSODY" = 1 ] && install_pkgs prosody lua-dbi-postgresql
open_path "$PX_ROOT"
BUILD=${PX_BUILD_DIR:-$PX_ROOT/build/peer-bench-build}
WORK="$PX_ROOT/build/peer-bench"
SUBS=${PX_BENCH_SUBS:-1000}; ROUNDS=${PX_BENCH_ROUNDS:-2}
PHASES=${PX_BENCH_PHASES:-sat:1:10 sat:4:10 sat:16:10 rate:10:100 rate:50:250}
PGPORT=${PX_BENCH_PG_PORT:-24150}; EJPGPORT=${PX_BENCH_EJ_PG_PORT:-24151}
PORT=${PX_BENCH_HTTP_PORT:-24152}; XPORT=${PX_BENCH_XMPP_PORT:-24153}
DPORT=${PX_BENCH_DIST_PORT:-24154}
PRPGPORT=${PX_BENCH_PR_PG_PORT:-24155}; PRPORT=${PX_BENCH_PR_XMPP_PORT:-24156}
URL="http://127.0.0.1:$PORT"
# a thousand members: a descriptor each in the client and the servers
ulimit -n "$(ulimit -Hn)"
build "$BUILD"
FANOUT="$BUILD/bench/peer_fanout"

EJ="$WORK/ejabberd"
# ejabberdctl run as the ejabberd user itself (not through su, which would
# reset the raised descriptor limit), with its own folders and node
ejctl() {
  setpriv --reuid=ejabberd --regid=ejabberd --init-groups env HOME="$EJ" \
    ejabberdctl --config-dir "$EJ/etc" --spool "$EJ/spool" --logs "$EJ/log" "$@"
}
cleanup() {
  trap - INT TERM EXIT; set +e
  [ -f "$EJ/etc/ejabberdctl.cfg" ] && { ejctl stop >/dev/null 2>&1; ejctl stopped >/dev/null 2>&1; }
  stop_all; pg_stop "$WORK/pg"; pg_stop "$WORK/ejpg"; pg_stop "$WORK/prpg"
}
trap cleanup INT TERM EXIT
# every run starts from empty clusters: the figures do not depend on what
# an earlier run left in the archives
for c in pg ejpg prpg; do pg_stop "$WORK/$c" 2>/dev/null || true; done
rm -rf "$WORK"; mkdir -p "$WORK/var" "$WORK/run"; chmod 755 "$WORK"
chown -R www-data:www-data "$WORK/var" "$WORK/run"

# ---- ejabberd: its cluster, its schema, 1,000 accounts, its config
pg_start "$WORK/ejpg" "$EJPGPORT"
EJPSQL="runuser -u postgres -- psql -X -q -h $WORK/ejpg.sock -p $EJPGPORT -v ON_ERROR_STOP=1"
$EJPSQL -d postgres -c "CREATE DATABASE ejabberd OWNER plexichat"
SCHEMA=/usr/share/ejabberd/sql/pg.sql
[ -f "$SCHEMA" ] || die "ejabberd's PostgreSQL schema is not at $SCHEMA"
runuser -u postgres -- psql -X -q -h "$WORK/ejpg.sock" -p "$EJPGPORT" -U plexichat -d ejabberd \
  -v ON_ERROR_STOP=1 -f "$SCHEMA" >/dev/null
EJPW="peer-$(head -c 8 "$WORK/ejpg.password")"
# plain passwords (auth_password_format: plain) so that SASL PLAIN checks
# them with one query; SCRAM would cost each log-in more, not each message
$EJPSQL -d ejabberd -c "INSERT INTO users (username, password)
  SELECT 'peer' || i, '$EJPW' FROM generate_series(0, $SUBS - 1) i"
mkdir -p "$EJ/etc" "$EJ/spool" "$EJ/log"
echo '{lookup, [file, native]}.' > "$EJ/etc/inetrc"
cat > "$EJ/etc/ejabberdctl.cfg" <<CFG
ERLANG_NODE=pxpeer@localhost
ERL_DIST_PORT=$DPORT
CFG
cat > "$EJ/etc/ejabberd.yml" <<YML
hosts: ["localhost"]
loglevel: warning
certfiles: []
sql_type: pgsql
sql_server: "127.0.0.1"
sql_port: $EJPGPORT
sql_database: ejabberd
sql_username: plexichat
sql_password: "$(cat "$WORK/ejpg.password")"
sql_pool_size: 10
default_db: sql
auth_method: sql
auth_password_format: plain
listen:
  - port: $XPORT
    ip: "127.0.0.1"
    module: ejabberd_c2s
    max_stanza_size: 262144
    shaper: none
    backlog: 1024
acl:
  local:
    user_regexp: ""
access_rules:
  muc_create:
    allow: local
modules:
  mod_mam:
    db_type: sql
  mod_muc:
    db_type: sql
    host: "conference.localhost"
    access_create: muc_create
    max_users: 2000
    max_users_presence: 2000
    default_room_options:
      persistent: true
      mam: true
      max_users: 2000
      presence_broadcast: [moderator]
YML
chown -R ejabberd:ejabberd "$EJ"
ejctl start >/dev/null
ejctl started || die "ejabberd did not start (see $EJ/log)"
BEAM=$(pgrep -f "beam.smp.*-sname pxpeer@localhost" | head -1)
[ -n "$BEAM" ] || die "no beam.smp for node pxpeer"

# ---- Prosody: its cluster and config; it makes its tables when it starts,
# then the accounts go into its key-value table (internal_plain keeps the
# password as ejabberd's plain format does)
PR="$WORK/prosody"
if [ "$PROSODY" = 1 ]; then
  pg_start "$WORK/prpg" "$PRPGPORT"
  PRPSQL="runuser -u postgres -- psql -X -q -h $WORK/prpg.sock -p $PRPGPORT -v ON_ERROR_STOP=1"
  $PRPSQL -d postgres -c "CREATE DATABASE prosody OWNER plexichat"
  mkdir -p "$PR/data"
  cat > "$PR/prosody.cfg.lua" <<LUA
pidfile = "$PR/prosody.pid"
data_path = "$PR/data"
log = { warn = "$PR/prosody.log" }
network_backend = "epoll"
network_settings = { tcp_backlog = 1024 }
modules_enabled = { "saslauth", "disco" }
modules_disabled = { "s2s" }
c2s_ports = { $PRPORT }
c2s_interfaces = { "127.0.0.1" }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
storage = "sql"
sql = { driver = "PostgreSQL", database = "prosody", username = "plexichat",
        password = "$(cat "$WORK/prpg.password")", host = "127.0.0.1", port = $PRPGPORT }
-- the room's archive keeps every message of the run (default quota 1,000)
storage_archive_item_limit = 10000000
VirtualHost "localhost"
Component "conference.localhost" "muc"
  modules_enabled = { "muc_mam" }
  muc_room_locking = false
  muc_room_default_persistent = true
  muc_room_default_history_length = 0
  muc_room_default_presence_broadcast = { moderator = true }
  muc_log_all_rooms = true
LUA
  chown -R prosody:prosody "$PR"
  setpriv --reuid=prosody --regid=prosody --init-groups prosody -F --config "$PR/prosody.cfg.lua" \
    >>"$PR/prosody.log" 2>&1 & PX_PIDS+=($!)
  PRPID=$!
  for _ in $(seq 100); do
    $PRPSQL -d prosody -At -c "SELECT 1 FROM pg_tables WHERE tablename = 'prosody'" 2>/dev/null | grep -q 1 &&
      (exec 3<>"/dev/tcp/127.0.0.1/$PRPORT") 2>/dev/null && break
    sleep 0.2
  done
  $PRPSQL -d prosody -c "INSERT INTO prosody (host, \"user\", store, key, type, value)
    SELECT 'localhost', 'peer' || i, 'accounts', 'password', 'string', '$EJPW' FROM generate_series(0, $SUBS - 1) i" \
    || die "Prosody did not start (see $PR/prosody.log)"
fi

# ---- PlexiChat: its cluster, 1,000 accounts with a session each, one channel
pg_start "$WORK/pg" "$PGPORT"
write_config "$WORK/plexichat.conf" "$WORK" "$PGPORT"
ADMIN="$BUILD/plexichat-admin -c $WORK/plexichat.conf"
$ADMIN migrate >/dev/null
PSQL="runuser -u postgres -- psql -X -q -h $WORK/pg.sock -p $PGPORT -d plexichat -v ON_ERROR_STOP=1"
PW="Peer-$(head -c 8 "$WORK/pg.password")"
$ADMIN create-user peer0 --password-stdin <<<"$PW" >/dev/null
# the other accounts as copies of the first (one password hash each would
# take minutes), and a login session for each: the token's SHA-256 is what
# the sessions table holds, as POST /auth/login stores it
SALT=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
$PSQL <<SQL
INSERT INTO users (username, username_skeleton, username_fold, password_hash, password_changed_at)
  SELECT 'peer' || i, 'peer' || i, 'peer' || i, u.password_hash, now()
  FROM generate_series(1, $SUBS - 1) i, users u WHERE u.username = 'peer0';
INSERT INTO channels (kind, name, created_by)
  SELECT 'public', 'peer-room', id FROM users WHERE username = 'peer0';
INSERT INTO channel_members (channel_id, user_id, role)
  SELECT c.id, u.id, CASE u.username WHEN 'peer0' THEN 'owner' ELSE 'member' END
  FROM channels c, users u WHERE c.name = 'peer-room' AND u.username LIKE 'peer%';
INSERT INTO sessions (user_id, token_hash, expires_at)
  SELECT id, encode(sha256(convert_to('pxs_$SALT' || id, 'UTF8')), 'hex'), now() + interval '1 day'
  FROM users WHERE username LIKE 'peer%';
SQL
$PSQL -At -c "SELECT 'pxs_$SALT' || id FROM users WHERE username LIKE 'peer%'
  ORDER BY substr(username, 5)::int" > "$WORK/tokens"
CH=$($PSQL -At -c "SELECT id FROM channels WHERE name = 'peer-room'")
touch "$WORK/plexichat.log"; chown www-data "$WORK/plexichat.log"
# a thousand streams from one address: the per-address stream cap
# (SECURITY.md) is lifted, and the rate limiter is off, for the run
export PLEXICHAT_EVENTS_MAX_STREAMS_PER_ADDR=$((SUBS * 2)) PLEXICHAT_EVENTS_MAX_WAITERS=$((SUBS * 2)) \
  PLEXICHAT_WS_MAX_CONNECTIONS=$((SUBS * 2)) PLEXICHAT_RATE_LIMIT=off PLEXICHAT_LOG_LEVEL=warn
PX_FCGI_LOG="$WORK/plexichat.log" fcgi_start "$BUILD" "$WORK/plexichat.conf" "$WORK/run/px.sock"
lighttpd_start "$WORK/run" "$PORT" "$WORK/run/px.sock"
PX_WS_LOG="$WORK/plexichat.log" ws_start "$BUILD" "$WORK/plexichat.conf" "$WORK/run/ws.sock"
wait_http "$URL/api/v1/system/health" || die "PlexiChat did not answer"
FPID=$(pgrep -f "^$BUILD/plexichat.fcgi -c $WORK/plexichat.conf" | head -1)
LPID=${PX_PIDS[1]}; WPID=${PX_PIDS[2]}

echo "== $(nproc) cores shared by the client, ejabberd (beam.smp $BEAM), ${PRPID:+Prosody (pid $PRPID), }lighttpd," \
     "plexichat.fcgi, plexichat-ws and their PostgreSQL clusters; $SUBS members; phases: $PHASES"
: > "$WORK/results"
for round in $(seq "$ROUNDS"); do
  echo "-- round $round: ejabberd, room room@conference.localhost (load $(cut -d' ' -f1-3 /proc/loadavg))"
  # shellcheck disable=SC2086
  "$FANOUT" xmpp 127.0.0.1 "$XPORT" room@conference.localhost "peer:$EJPW@localhost" "$SUBS" \
    "$BEAM" $PHASES | sed "s/^RESULT /RESULT $round /" | tee -a "$WORK/results" || true
  if [ "$PROSODY" = 1 ]; then
    echo "-- round $round: Prosody, room room@conference.localhost (load $(cut -d' ' -f1-3 /proc/loadavg))"
    # shellcheck disable=SC2086
    "$FANOUT" xmpp 127.0.0.1 "$PRPORT" room@conference.localhost "peer:$EJPW@localhost" "$SUBS" \
      "$PRPID" $PHASES | sed "s/^RESULT xmpp /RESULT $round prosody /" | tee -a "$WORK/results" || true
  fi
  echo "-- round $round: PlexiChat, channel $CH, SSE through lighttpd (load $(cut -d' ' -f1-3 /proc/loadavg))"
  # shellcheck disable=SC2086
  "$FANOUT" sse 127.0.0.1 "$PORT" "$CH" "$WORK/tokens" "$SUBS" "$FPID,$LPID" $PHASES \
    | sed "s/^RESULT /RESULT $round /" | tee -a "$WORK/results" || true
  echo "-- round $round: PlexiChat, channel $CH, WebSocket (plexichat-ws) through lighttpd" \
       "(load $(cut -d' ' -f1-3 /proc/loadavg))"
  # shellcheck disable=SC2086
  "$FANOUT" ws 127.0.0.1 "$PORT" "$CH" "$WORK/tokens" "$SUBS" "$WPID,$LPID" $PHASES \
    | sed "s/^RESULT /RESULT $round /" | tee -a "$WORK/results" || true
done
archived=$($EJPSQL -d ejabberd -At -c "SELECT count(*) FROM archive")
posted=$($PSQL -At -c "SELECT count(*) FROM messages WHERE channel_id = $CH")
prosody=$([ "$PROSODY" = 1 ] && $PRPSQL -d prosody -At -c "SELECT count(*) FROM prosodyarchive" || echo -)
echo "durable: ejabberd's archive holds $archived messages, Prosody's $prosody, PlexiChat's channel $posted"
python3 "$(dirname "$0")/peer-table.py" "$WORK/results"
