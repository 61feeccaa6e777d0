#!/usr/bin/env bash
# scripts/run.sh: installs what is needed, builds, and runs PlexiChat on
# http://127.0.0.1:8080 with its own PostgreSQL cluster under ./data.
# Stays in the foreground; Ctrl-C or SIGTERM stops everything it started.
# PLEXICHAT_* variables in the environment are passed through to PlexiChat.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PORT=${PX_PORT:-8080}
PGPORT=${PX_PG_PORT:-15432}
DATA=${PX_DATA:-$PX_ROOT/data}
BUILD=${PX_BUILD_DIR:-$PX_ROOT/build}

[ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts servers)"
install_pkgs $PX_BUILD_PKGS $PX_RUN_PKGS
build "$BUILD"
open_path "$PX_ROOT"
mkdir -p "$DATA/run" "$DATA/var"; chmod 755 "$DATA"
chown -R www-data:www-data "$DATA/var" "$DATA/run"

cleanup() { trap - INT TERM EXIT; log "stopping"; stop_all; pg_stop "$DATA/pg"; exit 0; }
trap cleanup INT TERM EXIT

pg_start "$DATA/pg" "$PGPORT"
write_config "$DATA/plexichat.conf" "$DATA" "$PGPORT"
"$BUILD/plexichat-admin" -c "$DATA/plexichat.conf" migrate >/dev/null
"$BUILD/plexichat-admin" -c "$DATA/plexichat.conf" ensure-admin admin
fcgi_start "$BUILD" "$DATA/plexichat.conf" "$DATA/run/plexichat.sock"
lighttpd_start "$DATA/run" "$PORT" "$DATA/run/plexichat.sock"
ws_start "$BUILD" "$DATA/plexichat.conf" "$DATA/run/ws.sock"
wait_http "http://127.0.0.1:$PORT/api/v1/system/health" || die "PlexiChat did not answer"
log "PlexiChat is running on http://127.0.0.1:$PORT/ (Ctrl-C stops it)"
restart_fcgi() {
  fcgi_spawn "$BUILD" "$DATA/plexichat.conf" "$DATA/run/plexichat.sock"
  PX_PIDS[0]=$PX_SPAWNED
  fcgi_ready "$DATA/run/plexichat.sock"
}
restart_web() { lighttpd_restart "$DATA/run" "$PORT"; }
restart_ws() {
  ws_spawn "$BUILD" "$DATA/plexichat.conf" "$DATA/run/ws.sock"
  PX_PIDS[2]=$PX_SPAWNED
  fcgi_ready "$DATA/run/ws.sock"
}
# what dies is started again (with back-off) until Ctrl-C or SIGTERM
supervise "$DATA/pg" "$PGPORT" restart_fcgi restart_web restart_ws
