#!/usr/bin/env bash
# bench/files-bench.sh: file transfer through PlexiChat beside lighttpd
# alone, measured in the same run on the same machine (issue 15 targets):
#   - a 100 MB download through PlexiChat (authorised by plexichat.fcgi,
#     bytes sent by lighttpd's X-Sendfile) vs the same file as a static file;
#   - 50 KB image downloads per second (wrk) vs the static file, through the
#     authorised route (FastCGI, database, X-Sendfile) and through a signed
#     URL that lighttpd's mod_magnet script checks alone (docs/FILES.md);
#   - a 1 GB upload (raw PUT /api/v1/files) vs `curl -T` into lighttpd's own
#     mod_webdav on the same disk (the same bytes over the same kind of socket
#     into the same file system, but no FastCGI hop), and vs the same PUT
#     through the same kind of lighttpd route into bench/upload_sink, a
#     FastCGI responder that only writes and fsyncs (the same socket path:
#     the issue's "dd through the same socket path"); and how much the
#     plexichat.fcgi process's memory grows meanwhile.
#   PX_BENCH_ROUNDS (default 5) per download figure, PX_BENCH_SECONDS (8) for wrk,
#   PX_BENCH_BIG_MB (1024) for the upload, PX_BENCH_UPLOAD_ROUNDS (3) of it;
#   the upload's target anchor is mod_webdav's PUT followed by an fsync of
#   the file (PlexiChat answers only once the upload is durable), printed
#   beside the PUT alone.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root"
install_pkgs $PX_BUILD_PKGS $PX_RUN_PKGS wrk lighttpd-mod-webdav
open_path "$PX_ROOT"
BUILD="$PX_ROOT/build/bench"
WORK="$PX_ROOT/build/files-bench-run"
ROUNDS=${PX_BENCH_ROUNDS:-5}; SECS=${PX_BENCH_SECONDS:-8}; BIG_MB=${PX_BENCH_BIG_MB:-1024}
UROUNDS=${PX_BENCH_UPLOAD_ROUNDS:-3}
PGPORT=19532; PXPORT=19580; SPORT=19581
build "$BUILD"
rm -rf "$WORK"; mkdir -p "$WORK/var" "$WORK/run" "$WORK/static/dav"; chmod 755 "$WORK"
chown -R www-data:www-data "$WORK/var" "$WORK/run" "$WORK/static"
cleanup() { trap - INT TERM EXIT; stop_all; pg_stop "$WORK/pg"; rm -rf "$WORK/static" "$WORK/var/files"; }
trap cleanup INT TERM EXIT
pg_start "$WORK/pg" "$PGPORT"
write_config "$WORK/plexichat.conf" "$WORK" "$PGPORT"
cat >> "$WORK/plexichat.conf" <<CONF
files_max_size = $(( (BIG_MB + 64) * 1024 * 1024 ))
files_quota_user = 0
files_url_ttl = 3600
CONF
"$BUILD/plexichat-admin" -c "$WORK/plexichat.conf" migrate >/dev/null
PASS=$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
echo "$PASS" | "$BUILD/plexichat-admin" -c "$WORK/plexichat.conf" create-user bencher --password-stdin >/dev/null
# the benchmark measures transfer, not the limiter
touch "$WORK/plexichat.log"; chown www-data "$WORK/plexichat.log"
# its log to a file: an access line per request would bury the figures
PX_FCGI_LOG="$WORK/plexichat.log" PLEXICHAT_RATE_LIMIT=off fcgi_start "$BUILD" "$WORK/plexichat.conf" "$WORK/run/px.sock"
lighttpd_start "$WORK/run" "$PXPORT" "$WORK/run/px.sock"
sed -e "s|@PORT@|$SPORT|g" -e "s|@DOC_ROOT@|$WORK/static|g" -e "s|@RUN_DIR@|$WORK/run|g" \
  "$PX_ROOT/bench/lighttpd-anchor.conf.in" > "$WORK/run/anchor.conf"
echo ok > "$WORK/static/ping.txt"
mkdir -p "$WORK/var/sink"; chown www-data:www-data "$WORK/var/sink"
setpriv --reuid=www-data --regid=www-data --init-groups \
  "$BUILD/bench/upload_sink" "$WORK/run/sink.sock" "$WORK/var/sink" & PX_PIDS+=($!)
