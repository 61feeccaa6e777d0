#!/usr/bin/env bash
# bench/plugins-bench.sh [BUILD] [SECONDS]: what plugins cost a post.
# Prints, in one run: the timing loop with no plugin (the anchor), an
# in-process before_store hook (examples/plugins/word-filter, this build's
# module), an out-of-process hook (tests/integration/plugins/probe.py in
# its sandbox: seccomp, limits; Python, so a slow plugin language), and the
# memory of both processes while 1,000 calls a second are held for SECONDS
# (20). Targets (issue 21): in-process <= 5 us p50; out-of-process
# <= 250 us p50 and <= 2 ms p99; no memory growth.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build/bench}
SECONDS_HELD=${2:-20}
make -C "$BUILD" -s bench/plugins_bench examples/plugins/word-filter/word_filter.so
PROBE=$(mktemp -d)
trap 'rm -rf "$PROBE"' EXIT
cp "$ROOT/tests/integration/plugins/probe.py" "$PROBE/"
chmod 755 "$PROBE" "$PROBE/probe.py"
echo "machine: $(nproc) cores, $(uname -r); python3 $(python3 -c 'import sys; print(sys.version.split()[0])')"
"$BUILD/bench/plugins_bench" "$BUILD/examples/plugins/word-filter/word_filter.so" "$PROBE" "$SECONDS_HELD"
