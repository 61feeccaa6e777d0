#!/usr/bin/env bash
# Builds the WebSocket frame parser fuzz target (core/wsproto) with clang
# (libFuzzer + ASan + UBSan) and runs it for a bounded time
# (PX_FUZZ_SECONDS, default 20). Exits non-zero on any finding.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${PX_FUZZ_DIR:-$ROOT/build/fuzz}
mkdir -p "$OUT/corpus-wsproto"
# a masked "Hello" (RFC 6455 section 5.7), a fragmented text with a ping
# between, a close frame
printf '\x04\x05\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58' > "$OUT/corpus-wsproto/hello"
printf '\x04\x03\x01\x83\x00\x00\x00\x00Hel\x89\x81\x00\x00\x00\x00p\x80\x82\x00\x00\x00\x00lo' > "$OUT/corpus-wsproto/frag"
printf '\x04\x07\x88\x82\x00\x00\x00\x00\x03\xe8' > "$OUT/corpus-wsproto/close"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -I"$ROOT" \
  "$ROOT/tests/fuzz/fuzz_wsproto.c" "$ROOT/core/wsproto.c" "$ROOT/core/buf.c" "$ROOT/core/utf8.c" \
  "$ROOT/core/codec.c" -lcrypto -o "$OUT/fuzz_wsproto"
"$OUT/fuzz_wsproto" -artifact_prefix="$OUT/" -max_total_time="${PX_FUZZ_SECONDS:-20}" -max_len=4096 \
  -print_final_stats=1 "$OUT/corpus-wsproto" 2>&1 | tail -3
