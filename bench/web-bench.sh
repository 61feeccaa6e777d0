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
  -largon2 -lmagic -lm -o "$BUILD/web_bench"   # beside po/, where the catalogs are found
WEB_BENCH_HTML="$OUT/page.html" "$BUILD/web_bench" "$ROOT" 2000 en
"$BUILD/web_bench" "$ROOT" 2000 de
size() { gzip -6 -c "$1" | wc -c; }
html=$(size "$OUT/page.html"); css=$(size "$ROOT/static/css/app.css"); js=$(size "$ROOT/static/js/app.js")
icon=$(size "$ROOT/static/icons/icon.svg")
total=$((html + css + js + icon))
echo "first load, gzip -6: html $html + css $css + js $js + icon $icon = $total bytes ($((total / 1024)) KiB; budget 100 KiB)"
echo "uncompressed: html $(wc -c < "$OUT/page.html"), css $(wc -c < "$ROOT/static/css/app.css"), js $(wc -c < "$ROOT/static/js/app.js")"
