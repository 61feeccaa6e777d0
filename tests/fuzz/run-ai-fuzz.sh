#!/usr/bin/env bash
# Builds the AI fuzz target (provider answers, SSE streams, embeddings
# answers, redaction round trips, the built-in provider) with clang
# -fsanitize=fuzzer,address,undefined and runs it for a bounded time
# (PX_FUZZ_SECONDS, default 20). Exits non-zero on any finding.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${PX_FUZZ_DIR:-$ROOT/build/fuzz}
mkdir -p "$OUT/corpus-ai"
printf '\x00\x01{"choices":[{"message":{"content":"Hi [#3]"}}],"usage":{"prompt_tokens":9}}' > "$OUT/corpus-ai/o"
printf '\x01\x01{"content":[{"type":"text","text":"Hello"}],"usage":{"input_tokens":1}}' > "$OUT/corpus-ai/a"
printf '\x02\x01{"candidates":[{"content":{"parts":[{"text":"Hal"}]},"finishReason":"STOP"}]}' > "$OUT/corpus-ai/g"
printf '\x03\x05data: {"choices":[{"delta":{"content":"x"}}]}\n\ndata: [DONE]\n\n' > "$OUT/corpus-ai/os"
printf '\x04\x07event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"x"}}\n\n' > "$OUT/corpus-ai/as"
printf '\x06\x00{"data":[{"embedding":[0.5,-1]}]}' > "$OUT/corpus-ai/e"
printf '\x07\x00card 4111 1111 1111 1111, mail a@b.io, IBAN DE89 3704 0044 0532 0130 00 +49 30 1234567' > "$OUT/corpus-ai/r"
printf '\x08\x00You idiot. Ich bringe dich um! Click here for free money.' > "$OUT/corpus-ai/m"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -I"$ROOT" \
  $(pkg-config --cflags json-c libpcre2-8) "$ROOT/tests/fuzz/fuzz_ai.c" \
  "$ROOT/ai/ai_wire.c" "$ROOT/ai/ai_sse.c" "$ROOT/ai/ai_redact.c" "$ROOT/ai/ai_builtin.c" \
  "$ROOT/core/buf.c" "$ROOT/core/utf8.c" \
  $(pkg-config --libs json-c libpcre2-8) -lm -o "$OUT/fuzz_ai"
"$OUT/fuzz_ai" -artifact_prefix="$OUT/" -max_total_time="${PX_FUZZ_SECONDS:-20}" -max_len=65536 \
  -print_final_stats=1 "$OUT/corpus-ai" 2>&1 | tail -3
