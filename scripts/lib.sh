# scripts/lib.sh: shared set-up steps for run.sh, test.sh and the benchmarks.
# Sourced, not run. Everything it starts is recorded in PX_PIDS for stop_all.

PX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PX_PG_BIN=/usr/lib/postgresql/15/bin
PX_PIDS=()

# Debian packages needed to build, run and test PlexiChat.
PX_BUILD_PKGS="gettext autoconf automake make gcc pkg-config libfcgi-dev libpq-dev libssl-dev
  libjson-c-dev libxml2-dev libcurl4-openssl-dev check libargon2-dev libcmark-gfm-dev
  libcmark-gfm-extensions-dev libpcre2-dev libzstd-dev libqrencode-dev libmagic-dev libicu-dev libldap-dev
  libcbor-dev libvips-dev libarchive-dev libseccomp-dev unicode-data unicode-cldr-core"
PX_RUN_PKGS="lighttpd lighttpd-mod-deflate lighttpd-modules-lua postgresql postgresql-contrib util-linux curl"
PX_TEST_PKGS="faketime python3-yaml dpkg-dev debhelper fakeroot lintian debootstrap lighttpd-mod-openssl apache2 libapache2-mod-fcgid libapache2-mod-xsendfile haproxy python3 python3-cryptography curl clang libclang-rt-14-dev oathtool
  python3-aiosmtpd python3-psycopg2 wrk chromium fonts-dejavu-core fonts-noto-color-emoji nodejs glewlwyd
  slapd ldap-utils libvips-tools clamav-daemon ffmpeg openssl awscli pebble
  postgresql-15-auto-failover pg-auto-failover-cli"
# The documentation site (scripts/build_docs.sh); its npm tools are pinned in
# tools/docs/package-lock.json and installed by the script itself.
PX_DOCS_PKGS="mkdocs mkdocs-material"
# The web scanners of tests/integration/test_scan.py, installed only for it.
PX_SCAN_PKGS="wapiti sqlmap lighttpd-mod-openssl openssl"

log() { printf '\033[1m[plexichat]\033[0m %s\n' "$*" >&2; }
die() { printf '[plexichat] error: %s\n' "$*" >&2; exit 1; }

# install_pkgs PKG...: apt-get installs what is missing (one apt-get update).
install_pkgs() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  # slapd is started by its test with a config of its own: no system instance
  case " ${missing[*]} " in *" slapd "*)
    echo "slapd slapd/no_configuration boolean true" | debconf-set-selections ;; esac
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || die "apt-get update failed"
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install failed"
}

# build DIR [configure args...]: out-of-tree autotools build.
build() {
  local dir=$1; shift
  [ -x "$PX_ROOT/configure" ] || (cd "$PX_ROOT" && ./autogen.sh >/dev/null 2>&1) || die "autogen failed"
  mkdir -p "$dir"
  if [ ! -f "$dir/Makefile" ]; then
    (cd "$dir" && "$PX_ROOT/configure" -q "$@") || die "configure failed (see $dir/config.log)"
  fi
  make -C "$dir" -j2 -s >/dev/null || make -C "$dir" -j1 || die "build failed"
}

# pg_ctl_start DATADIR PORT: starts an existing cluster; 1 when it did not.
pg_ctl_start() {
  runuser -u postgres -- "$PX_PG_BIN/pg_ctl" -D "$1" -w -t 30 -l "$1.log" \
    -o "-k $1.sock -p $2 -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null 2>&1
}

