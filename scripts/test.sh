#!/usr/bin/env bash
# scripts/test.sh: installs what is needed, builds, and runs the whole test
# suite: unit tests (plain and under ASan+UBSan), fuzz smoke runs, and the
# integration tests over HTTP against lighttpd and Apache mod_fcgid, with
# a private PostgreSQL cluster. Starts and stops everything itself.
# Two lanes run at once, to keep within the command's time budget: this
# shell runs the unit tests and the tests against the shared stack; the
# lane beside it (lane_b) runs what has servers of its own (sanitizer
# builds, fuzzing, the database clusters, backups, the package, the README
# run command) on ports of its own.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts servers)"
T0=$(date +%s)
install_pkgs $PX_BUILD_PKGS $PX_RUN_PKGS $PX_TEST_PKGS $PX_DOCS_PKGS
open_path "$PX_ROOT"

# PX_TEST_ID names this run's folders, so that several runs (one per
# developer) can share a checkout; give each its own ports too.
ID=${PX_TEST_ID:-test}
BUILD="$PX_ROOT/build/$ID"
ASAN="$PX_ROOT/build/$ID-asan"
WORK="$PX_ROOT/build/$ID-run"
ART="$PX_ROOT/test-artifacts/$ID"
PATTERN=${PX_TEST_PATTERN:-test_*}      # which integration tests: globs, space-separated
SKIP_UNIT=${PX_TEST_SKIP_UNIT:-0}       # 1: integration tests only
PGPORT=${PX_TEST_PG_PORT:-18432}
LPORT=${PX_TEST_HTTP_PORT:-18080}
APORT=${PX_TEST_APACHE_PORT:-18081}
FAILED=()

# kill_tree PID: PID and everything it started, children first
kill_tree() {
  local c
  for c in $(pgrep -P "$1"); do kill_tree "$c"; done
  kill -TERM "$1" 2>/dev/null || true
}
LANE_B= LANE_C=
cleanup() {
  trap - INT TERM EXIT
  [ -z "$LANE_B" ] || kill_tree "$LANE_B"
  [ -z "$LANE_C" ] || kill_tree "$LANE_C"
  stop_all
  pkill -f "$WORK/apache-httpd.conf" 2>/dev/null || true
  pg_stop "$WORK/pg"
}
trap cleanup INT TERM EXIT

step() { log "== $*"; }
# Each step's output is kept, so that the end of the run can repeat what
# failed (a long log is often cut to its head and tail where it is read);
# each step's result is a line "rc seconds name" in RESULTS, from both lanes.
OUTS="$PX_ROOT/build/$ID-steps"
rm -rf "$OUTS"; mkdir -p "$OUTS"
RESULTS="$OUTS/results"
: > "$RESULTS"
step_out() { echo "$OUTS/$(printf '%s' "$1" | tr -c 'A-Za-z0-9_.-' _).out"; }
record() { # record NAME CMD...: runs a step, remembers its result, goes on
  local name=$1 out rc=0 t; shift
  out=$(step_out "$name")
  t=$(date +%s)
  # to a file, not a pipe: a server a step leaves behind must not hold us;
  # in a subshell: a step that dies (build's die) ends only itself
  ( "$@" ) > "$out" 2>&1 || rc=$?
  cat "$out"
  t=$(( $(date +%s) - t ))
  # the test command has a time budget: every step says what it cost
  echo "$rc $t $name" >> "$RESULTS"
  # 77 (automake's convention): the step could not run here; it is
  # reported as skipped, never counted as a pass
  case $rc in
    0) log "PASS $name ($t s)" ;;
    77) log "SKIP $name ($t s)" ;;
    *) log "FAIL $name ($t s)" ;;
  esac
}

# wanted NAME: whether NAME (without .py/.sh) matches one of the globs
wanted() {
  local p pats
  read -ra pats <<< "$PATTERN"
  for p in "${pats[@]}"; do
    # shellcheck disable=SC2254
    case $1 in $p) return 0 ;; esac
  done
  return 1
}
# wapiti, sqlmap and mod_openssl only when test_scan.py runs
if wanted test_scan; then install_pkgs $PX_SCAN_PKGS; fi

