#!/bin/bash
# test_deb_package.sh: the Debian package (debian/), built, checked and
# installed the way docs/GETTING_STARTED.md ("Debian
# package") says, with the doc's commands as written (blocks marked
# `<!-- deb: NAME -->`):
#  - build: a clean copy of the tree (git's files, committed or not, without
#    build folders) and the doc's dpkg-buildpackage line;
#  - lintian: its findings are printed; an error (E:) fails the test;
#  - the package's files, unpacked with dpkg -x into a throwaway root: the
#    programs, every file of sql/, templates/ and static/, the rules, the
#    message catalogs, /etc/plexichat/plexichat.conf without any secret,
#    the units, the web server snippets, the cron and logrotate files;
#  - a fresh Debian 12 made with debootstrap (minbase: none of this
#    machine's packages), and in it a real install with the doc's apt line
#    (which brings PostgreSQL, lighttpd and every library from Debian's
#    mirror), then the doc's configuration step (plexichat-setup) against
#    the PostgreSQL apt installed there: the secrets postinst made, the
#    database, the owner account;
#  - the services started the way plexichat-fcgi.service and
#    plexichat-ws.service say (their User=, Environment=, RuntimeDirectory=
#    and ExecStart=; no init runs in the root, see test_systemd_units.sh
#    for the sandbox) behind lighttpd run from Debian's own
#    /etc/lighttpd/lighttpd.conf with the package's snippet enabled, on a
#    port of the test's: health, a static file, a page from the installed
#    templates in German (the installed catalogs), a WebSocket upgrade
#    answered by plexichat-ws; `dpkg --verify` finds no packaged file
#    changed;
#  - `apt-get purge` at the end, which must leave no file of the package.
# This machine's own packages are not touched. PX_DEB_MIRROR names the
# Debian mirror (default: the one in /etc/apt/sources.list.d/debian.sources).
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
PASS=0 FAIL=0
FCGI=0 WS=0 WEB=0 PGDIR="" MOUNTS=() C=""
T0=$(date +%s)

