#!/usr/bin/env bash
# The year 2038 on 32-bit ARM (issue 17; docs/cross-build.md "The year
# 2038"), as a ctest test: the product's date and time code built for Debian
# 12 armhf (32-bit time_t) with arm-linux-gnueabihf-g++-12, and run under
# qemu-arm with dates past 2038-01-19T03:14:07Z (2040, and 2106-02-07 past a
# 32-bit unsigned count). The program (armhf_2038/CMakeLists.txt) is the
# product's files (civil_time, clock, sync/retry, receiver/report and
# iso_week) linked with the native suite's own test files for them
# (civil_time_test, clock_test, retry_test, receiver_dates_test), statically,
# so no armhf shared library is needed. Built in BUILD_DIR, incrementally
# (ccache when installed).
#
#   tests/cross/armhf_2038.sh BUILD_DIR [COMPILE_OPTION...]
#
# COMPILE_OPTIONs: the project's warnings (tests/CMakeLists.txt passes its
# directory's COMPILE_OPTIONS, -Werror included), so the armhf build of these
# files stops on a warning as the native one does.
# Why not -D_TIME_BITS=64: the Debian 12 package build does not use it (only
# common/clock.cpp defines it, in the file), and under a 64-bit time_t
# timegm and gmtime_r work, so the test could not catch what it is for.
# Exit 77 (skipped) only when arm-linux-gnueabihf-g++-12 is not installed
# (scripts/install-deps.sh installs it with the test packages); a missing
# qemu-arm is a failure. Never reads standard input.
set -euo pipefail
exec </dev/null
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: tests/cross/armhf_2038.sh BUILD_DIR [COMPILE_OPTION...]}
shift
say() { echo "armhf_2038: $*"; }

cxx=arm-linux-gnueabihf-g++-12
if ! command -v "$cxx" >/dev/null; then
  say "SKIPPED: $cxx is not installed (package g++-12-arm-linux-gnueabihf, in scripts/install-deps.sh's test packages)"
  exit 77
fi
qemu=$(command -v qemu-arm || command -v qemu-arm-static) ||
  { say "qemu-arm is not installed (package qemu-user or qemu-user-static)" >&2; exit 1; }

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
warnings=$(IFS=';'; echo "$*")
mkdir -p "$out"
start=$SECONDS
# The Debian package build's hardening flags (dpkg-buildflags, hardening=+all).
cmake -S "$src/tests/cross/armhf_2038" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=arm -DCMAKE_CXX_COMPILER="$cxx" "${launcher[@]}" \
  -DCMAKE_CXX_FLAGS="-fstack-protector-strong -D_FORTIFY_SOURCE=2" \
  -DRAVAO_SOURCE_DIR="$src" -DRAVAO_WARNINGS="$warnings" >"$out/configure.log" 2>&1 ||
  { cat "$out/configure.log" >&2; say "configuring the armhf program failed" >&2; exit 1; }
cmake --build "$out" -j "$(nproc)"
say "built for armhf in $((SECONDS - start)) s: $(file -b "$out/armhf_2038" | cut -d, -f1-2), $(file -b "$out/armhf_2038" | grep -o 'statically linked')"

# -L: the cross toolchain's own root (the program is static; qemu needs
# nothing from it, but an armhf path the program opens resolves there).
start=$SECONDS
status=0
"$qemu" -L /usr/arm-linux-gnueabihf "$out/armhf_2038" --log_level=test_suite --color_output=no || status=$?
say "$(basename "$qemu") $("$qemu" --version | head -n1 | grep -o 'version [^ ]*'): $((SECONDS - start)) s, exit status $status"
exit "$status"
