#!/bin/bash
# test_systemd_units.sh: the units in dist/systemd/ are valid for Debian 12's
# systemd 252, and plexichat.fcgi keeps the contract plexichat-fcgi.service
# relies on, checked by running it the way the unit says.
#
# What runs here is not systemd: PID 1 of the test machine is not systemd,
# and a service manager cannot be started beside it, so no unit is really
# started, killed and restarted by systemd. Instead:
#  - `systemd-analyze verify` reads each unit and drop-in (this works
#    without a running manager) and must not complain; `systemd-analyze
#    security --offline` scores the hardening;
#  - the unit's ExecStart= runs as its User= with its Environment=, in a
#    private mount namespace that copies ProtectSystem=strict (everything
#    read-only but the unit's state, logs and runtime folders), PrivateTmp=
#    and ProtectHome=, with no new privileges; a lighttpd connects to the
#    socket the unit names, and health must answer through it;
#  - every system call plexichat.fcgi makes meanwhile must be in the
#    unit's SystemCallFilter= set, and every socket family in
#    RestrictAddressFamilies=;
#  - a small loop plays systemd's part for Restart=on-failure: SIGKILL is
#    a failure and the process is started again after RestartSec=, SIGTERM
#    ends it with status 0 (never restarted), a configuration error exits
#    non-zero (restarted, and capped by the start limit), SIGHUP reloads.
#
# scripts/test.sh runs it with PX_BASE_URL, PX_BUILD, PX_CONFIG, PX_WORK and
# PX_ROOT set. Exit 77 (skipped) when it cannot run here.
set -u
ROOT=${PX_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${PX_BUILD:-$ROOT/build/test}
CONFIG=${PX_CONFIG:?PX_CONFIG: run through scripts/test.sh}
WORK=${PX_WORK:?PX_WORK: run through scripts/test.sh}
BASE=${PX_BASE_URL:-http://127.0.0.1:18080}
UNITS=$ROOT/dist/systemd
UNIT=$UNITS/plexichat-fcgi.service
T=$WORK/systemd-units
PASS=0 FAIL=0
FCGI=0 WEB=0

ok()  { PASS=$((PASS + 1)); echo "ok   - $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
cleanup() {
	[ "$FCGI" != 0 ] && kill -KILL "$FCGI" 2>/dev/null
	[ "$WEB" != 0 ] && kill -TERM "$WEB" 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (runs the service as www-data)"; exit 77; }
if ! command -v systemd-analyze >/dev/null; then
	# systemd-analyze is in Debian's systemd package; installing it does
	# not make systemd PID 1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends systemd >/dev/null 2>&1 ||
		{ echo "SKIP: no systemd-analyze and cannot install systemd"; exit 77; }
fi
command -v strace >/dev/null || DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends strace >/dev/null 2>&1
SDVER=$(systemctl --version | awk 'NR == 1 { print $2 }')
echo "# systemd $SDVER; PID 1 is $(cat /proc/1/comm)"
rm -rf "$T"; mkdir -p "$T/units" "$T/pg"

# unit_key KEY: the last value of KEY in the unit (what systemd uses).
unit_key() { sed -n "s/^$1=//p" "$UNIT" | tail -n 1; }
# quiet_verify OUT ARGS...: systemd-analyze verify, its output in OUT; 0
# when it succeeded and said nothing (unknown keys are only warnings).
quiet_verify() {
	local out=$1; shift
	systemd-analyze verify "$@" > "$out" 2>&1 && [ ! -s "$out" ] && return 0
	sed 's/^/     /' "$out"; return 1
}

# ---- the unit files as systemd reads them ----
# ExecStart= must name an existing program, so the copy verified here runs
# the build's plexichat.fcgi instead of /usr/bin/plexichat.fcgi.
sed "s|^ExecStart=/usr/bin/plexichat.fcgi|ExecStart=$BUILD/plexichat.fcgi|" "$UNIT" > "$T/units/plexichat-fcgi.service"
check "plexichat-fcgi.service: systemd-analyze verify is silent" \
	quiet_verify "$T/verify.out" "$T/units/plexichat-fcgi.service"

mkdir -p "$T/units/plexichat-fcgi.service.d"
cp "$UNITS/plexichat-fcgi-backoff.conf" "$T/units/plexichat-fcgi.service.d/"
systemd-analyze verify "$T/units/plexichat-fcgi.service" > "$T/verify.out" 2>&1
if [ "$SDVER" -ge 254 ]; then
	check "plexichat-fcgi-backoff.conf: verify is silent (systemd $SDVER)" test ! -s "$T/verify.out"
else
	# 252 must name exactly the two keys it lacks, and nothing else
	check "plexichat-fcgi-backoff.conf: systemd $SDVER knows all but RestartSteps= and RestartMaxDelaySec=" \
		test "$(grep -c . "$T/verify.out")" = 2 -a \
		"$(grep -c -E "Unknown key '(RestartSteps|RestartMaxDelaySec)'" "$T/verify.out")" = 2
fi
rm -r "$T/units/plexichat-fcgi.service.d"

# The PostgreSQL drop-in on a copy of Debian's template, as
# /etc/systemd/system/postgresql@.service.d/ would hold it.
if [ -f /lib/systemd/system/postgresql@.service ]; then
	mkdir -p "$T/pg/postgresql@.service.d"
	cp /lib/systemd/system/postgresql@.service "$T/pg/"
	cp "$UNITS/postgresql-restart.conf" "$T/pg/postgresql@.service.d/restart.conf"
	export SYSTEMD_UNIT_PATH="$T/pg:"   # ours first, then the usual places
	check "postgresql@15-main.service with postgresql-restart.conf: verify is silent" \
		quiet_verify "$T/verify.out" postgresql@15-main.service
	unset SYSTEMD_UNIT_PATH
	# Debian's ExecStart= has the "-" that makes on-failure useless for
	# the postmaster; the drop-in must force restarts on crash signals.
	if grep -q '^ExecStart=-' /lib/systemd/system/postgresql@.service; then
		check "postgresql-restart.conf forces a restart on SIGKILL and SIGABRT" \
			grep -q '^RestartForceExitStatus=.*SIGKILL.*SIGABRT' "$UNITS/postgresql-restart.conf"
	fi
else
	echo "# no /lib/systemd/system/postgresql@.service: drop-in not verified"
fi

systemd-analyze security --offline=true "$T/units/plexichat-fcgi.service" > "$T/security.out" 2>&1
echo "# $(grep -o 'Overall exposure level.*' "$T/security.out")"
check "systemd-analyze security: exposure 2.5 or lower" \
	systemd-analyze security --offline=true --threshold=25 "$T/units/plexichat-fcgi.service" >/dev/null 2>&1

# The start limit must catch a process that dies at once: RestartSec= x
# StartLimitBurst= shorter than StartLimitIntervalSec=.
RSEC=$(unit_key RestartSec) BURST=$(unit_key StartLimitBurst) IVAL=$(unit_key StartLimitIntervalSec)
check "a crash loop hits the start limit ($BURST starts x ${RSEC} s < $IVAL s)" \
	test $((RSEC * BURST)) -lt "$IVAL"
check "Restart=on-failure" test "$(unit_key Restart)" = on-failure

# ---- the service run as the unit says, in an emulated sandbox ----
USER_=$(unit_key User)
LISTEN=$(sed -n 's/^Environment=PLEXICHAT_LISTEN=//p' "$UNIT")
RUNDIR=/run/$(unit_key RuntimeDirectory)
case $LISTEN in "$RUNDIR"/*) ok "the socket ($LISTEN) is in RuntimeDirectory=" ;;
	*) bad "the socket ($LISTEN) is not in RuntimeDirectory= ($RUNDIR)" ;; esac
# Paths of the test installation in place of the production ones.
SOCK=$T/run${LISTEN#/run}
DATA=$(sed -n 's/^data_dir *= *//p' "$CONFIG")
mkdir -p "$T/run/$(unit_key RuntimeDirectory)" "$T/log"
chown "$USER_:$(unit_key Group)" "$T/run/$(unit_key RuntimeDirectory)" "$T/log"
chmod "$(unit_key RuntimeDirectoryMode)" "$T/run/$(unit_key RuntimeDirectory)"
RW="$DATA $T/run/$(unit_key RuntimeDirectory) $T/log"

# ProtectHome= and PrivateTmp= hide /home, /root and /tmp; they are copied
# only when the checkout and its test data are not below them.
HIDE=""
for d in /home /root /run/user; do
	case "$ROOT/ $WORK/ $CONFIG" in *"$d/"*) echo "# ProtectHome= not emulated: the checkout is in $d" ;;
		*) [ -d "$d" ] && HIDE="$HIDE $d" ;; esac
done
PRIVTMP=""
case "$ROOT/ $WORK/ $CONFIG" in *"/tmp/"*) echo "# PrivateTmp= not emulated: the checkout is in /tmp" ;;
	*) PRIVTMP="/tmp /var/tmp" ;; esac

