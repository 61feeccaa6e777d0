#!/bin/sh
# lighttpd-snippet.sh TEMPLATE: prints /etc/lighttpd/conf-available/50-plexichat.conf
# from apache/lighttpd.conf.in. Debian's lighttpd.conf already sets the
# server-wide keys (port, document root, user, MIME types), so only
# PlexiChat's own parts are taken: the request parsing options (replacing
# Debian's with :=) and the routing from "# Plain /static/" to the end.
set -e
cat <<'HEAD'
# PlexiChat for Debian's lighttpd (package plexichat). Made from
# apache/lighttpd.conf.in. Enable it with `plexichat-setup` or
# `lighty-enable-mod plexichat && systemctl restart lighttpd`.
# It takes over the whole server: every URL but /static/ goes to
# plexichat.fcgi (plexichat-fcgi.service, /run/plexichat/plexichat.sock),
# WebSocket upgrades to plexichat-ws (plexichat-ws.service).
server.modules += ( "mod_fastcgi", "mod_proxy", "mod_setenv", "mod_magnet" )
server.stream-response-body = 2
server.max-request-size = 110000
server.max-request-field-size = 65535
HEAD
sed -n '/^server.http-parseopts = (/,/^)/p' "$1" | sed '1s/^server.http-parseopts = /server.http-parseopts := /'
sed -n '/^# Plain \/static\//,$p' "$1" | sed \
	-e 's|@STATIC_DIR@|/usr/share/plexichat/static|g' \
	-e 's|@SOCKET@|/run/plexichat/plexichat.sock|g' \
	-e 's|@WS_SOCKET@|/run/plexichat-ws/ws.sock|g' \
	-e 's|@FILES_DIR@|/var/lib/plexichat/files|g' \
	-e 's|@RUN_DIR@/plexichat-signed.lua|/etc/plexichat/plexichat-signed.lua|g'
