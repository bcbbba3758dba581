#!/bin/sh
# Builds ravao in Release and runs every benchmark; the figures in
# docs/benchmarks.md come from this. The store and config of each run go into
# a temp folder under $RAVAO_BENCH_DIR, else $TMPDIR, else /tmp (a tmpfs falls
# back to the working folder): point it at the disk you want to measure.
# Usage: scripts/bench.sh [build-dir]   (default: build-bench)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}

# RAVAO_WERROR=OFF: at -O2 g++ 12 reports a false -Wrestrict inside libstdc++
# (char_traits memcpy, from std::string operator+) in daemon/config/schema.cpp.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRAVAO_TESTS=OFF -DRAVAO_WERROR=OFF >/dev/null
cmake --build "$build"

base=${RAVAO_BENCH_DIR:-${TMPDIR:-/tmp}}
echo "== $(date -u +%Y-%m-%dT%H:%MZ); nproc $(nproc);" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //');" \
  "bench folder $base on $(df -T "$base" | awk 'NR==2 {print $1 " (" $2 ")"}')"

status=0
for bench in scan_latency_bench scan_throughput_bench footprint_bench; do
  echo
  # Every bench bounds its own waits; timeout is the last resort.
  timeout 600 "$build/bench/$bench" || { echo "$bench: exit $?"; status=1; }
done
exit $status