build "$BUILD"

step "the shared stack: PostgreSQL, plexichat.fcgi, lighttpd, Apache mod_fcgid"
rm -rf "$WORK"; mkdir -p "$WORK/var" "$WORK/run" "$ART"
chown -R www-data:www-data "$WORK/var" "$WORK/run"; chmod 755 "$WORK"
pg_start "$WORK/pg" "$PGPORT"
write_config "$WORK/plexichat.conf" "$WORK" "$PGPORT"
# many tests send hostile input on purpose from one address; automatic
# blocks are tested on their own (test_waf_autoblock.py turns them on)
echo "waf_auto_block = off" >> "$WORK/plexichat.conf"
# presence of stream holders is refreshed every 2 s, not every minute, so
# that its test does not wait (test_review_fixes.py)
echo "presence_refresh_seconds = 2" >> "$WORK/plexichat.conf"
# webhook receivers of the tests listen on 127.0.0.2 (hooklib.py), which is
# allowed explicitly; 127.0.0.1, where PlexiChat itself runs, stays refused;
# a receiver that never answers is given up after 2 s, not 10
{ echo "outbound_allow_private = 127.0.0.2/32"; echo "hooks_timeout_ms = 2000"
  echo "link_preview_timeout_ms = 2000"; } >> "$WORK/plexichat.conf"
"$BUILD/plexichat-admin" -c "$WORK/plexichat.conf" migrate >/dev/null
"$BUILD/plexichat-admin" -c "$WORK/plexichat.conf" ensure-admin admin > "$WORK/admin.txt"
chmod 664 "$WORK/plexichat.conf"
export PX_CONFIG="$WORK/plexichat.conf" PX_BUILD="$BUILD" PX_ROOT PX_WORK="$WORK" PX_ARTIFACTS="$ART" \
       PX_LIGHTTPD_URL="http://127.0.0.1:$LPORT" PX_APACHE_URL="http://127.0.0.1:$APORT"
export PX_ADMIN_PASSWORD; PX_ADMIN_PASSWORD=$(sed -n 's/.*password: //p' "$WORK/admin.txt")
PGCTL="runuser -u postgres -- $PX_PG_BIN/pg_ctl -D $WORK/pg -w"
export PX_PG_STOP_CMD="$PGCTL -m fast stop" \
       PX_PG_START_CMD="$PGCTL -l $WORK/pg.log -o '-k $WORK/pg.sock -p $PGPORT -c listen_addresses=127.0.0.1 -c max_connections=300' start"
export PX_PG_CONNINFO="host=127.0.0.1 port=$PGPORT dbname=plexichat user=plexichat password=$(cat "$WORK/pg.password")"

touch "$WORK/plexichat.log"; chown www-data "$WORK/plexichat.log"
PX_FCGI_LOG="$WORK/plexichat.log" fcgi_start "$BUILD" "$WORK/plexichat.conf" "$WORK/run/plexichat.sock"
lighttpd_start "$WORK/run" "$LPORT" "$WORK/run/plexichat.sock"
touch "$WORK/plexichat-ws.log"; chown www-data "$WORK/plexichat-ws.log"
PX_WS_LOG="$WORK/plexichat-ws.log" ws_start "$BUILD" "$WORK/plexichat.conf" "$WORK/run/ws.sock"
wait_http "http://127.0.0.1:$LPORT/api/v1/system/health" || die "lighttpd stack did not start"

sed -e "s|@PORT@|$APORT|g" -e "s|@STATIC_DIR@|$PX_ROOT/static|g" -e "s|@LOG_DIR@|$WORK|g" \
    -e "s|@RUN_DIR@|$WORK/run|g" -e "s|@CONFIG@|$WORK/plexichat.conf|g" -e "s|@FCGI_DIR@|$BUILD|g" \
    -e "s|@FILES_DIR@|$WORK/var/files|g" -e "s|@WS_SOCKET@|$WORK/run/ws.sock|g" \
    "$PX_ROOT/apache/httpd-test.conf.in" > "$WORK/apache-httpd.conf"
