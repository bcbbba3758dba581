#!/usr/bin/env bash
# Builds the libFuzzer targets with clang 16 into build/fuzz and runs each for
# a while on its seed corpus.
#   scripts/fuzz.sh [--seconds N] [TARGET...]     (default 20 s each, all targets)
#   scripts/fuzz.sh --build-only                  (scripts/test.sh, in the background)
# The build holds build/fuzz/.lock: a run waits for a build in progress, then
# finds the targets up to date (or builds what failed, with its errors).
# clang 16, not the default clang 14: with libstdc++ 12, clang 14 cannot
# destroy std::expected values that hold strings.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=20
build_only=
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --build-only) build_only=1; shift ;;
    *) targets+=("$1"); shift ;;
  esac
done
mkdir -p build/fuzz
exec 9>build/fuzz/.lock
flock 9
if ! { cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRAVAO_FUZZ=ON \
         -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 &&
       cmake --build build/fuzz -j "$(nproc 2>/dev/null || echo 2)"; } >build/fuzz/build.log 2>&1; then
  tail -50 build/fuzz/build.log
  echo "fuzz: the build failed (build/fuzz/build.log)" >&2
  exit 1
fi
flock -u 9
[[ -n ${build_only:-} ]] && exit 0
if ((${#targets[@]} == 0)); then
  for f in tests/fuzz/*_fuzz.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
for t in "${targets[@]}"; do
  corpus=tests/fuzz/corpus/${t%_fuzz}
  work=build/fuzz/corpus/${t%_fuzz}
  mkdir -p "$work"
  seeds=()
  [[ -d $corpus ]] && seeds+=("$corpus")
  echo "fuzz: $t for ${seconds}s"
  "build/fuzz/tests/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 "$work" "${seeds[@]}" \
    2>"build/fuzz/$t.log" || { tail -50 "build/fuzz/$t.log"; exit 1; }
  grep -E '^stat::number_of_executed_units' "build/fuzz/$t.log" || true
done