lighttpd -D -f "$WORK/run/anchor.conf" & PX_PIDS+=($!)
PX="http://127.0.0.1:$PXPORT"; ST="http://127.0.0.1:$SPORT"
wait_http "$PX/api/v1/system/health" || die "PlexiChat did not answer"
wait_http "$ST/ping.txt" || die "the anchor lighttpd did not answer"
TOKEN=$(curl -sf "$PX/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"username\":\"bencher\",\"password\":\"$PASS\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
AUTH="Authorization: Bearer $TOKEN"
FPID=$(pgrep -f "plexichat.fcgi -c $WORK/plexichat.conf" | head -1)

# upload NAME FILE: raw PUT, prints the new file's id
upload() {
  curl -sf -X PUT -H "$AUTH" -H 'Content-Type: application/octet-stream' -T "$2" \
    "$PX/api/v1/files?name=$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
# mbps URL [HEADER]: median MB/s of ROUNDS downloads to /dev/null
mbps() {
  for _ in $(seq "$ROUNDS"); do
    curl -sf -o /dev/null -w '%{speed_download}\n' ${2:+-H "$2"} "$1"
  done | sort -n | awk '{v[NR] = $1} END {printf "%.0f", v[int((NR + 1) / 2)] / 1048576}'
}
rps() { wrk -t2 -c16 -d"${SECS}s" ${2:+-H "$2"} "$1" 2>/dev/null | awk '/Requests\/sec/ {print int($2)}'; }

echo "== download, 100 MB, median of $ROUNDS"
# text (base64 of random bytes): a type the upload policy admits, which
# compresses no better than the random bytes it encodes
text_file() { base64 -w 76 /dev/urandom | head -c "$2" > "$1" || true; }
text_file "$WORK/static/big.txt" $((100 * 1024 * 1024))
BIG_ID=$(upload big.txt "$WORK/static/big.txt")
# signed_url ID: the file's signed content URL from its metadata
signed_url() {
  curl -sf -H "$AUTH" "$PX/api/v1/files/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["signed"]["url"])'
}
px=$(mbps "$PX/api/v1/files/$BIG_ID/content" "$AUTH"); st=$(mbps "$ST/big.txt")
sg=$(mbps "$PX$(signed_url "$BIG_ID")")
printf 'PlexiChat (X-Sendfile)   %6d MB/s\nPlexiChat signed URL     %6d MB/s\nlighttpd static file     %6d MB/s\n' \
  "$px" "$sg" "$st"
printf 'ratio %d%% X-Sendfile, %d%% signed (target >= 90%%)\n' \
  $(( 100 * px / (st > 0 ? st : 1) )) $(( 100 * sg / (st > 0 ? st : 1) ))

echo "== download, 50 KB image, wrk -t2 -c16 ${SECS}s"
python3 - "$WORK/static/img.png" <<'PY'
import random, struct, sys, zlib
w, h = 160, 110
random.seed(15)
raw = b"".join(b"\0" + bytes(random.getrandbits(8) for _ in range(w * 3)) for _ in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                              + chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b""))
PY
IMG_ID=$(upload img.png "$WORK/static/img.png")
printf 'image size               %6d bytes\n' "$(stat -c %s "$WORK/static/img.png")"
SIGNED=$(signed_url "$IMG_ID")
[ "$(curl -sf -o /dev/null -w '%{http_code} %{content_type}' "$PX$SIGNED")" = "200 image/png" ] ||
  die "the signed URL did not answer the image"
px=$(rps "$PX/api/v1/files/$IMG_ID/content" "$AUTH"); st=$(rps "$ST/img.png"); sg=$(rps "$PX$SIGNED")
printf 'PlexiChat (X-Sendfile)   %6d req/s\nPlexiChat signed URL     %6d req/s\nlighttpd static file     %6d req/s\n' \
  "$px" "$sg" "$st"
printf 'ratio %d%% signed (target >= 80%%), %d%% authorised route (X-Sendfile)\n' \
  $(( 100 * sg / (st > 0 ? st : 1) )) $(( 100 * px / (st > 0 ? st : 1) ))
# where the time goes: a FastCGI round trip with no work, and with the
# bearer token checked (no file lookup)
fl=$(rps "$PX/api/v1/system/version"); me=$(rps "$PX/api/v1/auth/me" "$AUTH")
printf 'for scale: GET /system/version %d req/s, GET /auth/me (token) %d req/s\n' "$fl" "$me"

echo "== upload, $BIG_MB MB, $UROUNDS rounds, each anchor beside it"
rm -f "$WORK/static/big.txt"
text_file "$WORK/upload.txt" $((BIG_MB * 1024 * 1024))
# rss: VmRSS and RssAnon in KiB. VmRSS also counts the pages of mapped
# files (the program, its libraries), which the page cache evicts and reads
# back while a gigabyte goes through it; what the upload itself holds in
# memory (buffers, the body) is anonymous memory.
rss() { awk '/^VmRSS:/ {v = $2} /^RssAnon:/ {a = $2} END {print v, a}' /proc/"$FPID"/status; }
read -r RSS0 ANON0 < <(rss)
( peak=$RSS0; apeak=$ANON0
  while kill -0 "$FPID" 2>/dev/null && [ ! -e "$WORK/run/stop-sampling" ]; do
    read -r r a < <(rss); [ "$r" -gt "$peak" ] && peak=$r; [ "$a" -gt "$apeak" ] && apeak=$a
    echo "$peak $apeak" > "$WORK/run/peak"; sleep 0.05; done ) &
SAMPLER=$!
now() { date +%s.%N; }
# Each round: PlexiChat's raw PUT (answered only once the file is fsynced
# and renamed into the store), then mod_webdav's PUT of the same bytes
# (which does not fsync), then the same PUT followed by an fsync of the
# written file: the durable floor, the same work PlexiChat owes its answer.
for r in $(seq "$UROUNDS"); do
  # new bytes each round: the store keeps one copy of equal content, and a
  # second upload of the same bytes would not be written again
  head -c 48 /dev/urandom | base64 -w 0 | dd of="$WORK/upload.txt" conv=notrunc status=none
  t0=$(now)
  curl -sS -f -o /dev/null -X PUT -H "$AUTH" -H 'Content-Type: text/plain' \
    -T "$WORK/upload.txt" "$PX/api/v1/files?name=upload-$r.txt" ||
    { tail -5 "$WORK/run/lighttpd-error.log" "$WORK/var/"*.log 2>/dev/null; die "upload through PlexiChat failed"; }
  t1=$(now)
  rm -f "$WORK/static/dav/upload.txt"; sync
  t2=$(now)
  curl -sf -o /dev/null -T "$WORK/upload.txt" "$ST/dav/upload.txt" || die "mod_webdav PUT failed"
  t3=$(now)
  rm -f "$WORK/static/dav/upload.txt"; sync
  t4=$(now)
  curl -sf -o /dev/null -T "$WORK/upload.txt" "$ST/dav/upload.txt" || die "mod_webdav PUT failed"
  python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)' "$WORK/static/dav/upload.txt"
  t5=$(now)
  rm -f "$WORK/static/dav/upload.txt" "$WORK/var/sink/"*; sync
  t6=$(now)
  curl -sf -o /dev/null -T "$WORK/upload.txt" "$ST/sink/upload.txt" || die "upload_sink PUT failed"
  t7=$(now)
  echo "$t0 $t1 $t2 $t3 $t4 $t5 $t6 $t7"
  rm -f "$WORK/var/sink/"*; sync