# start_service [ENV...]: ExecStart= as User= with Environment= (plus ENV),
# in a mount namespace where every mount is read-only except $RW, with a
# fresh /tmp and hidden home folders, and no new privileges. The pid stays
# that of plexichat.fcgi (every step execs), in FCGI; with TRACE=1 it runs
# under strace (FCGI is then strace's pid), output in $T/log/strace (the
# one folder of the test's own that the sandbox leaves writable).
start_service() {
	local env=() e
	while read -r e; do env+=("$e"); done < <(sed -n 's/^Environment=//p' "$UNIT" |
		sed -e "s|^PLEXICHAT_CONFIG=.*|PLEXICHAT_CONFIG=$CONFIG|" -e "s|^PLEXICHAT_LISTEN=.*|PLEXICHAT_LISTEN=$SOCK|")
	env+=("$@")
	local tracer=()
	[ "${TRACE:-0}" = 1 ] && tracer=(strace -f -qq -o "$T/log/strace")
	rm -f "$SOCK"
	unshare --mount --propagation private -- bash -c '
		set -e
		rw=$1 hide=$2 privtmp=$3; shift 3
		for d in $privtmp; do mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$d"; done
		for d in $hide; do mount -t tmpfs -o ro,mode=0755 tmpfs "$d"; done
		# ProtectSystem=strict: all read-only but the API file systems
		awk "{ print \$5 }" /proc/self/mountinfo | sort -u | while read -r m; do
			case $m in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) continue ;; esac
			mount -o remount,bind,ro "$m" 2>/dev/null || true
		done
		for d in $rw; do mount --bind "$d" "$d"; mount -o remount,bind,rw "$d"; done
		exec "$@"' px-sandbox "$RW" "$HIDE" "$PRIVTMP" \
		"${tracer[@]}" setpriv --reuid="$USER_" --regid="$(unit_key Group)" --init-groups --no-new-privs \
		env -i "${env[@]}" "$BUILD/plexichat.fcgi" >> "$T/fcgi.out" 2>&1 &
	FCGI=$!
}
socket_up() { for _ in $(seq 100); do [ -S "$SOCK" ] && return 0; sleep 0.1; done; return 1; }
health() { curl -fsS -m 5 -o /dev/null "$WEBURL/api/v1/system/health" 2>/dev/null; }
health_within() { for _ in $(seq $(($1 * 10))); do health && return 0; sleep 0.1; done; return 1; }
# end_status PID: waits for it; ST is then what systemd's SIGCHLD would see
end_status() { ST=0; wait "$1" 2>/dev/null || ST=$?; }
# restarts STATUS: 0 when Restart=on-failure starts the service again after
# this end (bash's 128+N is death by signal N): any non-zero exit, any
# signal but SIGHUP, SIGINT, SIGTERM and SIGPIPE.
restarts() {
	case $1 in 0) return 1 ;; 129|130|141|143) return 1 ;; *) return 0 ;; esac
}