# pg_alive DATADIR: 0 while the cluster's postmaster runs.
pg_alive() {
  local pid
  pid=$(head -n 1 "$1/postmaster.pid" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# pg_start DATADIR PORT: creates (once) and starts a private cluster with a
# plexichat role and database; the role's password is in DATADIR.password.
pg_start() {
  local data=$1 port=$2 sock="$1.sock"
  mkdir -p "$sock"; chown postgres:postgres "$sock"; chmod 755 "$sock"
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"; chown postgres:postgres "$data"; chmod 700 "$data"
    runuser -u postgres -- "$PX_PG_BIN/initdb" -D "$data" -A scram-sha-256 \
      --auth-local=trust -U postgres >/dev/null || die "initdb failed"
  fi
  touch "$data.log"; chown postgres "$data.log"
  # a cluster left running by an earlier, killed run is stopped first
  if [ -f "$data/postmaster.pid" ]; then
    runuser -u postgres -- "$PX_PG_BIN/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  pg_ctl_start "$data" "$port" || die "PostgreSQL did not start (see $data.log)"
  if [ ! -s "$data.password" ]; then
    head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$data.password"
  fi
  chgrp www-data "$data.password" 2>/dev/null; chmod 640 "$data.password"
  local pw; pw=$(cat "$data.password")
  runuser -u postgres -- psql -q -h "$sock" -p "$port" -d postgres -v ON_ERROR_STOP=1 >/dev/null <<SQL || die "database set-up failed"
SELECT 'CREATE ROLE plexichat LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'plexichat')\gexec
ALTER ROLE plexichat PASSWORD '$pw';
-- plugin data: each plugin gets a role of its own (sql/164_plugin_data.sql)
ALTER ROLE plexichat CREATEROLE;
SELECT 'CREATE DATABASE plexichat OWNER plexichat' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'plexichat')\gexec
\c plexichat
CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
SQL
}

pg_stop() {
  [ -f "$1/postmaster.pid" ] && runuser -u postgres -- "$PX_PG_BIN/pg_ctl" -D "$1" -m fast -w stop >/dev/null 2>&1
  return 0
}

# write_config FILE DATADIR PGPORT: a config file for this checkout.
# The cluster is reached through its unix socket (pg_start DATA/pg puts it in
# DATA/pg.sock): about a fifth less CPU per query than TCP on loopback.
write_config() {
  local file=$1 data=$2 port=$3
  cat > "$file" <<CONF
# Generated by scripts/ for this checkout; see docs/CONFIGURATION.md.
db_conninfo = host=$data/pg.sock port=$port dbname=plexichat user=plexichat
db_password_file = $data/pg.password
data_dir = $data/var
sql_dir = $PX_ROOT/sql
static_dir = $PX_ROOT/static
templates_dir = $PX_ROOT/templates
waf_rules = $PX_ROOT/etc/waf.rules
secret_key_file = $data/secret.key
files_url_key_file = $data/files-url.key
CONF
  [ -s "$data/secret.key" ] || od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$data/secret.key"
  [ -s "$data/files-url.key" ] || od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$data/files-url.key"
  chgrp www-data "$data/secret.key" "$data/files-url.key" "$file" 2>/dev/null
  chmod 640 "$data/secret.key" "$data/files-url.key" "$file"
}

# signed_script DATADIR CONFDIR: CONFDIR/plexichat-signed.lua, lighttpd's
# check of signed download URLs (apache/plexichat-signed.lua.in), with the
# key write_config made and the file store of DATADIR/var/files. Readable
# by lighttpd (www-data) only: it holds the key.
signed_script() {
  local key; key=$(cat "$1/files-url.key" 2>/dev/null || true)
  case $key in *[!A-Za-z0-9_-]*) die "files-url.key: letters, digits, - and _ only" ;; esac
  sed -e "s|@URL_KEY@|$key|g" -e "s|@FILES_DIR@|$1/var/files|g" \
    "$PX_ROOT/apache/plexichat-signed.lua.in" > "$2/plexichat-signed.lua"
  chgrp www-data "$2/plexichat-signed.lua"; chmod 640 "$2/plexichat-signed.lua"
}

# lighttpd_start CONFDIR PORT SOCKET: CONFDIR is DATADIR/run of write_config,
# whose file store (data_dir/files) lighttpd may then send (X-Sendfile).
lighttpd_start() {
  local dir=$1 port=$2 sock=$3 conf="$1/lighttpd-$2.conf"
  sed -e "s|@PORT@|$port|g" -e "s|@STATIC_DIR@|$PX_ROOT/static|g" -e "s|@LOG_DIR@|$dir|g" \
      -e "s|@RUN_DIR@|$dir|g" -e "s|@SOCKET@|$sock|g" -e "s|@WS_SOCKET@|$dir/ws.sock|g" \
      -e "s|@FILES_DIR@|$(dirname "$dir")/var/files|g" "$PX_ROOT/apache/lighttpd.conf.in" > "$conf"
  signed_script "$(dirname "$dir")" "$dir"
  lighttpd -tt -f "$conf" >/dev/null || die "lighttpd config invalid: $conf"
  lighttpd -D -f "$conf" & PX_PIDS+=($!)
}

