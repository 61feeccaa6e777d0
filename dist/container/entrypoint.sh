#!/bin/bash
# entrypoint.sh: runs PlexiChat as the Debian package installs it, in the
# foreground: plexichat.fcgi and plexichat-ws as www-data (as their systemd
# units do), lighttpd with Debian's configuration and the package's snippet
# on PLEXICHAT_HTTP_PORT (8080). Configuration: /etc/plexichat/plexichat.conf,
# any key overridden by PLEXICHAT_<KEY> (CONFIGURATION.md), for example
# PLEXICHAT_DB_CONNINFO, PLEXICHAT_SECRET_KEY_FILE and
# PLEXICHAT_DB_PASSWORD_FILE pointing at mounted secrets. With
# PLEXICHAT_MIGRATE=1 it applies migrations first (in Kubernetes a Job does
# that once, docs/SCALING.md). SIGTERM stops the three; the exit status is
# that of the first to end.
set -euo pipefail
PORT=${PLEXICHAT_HTTP_PORT:-8080}
CONF=${PLEXICHAT_CONFIG:-/etc/plexichat/plexichat.conf}
RUN=${PLEXICHAT_RUN_DIR:-/run}
BIN=${PLEXICHAT_BIN_DIR:-/usr/bin}
export PLEXICHAT_CONFIG="$CONF"

mkdir -p "$RUN/plexichat" "$RUN/plexichat-ws" "$RUN/plexichat-lighttpd"
chown www-data:www-data "$RUN/plexichat" "$RUN/plexichat-ws"
chmod 0750 "$RUN/plexichat" "$RUN/plexichat-ws"
if [ "${PLEXICHAT_MIGRATE:-0}" = 1 ]; then
	runuser -u www-data -- "$BIN/plexichat-admin" -c "$CONF" migrate
fi

# lighttpd's check of signed download URLs (docs/FILES.md) holds the key
# PlexiChat signs them with: the mounted one (PLEXICHAT_FILES_URL_KEY_FILE;
# mount the same into every replica), else one made now for this container
# alone, never the one made when the image was built
KEYF=${PLEXICHAT_FILES_URL_KEY_FILE:-/etc/plexichat/files_url_key}
if [ -z "${PLEXICHAT_FILES_URL_KEY_FILE:-}" ]; then
	(umask 027 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$KEYF")
	chgrp www-data "$KEYF"
fi
KEY=$(head -n 1 "$KEYF")
(umask 027 && sed -e "s|@URL_KEY@|$KEY|g" -e "s|@FILES_DIR@|/var/lib/plexichat/files|g" \
	/usr/share/plexichat/plexichat-signed.lua.in > /etc/plexichat/plexichat-signed.lua)
chgrp www-data /etc/plexichat/plexichat-signed.lua

# Debian's lighttpd.conf with the port and address of the container
cat > "$RUN/plexichat-lighttpd/lighttpd.conf" <<CONF
include "/etc/lighttpd/lighttpd.conf"
server.port = $PORT
server.bind = "${PLEXICHAT_HTTP_BIND:-0.0.0.0}"
server.pid-file = "$RUN/plexichat-lighttpd/lighttpd.pid"
server.errorlog = "/dev/stderr"
CONF

PIDS=""
stop() {
	trap - TERM INT
	# shellcheck disable=SC2086
	kill -TERM $PIDS 2>/dev/null || true
	wait
	exit "${1:-0}"
}
trap 'stop 0' TERM INT

runuser -u www-data -- env PLEXICHAT_LISTEN="$RUN/plexichat/plexichat.sock" "$BIN/plexichat.fcgi" &
PIDS="$PIDS $!"
runuser -u www-data -- env PLEXICHAT_WS_LISTEN="$RUN/plexichat-ws/ws.sock" "$BIN/plexichat-ws" &
PIDS="$PIDS $!"
lighttpd -D -f "$RUN/plexichat-lighttpd/lighttpd.conf" &
PIDS="$PIDS $!"
# the first to end ends the container (the orchestrator restarts it)
set +e
wait -n
rc=$?
stop "$rc"
