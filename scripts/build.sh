#!/usr/bin/env bash
# Configures and builds one flavour into build/<flavour>.
#   scripts/build.sh release    optimised, what ships and what the benchmarks measure
#   scripts/build.sh sanitize   ASan + UBSan, what the tests run
#   scripts/build.sh FLAVOUR TARGET...   only those targets (and what they need),
#                               e.g. scripts/build.sh release ravaod ravaoctl (the demo)
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
if [ $# -gt 0 ]; then shift; fi
# The sanitize flavour leaves the benchmarks out (RAVAO_BENCH=OFF): they
# measure the release build (scripts/bench.sh; scripts/test.sh builds release
# with RAVAO_BENCH=OFF in the environment), and CI's time on two cores
# is better spent on the tests.
case "$flavour" in
  release) type=Release; bench=${RAVAO_BENCH:-ON} ;;
  sanitize) type=Sanitize; bench=OFF ;;
  *) echo "build.sh: unknown flavour \"$flavour\" (expected release or sanitize)" >&2; exit 2 ;;
esac
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B "build/$flavour" -G Ninja -DCMAKE_BUILD_TYPE="$type" -DRAVAO_BENCH="$bench" >/dev/null
if [ $# -gt 0 ]; then
  cmake --build "build/$flavour" -j "$jobs" --target "$@"
else
  cmake --build "build/$flavour" -j "$jobs"
fi