# lighttpd_restart CONFDIR PORT: starts again the server lighttpd_start set
# up, as PX_PIDS[1].
lighttpd_restart() {
  lighttpd -D -f "$1/lighttpd-$2.conf" & PX_PIDS[1]=$!
}

# open_path DIR: PostgreSQL and the web server run as their own users and
# must reach the checkout; add o+x to each folder above it that lacks it.
open_path() {
  local d=$1
  while [ "$d" != / ]; do
    if [ -n "$(find "$d" -maxdepth 0 ! -perm -o+x)" ]; then
      log "allowing other users to traverse $d (chmod o+x)"; chmod o+x "$d"
    fi
    d=$(dirname "$d")
  done
}

# fcgi_start BUILD CONFIG SOCKET: plexichat.fcgi on its own socket, as
# www-data (setpriv execs in place, so the recorded pid is the server's).
fcgi_start() {
  fcgi_spawn "$@"; PX_PIDS+=("$PX_SPAWNED")
  fcgi_ready "$3" || die "plexichat.fcgi did not start"
}

# fcgi_spawn BUILD CONFIG SOCKET: starts plexichat.fcgi; its pid in PX_SPAWNED.
fcgi_spawn() {
  local build=$1 conf=$2 sock=$3
  rm -f "$sock"
  PLEXICHAT_LISTEN="$sock" PLEXICHAT_LOG_FILE="${PX_FCGI_LOG:-}" setpriv --reuid=www-data --regid=www-data --init-groups \
    "$build/plexichat.fcgi" -c "$conf" & PX_SPAWNED=$!
}

# fcgi_ready SOCKET: waits up to 10 s for the socket; 1 if it never came.
fcgi_ready() {
  local i; for i in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.1; done
  return 1
}

# ws_start BUILD CONFIG SOCKET: plexichat-ws (WebSocket) on SOCKET, as
# www-data; its pid is appended to PX_PIDS. The web servers' configs pass
# /api/v1/events/ws to CONFDIR/ws.sock (lighttpd_start, httpd-test.conf.in).
ws_start() {
  ws_spawn "$@"; PX_PIDS+=("$PX_SPAWNED")
  fcgi_ready "$3" || die "plexichat-ws did not start"
}

# ws_spawn BUILD CONFIG SOCKET: starts plexichat-ws; its pid in PX_SPAWNED.
ws_spawn() {
  local build=$1 conf=$2 sock=$3
  rm -f "$sock"
  PLEXICHAT_WS_LISTEN="$sock" PLEXICHAT_LOG_FILE="${PX_WS_LOG:-}" setpriv --reuid=www-data --regid=www-data \
    --init-groups "$build/plexichat-ws" -c "$conf" & PX_SPAWNED=$!
}

# wait_http URL [SECONDS]: waits (default 20 s) for a 200; 1 on timeout.
wait_http() {
  local i; for i in $(seq $(( ${2:-20} * 10 ))); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1
  done
  log "no answer from $1"; return 1
}

# supervise DATADIR PGPORT START_FCGI START_WEB START_WS: the run command's
# watchdog, in the foreground until a signal. PX_PIDS[0] is plexichat.fcgi,
# PX_PIDS[1] lighttpd and PX_PIDS[2] plexichat-ws; START_FCGI, START_WEB and
# START_WS are commands that start one again and store its pid there (0 on
# success). Each of them and the
# cluster's postmaster is started again when it dies, after a wait that
# doubles from 1 s to 32 s while it keeps dying within a minute of a start.
supervise() {
  local data=$1 port=$2 start_fcgi=$3 start_web=$4 start_ws=$5 name ok
  local -A wait_s=([pg]=1 [fcgi]=1 [web]=1 [ws]=1) since=([pg]=0 [fcgi]=0 [web]=0 [ws]=0) due=()
  while :; do
    sleep 1
    for name in pg fcgi web ws; do
      if [ -z "${due[$name]:-}" ]; then
        case $name in
          pg) pg_alive "$data" && continue ;;
          fcgi) kill -0 "${PX_PIDS[0]}" 2>/dev/null && continue ;;
          web) kill -0 "${PX_PIDS[1]}" 2>/dev/null && continue ;;
          ws) kill -0 "${PX_PIDS[2]}" 2>/dev/null && continue ;;
        esac
        [ $((SECONDS - since[$name])) -ge 60 ] && wait_s[$name]=1
        log "$name died; starting it again in ${wait_s[$name]} s"
        due[$name]=$((SECONDS + wait_s[$name]))
        continue
      fi
      [ "$SECONDS" -ge "${due[$name]}" ] || continue
      unset "due[$name]"
      since[$name]=$SECONDS
      wait_s[$name]=$(( wait_s[$name] < 32 ? wait_s[$name] * 2 : 32 ))
      ok=0
      case $name in
        pg) pg_ctl_start "$data" "$port" || ok=$? ;;
        fcgi) wait "${PX_PIDS[0]}" 2>/dev/null || true; $start_fcgi || ok=$? ;;
        web) wait "${PX_PIDS[1]}" 2>/dev/null || true; $start_web || ok=$? ;;
        ws) wait "${PX_PIDS[2]}" 2>/dev/null || true; $start_ws || ok=$? ;;
      esac
      # a start that failed is noticed as a death at the next look
      if [ $ok = 0 ]; then log "$name started again"; else log "$name did not start; will try again"; fi
    done
  done
}

