#!/bin/bash
# test_deb_package.sh: the Debian package (debian/), built, checked and
# installed on this machine the way docs/GETTING_STARTED.md ("Debian
# package") says, with the doc's commands as written (blocks marked
# `<!-- deb: NAME -->`):
#  - build: a clean copy of the tree (git's files, committed or not, without
#    build folders) and the doc's dpkg-buildpackage line;
#  - lintian: its findings are printed; an error (E:) fails the test;
#  - the package's files, unpacked with dpkg -x into a throwaway root: the
#    programs, every file of sql/, templates/ and static/, the rules, the
#    message catalogs, /etc/plexichat/plexichat.conf without any secret,
#    the units, the web server snippets, the cron and logrotate files;
#  - a real install with the doc's apt line, then the doc's configuration
#    step (plexichat-setup) against a PostgreSQL cluster of the test's own
#    (so that the stack's role is not touched): the secrets postinst made,
#    the database, the owner account;
#  - the services started the way plexichat-fcgi.service and
#    plexichat-ws.service say (their User=, Environment=, RuntimeDirectory=
#    and ExecStart=; PID 1 here is not systemd, see test_systemd_units.sh
#    for the sandbox) behind lighttpd run from Debian's own
#    /etc/lighttpd/lighttpd.conf with the package's snippet enabled, on a
#    port of the test's: health, a static file, a page from the installed
#    templates in German (the installed catalogs), a WebSocket upgrade
#    answered by plexichat-ws; `dpkg --verify` finds no packaged file
#    changed;
#  - `apt-get purge` at the end, which must leave no file of the package.
# scripts/test.sh runs it with PX_BASE_URL, PX_WORK and PX_ROOT set; the
# ports are PX_BASE_URL's + 50 and + 51, or PX_DEB_PORT_BASE and the next.
set -u
ROOT=${PX_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
WORK=${PX_WORK:?PX_WORK: run through scripts/test.sh}
BASE=${PX_BASE_URL:-http://127.0.0.1:18080}
BPORT=${BASE##*:}; BPORT=${BPORT%%/*}
PORT0=${PX_DEB_PORT_BASE:-$((BPORT + 50))}
T=$WORK/deb-package
DOC=$ROOT/docs/GETTING_STARTED.md
PG_BIN=/usr/lib/postgresql/15/bin
PASS=0 FAIL=0
FCGI=0 WS=0 WEB=0 INSTALLED=0 PGDIR="" RUNDIRS=()
T0=$(date +%s)

ok()  { PASS=$((PASS + 1)); echo "ok   - $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# the commands of the doc's block NAME, as written
block() {
	awk -v n="$1" '$0 == "<!-- deb: " n " -->" { f = 1; next }
		f == 1 && /^```sh$/ { f = 2; next } f == 2 && /^```$/ { exit } f == 2 { print }' "$DOC"
}
cleanup() {
	[ "$FCGI" != 0 ] && kill -TERM "$FCGI" 2>/dev/null
	[ "$WS" != 0 ] && kill -TERM "$WS" 2>/dev/null
	[ "$WEB" != 0 ] && kill -TERM "$WEB" 2>/dev/null
	wait 2>/dev/null
	for d in "${RUNDIRS[@]}"; do rm -rf "$d"; done
	if [ "$INSTALLED" = 1 ]; then
		apt-get purge -y -q plexichat >> "$T/purge.log" 2>&1
		rm -rf /var/lib/plexichat
	fi
	[ -n "$PGDIR" ] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDIR" -m immediate stop >/dev/null 2>&1
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (installs the package)"; exit 1; }
if dpkg-query -W -f='${Status}' plexichat 2>/dev/null | grep -q installed; then
	echo "FAIL: a plexichat package is installed already; this test would remove it"; exit 1
fi
free_port() {
	local p
	for p in $(seq "$1" $(($1 + 20))); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
	return 1
}
HPORT=$(free_port "$PORT0")
PGPORT=$(free_port $((HPORT + 1)))
rm -rf "$T"; mkdir -p "$T/src" "$T/root"; chmod 755 "$T"
# apt waits for the dpkg lock instead of failing when another apt runs;
# the doc's apt lines stay as written.
printf 'DPkg::Lock::Timeout "300";\n' > "$T/apt.conf"
export APT_CONFIG=$T/apt.conf DEBIAN_FRONTEND=noninteractive

# ---- build from a clean copy of the tree ----
git -C "$ROOT" ls-files -co --exclude-standard -z | (cd "$ROOT" && tar --null -T - -cf -) | tar -xf - -C "$T/src"
for b in build install setup; do
	[ -n "$(block $b)" ] || bad "docs/GETTING_STARTED.md has no '<!-- deb: $b -->' block"
done
echo "# build: $(block build | tr '\n' ';')"
if (cd "$T/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" bash -e -c "$(block build)") > "$T/build.log" 2>&1; then
	ok "dpkg-buildpackage built the package ($(( $(date +%s) - T0 )) s)"
else
	tail -n 30 "$T/build.log"; bad "the doc's build commands failed (log: $T/build.log)"; exit 1
fi
DEB=$(ls "$T"/plexichat_*.deb)

# ---- lintian ----
lintian --pedantic -I -E "$T"/plexichat_*.changes > "$T/lintian.txt" 2>&1
grep -v '^N:\|running with root' "$T/lintian.txt" | sed 's/^/# lintian: /'
check "lintian reports no error" test "$(grep -c '^E:' "$T/lintian.txt")" = 0

# ---- the file list ----
R=$T/root lacks=0
dpkg -x "$DEB" "$R"
for f in usr/bin/plexichat.fcgi usr/bin/plexichat-ws usr/bin/plexichat-admin usr/bin/plexichat-backup \
	usr/sbin/plexichat-setup usr/share/plexichat/waf.rules usr/share/plexichat/locale/de.mo \
	usr/share/plexichat/locale/en.mo etc/plexichat/plexichat.conf etc/lighttpd/conf-available/50-plexichat.conf \
	etc/apache2/sites-available/plexichat-fcgid.conf lib/systemd/system/plexichat-fcgi.service \
	lib/systemd/system/plexichat-ws.service lib/systemd/system/plexichat-files-cleanup.timer \
	etc/cron.d/plexichat-backup etc/logrotate.d/plexichat usr/share/man/man8/plexichat-admin.8.gz \
	usr/share/man/man8/plexichat.fcgi.8.gz usr/share/man/man8/plexichat-ws.8.gz \
	usr/share/man/man8/plexichat-backup.8.gz usr/share/man/man8/plexichat-setup.8.gz; do
	[ -e "$R/$f" ] || { echo "# not in the package: /$f"; lacks=$((lacks + 1)); }
done
check "the package holds the programs, man pages, config, units, snippets, cron and logrotate files" test "$lacks" = 0
missing=0
for d in sql templates static; do
	while read -r f; do
		cmp -s "$ROOT/$f" "$R/usr/share/plexichat/$f" || { missing=$((missing + 1)); echo "# not installed: $f"; }
	done < <(cd "$ROOT" && git ls-files "$d")
done
check "every file of sql/, templates/ and static/ is in /usr/share/plexichat" test "$missing" = 0
check "no secret is shipped (only plexichat.conf in /etc/plexichat)" \
	test "$(ls "$R/etc/plexichat")" = plexichat.conf
check "the lighttpd snippet has no @...@ left" eval "! grep -q '@[A-Z_]*@' '$R/etc/lighttpd/conf-available/50-plexichat.conf'"

# ---- install as the doc says ----
echo "# install: $(block install | tr '\n' ';')"
if (cd "$T/src" && bash -e -c "$(block install)") > "$T/install.log" 2>&1; then
	INSTALLED=1; ok "apt installed the package"
else
	INSTALLED=1; tail -n 20 "$T/install.log"; bad "the doc's install commands failed"; exit 1
fi
perm() { stat -c '%a %U:%G' "$1"; }
for s in secret_key db_password files_url_key; do
	check "postinst made /etc/plexichat/$s (0640 root:www-data, 64 hex)" \
		eval "[ \"\$(perm /etc/plexichat/$s)\" = '640 root:www-data' ] && grep -qx '[0-9a-f]\{64\}' /etc/plexichat/$s"
done
check "postinst made lighttpd's signed-URL check with that key (0640 root:www-data)" \
	eval "[ \"\$(perm /etc/plexichat/plexichat-signed.lua)\" = '640 root:www-data' ] &&
		grep -q \"\$(head -n 1 /etc/plexichat/files_url_key)\" /etc/plexichat/plexichat-signed.lua"
check "/etc/plexichat/plexichat.conf is 0640 root:www-data" test "$(perm /etc/plexichat/plexichat.conf)" = "640 root:www-data"
check "dpkg knows plexichat.conf as a conffile" eval "dpkg-query -W -f='\${Conffiles}' plexichat | grep -q /etc/plexichat/plexichat.conf"
command -v logrotate >/dev/null && check "logrotate accepts /etc/logrotate.d/plexichat" \
	eval "logrotate -d /etc/logrotate.d/plexichat > '$T/logrotate.out' 2>&1"

# ---- the configuration step, against a PostgreSQL of the test's own ----
PGDIR=$T/pg
mkdir -p "$PGDIR" "$T/pg.sock" "$T/pglog"; chown postgres:postgres "$PGDIR" "$T/pg.sock" "$T/pglog"
runuser -u postgres -- "$PG_BIN/initdb" -D "$PGDIR" -A peer --auth-host=scram-sha-256 >/dev/null ||
	{ bad "initdb"; exit 1; }
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDIR" -w -l "$T/pglog/pg.log" \
	-o "-k $T/pg.sock -p $PGPORT -c listen_addresses=127.0.0.1" start >/dev/null || { bad "PostgreSQL start"; exit 1; }
# The package's db_conninfo names localhost:5432; this cluster is on its
# own port (PLEXICHAT_<KEY> overrides a key, CONFIGURATION.md).
CONNINFO="host=127.0.0.1 port=$PGPORT dbname=plexichat user=plexichat"
echo "# setup: $(block setup | tr '\n' ';')"
if PGHOST=$T/pg.sock PGPORT=$PGPORT PLEXICHAT_DB_CONNINFO=$CONNINFO bash -e -c "$(block setup)" > "$T/setup.log" 2>&1; then
	ok "plexichat-setup made the database and the owner account"
else
	cat "$T/setup.log"; bad "the doc's setup step failed"
fi
check "plexichat-setup printed the owner's password once" grep -q 'password: ' "$T/setup.log"
check "plexichat-setup enabled the lighttpd snippet" test -L /etc/lighttpd/conf-enabled/50-plexichat.conf
PLEXICHAT_DB_CONNINFO=$CONNINFO bash -c 'plexichat-setup --no-db --no-start' > "$T/setup2.log" 2>&1
check "plexichat-setup run again is harmless" test $? = 0

# ---- the services as plexichat-fcgi.service and plexichat-ws.service start them ----
# start_unit NAME: ExecStart= of /lib/systemd/system/NAME.service as its
# User= and Group= with its Environment= (and the test's db_conninfo) and
# its RuntimeDirectory=, in the background ($! is its pid).
unit_key() { sed -n "s/^$2=//p" "/lib/systemd/system/$1.service" | tail -n 1; }
start_unit() {
	local u=$1 env=() cmd e rundir
	rundir=/run/$(unit_key "$u" RuntimeDirectory); RUNDIRS+=("$rundir")
	install -d -o "$(unit_key "$u" User)" -g "$(unit_key "$u" Group)" -m "$(unit_key "$u" RuntimeDirectoryMode)" "$rundir"
	while read -r e; do env+=("$e"); done < <(sed -n 's/^Environment=//p' "/lib/systemd/system/$u.service")
	read -ra cmd <<< "$(unit_key "$u" ExecStart)"
	setpriv --reuid="$(unit_key "$u" User)" --regid="$(unit_key "$u" Group)" --init-groups --no-new-privs \
		env -i "${env[@]}" PLEXICHAT_DB_CONNINFO="$CONNINFO" "${cmd[@]}" > "$T/$u.out" 2>&1 &
}
sock_of() { sed -n 's/^Environment=PLEXICHAT_\(WS_\)\{0,1\}LISTEN=//p' "/lib/systemd/system/$1.service"; }
wait_sock() { for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.1; done; return 1; }
start_unit plexichat-fcgi; FCGI=$!
start_unit plexichat-ws; WS=$!
check "plexichat.fcgi listens on $(sock_of plexichat-fcgi) as $(unit_key plexichat-fcgi User)" wait_sock "$(sock_of plexichat-fcgi)"
check "plexichat-ws listens on $(sock_of plexichat-ws) as $(unit_key plexichat-ws User)" wait_sock "$(sock_of plexichat-ws)"

# Debian's lighttpd.conf as installed, on the test's port; it includes
# conf-enabled/, where plexichat-setup enabled the package's snippet.
sed -e "s|^server.port .*|server.port = $HPORT\nserver.bind = \"127.0.0.1\"|" \
	-e "s|^server.pid-file .*|server.pid-file = \"$T/lighttpd.pid\"|" \
	-e "s|^server.errorlog .*|server.errorlog = \"$T/lighttpd-error.log\"|" \
	/etc/lighttpd/lighttpd.conf > "$T/lighttpd.conf"
touch "$T/lighttpd-error.log"; chown www-data "$T/lighttpd-error.log"
if lighttpd -tt -f "$T/lighttpd.conf" > "$T/lighttpd-check.log" 2>&1; then
	ok "lighttpd accepts Debian's configuration with the snippet"
else
	cat "$T/lighttpd-check.log"; bad "lighttpd refuses Debian's configuration with the snippet"
fi
lighttpd -D -f "$T/lighttpd.conf" > "$T/lighttpd.out" 2>&1 & WEB=$!
URL=http://127.0.0.1:$HPORT
up=1
for _ in $(seq 100); do curl -fsS -m 5 -o "$T/health.json" "$URL/api/v1/system/health" 2>/dev/null && { up=0; break; }; sleep 0.2; done
check "GET /api/v1/system/health through lighttpd answers 200" test $up = 0
check "health: status ok, database ok, schema applied" python3 -c '
import json, sys
h = json.load(open(sys.argv[1]))
sys.exit(not (h["status"] == "ok" and h["checks"]["database"] == "ok" and h["checks"]["schema_version"] > 0))' "$T/health.json"
code=$(curl -s -o "$T/robots.txt" -w '%{http_code}' "$URL/static/robots.txt")
check "a static file from /usr/share/plexichat/static (200)" \
	eval "[ $code = 200 ] && cmp -s '$T/robots.txt' /usr/share/plexichat/static/robots.txt"
code=$(curl -s -o "$T/login.html" -w '%{http_code}' -H 'Accept-Language: de' "$URL/login")
check "the login page from the installed templates, in German (200, \"Anmelden\")" \
	eval "[ $code = 200 ] && grep -q Anmelden '$T/login.html'"
# a WebSocket upgrade without a session: plexichat-ws answers it itself
# through the snippet's mod_proxy rule (401, not lighttpd's 502/503)
curl -s -m 5 -o "$T/ws.json" -w '%{http_code}' -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
	-H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
	"$URL/api/v1/events/ws" > "$T/ws.code"
check "a WebSocket upgrade reaches plexichat-ws (401 AUTH_REQUIRED)" \
	eval "[ \"\$(cat '$T/ws.code')\" = 401 ] && grep -q AUTH_REQUIRED '$T/ws.json'"
check "dpkg --verify: no packaged file changed by postinst or plexichat-setup" \
	eval "dpkg --verify plexichat > '$T/verify.out' 2>&1 && [ ! -s '$T/verify.out' ]"
if [ $up != 0 ]; then tail -n 20 "$T"/plexichat-*.out "$T/lighttpd-error.log"; fi
kill -TERM "$FCGI" "$WS" "$WEB" 2>/dev/null; wait "$FCGI" "$WS" "$WEB" 2>/dev/null; FCGI=0 WS=0 WEB=0
for d in "${RUNDIRS[@]}"; do rm -rf "$d"; done

# ---- purge ----
apt-get purge -y -q plexichat > "$T/purge.log" 2>&1
check "apt-get purge removed the package" eval "! dpkg-query -W -f='\${Status}' plexichat 2>/dev/null | grep -q installed"
INSTALLED=0; rm -rf /var/lib/plexichat
left=""
for f in /usr/bin/plexichat.fcgi /usr/sbin/plexichat-setup /usr/share/plexichat /etc/plexichat \
	/etc/lighttpd/conf-enabled/50-plexichat.conf /etc/lighttpd/conf-available/50-plexichat.conf \
	/etc/cron.d/plexichat-backup /var/log/plexichat /lib/systemd/system/plexichat-fcgi.service; do
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done
check "nothing of the package is left after purge${left:+ (left:$left)}" test -z "$left"

echo "# $PASS passed, $FAIL failed in $(( $(date +%s) - T0 )) s"
[ "$FAIL" = 0 ]
