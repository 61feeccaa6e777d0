#!/usr/bin/env bash
# Builds the Slack payload renderer's fuzz target with clang (libFuzzer +
# ASan + UBSan) and runs it for a bounded time (PX_FUZZ_SECONDS, default 20).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${PX_FUZZ_DIR:-$ROOT/build/fuzz}
mkdir -p "$OUT/corpus-slack"
cp "$ROOT"/tests/integration/fixtures/webhooks/*.json "$OUT/corpus-slack/"
printf '*bold* <https://e.x/|link> <@U1|al> <!here> ```code``` &lt;x&gt;\nline' > "$OUT/corpus-slack/m"
printf '{"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*a*"},"fields":[{"type":"plain_text","text":"b"}]},{"type":"divider"}]}' \
  > "$OUT/corpus-slack/b"
# the renderer's emoji shortcodes come from a table generated at build time
mkdir -p "$OUT/web"
python3 "$ROOT/web/gen_emoji.py" --c "$OUT/web/emoji_data.inc"
clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I"$ROOT" -I"$OUT" \
  $(pkg-config --cflags json-c libcmark-gfm) "$ROOT/tests/fuzz/fuzz_slack.c" \
  "$ROOT/handlers/hooks_slack.c" "$ROOT/web/markdown.c" "$ROOT/web/emoji.c" "$ROOT/core/buf.c" \
  "$ROOT/core/utf8.c" "$ROOT/core/err.c" $(pkg-config --libs json-c libcmark-gfm) -o "$OUT/fuzz_slack"
"$OUT/fuzz_slack" -artifact_prefix="$OUT/" -max_total_time="${PX_FUZZ_SECONDS:-20}" -max_len=65536 \
  -print_final_stats=1 "$OUT/corpus-slack" 2>&1 | tail -3
