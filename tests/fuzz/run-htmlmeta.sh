#!/usr/bin/env bash
# Builds the link-preview page reader's fuzz target (core/htmlmeta over
# libxml2's HTML parser) with clang -fsanitize=fuzzer,address,undefined and
# runs it for a bounded time (PX_FUZZ_SECONDS, default 20).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${PX_FUZZ_DIR:-$ROOT/build/fuzz}
mkdir -p "$OUT/corpus-htmlmeta"
printf '\x00<head><meta property="og:title" content="T &amp; x"><meta property=og:image content=/i.png><title>t</title>' > "$OUT/corpus-htmlmeta/og"
printf '\x01<title>caf\xe9</title><meta name=description content="d">' > "$OUT/corpus-htmlmeta/latin1"
printf '\x00<p><a href="https://example.org/x?a=1&amp;b=2">x</a><a href="/u/bob">@bob</a></p>' > "$OUT/corpus-htmlmeta/link"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE \
  -I"$ROOT" $(pkg-config --cflags libxml-2.0) "$ROOT/tests/fuzz/fuzz_htmlmeta.c" \
  "$ROOT/core/htmlmeta.c" "$ROOT/core/utf8.c" $(pkg-config --libs libxml-2.0) \
  -o "$OUT/fuzz_htmlmeta"
"$OUT/fuzz_htmlmeta" -artifact_prefix="$OUT/" -max_total_time="${PX_FUZZ_SECONDS:-20}" -max_len=65536 \
  -print_final_stats=1 "$OUT/corpus-htmlmeta" 2>&1 | tail -3
