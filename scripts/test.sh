#!/usr/bin/env bash
# Installs what is missing, builds with ASan+UBSan, and runs the whole test
# suite with ctest: unit tests, integration tests (real ravaod on
# pseudo-terminals, a real SQLite file, a small tmpfs for the full-disk case)
# and the libFuzzer targets for a short while. Needs no standard input.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh sanitize
cd build/sanitize
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" </dev/null