done > "$WORK/run/upload-times"
touch "$WORK/run/stop-sampling"; wait "$SAMPLER" || true
read -r PEAK APEAK < "$WORK/run/peak"
python3 - "$BIG_MB" "$WORK/run/upload-times" <<'PY'
import statistics
import sys
mb = float(sys.argv[1])
rows = [list(map(float, l.split())) for l in open(sys.argv[2])]
px = [mb / (r[1] - r[0]) for r in rows]
dav = [mb / (r[3] - r[2]) for r in rows]
davs = [mb / (r[5] - r[4]) for r in rows]
sink = [mb / (r[7] - r[6]) for r in rows]
for i, (a, b, c, d) in enumerate(zip(px, dav, davs, sink), 1):
    print("round %d: PlexiChat %.0f MB/s, mod_webdav %.0f MB/s, mod_webdav + fsync %.0f MB/s, "
          "FastCGI sink %.0f MB/s" % (i, a, b, c, d))
m = statistics.median
print("PlexiChat raw PUT (durable)         %6.0f MB/s median" % m(px))
print("lighttpd mod_webdav PUT             %6.0f MB/s median: ratio %d%%" % (m(dav), 100 * m(px) / m(dav)))
print("lighttpd mod_webdav PUT + fsync     %6.0f MB/s median: ratio %d%% (target >= 50%%)"
      % (m(davs), 100 * m(px) / m(davs)))
print("same socket path: FastCGI sink      %6.0f MB/s median: ratio %d%% (target >= 50%%)"
      % (m(sink), 100 * m(px) / m(sink)))
PY
printf 'plexichat.fcgi anonymous %d KiB before, %d KiB peak over every round: +%d KiB (target < 4096)\n' \
  "$ANON0" "$APEAK" $(( APEAK - ANON0 ))
printf 'plexichat.fcgi VmRSS     %d KiB before, %d KiB peak over every round: +%d KiB (mapped files included)\n' \
  "$RSS0" "$PEAK" $(( PEAK - RSS0 ))
rm -f "$WORK/upload.txt"
