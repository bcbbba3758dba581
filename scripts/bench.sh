#!/bin/sh
# Builds ravao in Release and runs every benchmark; the figures in
# docs/benchmarks.md come from this. The store and config of each run go into
# a temp folder under $RAVAO_BENCH_DIR, else $TMPDIR, else /tmp (a tmpfs falls
# back to the working folder): point it at the disk you want to measure.
# Usage: scripts/bench.sh   (builds build/release, as the demo does)
#        RAVAO_BENCH_BUILD=DIR scripts/bench.sh   (configures and builds Release in DIR instead)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${RAVAO_BENCH_BUILD:-}" ]; then
  build=$RAVAO_BENCH_BUILD
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
else
  build=$root/build/release
  "$root/scripts/build.sh" release >/dev/null
fi

base=${RAVAO_BENCH_DIR:-${TMPDIR:-/tmp}}
echo "== $(date -u +%Y-%m-%dT%H:%MZ); nproc $(nproc);" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //');" \
  "bench folder $base on $(df -T "$base" | awk 'NR==2 {print $1 " (" $2 ")"}')"

status=0
for bench in scan_latency_bench scan_throughput_bench footprint_bench usb_latency_bench usb_idle_bench; do
  echo
  # The USB benches own a umockdev testbed, which needs umockdev's preload in
  # their process and in the ravaod they start (docs/usb-testing.md).
  case $bench in
    usb_*) preload=libumockdev-preload.so.0 ;;
    *) preload=${LD_PRELOAD:-} ;;
  esac
  # Every bench bounds its own waits; timeout is the last resort.
  LD_PRELOAD=$preload timeout 600 "$build/bench/$bench" || { echo "$bench: exit $?"; status=1; }
done
exit $status
