#!/usr/bin/env bash
# Configures and builds one flavour into build/<flavour>.
#   scripts/build.sh release    optimised, what ships and what the benchmarks measure
#   scripts/build.sh sanitize   ASan + UBSan, what the tests run
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
case "$flavour" in
  release) type=Release ;;
  sanitize) type=Sanitize ;;
  *) echo "build.sh: unknown flavour \"$flavour\" (expected release or sanitize)" >&2; exit 2 ;;
esac
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B "build/$flavour" -G Ninja -DCMAKE_BUILD_TYPE="$type" >/dev/null
cmake --build "build/$flavour" -j "$jobs"
