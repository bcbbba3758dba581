#!/bin/sh
# Builds ravao in Release and runs every benchmark; the figures in
# docs/benchmarks.md come from this. The store and config of each run go into
# a temp folder under $RAVAO_BENCH_DIR, else $TMPDIR, else /tmp (a tmpfs falls
# back to the working folder): point it at the disk you want to measure.
# Usage: scripts/bench.sh [BENCH...]   (builds all of build/release)
#        RAVAO_BENCH_BUILD=DIR scripts/bench.sh [BENCH...]   (configures and builds Release in DIR instead;
#                                                            with BENCH names, only those targets)
# BENCH: scan_latency_bench scan_throughput_bench footprint_bench
# usb_latency_bench usb_idle_bench slip_bench sync_bench idle_wakeups_bench (default: all). slip_bench is
# followed by bench/node/encoder_bench.mjs on the same slip (Node and npm;
# the npm packages are installed into bench/node/node_modules from its lock file).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
all="scan_latency_bench scan_throughput_bench footprint_bench usb_latency_bench usb_idle_bench slip_bench sync_bench idle_wakeups_bench"
benches=${*:-$all}
for bench in $benches; do
  case " $all " in
    *" $bench "*) ;;
    *) echo "bench.sh: unknown bench \"$bench\" (expected one of: $all)" >&2; exit 2 ;;
  esac
done
if [ -n "${RAVAO_BENCH_BUILD:-}" ]; then
  build=$RAVAO_BENCH_BUILD
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  if [ $# -gt 0 ]; then
    # shellcheck disable=SC2086 # one target per name
    cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target $benches >/dev/null
  else
    cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
  fi
else
  build=$root/build/release
  "$root/scripts/build.sh" release >/dev/null
fi

base=${RAVAO_BENCH_DIR:-${TMPDIR:-/tmp}}
echo "== $(date -u +%Y-%m-%dT%H:%MZ); nproc $(nproc);" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //');" \
  "bench folder $base on $(df -T "$base" | awk 'NR==2 {print $1 " (" $2 ")"}')"

# The Node side of slip_bench (docs/benchmarks.md, "Slips"): Node.js and npm
# from Debian when they are missing, then the locked npm packages.
node_ready() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "installing nodejs and npm (apt-get)"
      apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm >/dev/null || return 1
    else
      echo "node and npm are missing: apt-get install nodejs npm" >&2
      return 1
    fi
  fi
  (cd "$root/bench/node" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}

status=0
for bench in $benches; do
  echo
  if [ "$bench" = slip_bench ]; then
    # In-process figures: ravao renders and encodes, then the npm library
    # encodes the same slip (text, and the bitmap slip_bench wrote).
    out=$(mktemp -d "$base/ravao-slip-bench-XXXXXX")
    if timeout 600 "$build/bench/slip_bench" 500 50 "$out"; then
      echo
      if node_ready; then
        timeout 1200 node "$root/bench/node/encoder_bench.mjs" --slips 500 --image-slips 200 --default-slips 50 \
          --warmup 50 --ravao "$out/slip_bench.json" --json "$out/encoder_bench.json" \
          || { echo "encoder_bench: exit $?"; status=1; }
      else
        echo "encoder_bench: not run (Node.js or the npm packages are missing)"; status=1
      fi
    else
      echo "slip_bench: exit $?"; status=1
    fi
    rm -rf "$out"
    continue
  fi
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