apache2 -f "$WORK/apache-httpd.conf" -t >/dev/null 2>&1 || { apache2 -f "$WORK/apache-httpd.conf" -t; die "Apache config invalid"; }
apache2 -f "$WORK/apache-httpd.conf" -DFOREGROUND & PX_PIDS+=($!)
wait_http "http://127.0.0.1:$APORT/api/v1/system/health" || die "Apache did not start"

# Tests named test_*.py run against both servers; tests that stop shared
# services or edit the shared config (listed here) run once, on lighttpd;
# RUNCMD tests run against README's run command itself (lane_b).
ONCE="test_pg_restart.py test_ws_pg_restart.py test_config.py test_admin_cli.py test_waf_autoblock.py test_waf_iplists.py test_waf_shared_blocks.py test_waf_feeds.py test_auth_ldap.py"
# tests that run a stack of their own (tests/integration/stacklib.py)
ONCE="$ONCE test_files_s3.py test_files_remote.py test_files_clamd.py test_backup_files.py test_backup_remote_files.py test_cluster_haproxy.py test_cluster_faults.py"
# tests of the admin CLI alone (no web server involved)
ONCE="$ONCE test_plugins.py"
# tests of workers and of what sits behind routes the other tests already
# drive through both servers (providers, plugins, queues, tallies): the web
# server adds nothing there, and twice would cost the time budget 4-5 minutes
ONCE="$ONCE test_ai_providers.py test_ai_ann.py test_ai_embed_race.py test_plugins_runtime.py
      test_plugins_events.py test_plugins_data.py test_notify_push.py test_notify_mail.py
      test_link_previews.py test_hooks_outgoing.py test_unread_counts.py"
# tests that start their own provider mocks and edit the shared config
ONCE="$ONCE test_ai_prism.py"
# tests that start a web server of their own from a recipe in docs/
ONCE="$ONCE test_tls_recipe.py test_container_recipe.py"
RUNCMD="test_waf_corpus.py test_scan.py test_run_command.py"
# shell tests with servers and a database of their own, on ports of their
# own, that neither read nor stop the shared stack: they run in lane_b
BESIDE="test_pg_failover.sh test_cluster_topology.sh test_cluster_pg_faults.sh test_backup.sh
        test_backup_wal.sh test_backup_stores.sh"
# the Debian package's test waits mostly on Debian's mirror (debootstrap,
# apt in the new root): it has a lane of its own, lane_c
ALONE="test_deb_package.sh"

