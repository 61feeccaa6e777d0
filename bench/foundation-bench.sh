#!/usr/bin/env bash
# bench/foundation-bench.sh: requests per second through lighttpd for
# GET /api/v1/system/version, a JSON 404 and health, against a bare libfcgi
# responder (bench/hello) behind the same lighttpd set-up, in the same run;
# plus the idle RSS of plexichat.fcgi. Prints the figures and the ratio.
#   PX_BENCH_SECONDS (default 8) per measurement, PX_BENCH_ROUNDS (default 3).
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root"
install_pkgs $PX_BUILD_PKGS $PX_RUN_PKGS wrk
open_path "$PX_ROOT"
BUILD="$PX_ROOT/build/bench"
WORK="$PX_ROOT/build/bench-run"
SECS=${PX_BENCH_SECONDS:-8}; ROUNDS=${PX_BENCH_ROUNDS:-3}
PGPORT=19432; PXPORT=19080; HPORT=19081; NPORT=19082
build "$BUILD"
rm -rf "$WORK"; mkdir -p "$WORK/var" "$WORK/run"; chmod 755 "$WORK"
chown -R www-data:www-data "$WORK/var" "$WORK/run"
cleanup() { trap - INT TERM EXIT; stop_all; pg_stop "$WORK/pg"; }
trap cleanup INT TERM EXIT
pg_start "$WORK/pg" "$PGPORT"
write_config "$WORK/plexichat.conf" "$WORK" "$PGPORT"
"$BUILD/plexichat-admin" -c "$WORK/plexichat.conf" migrate >/dev/null
touch "$WORK/plexichat.log"; chown www-data "$WORK/plexichat.log"
# one client at thousands of requests a second would (rightly) be rate
# limited; the benchmark measures request handling, so the limiter is off
PLEXICHAT_RATE_LIMIT=off PX_FCGI_LOG="$WORK/plexichat.log" fcgi_start "$BUILD" "$WORK/plexichat.conf" "$WORK/run/px.sock"
hello() { setpriv --reuid=www-data --regid=www-data --init-groups "$BUILD/bench/hello" "$@" & PX_PIDS+=($!); }
hello "$WORK/run/hello.sock" 4
hello "$WORK/run/hello-nl.sock" 4 nolinger
sleep 0.5
lighttpd_start "$WORK/run" "$PXPORT" "$WORK/run/px.sock"
lighttpd_start "$WORK/run" "$HPORT" "$WORK/run/hello.sock"
lighttpd_start "$WORK/run" "$NPORT" "$WORK/run/hello-nl.sock"
wait_http "http://127.0.0.1:$PXPORT/api/v1/system/health" || die "PlexiChat did not answer"
# memory of plexichat.fcgi: RSS (what ps shows), PSS (shared pages divided
# among the processes mapping them) and the pages it alone holds
FPID=$(pgrep -f "plexichat.fcgi -c $WORK/plexichat.conf" | head -1)
mem() {
  awk '/^Rss:/ {r = $2} /^Pss:/ {p = $2} /^Private_(Clean|Dirty):/ {u += $2}
       END {printf "RSS %d KiB, PSS %d KiB, private %d KiB", r, p, u}' /proc/"$FPID"/smaps_rollup
}
# it gives back what it holds unused after idle_release_seconds (default 10)
QUIET=12
sleep 1
MEM_STARTED=$(mem)
sleep $((QUIET - 1))
MEM_IDLE=$(mem)

rps() { wrk -t2 -c32 -d"${SECS}s" "$1" 2>/dev/null | awk '/Requests\/sec/ {print int($2)}'; }
declare -A sum
for r in $(seq "$ROUNDS"); do
  for name in hello hello_nl version notfound health; do
    case $name in
      hello) url="http://127.0.0.1:$HPORT/api/v1/system/version" ;;
      hello_nl) url="http://127.0.0.1:$NPORT/api/v1/system/version" ;;
      version) url="http://127.0.0.1:$PXPORT/api/v1/system/version" ;;
      notfound) url="http://127.0.0.1:$PXPORT/api/v1/no/such/route" ;;
      health) url="http://127.0.0.1:$PXPORT/api/v1/system/health" ;;
    esac
    v=$(rps "$url"); sum[$name]=$(( ${sum[$name]:-0} + v ))
    echo "round $r $name: $v req/s"
  done
done
MEM_LOADED=$(mem)
sleep $QUIET
MEM_RESTED=$(mem)
h=$(( sum[hello] / ROUNDS )); hn=$(( sum[hello_nl] / ROUNDS )); v=$(( sum[version] / ROUNDS )); n=$(( sum[notfound] / ROUNDS )); hh=$(( sum[health] / ROUNDS ))
echo "== wrk -t2 -c32, ${SECS}s x $ROUNDS rounds, through lighttpd over unix sockets"
printf 'bare libfcgi hello      %7d req/s\n' "$h"
printf 'GET /system/version     %7d req/s  (%d%% of hello)\n' "$v" $(( 100 * v / h ))
printf 'JSON 404                %7d req/s  (%d%% of hello)\n' "$n" $(( 100 * n / h ))
printf 'GET /system/health (DB) %7d req/s  (%d%% of hello)\n' "$hh" $(( 100 * hh / h ))
# plexichat.fcgi closes connections whose input is read without libfcgi's lingering
# wait; this hello does the same, so the ratios below are app cost alone
printf 'hello, closing at once  %7d req/s  (version %d%%, 404 %d%% of it)\n' "$hn" \
  $(( 100 * v / hn )) $(( 100 * n / hn ))
echo "plexichat.fcgi memory (idle_release_seconds=10):"
echo "  1 s after start-up:       $MEM_STARTED"
echo "  idle ($QUIET s quiet):        $MEM_IDLE"
echo "  right after the load:     $MEM_LOADED"
echo "  idle again ($QUIET s quiet):  $MEM_RESTED"
