#!/usr/bin/env bash
# Runs the test suite several times in a row on one build, as CI runs it
# (one test at a time, no reruns), and stops at the first failing run: the
# evidence that no test depends on luck. Builds nothing; run
# scripts/test.sh (or scripts/build.sh) first.
#   scripts/repeat-tests.sh [runs] [flavour]     default: 10 release
# Prints one line per run (number, tests, failures, seconds) and writes each
# run's ctest output to build/<flavour>/repeat-<n>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
flavour=${2:-release}
dir=build/$flavour
[ -f "$dir/CTestTestfile.cmake" ] || { echo "repeat-tests.sh: $dir is not built (scripts/build.sh $flavour)" >&2; exit 2; }
# The same selection as scripts/test.sh: Release leaves out the fuzzers and
# the Debian package test (root only, it builds the packages).
if [ "$flavour" = release ]; then select=(-LE '^fuzz$' -E deb_package_test); else select=(); fi
for ((n = 1; n <= runs; n++)); do
  log=$PWD/$dir/repeat-$n.log
  start=$(date +%s)
  if (cd "$dir" && ctest --output-on-failure -j 1 "${select[@]}" </dev/null >"$log" 2>&1); then rc=0; else rc=$?; fi
  summary=$(grep -E 'tests passed|tests failed' "$log" | tail -1)
  echo "run $n/$runs: ${summary:-no summary} ($(($(date +%s) - start)) s)"
  if [ "$rc" != 0 ]; then
    echo "repeat-tests.sh: run $n failed; its output is in $log" >&2
    exit 1
  fi
done
echo "repeat-tests.sh: $runs runs in a row, no failure"