lane_b() {
  # its stacks (stacklib.py) and the package's servers on ports of their own
  export PX_STACK_PORT_BASE=$((LPORT + 200))
  # its stacks start from the shared config as it is now: the other lane's
  # tests edit that file for a while (a policy, a limit) and restore it
  cp -p "$WORK/plexichat.conf" "$WORK/lane-b.conf"
  export PX_CONFIG="$WORK/lane-b.conf"
  if [ "$SKIP_UNIT" != 1 ]; then
    step "unit tests under AddressSanitizer and UndefinedBehaviorSanitizer"
    # -O1, as AddressSanitizer suggests: the build takes less of the time budget
    record "build-asan" build "$ASAN" --enable-sanitizers CFLAGS="-g -O1"
    record "unit-asan" env ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 make -C "$ASAN" -j2 -s check
    step "fuzz smoke runs"
    # 5 s a target here (a smoke run: the scripts' own default, 20 s, or
    # PX_FUZZ_SECONDS for a longer session), within the command's time budget
    for f in "$PX_ROOT"/tests/fuzz/run-*.sh; do
      [ -f "$f" ] || continue
      record "fuzz:$(basename "$f")" env PX_FUZZ_SECONDS="${PX_FUZZ_SECONDS:-5}" bash "$f"
    done
  fi
  local t n
  for n in $BESIDE; do
    t="$PX_ROOT/tests/integration/$n"
    [ -f "$t" ] && wanted "${n%.sh}" || continue
    record "$n" env PX_BASE_URL="http://127.0.0.1:$LPORT" bash "$t"
  done

  # Posting while plexichat.fcgi is killed with SIGKILL twice: every answered
  # post stored once, and delivered once to a stream that resumes with
  # Last-Event-ID (its own cluster and lighttpd, on the next ports up).
  if wanted test_msg_kill9; then
    step "SIGKILL during posting"
    record "msg-kill9" env PX_BUILD_DIR="$BUILD" PX_BENCH_PG_PORT=$((PGPORT + 7)) \
      PX_BENCH_HTTP_PORT=$((LPORT + 7)) bash "$PX_ROOT/bench/msg-kill9.sh"
  fi

  # ThreadSanitizer: the unit tests, then plexichat.fcgi with 8 workers under
  # about 10 s of concurrent traffic (its own build, cluster and lighttpd, on
  # the ports after the kill9 ones); any TSan report fails.
  if wanted test_tsan; then
    step "ThreadSanitizer: unit tests and a threaded load run"
    local tsan="$PX_ROOT/build/$ID-tsan"
    record "build-tsan" build "$tsan" --enable-tsan CFLAGS="-g -O1"
    # only the unit tests that start threads (tests/tsan/unit-tests.txt)
    local units
    units=$(bash "$PX_ROOT/scripts/check_tsan_units.sh" --list)
    record "unit-tsan" env TSAN_OPTIONS="suppressions=$PX_ROOT/tests/tsan/suppressions.txt second_deadlock_stack=1" \
      make -C "$tsan" -j2 -s check check_PROGRAMS="$units" TESTS="$units"
    record "tsan-load" env PX_TSAN_BUILD="$tsan" PX_TSAN_WORK="$PX_ROOT/build/$ID-tsan-run" \
      PX_TSAN_PG_PORT=$((PGPORT + 8)) PX_TSAN_HTTP_PORT=$((LPORT + 8)) bash "$PX_ROOT/tests/tsan/run.sh"
  fi

  # README's run command, started as a user would, with the two switches the
  # WAF corpus replay needs; its own tests then stop it with SIGTERM.
  local runcmd_tests=() rport runpid
  for n in $RUNCMD; do
    wanted "${n%.py}" && runcmd_tests+=("$n")
  done
  [ ${#runcmd_tests[@]} -gt 0 ] || return 0
  step "README run command"
  rport=${PX_TEST_RUN_PORT:-8080}
  PX_PORT=$rport PX_PG_PORT=${PX_TEST_RUN_PG_PORT:-15432} PX_DATA="$WORK/runcmd-data" \
    PX_BUILD_DIR="$BUILD" PLEXICHAT_WAF_AUTO_BLOCK=off PLEXICHAT_RATE_LIMIT=off \
    setsid bash "$PX_ROOT/scripts/run.sh" > "$WORK/runcmd.out" 2>&1 & runpid=$!
  if wait_http "http://127.0.0.1:$rport/api/v1/system/health" 180; then
    for n in "${runcmd_tests[@]}"; do
      record "$n[run]" env PX_BASE_URL="http://127.0.0.1:$rport" PX_RUN_PID=$runpid \
        PX_RUN_OUT="$WORK/runcmd.out" PX_RUN_DATA="$WORK/runcmd-data" python3 "$PX_ROOT/tests/integration/$n"
    done
  else
    echo "1 0 run-command-start" >> "$RESULTS"
  fi
  kill -TERM $runpid 2>/dev/null || true; wait $runpid 2>/dev/null || true
}
lane_c() {
  export PX_DEB_PORT_BASE=$((LPORT + 300))
  local n
  for n in $ALONE; do
    wanted "${n%.sh}" || continue
    record "$n" env PX_BASE_URL="http://127.0.0.1:$LPORT" bash "$PX_ROOT/tests/integration/$n"
  done
}
# npm servers tests of both lanes start (s3rver, azurite), installed here
# once: two npm installs into one folder at once break each other
bash "$PX_ROOT/tests/integration/node_tools.sh" "$BUILD/node" || die "npm install of s3rver and azurite failed"
# its output goes to a file of its own, shown after this lane's
lane_b > "$OUTS/lane-b.log" 2>&1 & LANE_B=$!
lane_c > "$OUTS/lane-c.log" 2>&1 & LANE_C=$!

if [ "$SKIP_UNIT" != 1 ]; then
  step "unit tests"
  record "unit" make -C "$BUILD" -j2 -s check
  # every unit test that starts threads also runs under TSan (lane beside)
  record "tsan-units-listed" bash "$PX_ROOT/scripts/check_tsan_units.sh" "$BUILD"
  # no include cycles, and no include against the layer order (docs/ARCHITECTURE.md)
  record "include-check" python3 "$PX_ROOT/scripts/check_includes.py" "$PX_ROOT"
  # documentation: markdownlint, mkdocs build --strict, link and anchor
  # check, and the API reference rendered from the generated description
  record "docs" bash "$PX_ROOT/scripts/build_docs.sh" check "$BUILD/docs/_generated/openapi.json"
  step "make install with DESTDIR"
  rm -rf "$PX_ROOT/build/$ID-stage"
  record "make-install" bash -c "make -C '$BUILD' -s install DESTDIR='$PX_ROOT/build/$ID-stage' >/dev/null &&
    for f in bin/plexichat.fcgi bin/plexichat-admin bin/plexichat-backup share/plexichat/sql/001_init.sql \
             share/plexichat/waf.rules share/plexichat/static/robots.txt; do
      test -e '$PX_ROOT/build/$ID-stage/usr/local/'\$f || { echo missing \$f; exit 1; }; done"
fi

step "integration tests"
for t in "$PX_ROOT"/tests/integration/test_*.py; do
  n=$(basename "$t")
  wanted "${n%.py}" || continue
  case " $RUNCMD " in *" $n "*) continue ;; esac
  for kind in lighttpd apache; do
    case " $(echo $ONCE) " in *" $n "*) [ $kind = apache ] && continue ;; esac
    port=$LPORT; [ $kind = apache ] && port=$APORT
    record "$n[$kind]" env PX_BASE_URL="http://127.0.0.1:$port" PX_SERVER_KIND=$kind \
      python3 "$t"
  done
