#!/usr/bin/env bash
# scripts/check_tsan_units.sh BUILD: every unit test program of BUILD that
# calls pthread_create is in tests/tsan/unit-tests.txt (the ThreadSanitizer
# subset), so that a test which starts threads cannot be left out of it.
# scripts/check_tsan_units.sh --list: the subset as make targets
# (tests/unit/NAME ...), one reader of the list for both uses.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
listed=$(grep -v '^#' "$ROOT/tests/tsan/unit-tests.txt")
if [ "${1:-}" = --list ]; then
  sed 's|^|tests/unit/|' <<<"$listed" | tr '\n' ' '
  exit 0
fi
BUILD=${1:?usage: check_tsan_units.sh BUILD | --list}
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
