#!/usr/bin/env bash
# Builds the request-parser fuzz target with clang (libFuzzer + ASan + UBSan)
# and runs it for a bounded time (PX_FUZZ_SECONDS, default 20).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${PX_FUZZ_DIR:-$ROOT/build/fuzz}
mkdir -p "$OUT/corpus-parsers"
printf '\x00a=1&b=%%41' > "$OUT/corpus-parsers/q"
printf '\x01sid=abc; theme="dark"' > "$OUT/corpus-parsers/c"
printf '\x07{"a":[1,{"b":"\\u00e9"}]}' > "$OUT/corpus-parsers/j"
printf '\x04multipart/form-data; boundary="a\\"b"; charset=utf-8' > "$OUT/corpus-parsers/m"
printf '\x0dZm9vYmE=' > "$OUT/corpus-parsers/b"
printf '\x0b--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--' > "$OUT/corpus-parsers/p"
clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I"$ROOT" \
  $(pkg-config --cflags json-c) "$ROOT/tests/fuzz/fuzz_parsers.c" \
  "$ROOT/core/http.c" "$ROOT/core/multipart.c" "$ROOT/core/buf.c" "$ROOT/core/utf8.c" "$ROOT/core/err.c" \
  "$ROOT/core/codec.c" "$ROOT/core/mediatype.c" \
  $(pkg-config --libs json-c) -o "$OUT/fuzz_parsers"
"$OUT/fuzz_parsers" -artifact_prefix="$OUT/" -max_total_time="${PX_FUZZ_SECONDS:-20}" -max_len=65536 \
  -print_final_stats=1 "$OUT/corpus-parsers" 2>&1 | tail -3
