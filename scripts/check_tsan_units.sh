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
progs=()
for t in "$BUILD"/tests/unit/check_*; do
  [ -x "$t" ] && [ -f "$t" ] && progs+=("$t")
done
[ "${#progs[@]}" -gt 0 ] || { echo "no unit test program in $BUILD/tests/unit"; exit 1; }
# one nm for all of them (one each cost 0.1 s of start-up, 60 times)
threaded=$(nm -A -u "${progs[@]}" | sed -n 's|^.*/\(check_[^:/]*\):.* U pthread_create\(@.*\)\{0,1\}$|\1|p' | sort -u)
rc=0
for name in $threaded; do
  grep -qxF "$name" <<<"$listed" || { echo "$name starts threads but is not in tests/tsan/unit-tests.txt"; rc=1; }
done
exit $rc
