#!/usr/bin/env bash
# bench/web-bench.sh: the web UI's figures. (1) Server render time of the
# channel view with 50 messages, excluding the database (bench/web_bench.c
# linked against a build's libhandlers.a, libmodel.a, libweb.a,
# libauth.a, libwaf.a and libplexi.a: model
# JSON text in, the page handler's conversion and the template render out). (2) First-load transfer size: the
# rendered page plus CSS and JS, gzip-compressed as the web server sends them.
# Usage: bash bench/web-bench.sh [BUILD_DIR]   (default build/web)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build/web}
[ -f "$BUILD/libplexi.a" ] || { echo "build first: $BUILD/libplexi.a missing" >&2; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
cc -O2 -D_GNU_SOURCE -pthread -I"$ROOT" -I"$BUILD" "$ROOT/bench/web_bench.c" \
  "$BUILD/libhandlers.a" "$BUILD/libmodel.a" \
  "$BUILD/libweb.a" "$BUILD/libauth.a" "$BUILD/libwaf.a" "$BUILD/libplexi.a" $(pkg-config --cflags --libs json-c libpq openssl libcmark-gfm libpcre2-8 libzstd libqrencode libxml-2.0 libcurl) \
  -licui18n -licuuc -licudata -lcbor -lldap -llber -largon2 -lmagic -lm -o "$BUILD/web_bench"   # beside po/, where the catalogs are found
WEB_BENCH_HTML="$OUT/page.html" "$BUILD/web_bench" "$ROOT" 2000 en
"$BUILD/web_bench" "$ROOT" 2000 de
size() { gzip -6 -c "$1" | wc -c; }
html=$(size "$OUT/page.html"); css=$(size "$ROOT/static/css/app.css"); js=$(size "$ROOT/static/js/app.js")
icon=$(size "$ROOT/static/icons/icon.svg")
total=$((html + css + js + icon))
echo "first load, gzip -6: html $html + css $css + js $js + icon $icon = $total bytes ($((total / 1024)) KiB; budget 100 KiB)"
echo "uncompressed: html $(wc -c < "$OUT/page.html"), css $(wc -c < "$ROOT/static/css/app.css"), js $(wc -c < "$ROOT/static/js/app.js")"

# (3) In a browser (issue 16): a channel of 50 messages opened in headless
# Chromium through a real lighttpd stack: bytes transferred on the first
# load (empty cache, pages compressed by lighttpd) and on a repeat load,
# and DOMContentLoaded. Targets: first load <= 60 KB, repeat <= 8 KB.
# The anchor is another tree of PlexiChat measured in the same run:
# WEB_BENCH_ANCHOR=DIR (a checkout with its own build in DIR/build/web,
# e.g. `git worktree add DIR main` and a build there); without it only
# this tree is measured. PX_BENCH_PG_PORT / PX_BENCH_HTTP_PORT pick ports.
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
PGP=${PX_BENCH_PG_PORT:-21150}
HTP=${PX_BENCH_HTTP_PORT:-21151}
NODE_DIR="$ROOT/build/node"
if [ ! -f "$NODE_DIR/node_modules/playwright-core/package.json" ]; then
  mkdir -p "$NODE_DIR" && cp "$ROOT/tests/browser/package.json" "$NODE_DIR/package.json"
  (cd "$NODE_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
browser_load() { # browser_load LABEL TREE BUILD: starts a stack of TREE, prints its figures
  local label=$1 tree=$2 build=$3 work="$OUT/$1"
  mkdir -p "$work/var" "$work/run"; chown -R www-data:www-data "$work"; chmod 755 "$OUT" "$work"
  pg_start "$work/pg" "$PGP" >/dev/null
  write_config "$work/plexichat.conf" "$work" "$PGP"
  sed -i -e "s|^static_dir = .*|static_dir = $tree/static|" -e "s|^templates_dir = .*|templates_dir = $tree/templates|" \
    "$work/plexichat.conf"
  echo "waf_auto_block = off" >> "$work/plexichat.conf"
  "$build/plexichat-admin" -c "$work/plexichat.conf" migrate >/dev/null
  "$build/plexichat-admin" -c "$work/plexichat.conf" ensure-admin admin > "$work/admin.txt"
  chmod 664 "$work/plexichat.conf"
  touch "$work/fcgi.log"; chown www-data "$work/fcgi.log"
  PX_FCGI_LOG="$work/fcgi.log" fcgi_start "$build" "$work/plexichat.conf" "$work/run/plexichat.sock"
  PX_ROOT=$tree lighttpd_start "$work/run" "$HTP" "$work/run/plexichat.sock"
  wait_http "http://127.0.0.1:$HTP/api/v1/system/health" || die "$label stack did not start"
  local fig
  fig=$(PX_BASE_URL="http://127.0.0.1:$HTP" PX_ADMIN_PASSWORD=$(sed -n 's/.*password: //p' "$work/admin.txt") \
    NODE_PATH="$NODE_DIR/node_modules" node "$ROOT/bench/web_load.js")
  stop_all
  pg_stop "$work/pg" >/dev/null
  python3 -c 'import json,sys; d=json.loads(sys.argv[2]); f,r=d["first"],d["repeat"]
print("%-8s first load %6.1f KB in %2d requests, DOMContentLoaded %4d ms | repeat load %5.1f KB in %2d requests, DOMContentLoaded %4d ms"
      % (sys.argv[1], f["bytes"]/1000, f["requests"], f["dcl_ms"], r["bytes"]/1000, r["requests"], r["dcl_ms"]))' "$label" "$fig"
}
trap 'stop_all; rm -rf "$OUT"' EXIT
echo "in Chromium, a channel of 50 messages through lighttpd (targets: first load <= 60 KB, repeat <= 8 KB):"
browser_load this "$ROOT" "$BUILD"
if [ -n "${WEB_BENCH_ANCHOR:-}" ]; then
  browser_load anchor "$WEB_BENCH_ANCHOR" "$WEB_BENCH_ANCHOR/build/web"
fi
