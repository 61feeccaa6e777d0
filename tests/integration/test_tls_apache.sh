#!/usr/bin/env bash
# test_tls_apache.sh: docs/TLS.md's "Apache with mod_md" against a real
# ACME server on loopback (pebble, RFC 8555, told to accept every
# challenge without connecting back). The doc's three blocks (marked
# `<!-- tls: apache -->`, `<!-- tls: apache-vhost -->` and
# `<!-- tls: apache-md-event -->`) go into an Apache of its own, unchanged
# except for the host name, the ports, the CA's address and the paths of
# the store and the copy; the PlexiChat virtual host is
# apache/plexichat-fcgid.conf with this build's paths in place of the
# installed ones. mod_md must obtain the certificate, a graceful restart
# must put it in service and make the doc's MDMessageCmd copy it, and an
# HTTPS request with SNI, trusting only pebble's root, must get
# PlexiChat's /health with the days left of that copy.
#
# Needs root and scripts/test.sh's environment (PX_ROOT, PX_BUILD,
# PX_WORK, PX_CONFIG, PX_LIGHTTPD_URL). Ports: from PX_TLS_PORT_BASE
# (default: the lighttpd port + 60) upwards, the first free ones.
set -euo pipefail
ROOT=${PX_ROOT:?run from scripts/test.sh}
BUILD=${PX_BUILD:?}
WORK=${PX_WORK:?}
CONFIG=${PX_CONFIG:?}
LPORT=${PX_LIGHTTPD_URL##*:}
T="$WORK/tls-apache"
NAME=chat.plexichat.test
DOC="$ROOT/docs/TLS.md"
APID=
PPID_PEBBLE=

free_port() {
  local p
  for p in $(seq "$1" $(($1 + 40))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  return 1
}
# the lines of the doc's fenced block NAME (language LANG), as written
block() {
  awk -v n="$1" -v l="${2:-apache}" '$0 == "<!-- tls: " n " -->" { f = 1; next }
    f == 1 && $0 == "```" l { f = 2; next } f == 2 && /^```$/ { exit } f == 2 { print }' "$DOC"
}
cleanup() {
  # a server stopped by SIGTERM exits non-zero: not this test's result
  if [ -n "$APID" ]; then kill -TERM "$APID" 2>/dev/null; wait "$APID" 2>/dev/null || true; fi
  if [ -n "$PPID_PEBBLE" ]; then kill -TERM "$PPID_PEBBLE" 2>/dev/null; wait "$PPID_PEBBLE" 2>/dev/null || true; fi
}
trap cleanup EXIT
die() { echo "FAIL: $*"; [ -f "$T/apache-error.log" ] && tail -25 "$T/apache-error.log"; exit 1; }

BASE=${PX_TLS_PORT_BASE:-$((LPORT + 60))}
ACME=$(free_port "$BASE"); MGMT=$(free_port $((ACME + 1)))
HTTP=$(free_port $((MGMT + 1))); HTTPS=$(free_port $((HTTP + 1)))
rm -rf "$T"; mkdir -p "$T/pebble"; chmod 755 "$T"

# The doc's blocks must be there before anything starts.
MD_LINES=$(block apache); VHOST_LINES=$(block apache-vhost); EVENT=$(block apache-md-event sh)
[ -n "$MD_LINES" ] || die "docs/TLS.md has no '<!-- tls: apache -->' block"
[ -n "$VHOST_LINES" ] || die "docs/TLS.md has no '<!-- tls: apache-vhost -->' block"
[ -n "$EVENT" ] || die "docs/TLS.md has no '<!-- tls: apache-md-event -->' block"
grep -q '^MDCertificateAuthority https://acme-v02.api.letsencrypt.org/directory$' <<< "$MD_LINES" ||
  die "the doc's block does not name Let's Encrypt's production directory"

# pebble serves its ACME directory over HTTPS with a certificate of ours
# (Debian ships none); mod_md trusts that one CA through
# MDCACertificateFile, as it would trust Let's Encrypt through the system.
P="$T/pebble"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=plexichat-test-pebble-ca -keyout "$P/ca.key" -out "$P/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost \
  -keyout "$P/key.pem" -out "$P/req.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$P/ext"
openssl x509 -req -in "$P/req.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" -CAcreateserial -days 2 \
  -extfile "$P/ext" -out "$P/cert.pem" 2>/dev/null
# 90 days, as Let's Encrypt issues them
cat > "$P/pebble.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:$ACME", "managementListenAddress": "127.0.0.1:$MGMT",
  "certificate": "$P/cert.pem", "privateKey": "$P/key.pem", "httpPort": $HTTP, "tlsPort": $HTTPS,
  "ocspResponderURL": "", "externalAccountBindingRequired": false, "certificateValidityPeriod": 7776000}}
JSON
PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 \
  pebble -config "$P/pebble.json" > "$P/pebble.log" 2>&1 & PPID_PEBBLE=$!
DIRECTORY="https://127.0.0.1:$ACME/dir"
for _ in $(seq 50); do
  curl -fsS --cacert "$P/ca.pem" -o /dev/null "$DIRECTORY" 2>/dev/null && break
  sleep 0.2
done
curl -fsS --cacert "$P/ca.pem" -o /dev/null "$DIRECTORY" || { cat "$P/pebble.log"; die "pebble does not answer"; }
# the root pebble issues under (a new one on every start)
curl -fsS --cacert "$P/ca.pem" -o "$P/root.pem" "https://127.0.0.1:$MGMT/roots/0" || die "no pebble root"

# The doc's MDMessageCmd script, with this run's folders in place of
# /var/lib/plexichat/tls and the store; PlexiChat's configuration: the suite's, plus the
# doc's tls_cert_files naming the copy that script makes.
STORE="$T/md"
PUBCERT="$STORE/domains/$NAME/pubcert.pem"
COPY="$T/tls/$NAME.pem"
sed -e "s|/var/lib/plexichat/tls|$T/tls|g" -e "s|/etc/apache2/md|$STORE|g" <<< "$EVENT" > "$T/plexichat-md-event"
chmod 0755 "$T/plexichat-md-event"
CONF="$T/plexichat.conf"
{ grep -v -E '^(tls_cert_files|public_url) *=' "$CONFIG"
  echo "public_url = https://$NAME"
  echo "tls_cert_files = $COPY"; } > "$CONF"
chown www-data "$CONF"; chmod 600 "$CONF"

# The doc's blocks, with this machine's name, ports and CA.
sub() { sed -e "s|chat\.example\.org|$NAME|g" -e "s|/usr/local/sbin/plexichat-md-event|$T/plexichat-md-event|" -e "s|\*:80>|127.0.0.1:$HTTP>|" -e "s|\*:443>|127.0.0.1:$HTTPS>|" \
  -e "s|https://acme-v02\.api\.letsencrypt\.org/directory|$DIRECTORY|"; }
MD_LINES=$(sub <<< "$MD_LINES")
# apache/plexichat-fcgid.conf with this build's paths, and the doc's
# virtual host lines in place of its "# SSLEngine on" comment.
grep -q '^ *# SSLEngine on' "$ROOT/apache/plexichat-fcgid.conf" || die "apache/plexichat-fcgid.conf changed"
printf '%s\n' "$VHOST_LINES" > "$T/vhost-lines"
VHOST=$(sed -e "/^ *# SSLEngine on/{r $T/vhost-lines" -e 'd}' "$ROOT/apache/plexichat-fcgid.conf" | sub | sed \
  -e "s|chat\.example\.com|$NAME|" -e "s|/etc/plexichat/plexichat.conf|$CONF|" \
  -e "s|/usr/share/plexichat/static|$ROOT/static|g" -e "s|/usr/lib/cgi-bin/plexichat|$BUILD|g" \
  -e "s|/var/lib/plexichat/files|$WORK/var/files|" -e "s|/run/plexichat-ws/ws.sock|$WORK/run/ws.sock|")
grep -qxF "$(head -1 <<< "$VHOST_LINES")" <<< "$VHOST" || die "the doc's vhost lines did not go in"

# The server around them, as Debian's apache2.conf, ports.conf and
# `a2enmod ssl md fcgid headers alias` (+ proxy for WebSocket) make it;
# only MDStoreDir, MDCACertificateFile and MDPortMap are this test's own.
cat > "$T/apache.conf" <<CONF
ServerRoot "/etc/apache2"
ServerName 127.0.0.1
Listen 127.0.0.1:$HTTP
Listen 127.0.0.1:$HTTPS
PidFile "$T/apache.pid"
ErrorLog "$T/apache-error.log"
LogLevel warn md:notice
User www-data
Group www-data
Mutex file:$T default
DefaultRuntimeDir "$T"
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule authz_host_module /usr/lib/apache2/modules/mod_authz_host.so
LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
LoadModule filter_module /usr/lib/apache2/modules/mod_filter.so
LoadModule deflate_module /usr/lib/apache2/modules/mod_deflate.so
LoadModule brotli_module /usr/lib/apache2/modules/mod_brotli.so
LoadModule headers_module /usr/lib/apache2/modules/mod_headers.so
LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so
LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so
LoadModule md_module /usr/lib/apache2/modules/mod_md.so
LoadModule fcgid_module /usr/lib/apache2/modules/mod_fcgid.so
LoadModule xsendfile_module /usr/lib/apache2/modules/mod_xsendfile.so
LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so
LoadModule proxy_wstunnel_module /usr/lib/apache2/modules/mod_proxy_wstunnel.so
TypesConfig /etc/mime.types
SSLSessionCache shmcb:$T/ssl_scache(512000)
FcgidIPCDir "$T/fcgid-sock"
FcgidProcessTableFile "$T/fcgid-shm"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
# where the server keeps its store and how the CA reaches it, here
MDStoreDir "$STORE"
MDCACertificateFile "$P/ca.pem"
MDPortMap http:$HTTP https:$HTTPS
$MD_LINES
$VHOST
CONF
apache2 -f "$T/apache.conf" -t >/dev/null 2>&1 || { apache2 -f "$T/apache.conf" -t; die "Apache config invalid"; }
apache2 -f "$T/apache.conf" -DFOREGROUND & APID=$!

# mod_md asks pebble in the background and says so in the error log.
ok=0
for _ in $(seq 150); do
  grep -q "AH10059: The Managed Domain $NAME has been setup" "$T/apache-error.log" 2>/dev/null && { ok=1; break; }
  sleep 0.2
done
[ $ok = 1 ] || { tail -20 "$P/pebble.log" || true; die "mod_md got no certificate from pebble"; }
# Until the restart the site presents mod_md's stand-in, not pebble's.
if curl -fsS -o /dev/null --cacert "$P/root.pem" --resolve "$NAME:$HTTPS:127.0.0.1" \
     "https://$NAME:$HTTPS/api/v1/system/health" 2>/dev/null; then
  die "the new certificate was in service before the graceful restart"
fi
apache2 -f "$T/apache.conf" -k graceful
ok=0
for _ in $(seq 100); do
  code=$(curl -sS -o "$T/health.json" -w '%{http_code}' --cacert "$P/root.pem" \
    --resolve "$NAME:$HTTPS:127.0.0.1" "https://$NAME:$HTTPS/api/v1/system/health" 2>"$T/curl.err") &&
    [ "$code" = 200 ] && { ok=1; break; }
  sleep 0.2
done
if [ $ok = 0 ]; then
  cat "$T/curl.err" "$T/health.json" 2>/dev/null || true
  die "no HTTPS answer with pebble's certificate"
fi

# The certificate served is the one in mod_md's store, issued for NAME.
echo | openssl s_client -connect "127.0.0.1:$HTTPS" -servername "$NAME" 2>/dev/null |
  openssl x509 -noout -fingerprint -sha256 > "$T/served.fp" || die "no certificate served"
openssl x509 -in "$PUBCERT" -noout -fingerprint -sha256 > "$T/store.fp" || die "no $PUBCERT"
cmp -s "$T/served.fp" "$T/store.fp" || die "the served certificate is not mod_md's pubcert.pem"
# the doc's script copied the chain, and nothing secret, for www-data
cmp -s "$PUBCERT" "$COPY" || die "MDMessageCmd made no copy of pubcert.pem at $COPY"
! grep -q PRIVATE "$COPY" || die "the copy holds a private key"
runuser -u www-data -- cat "$COPY" > /dev/null || die "www-data cannot read $COPY"
if runuser -u www-data -- cat "$STORE/domains/$NAME/privkey.pem" > /dev/null 2>&1; then
  die "www-data can read mod_md's private key"
fi
openssl x509 -in "$PUBCERT" -noout -ext subjectAltName | grep -q "DNS:$NAME" || die "pubcert.pem is not for $NAME"

# PlexiChat's JSON, over HTTPS, with the days left of that file.
curl -fsS -o "$T/health.json" --cacert "$P/root.pem" --resolve "$NAME:$HTTPS:127.0.0.1" \
  "https://$NAME:$HTTPS/api/v1/system/health" || die "health over HTTPS"
END=$(date -d "$(openssl x509 -in "$PUBCERT" -noout -enddate | cut -d= -f2)" +%s)
python3 - "$T/health.json" "$COPY" "$END" <<'PY' || die "health over HTTPS"
import json, sys, time
h = json.load(open(sys.argv[1]))
pub, end = sys.argv[2], int(sys.argv[3])
assert h["status"] == "ok", h
c = h["checks"]
assert c["tls"] == "ok", c
cert = c["tls_certificates"][0]
assert cert["file"] == pub and cert["subject"], cert
want = (end - int(time.time())) // 86400
# pebble issues for 90 days, as Let's Encrypt does
assert 85 <= cert["days_left"] <= 90 and abs(cert["days_left"] - want) <= 1, (cert, want)
print("health over HTTPS:", cert)
PY

# http:// answers with a redirect to https:// (MDRequireHttps).
loc=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' --resolve "$NAME:$HTTP:127.0.0.1" \
  "http://$NAME:$HTTP/api/v1/system/health")
case $loc in 301\ https://$NAME*) ;; *) die "http:// is not sent to https:// ($loc)" ;; esac
echo "tls apache mod_md: all passed"