done
for t in "$PX_ROOT"/tests/integration/test_*.sh; do
  n=$(basename "$t")
  wanted "${n%.sh}" || continue
  case " $(echo $BESIDE) $ALONE " in *" $n "*) continue ;; esac
  record "$n" env PX_BASE_URL="http://127.0.0.1:$LPORT" bash "$t"
done

stop_all
pg_stop "$WORK/pg"
log "== waiting for the lane beside (ASan, fuzz, clusters, backups, package, TSan, run command)"
wait $LANE_B || true
LANE_B=
cat "$OUTS/lane-b.log"
log "== waiting for the Debian package's lane"
wait $LANE_C || true
LANE_C=
cat "$OUTS/lane-c.log"

cp "$WORK"/*.log "$WORK"/*.out "$ART"/ 2>/dev/null || true
cp "$WORK"/run/*.log "$ART"/ 2>/dev/null || true
TIMES=(); SKIPPED=(); RAN=0
while read -r rc t name; do
  RAN=$((RAN + 1)); TIMES+=("$t $name")
  case $rc in 0) ;; 77) SKIPPED+=("$name") ;; *) FAILED+=("$name") ;; esac
done < "$RESULTS"
log "slowest steps (s):"
printf '%s\n' "${TIMES[@]}" | sort -rn | awk 'NR <= 15 { print "  " $0 }'
log "finished in $(( $(date +%s) - T0 )) s"
cp -r "$OUTS" "$ART"/steps 2>/dev/null || true
if [ ${#FAILED[@]} -gt 0 ]; then
  for name in "${FAILED[@]}"; do
    out=$(step_out "$name")
    [ -f "$out" ] || continue
    log "what failed in $name:"
    grep -E -A3 '^(FAIL|not ok)|Error|error:|Traceback' "$out" | head -40 || true
  done
  log "FAILED: ${FAILED[*]}"
  exit 1
fi
[ "$RAN" -gt 0 ] || die "no test matched PX_TEST_PATTERN='$PATTERN'"
if [ ${#SKIPPED[@]} -gt 0 ]; then
  log "$((RAN - ${#SKIPPED[@]})) steps passed, ${#SKIPPED[@]} skipped (not passed): ${SKIPPED[*]}"
else
  log "all tests passed"
fi