# A lighttpd connecting to the unit's socket (apache/lighttpd.conf.in, the
# recipe's web server side), on its own port.
BPORT=${BASE##*:}; BPORT=${BPORT%%/*}
WPORT=$((BPORT + 11))
[ "$WPORT" -lt 32768 ] || { echo "port $WPORT out of range"; exit 1; }
WEBURL=http://127.0.0.1:$WPORT
mkdir -p "$T/web"; chown www-data:www-data "$T/web"
sed -e "s|@PORT@|$WPORT|g" -e "s|@STATIC_DIR@|$ROOT/static|g" -e "s|@LOG_DIR@|$T/web|g" \
	-e "s|@RUN_DIR@|$T/web|g" -e "s|@SOCKET@|$SOCK|g" -e "s|@FILES_DIR@|$DATA/files|g" \
	-e "s|@WS_SOCKET@|$T/web/ws.sock|g" \
	"$ROOT/apache/lighttpd.conf.in" > "$T/web/lighttpd.conf"
lighttpd -tt -f "$T/web/lighttpd.conf" || { echo "lighttpd config invalid"; exit 1; }

# First run under strace, to see its system calls and socket families while
# it starts and serves (strace's child is plexichat.fcgi).
if command -v strace >/dev/null; then
	TRACE=1 start_service
	socket_up
	lighttpd -D -f "$T/web/lighttpd.conf" & WEB=$!
	health_within 20 || bad "health through lighttpd under strace"
	curl -s -o /dev/null "$WEBURL/login"; curl -s -o /dev/null "$WEBURL/api/v1/auth/me"
	curl -s -o /dev/null "$WEBURL/?q=%27%20OR%201=1--"; curl -s -o /dev/null "$WEBURL/static/robots.txt"
	kill -TERM "$(ps -o pid= --ppid "$FCGI" | head -n 1)" 2>/dev/null
	end_status "$FCGI"; FCGI=0
fi

start_service
check "plexichat.fcgi makes its socket in the runtime folder" socket_up
[ "$WEB" = 0 ] && { lighttpd -D -f "$T/web/lighttpd.conf" & WEB=$!; }
check "health through lighttpd and the unit's socket (sandboxed)" health_within 20
if [ -r "/proc/$FCGI/status" ]; then
	check "runs as User=$USER_" test "$(stat -c %U "/proc/$FCGI")" = "$USER_"
	check "NoNewPrivileges= in effect" grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$FCGI/status"
	check "the root file system is read-only for it" \
		awk '$5 == "/" { split($6, o, ","); for (i in o) if (o[i] == "ro") f = 1 } END { exit !f }' "/proc/$FCGI/mountinfo"
fi
check "SIGHUP (ExecReload=) reloads and it keeps serving" \
	bash -c "kill -HUP $FCGI && sleep 1 && kill -0 $FCGI && curl -fsS -m 5 -o /dev/null $WEBURL/api/v1/system/health"

# SIGKILL: a failure; started again after RestartSec=.
OLD=$FCGI
kill -KILL "$FCGI"; end_status "$FCGI"; st=$ST; FCGI=0
if restarts "$st"; then
	ok "SIGKILL ends it with status $st: Restart=on-failure starts it again"
	sleep "$RSEC"; start_service
	check "started again after RestartSec=$RSEC: health 200 within 20 s" health_within 20
	check "a new process ($OLD -> $FCGI)" test "$FCGI" != "$OLD"
else
	bad "SIGKILL gave status $st, which on-failure would not restart"
fi

# SIGTERM (systemctl stop): a clean end, status 0, within TimeoutStopSec=.
kill -TERM "$FCGI"; t0=$SECONDS; end_status "$FCGI"; st=$ST; FCGI=0
check "SIGTERM: exit status 0 (not restarted) in $((SECONDS - t0)) s <= $(unit_key TimeoutStopSec) s" \
	test "$st" = 0 -a $((SECONDS - t0)) -le "$(unit_key TimeoutStopSec)"

# A configuration error: non-zero (so restarted, then capped by the start limit).
start_service PLEXICHAT_CONFIG="$T/missing.conf"
end_status "$FCGI"; st=$ST; FCGI=0
if restarts "$st"; then ok "a configuration error exits $st: restarted, at most $BURST times in $IVAL s"
else bad "a configuration error exits $st, which on-failure would not restart"; fi

# System calls and socket families seen while it served (strace).
if [ -s "$T/log/strace" ]; then
	# expand_set @GROUP...: the system call names in these groups
	expand_set() {
		local g
		for g in "$@"; do
			case $g in
			@*) systemd-analyze syscall-filter "$g" | sed -n 's/^    //p' | grep -v '^#' |
				while read -r s; do
					case $s in @*) expand_set "$s" ;; *) echo "$s" ;; esac
				done ;;
			*) echo "$g" ;;   # a single system call named beside the groups
			esac
		done
	}
	# shellcheck disable=SC2046
	expand_set $(unit_key SystemCallFilter) | sort -u > "$T/allowed"
	# only what plexichat.fcgi did, after setpriv's execve of it
	awk -v bin="$BUILD/plexichat.fcgi" 'index($0, "execve(\"" bin "\"") { on = 1 }
		on && $2 ~ /^[a-z0-9_]+\(/ { sub(/\(.*/, "", $2); print $2 }' "$T/log/strace" | sort -u > "$T/used"
	comm -23 "$T/used" "$T/allowed" > "$T/denied"
	check "SystemCallFilter=$(unit_key SystemCallFilter) allows all $(grep -c . "$T/used") system calls it made" \
		test ! -s "$T/denied"
	[ -s "$T/denied" ] && sed 's/^/     not allowed: /' "$T/denied"
	grep -o 'socket(AF_[A-Z0-9]*' "$T/log/strace" | sed 's/socket(//' | sort -u > "$T/families"
	fam_ok=1
	while read -r f; do
		case " $(unit_key RestrictAddressFamilies) " in *" $f "*) ;; *) fam_ok=0; echo "     socket family $f not allowed" ;; esac
	done < "$T/families"
	check "RestrictAddressFamilies= allows the families it used ($(tr '\n' ' ' < "$T/families"))" test $fam_ok = 1
else
	echo "# no strace: system calls not checked"
fi

kill -TERM "$WEB" 2>/dev/null; wait "$WEB" 2>/dev/null; WEB=0
echo "# not tested here: systemd itself starting, stopping and restarting the units"
echo "# (needs systemd as PID 1), the seccomp and namespace options beyond the above,"
echo "# and the PostgreSQL drop-in on a real postgresql@ instance."
echo "# $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
