#!/usr/bin/env bash
# tests/tsan/run.sh: plexichat.fcgi built with ThreadSanitizer (configure
# --enable-tsan) behind lighttpd on its own ports, with a private
# PostgreSQL cluster and PLEXICHAT_WORKERS=8, under about 10 s of concurrent
# traffic from load.py while its configuration and WAF rules are reloaded;
# then stopped with SIGTERM. Fails when load.py does, when it exits other
# than 0, or when the TSan log has any report ("WARNING: ThreadSanitizer").
# Suppressions (tests/tsan/suppressions.txt) cover third-party libraries only.
#   PX_TSAN_BUILD (default build/tsan), PX_TSAN_WORK (default build/tsan-run)
#   PX_TSAN_PG_PORT / PX_TSAN_HTTP_PORT (default 18832 / 18480)
#   PX_TSAN_SECONDS (default 10)
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root"
install_pkgs $PX_BUILD_PKGS $PX_RUN_PKGS python3
open_path "$PX_ROOT"
BUILD=${PX_TSAN_BUILD:-$PX_ROOT/build/tsan}
WORK=${PX_TSAN_WORK:-$PX_ROOT/build/tsan-run}
PGPORT=${PX_TSAN_PG_PORT:-18832}; PORT=${PX_TSAN_HTTP_PORT:-18480}
URL="http://127.0.0.1:$PORT"
build "$BUILD" --enable-tsan
grep -q -- '-fsanitize=thread' "$BUILD/Makefile" || die "$BUILD is not a --enable-tsan build"
pg_stop "$WORK/pg"; rm -rf "$WORK"; mkdir -p "$WORK/var" "$WORK/run" "$WORK/tsan"; chmod 755 "$WORK"
chown -R www-data:www-data "$WORK/var" "$WORK/run" "$WORK/tsan"
FPID=
cleanup() { trap - INT TERM EXIT; set +e; [ -n "$FPID" ] && kill "$FPID" 2>/dev/null; stop_all; pg_stop "$WORK/pg"; }
trap cleanup INT TERM EXIT
pg_start "$WORK/pg" "$PGPORT"
write_config "$WORK/plexichat.conf" "$WORK" "$PGPORT"
# a copy of the WAF rules, changed during the run so that they reload
cp "$PX_ROOT/etc/waf.rules" "$WORK/waf.rules"; chmod 644 "$WORK/waf.rules"
echo "waf_rules = $WORK/waf.rules" >> "$WORK/plexichat.conf"
ADMIN="$BUILD/plexichat-admin -c $WORK/plexichat.conf"
# plexichat-admin is built with TSan too; its own (single-threaded) runs
# log to the same place
export TSAN_OPTIONS="log_path=$WORK/tsan/tsan suppressions=$PX_ROOT/tests/tsan/suppressions.txt history_size=4 second_deadlock_stack=1"
$ADMIN migrate >/dev/null
PW="Tsan-$(head -c 9 /dev/urandom | base64 | tr -d '/+=')"
$ADMIN create-user tsan --password-stdin <<<"$PW" >/dev/null
touch "$WORK/plexichat.log"; chown www-data "$WORK/plexichat.log"
rm -f "$WORK/run/px.sock"
PLEXICHAT_LISTEN="$WORK/run/px.sock" PLEXICHAT_RATE_LIMIT=off PLEXICHAT_WAF_AUTO_BLOCK=off PLEXICHAT_WORKERS=8 \
  PLEXICHAT_IDLE_RELEASE_SECONDS=1 \
  PLEXICHAT_LOG_FILE="$WORK/plexichat.log" setpriv --reuid=www-data --regid=www-data \
  --init-groups "$BUILD/plexichat.fcgi" -c "$WORK/plexichat.conf" & FPID=$!
fcgi_ready "$WORK/run/px.sock" || die "plexichat.fcgi (TSan) did not start"
lighttpd_start "$WORK/run" "$PORT" "$WORK/run/px.sock"
wait_http "$URL/api/v1/system/health" 30 || die "no answer from $URL"
rc=0
python3 "$(dirname "$0")/load.py" "$URL" tsan "$PW" "${PX_TSAN_SECONDS:-10}" & LOAD=$!
# meanwhile the configuration is reloaded under the workers' feet: the file
# changes every half second (each worker takes the new snapshot between
# requests), SIGHUP asks for a reload too, and the WAF rules file changes
# every second (its reload looks at the modification time in seconds)
for i in $(seq $(( ${PX_TSAN_SECONDS:-10} * 2 ))); do
  sleep 0.5
  echo "message_max_length = $((16000 - i % 2))" >> "$WORK/plexichat.conf"
  [ $((i % 2)) = 0 ] && echo "# changed by tests/tsan/run.sh ($i)" >> "$WORK/waf.rules"
  [ $((i % 5)) = 0 ] && kill -HUP "$FPID"
done
wait $LOAD || rc=1
sleep 2  # idle: the process gives memory back (idle_release_seconds = 1)
# SIGTERM: in-flight requests finish, the threads are joined, and TSan
# reports what it saw at exit too
kill -TERM "$FPID"; wait "$FPID" || { log "plexichat.fcgi (TSan) exited with $?"; rc=1; }
FPID=
log "WAF rules reloaded $(grep -c 'rules reloaded' "$WORK/plexichat.log" || true) times"
reports=$(cat "$WORK"/tsan/tsan.* 2>/dev/null | grep -c 'WARNING: ThreadSanitizer' || true)
if [ "$reports" -gt 0 ]; then
  log "ThreadSanitizer: $reports report(s):"
  cat "$WORK"/tsan/tsan.*
  rc=1
else
  log "ThreadSanitizer: no reports"
fi
exit $rc
