#!/usr/bin/env bash
# Builds the fuzz target of ask's approximate index (index files, and
# builds from arbitrary vectors) with clang -fsanitize=fuzzer,address,
# undefined and runs it for a bounded time (PX_FUZZ_SECONDS, default 20).
# The seeds are a valid index written by the target itself and vectors.
# Exits non-zero on any finding.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${PX_FUZZ_DIR:-$ROOT/build/fuzz}
mkdir -p "$OUT/corpus-ai-ann"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE \
  -I"$ROOT" "$ROOT/tests/fuzz/fuzz_ai_ann.c" "$ROOT/ai/ai_ann.c" -lm -o "$OUT/fuzz_ai_ann"
# seeds: 40 vectors of 64 components; a valid index file of 2 vectors of 2
# components in 1 list (the layout of ai/ai_ann.c, little-endian)
head -c 2560 /dev/urandom | { printf '\x01'; cat; } > "$OUT/corpus-ai-ann/v"
python3 -c '
import struct, sys
h = b"PXANN1\n\0" + struct.pack("<IIIIQq", 0x01020304, 2, 1, 0, 2, 1) + b"m".ljust(64, b"\0") + bytes(24)
body = struct.pack("<ff", 0.6, 0.8) + struct.pack("<QQ", 0, 2) + struct.pack("<qq", 5, 6) \
    + struct.pack("<qq", 1, 3) + bytes([10, 20, 250, 7])
sys.stdout.buffer.write(b"\0" + h + body)' > "$OUT/corpus-ai-ann/f"
"$OUT/fuzz_ai_ann" -artifact_prefix="$OUT/" -max_total_time="${PX_FUZZ_SECONDS:-20}" -max_len=16384 \
  -print_final_stats=1 "$OUT/corpus-ai-ann" 2>&1 | tail -3
