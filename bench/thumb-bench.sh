#!/usr/bin/env bash
# bench/thumb-bench.sh: thumbnail time and peak memory for 12-megapixel
# JPEGs (4000x3000, made here with the vips tool, quality 90), through the server's own code
# (bench/thumb_bench.c: handlers/files_image.c and files_scan.c), each
# measurement in a child process whose ru_maxrss is its peak. The issue's
# target: p50 <= 150 ms and <= 64 MiB peak for the thumbnail.
# Usage: bash bench/thumb-bench.sh [BUILD_DIR] [N]   (default build/bench, 30)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build/bench}
N=${2:-30}
# shellcheck source=../scripts/lib.sh
source "$ROOT/scripts/lib.sh"
[ -f "$BUILD/Makefile" ] || build "$BUILD"
command -v vips >/dev/null || { echo "the vips tool is missing (Debian libvips-tools)" >&2; exit 1; }
# the decoder alone, for scale: libjpeg-turbo's djpeg at 1/8 (the shrink
# the thumbnail's load asks for)
install_pkgs libjpeg-turbo-progs
make -C "$BUILD" -s bench/thumb_bench
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
# photo: three blurred noise bands, about 4.7 MiB at Q90 like a phone's
# 12 MP picture; worst: hard noise on two bands, about 16 MiB of entropy
# data, which decoding must read whole even when it shrinks by 8
for c in r g b; do
  vips gaussnoise "$OUT/$c.v" 4000 3000 --sigma 40
  vips gaussblur "$OUT/$c.v" "$OUT/${c}s.v" 1.2
done
vips bandjoin "$OUT/rs.v $OUT/gs.v $OUT/bs.v" "$OUT/rgb.v"
vips cast "$OUT/rgb.v" "$OUT/photo.jpg[Q=90]" uchar
vips gaussnoise "$OUT/noise.v" 4000 3000 --sigma 60
vips bandjoin "$OUT/rs.v $OUT/noise.v $OUT/noise.v" "$OUT/worst.v"
vips cast "$OUT/worst.v" "$OUT/worst.jpg[Q=90]" uchar
rm -f "$OUT"/*.v
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for img in photo worst; do
  echo "== $img: $(vipsheader "$OUT/$img.jpg" | cut -d: -f2-) ($(( $(stat -c %s "$OUT/$img.jpg") / 1024 )) KiB)"
  "$BUILD/bench/thumb_bench" "$OUT/$img.jpg" "$N"
  # the same file decoded at 1/8 by djpeg, nothing else: what any thumbnail
  # of it costs at least (the entropy data is read whole at every scale)
  for _ in $(seq "$N"); do
    s=$(date +%s%N); djpeg -scale 1/8 -outfile /dev/null "$OUT/$img.jpg"; echo $(( ($(date +%s%N) - s) / 1000000 ))
  done | sort -n | awk '{v[NR] = $1} END {printf "decoder alone (djpeg -scale 1/8): p50 %d ms\n", v[int((NR + 1) / 2)]}'
done
echo "target (issue 15): thumbnail p50 <= 150 ms, peak <= 64 MiB"