ok()  { PASS=$((PASS + 1)); echo "ok   - $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# the commands of the doc's block NAME, as written
block() {
	awk -v n="$1" '$0 == "<!-- deb: " n " -->" { f = 1; next }
		f == 1 && /^```sh$/ { f = 2; next } f == 2 && /^```$/ { exit } f == 2 { print }' "$DOC"
}
# root_procs: the pids of the processes whose root is the fresh root
root_procs() {
	local p
	[ -n "$C" ] || return 0
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$C" ] && echo "${p#/proc/}"
	done
	return 0
}
stop_services() {
	local p
	for p in "$FCGI" "$WS" "$WEB"; do [ "$p" != 0 ] && kill -TERM "$p" 2>/dev/null; done
	wait 2>/dev/null
	FCGI=0 WS=0 WEB=0
	[ -n "$PGDIR" ] && chroot "$C" pg_ctlcluster 15 main stop -m immediate >/dev/null 2>&1
	PGDIR=""
}
cleanup() {
	local m
	stop_services
	# nothing started in the root may outlive the test
	for m in $(root_procs); do kill -KILL "$m" 2>/dev/null; done
	# the host's /dev is mounted in the root: unmounted before anything is
	# removed, and the removal never crosses into another file system
	for m in "${MOUNTS[@]}"; do umount -l "$m" 2>/dev/null; done
	if [ -n "$C" ] && ! mountpoint -q "$C/dev" && ! mountpoint -q "$C/proc"; then
		rm -rf --one-file-system "$C"
	fi
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (installs the package)"; exit 1; }
command -v debootstrap >/dev/null || { echo "FAIL: debootstrap is missing (Debian package debootstrap)"; exit 1; }
free_port() {
	local p
	for p in $(seq "$1" $(($1 + 20))); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
	return 1
}
HPORT=$(free_port "$PORT0")
PGPORT=$(free_port $((HPORT + 1)))
# a root left mounted by a run that was killed is unmounted first
for m in "$T/debian12/dev" "$T/debian12/proc"; do mountpoint -q "$m" && umount -l "$m"; done
rm -rf --one-file-system "$T"; mkdir -p "$T/src" "$T/root"; chmod 755 "$T"
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

# ---- a fresh Debian 12 to install on ----
# debootstrap's minimal system (nothing of this machine's packages), with
# /proc and /dev from the host and services not started by maintainer
# scripts (no init runs here: policy-rc.d says so, as in Debian's images).
MIRROR=${PX_DEB_MIRROR:-$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
C=$T/debian12
echo "# a fresh Debian 12: debootstrap --variant=minbase bookworm from $MIRROR"
if debootstrap --variant=minbase bookworm "$C" "$MIRROR" > "$T/debootstrap.log" 2>&1; then
	ok "debootstrap made a minimal Debian 12 ($(( $(date +%s) - T0 )) s)"
else
	tail -n 20 "$T/debootstrap.log"; bad "debootstrap failed"; exit 1
fi
mount -t proc proc "$C/proc" && MOUNTS+=("$C/proc")
mount --bind /dev "$C/dev" && MOUNTS+=("$C/dev")
printf '#!/bin/sh\nexit 101\n' > "$C/usr/sbin/policy-rc.d"; chmod 755 "$C/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$C/etc/resolv.conf"
cp "$T/apt.conf" "$C/etc/apt/apt.conf.d/99-test-lock"
# a command in the root; as an array, not a function, so that one started
# in the background is the process $! names (chroot and env exec it)
IN_ROOT=(chroot "$C" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive)
in_root() { "${IN_ROOT[@]}" "$@"; }
check "the fresh root has no PostgreSQL, lighttpd or PlexiChat library yet" \
	eval "! in_root dpkg-query -W -f='\${Status}\n' postgresql lighttpd libvips42 libfcgi0ldbl 2>/dev/null | grep -q installed"
mkdir -p "$C/root/src"; cp "$DEB" "$C/root/"

# ---- install as the doc says, in the fresh root ----
echo "# install: $(block install | tr '\n' ';')"
if in_root bash -e -c "apt-get update -q && cd /root/src && $(block install)" > "$T/install.log" 2>&1; then
	ok "apt installed the package and what it needs ($(( $(date +%s) - T0 )) s)"
else
	tail -n 20 "$T/install.log"; bad "the doc's install commands failed"; exit 1
fi
check "apt brought PostgreSQL and lighttpd (the recommended packages)" \
	eval "[ \"\$(in_root dpkg-query -W -f='\${Status}\n' postgresql lighttpd | grep -c 'ok installed')\" = 2 ]"
perm() { in_root stat -c '%a %U:%G' "$1"; }
for s in secret_key db_password files_url_key; do
	check "postinst made /etc/plexichat/$s (0640 root:www-data, 64 hex)" \
		eval "[ \"\$(perm /etc/plexichat/$s)\" = '640 root:www-data' ] && grep -qx '[0-9a-f]\{64\}' '$C/etc/plexichat/$s'"
done
check "postinst made lighttpd's signed-URL check with that key (0640 root:www-data)" \
	eval "[ \"\$(perm /etc/plexichat/plexichat-signed.lua)\" = '640 root:www-data' ] &&
		grep -q \"\$(head -n 1 '$C/etc/plexichat/files_url_key')\" '$C/etc/plexichat/plexichat-signed.lua'"
check "/etc/plexichat/plexichat.conf is 0640 root:www-data" test "$(perm /etc/plexichat/plexichat.conf)" = "640 root:www-data"
check "dpkg knows plexichat.conf as a conffile" eval "in_root dpkg-query -W -f='\${Conffiles}' plexichat | grep -q /etc/plexichat/plexichat.conf"
# logrotate is only suggested: installed here to check the package's file
in_root apt-get install -y -q logrotate > "$T/logrotate-install.log" 2>&1
check "logrotate accepts /etc/logrotate.d/plexichat" \
	eval "in_root logrotate -d /etc/logrotate.d/plexichat > '$T/logrotate.out' 2>&1"

# ---- the configuration step, against the PostgreSQL apt installed ----
# Its cluster 15/main was made by the postgresql package and not started
# (no init): started here on a port of the test's, since 5432 may be in use
# on this machine.
PGCONF=$C/etc/postgresql/15/main/postgresql.conf
sed -i -e "s/^port = .*/port = $PGPORT/" -e "s/^#\{0,1\}listen_addresses = .*/listen_addresses = '127.0.0.1'/" "$PGCONF"
if in_root pg_ctlcluster 15 main start > "$T/pg-start.log" 2>&1; then
	PGDIR=15/main
else
	cat "$T/pg-start.log"; bad "the installed PostgreSQL did not start"; exit 1
fi
# The package's db_conninfo names localhost:5432 (PLEXICHAT_<KEY>
# overrides a key, CONFIGURATION.md).
CONNINFO="host=127.0.0.1 port=$PGPORT dbname=plexichat user=plexichat"
echo "# setup: $(block setup | tr '\n' ';')"
if in_root env PGPORT="$PGPORT" PLEXICHAT_DB_CONNINFO="$CONNINFO" bash -e -c "$(block setup)" > "$T/setup.log" 2>&1; then
	ok "plexichat-setup made the database and the owner account"
else
	cat "$T/setup.log"; bad "the doc's setup step failed"
fi
check "plexichat-setup printed the owner's password once" grep -q 'password: ' "$T/setup.log"
check "plexichat-setup enabled the lighttpd snippet" test -L "$C/etc/lighttpd/conf-enabled/50-plexichat.conf"
in_root env PGPORT="$PGPORT" PLEXICHAT_DB_CONNINFO="$CONNINFO" plexichat-setup --no-db --no-start > "$T/setup2.log" 2>&1
check "plexichat-setup run again is harmless" test $? = 0

# ---- the services as plexichat-fcgi.service and plexichat-ws.service start them ----
# start_unit NAME: ExecStart= of /lib/systemd/system/NAME.service as its
# User= and Group= with its Environment= (and the test's db_conninfo) and
# its RuntimeDirectory=, in the background ($! is its pid).
unit_key() { sed -n "s/^$2=//p" "$C/lib/systemd/system/$1.service" | tail -n 1; }
start_unit() {
	local u=$1 env=() cmd e rundir
	rundir=/run/$(unit_key "$u" RuntimeDirectory)
	in_root install -d -o "$(unit_key "$u" User)" -g "$(unit_key "$u" Group)" -m "$(unit_key "$u" RuntimeDirectoryMode)" "$rundir"
	while read -r e; do env+=("$e"); done < <(sed -n 's/^Environment=//p' "$C/lib/systemd/system/$u.service")
	read -ra cmd <<< "$(unit_key "$u" ExecStart)"
	"${IN_ROOT[@]}" setpriv --reuid="$(unit_key "$u" User)" --regid="$(unit_key "$u" Group)" --init-groups --no-new-privs \
		env -i "${env[@]}" PLEXICHAT_DB_CONNINFO="$CONNINFO" "${cmd[@]}" > "$T/$u.out" 2>&1 &
}
sock_of() { sed -n 's/^Environment=PLEXICHAT_\(WS_\)\{0,1\}LISTEN=//p' "$C/lib/systemd/system/$1.service"; }
wait_sock() { for _ in $(seq 100); do [ -S "$C$1" ] && return 0; sleep 0.1; done; return 1; }
start_unit plexichat-fcgi; FCGI=$!
start_unit plexichat-ws; WS=$!
check "plexichat.fcgi listens on $(sock_of plexichat-fcgi) as $(unit_key plexichat-fcgi User)" wait_sock "$(sock_of plexichat-fcgi)"
check "plexichat-ws listens on $(sock_of plexichat-ws) as $(unit_key plexichat-ws User)" wait_sock "$(sock_of plexichat-ws)"

# Debian's lighttpd.conf as installed, on the test's port; it includes
# conf-enabled/, where plexichat-setup enabled the package's snippet.
sed -e "s|^server.port .*|server.port = $HPORT\nserver.bind = \"127.0.0.1\"|" \
	-e "s|^server.pid-file .*|server.pid-file = \"/tmp/lighttpd.pid\"|" \
	"$C/etc/lighttpd/lighttpd.conf" > "$C/tmp/lighttpd.conf"
install -d -o "$(in_root id -u www-data)" "$C/var/log/lighttpd" "$C/var/cache/lighttpd/compress" "$C/var/cache/lighttpd/uploads"
if in_root lighttpd -tt -f /tmp/lighttpd.conf > "$T/lighttpd-check.log" 2>&1; then
	ok "lighttpd accepts Debian's configuration with the snippet"
else
	cat "$T/lighttpd-check.log"; bad "lighttpd refuses Debian's configuration with the snippet"
fi
"${IN_ROOT[@]}" lighttpd -D -f /tmp/lighttpd.conf > "$T/lighttpd.out" 2>&1 & WEB=$!
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
	eval "[ $code = 200 ] && cmp -s '$T/robots.txt' '$C/usr/share/plexichat/static/robots.txt'"
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
	eval "in_root dpkg --verify plexichat > '$T/verify.out' 2>&1 && [ ! -s '$T/verify.out' ]"
if [ $up != 0 ]; then tail -n 20 "$T"/plexichat-*.out "$C/var/log/lighttpd/error.log"; fi
stop_services
left=$(root_procs | xargs -r ps -o pid=,args= -p)
check "no process of the root outlives the services' stop${left:+ (left: $left)}" test -z "$left"

# ---- purge ----
in_root apt-get purge -y -q plexichat > "$T/purge.log" 2>&1
check "apt-get purge removed the package" eval "! in_root dpkg-query -W -f='\${Status}' plexichat 2>/dev/null | grep -q installed"
left=""
for f in /usr/bin/plexichat.fcgi /usr/sbin/plexichat-setup /usr/share/plexichat /etc/plexichat \
	/etc/lighttpd/conf-enabled/50-plexichat.conf /etc/lighttpd/conf-available/50-plexichat.conf \
	/etc/cron.d/plexichat-backup /var/log/plexichat /lib/systemd/system/plexichat-fcgi.service; do
	[ -e "$C$f" ] || [ -L "$C$f" ] && left="$left $f"
done
check "nothing of the package is left after purge${left:+ (left:$left)}" test -z "$left"

echo "# $PASS passed, $FAIL failed in $(( $(date +%s) - T0 )) s"
[ "$FAIL" = 0 ]
