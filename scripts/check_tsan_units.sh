#!/usr/bin/env bash
# scripts/check_tsan_units.sh BUILD: every unit test program of BUILD that
# calls pthread_create is in tests/tsan/unit-tests.txt (the ThreadSanitizer
# subset), so that a test which starts threads cannot be left out of it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:?usage: check_tsan_units.sh BUILD}
listed=$(grep -v '^#' "$ROOT/tests/tsan/unit-tests.txt")
rc=0 n=0
for t in "$BUILD"/tests/unit/check_*; do
  [ -x "$t" ] && [ -f "$t" ] || continue
  n=$((n + 1))
  # not grep -q on a pipe: with pipefail, nm's SIGPIPE would read as "no"
  grep -qw pthread_create <<<"$(nm -u "$t")" || continue
  name=${t##*/}
  grep -qxF "$name" <<<"$listed" || { echo "$name starts threads but is not in tests/tsan/unit-tests.txt"; rc=1; }
done
[ "$n" -gt 0 ] || { echo "no unit test program in $BUILD/tests/unit"; exit 1; }
exit $rc
