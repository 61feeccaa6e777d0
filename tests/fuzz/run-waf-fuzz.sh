#!/usr/bin/env bash
# Builds the WAF fuzz targets (normaliser/detectors, whole inspection) with
# clang -fsanitize=fuzzer,address,undefined and runs each for a bounded
# time (PX_FUZZ_SECONDS, default 20). Exits non-zero on any finding.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${PX_FUZZ_DIR:-$ROOT/build/fuzz}
SECS=${PX_FUZZ_SECONDS:-20}
mkdir -p "$OUT/corpus-waf-norm" "$OUT/corpus-waf-inspect"
printf '\x00%%2527%%20or%%201=1--%%c0%%ae&#x3c;script&#62;\\u003c' > "$OUT/corpus-waf-norm/a"
printf '\x01http://0x7f.1/\xef\xbc\x8e[x](javascript:1)\n```\n<b>\n```' > "$OUT/corpus-waf-norm/b"
printf '\x00POST\n/api/v1/x\na=1&b=%%27\napplication/json\nsid=1\n{"a":[{"$ne":1}],"t":"\\u003c"}' > "$OUT/corpus-waf-inspect/a"
printf '\x02POST\n/api/v1/files\n\nmultipart/form-data; boundary=b\nx\n--b\r\nContent-Disposition: form-data; name="f"; filename="a.png"\r\n\r\n\x89PNG\r\n\x1a\n<?php\r\n--b--' > "$OUT/corpus-waf-inspect/b"
# inputs that once found a defect stay in the corpus as regressions
cp "$ROOT"/tests/fuzz/seeds-waf-inspect/* "$OUT/corpus-waf-inspect/" 2>/dev/null || true
SRC="$ROOT/waf/waf.c $ROOT/waf/waf_norm.c $ROOT/waf/waf_rules.c $ROOT/waf/waf_input.c
     $ROOT/waf/waf_detect.c $ROOT/waf/waf_magic.c $ROOT/waf/waf_ftype.c $ROOT/waf/waf_ssrf.c $ROOT/core/http.c $ROOT/core/buf.c
     $ROOT/core/utf8.c $ROOT/core/err.c $ROOT/core/codec.c $ROOT/core/mediatype.c"
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -I$ROOT"
LIBS="$(pkg-config --libs json-c libpcre2-8 libcmark-gfm libmagic)"
for t in waf_norm waf_inspect; do
	# shellcheck disable=SC2086
	clang $CFLAGS $(pkg-config --cflags json-c libpcre2-8 libcmark-gfm) \
		-DWAF_RULES="\"$ROOT/etc/waf.rules\"" "$ROOT/tests/fuzz/fuzz_$t.c" $SRC $LIBS \
		-o "$OUT/fuzz_$t"
	"$OUT/fuzz_$t" -artifact_prefix="$OUT/" -max_total_time="$SECS" -max_len=65536 -timeout=5 -rss_limit_mb=1024 \
		-print_final_stats=1 "$OUT/corpus-${t//_/-}" 2>&1 | tail -4
done
