#!/bin/bash
# test_lighttpd_spawn.sh: the recipe of docs/LIGHTTPD.md, followed as a user
# would: apache/lighttpd-spawn.conf.in filled in with sed, lighttpd started
# on it, so that lighttpd itself starts plexichat.fcgi (bin-path). Then a
# spawned plexichat.fcgi is killed with SIGKILL, and lighttpd must start a
# new one (new pid, health 200 again within RESPAWN_S seconds) and say so
# in its error log; then both at once; then lighttpd is stopped and no
# process of this test may be left.
#
# scripts/test.sh runs it with PX_BASE_URL, PX_BUILD, PX_CONFIG, PX_WORK and
# PX_ROOT set; its lighttpd listens on PX_BASE_URL's port + 10.
set -u
ROOT=${PX_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${PX_BUILD:-$ROOT/build/test}
CONFIG=${PX_CONFIG:?PX_CONFIG: run through scripts/test.sh}
WORK=${PX_WORK:?PX_WORK: run through scripts/test.sh}
BASE=${PX_BASE_URL:-http://127.0.0.1:18080}
RESPAWN_S=${RESPAWN_S:-5}
T=$WORK/lighttpd-spawn
PASS=0 FAIL=0
LPID=0

ok()  { PASS=$((PASS + 1)); echo "ok   - $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# backends: the pids of the plexichat.fcgi processes lighttpd spawned
backends() { ps -o pid= --ppid "$LPID" 2>/dev/null | tr -d ' ' | sort -n; }
cleanup() {
	local p kids
	[ "$LPID" = 0 ] && return
	kids=$(backends)
	kill -TERM "$LPID" 2>/dev/null; wait "$LPID" 2>/dev/null
	for p in $kids; do kill -KILL "$p" 2>/dev/null; done
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (lighttpd drops to www-data)"; exit 77; }
BPORT=${BASE##*:}; BPORT=${BPORT%%/*}
PORT=$((BPORT + 10))
[ "$PORT" -lt 32768 ] || { echo "port $PORT is not below 32768"; exit 1; }
(echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && { echo "port $PORT is taken"; exit 1; }
URL=http://127.0.0.1:$PORT

# ---- the recipe ----
# 1. folders for the pid file, the sockets and the error log, www-data's
rm -rf "$T"; mkdir -p "$T/run" "$T/log"
chown www-data:www-data "$T/run" "$T/log"; chmod 750 "$T/run" "$T/log"
# 2. the config file, filled in
sed -e "s|@BIND@|127.0.0.1|g" -e "s|@PORT@|$PORT|g" -e "s|@STATIC_DIR@|$ROOT/static|g" \
	-e "s|@LOG_DIR@|$T/log|g" -e "s|@RUN_DIR@|$T/run|g" -e "s|@FCGI_DIR@|$BUILD|g" \
	-e "s|@CONFIG@|$CONFIG|g" -e "s|@FILES_DIR@|$(sed -n 's/^data_dir *= *//p' "$CONFIG")/files|g" \
	-e "s|@SIGNED_SCRIPT@|$T/run/plexichat-signed.lua|g" \
	"$ROOT/apache/lighttpd-spawn.conf.in" > "$T/lighttpd.conf"
# the signed-URL check without a key: it refuses every signed URL
sed -e "s|@URL_KEY@||g" -e "s|@FILES_DIR@|$T/none|g" "$ROOT/apache/plexichat-signed.lua.in" \
	> "$T/run/plexichat-signed.lua"
check "no @PLACEHOLDER@ left in the filled-in config" bash -c "! grep -q '@[A-Z_]*@' '$T/lighttpd.conf'"
# 3. lighttpd checks it, loading its modules
check "lighttpd -tt accepts it" lighttpd -tt -f "$T/lighttpd.conf"
# 4. lighttpd in the foreground (as systemd's lighttpd.service runs it)
lighttpd -D -f "$T/lighttpd.conf" > "$T/lighttpd.out" 2>&1 & LPID=$!
ERRLOG=$T/log/lighttpd-error.log

health() { curl -fsS -m 5 -o /dev/null "$URL/api/v1/system/health" 2>/dev/null; }
health_within() { for _ in $(seq $(($1 * 20))); do health && return 0; sleep 0.05; done; return 1; }
if health_within 20; then ok "health 200 through lighttpd"
else
	bad "health 200 through lighttpd"
	tail -n 5 "$T/lighttpd.out" "$ERRLOG" 2>/dev/null | sed 's/^/     /'
	exit 1
fi

MAXP=$(sed -n 's/.*"max-procs" *=> *\([0-9]*\).*/\1/p' "$ROOT/apache/lighttpd-spawn.conf.in")
PIDS=$(backends)
check "lighttpd started max-procs=$MAXP plexichat.fcgi processes ($(echo $PIDS))" \
	test "$(echo "$PIDS" | grep -c .)" = "$MAXP"
ALL_PIDS="$PIDS"
for p in $PIDS; do
	check "backend $p is plexichat.fcgi, as www-data" \
		test "$(readlink "/proc/$p/exe")" = "$(readlink -f "$BUILD/plexichat.fcgi")" -a \
		"$(stat -c %U "/proc/$p")" = www-data
done
check "backends found their config through bin-environment" \
	grep -qz "^PLEXICHAT_CONFIG=$CONFIG\$" "/proc/$(echo "$PIDS" | head -n 1)/environ"

# respawned OLD: waits until MAXP backends run and none of OLD; prints ms
respawned() {
	local old=$1 t0 now p
	t0=$(date +%s%N)
	for _ in $(seq $((RESPAWN_S * 100))); do
		now=$(backends)
		if [ "$(echo "$now" | grep -c .)" = "$MAXP" ]; then
			for p in $old; do echo "$now" | grep -qx "$p" && continue 2; done
			echo $(( ($(date +%s%N) - t0) / 1000000 )); return 0
		fi
		sleep 0.01
	done
	return 1
}

# ---- one backend killed ----
VICTIM=$(echo "$PIDS" | head -n 1)
LINES=$(wc -l < "$ERRLOG")
kill -KILL "$VICTIM"
if ms=$(respawned "$VICTIM"); then
	ok "SIGKILL of $VICTIM: lighttpd started a new plexichat.fcgi in $ms ms"
else
	bad "SIGKILL of $VICTIM: no new plexichat.fcgi within $RESPAWN_S s ($(backends | tr "\n" " "))"
fi
check "health 200 again within $RESPAWN_S s" health_within "$RESPAWN_S"
check "lighttpd's error log says so (child signalled: 9)" \
	bash -c "tail -n +$((LINES + 1)) '$ERRLOG' | grep -q 'child signalled: 9'"
ALL_PIDS="$ALL_PIDS $(backends)"

# ---- every backend killed at once: the site comes back by itself ----
PIDS=$(backends)
LINES=$(wc -l < "$ERRLOG")
# shellcheck disable=SC2086
kill -KILL $PIDS
if ms=$(respawned "$PIDS"); then ok "all $MAXP killed at once: new ones in $ms ms"
else bad "all $MAXP killed at once: not all started again within $RESPAWN_S s"; fi
check "health 200 again within $RESPAWN_S s" health_within "$RESPAWN_S"
check "the error log names both deaths" \
	test "$(tail -n +$((LINES + 1)) "$ERRLOG" | grep -c 'child signalled: 9')" = "$MAXP"
ALL_PIDS="$ALL_PIDS $(backends)"
sed -n "$((LINES + 1)),\$p" "$ERRLOG" | sed 's/^/     | /'

# ---- lighttpd stopped: nothing left ----
kill -TERM "$LPID"; wait "$LPID" 2>/dev/null; LPID=0
gone() {
	local p
	for _ in $(seq 100); do
		for p in $ALL_PIDS; do kill -0 "$p" 2>/dev/null && { sleep 0.1; continue 2; }; done
		return 0
	done
	return 1
}
check "SIGTERM to lighttpd stops every plexichat.fcgi it started" gone
check "the sockets are removed" bash -c "! ls '$T/run' | grep -q sock"
check "health refused once lighttpd is stopped" bash -c "! curl -fsS -m 2 -o /dev/null '$URL/api/v1/system/health' 2>/dev/null"
echo "# $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