stop_all() {
  local p
  for p in "${PX_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PX_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PX_PIDS=()
}

# A benchmark's own stack under $1 (PostgreSQL on port $2, programs of the
# build $3): its folders for www-data, PostgreSQL started, the config
# written and the schema migrated; on exit everything started (PX_PIDS and
# PostgreSQL) is stopped. Sets ADMIN and PSQL for the benchmark.
bench_db() {
  BENCH_WORK=$1
  mkdir -p "$1/var" "$1/run"; chmod 755 "$1"
  chown -R www-data:www-data "$1/var" "$1/run"
  trap bench_cleanup INT TERM EXIT
  pg_start "$1/pg" "$2"
  write_config "$1/plexichat.conf" "$1" "$2"
  ADMIN="$3/plexichat-admin -c $1/plexichat.conf"
  $ADMIN migrate >/dev/null
  PSQL="runuser -u postgres -- psql -X -q -h $1/pg.sock -p $2 -d plexichat -v ON_ERROR_STOP=1"
}
bench_cleanup() { trap - INT TERM EXIT; set +e; stop_all; pg_stop "$BENCH_WORK/pg"; }

# A benchmark's web side on bench_db's stack: plexichat.fcgi and plexichat-ws
# (build $1, folder $2, logging to $2/plexichat.log) behind lighttpd on port
# $3 with max-connections $4 and max-fds $5; returns once health answers.
# Sets LPID, FPID and WPID (the processes the benchmarks measure).
bench_web() {
  local conf="$2/run/lighttpd-$3.conf"
  touch "$2/plexichat.log"; chown www-data "$2/plexichat.log"
  PX_FCGI_LOG="$2/plexichat.log" fcgi_start "$1" "$2/plexichat.conf" "$2/run/px.sock"
  PX_WS_LOG="$2/plexichat.log" ws_start "$1" "$2/plexichat.conf" "$2/run/ws.sock"
  sed -e "s|@PORT@|$3|g" -e "s|@STATIC_DIR@|$PX_ROOT/static|g" -e "s|@LOG_DIR@|$2/run|g" \
      -e "s|@RUN_DIR@|$2/run|g" -e "s|@SOCKET@|$2/run/px.sock|g" -e "s|@WS_SOCKET@|$2/run/ws.sock|g" \
      -e "s|@FILES_DIR@|$2/var/files|g" \
      -e "s|^server.max-connections = .*|server.max-connections = $4|" \
      -e "s|^server.max-fds = .*|server.max-fds = $5|" "$PX_ROOT/apache/lighttpd.conf.in" > "$conf"
  signed_script "$2" "$2/run"
  lighttpd -tt -f "$conf" >/dev/null || die "lighttpd config invalid"
  lighttpd -D -f "$conf" & PX_PIDS+=($!)
  LPID=$!
  wait_http "http://127.0.0.1:$3/api/v1/system/health"
  FPID=$(pgrep -f "^$1/plexichat.fcgi -c $2/plexichat.conf" | head -1)
  WPID=$(pgrep -f "^$1/plexichat-ws -c $2/plexichat.conf" | head -1)
}
