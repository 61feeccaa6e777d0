#!/usr/bin/env bash
# bench/auth-bench.sh: login p50 (Argon2id-bound) and the extra latency of
# an authenticated request over an anonymous one (bearer token and session
# cookie, p50 of interleaved samples on one keep-alive connection) through
# lighttpd, with and without the shared rate limiter. Prints the figures.
#   PX_BENCH_SAMPLES (default 3000), PX_BENCH_LOGINS (default 40)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root"
install_pkgs $PX_BUILD_PKGS $PX_RUN_PKGS python3
open_path "$PX_ROOT"
BUILD="$PX_ROOT/build/auth"
WORK="$PX_ROOT/build/auth-bench"
PGPORT=${PX_BENCH_PG_PORT:-18633}; PORT=${PX_BENCH_HTTP_PORT:-18282}
build "$BUILD"
rm -rf "$WORK"; mkdir -p "$WORK/var" "$WORK/run"; chmod 755 "$WORK"
chown -R www-data:www-data "$WORK/var" "$WORK/run"
cleanup() { trap - INT TERM EXIT; stop_all; pg_stop "$WORK/pg"; }
trap cleanup INT TERM EXIT
pg_start "$WORK/pg" "$PGPORT"
write_config "$WORK/plexichat.conf" "$WORK" "$PGPORT"
"$BUILD/plexichat-admin" -c "$WORK/plexichat.conf" migrate >/dev/null
PW=$("$BUILD/plexichat-admin" -c "$WORK/plexichat.conf" ensure-admin admin | sed -n 's/.*password: //p')
touch "$WORK/plexichat.log"; chown www-data "$WORK/plexichat.log"
run() { # run on|off: one server with the rate limiter on or off, measured
  # huge buckets: the limiter does all its work but never refuses
  PLEXICHAT_RATE_LIMIT=$1 PLEXICHAT_RATE_LIMITS="default=1000000:1000000" \
  PX_FCGI_LOG="$WORK/plexichat.log" \
    fcgi_start "$BUILD" "$WORK/plexichat.conf" "$WORK/run/px.sock"
  lighttpd_start "$WORK/run" "$PORT" "$WORK/run/px.sock"
  wait_http "http://127.0.0.1:$PORT/api/v1/system/health"
  "$BUILD/plexichat-admin" -c "$WORK/plexichat.conf" unlock >/dev/null
  echo "== rate_limit=$1"
  python3 "$PX_ROOT/bench/auth_bench.py" "http://127.0.0.1:$PORT" admin "$PW"
  stop_all
}
run off
run on
