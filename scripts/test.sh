#!/usr/bin/env bash
# Installs what is missing, builds twice (Release, what ships; and with
# ASan+UBSan), and runs the test suite with ctest on both: unit tests,
# integration tests (real ravaod on pseudo-terminals, a real SQLite file, a
# small tmpfs for the full-disk case); the sanitized run adds the libFuzzer
# targets for a short while and, as root, the Debian package test. No test is
# run twice: a test that fails once fails the suite. Needs no standard input.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# The field rehearsal's guest image (tests/field/build-image.sh: mmdebstrap,
# mostly downloading) builds in the background, from the start, at the
# lowest priority (SCHED_IDLE and the idle I/O class: it runs only on a
# core and a disk nothing else wants); the field test (sanitized pass, root only) waits for it through the
# image's lock, and it is cached in build/field/ for the next run. Its log:
# build/field/build.log.
if [ "$(id -u)" = 0 ] && command -v mmdebstrap >/dev/null; then
  mkdir -p build/field
  (ionice -c 3 chrt --idle 0 nice -n 19 tests/field/build-image.sh build/field >build/field/build.log 2>&1 </dev/null) >/dev/null 2>&1 </dev/null &
fi
scripts/build.sh sanitize
# The Release build without the benchmarks (scripts/bench.sh builds them).
RAVAO_BENCH=OFF scripts/build.sh release
# The Debian packages for the package test (tests/packaging/
# deb_package_test.sh, root only) build in the background while ctest runs
# the other tests, which mostly wait on daemons. SCHED_IDLE and the idle I/O
# class, not only nice: at nice 15 this build still slowed the sync tests,
# which commit to SQLite thousands of times (docs/benchmarks.md, "Packages
# and CI"). The test waits for this build and
# uses its packages; the build's log is in build/deb-ci/package.log.
if [ "$(id -u)" = 0 ] && command -v dpkg-buildpackage >/dev/null; then
  rm -rf build/deb-ci && mkdir -p build/deb-ci
  (DEB_BUILD_OPTIONS="noautodbgsym ${DEB_BUILD_OPTIONS:-}" ionice -c 3 chrt --idle 0 nice -n 19 scripts/package.sh build/deb-ci \
     >build/deb-ci/package.log 2>&1 </dev/null
   echo $? >build/deb-ci/package.rc) >/dev/null 2>&1 </dev/null &
  export RAVAO_PREBUILT_DEBS=$PWD/build/deb-ci
fi
# The libFuzzer targets (clang 16, tests/fuzz) build in the background too,
# at the same idle priority: their test (fuzz/libfuzzer, sanitized pass)
# waits for this build through build/fuzz/.lock and then only runs them.
if command -v clang++-16 >/dev/null; then
  (ionice -c 3 chrt --idle 0 nice -n 19 scripts/fuzz.sh --build-only >build/fuzz-build.log 2>&1 </dev/null) \
    >/dev/null 2>&1 </dev/null &
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The Release run leaves out the tests that do not test this build: the
# libFuzzer targets (a clang build of their own), cross/ (an armhf build
# of its own), the packages and the field rehearsal (the Debian package
# build); the sanitized run has them all.
# One test at a time: the integration tests drive real daemons on ptys and
# sockets, and timing is not what they test. The Release run first (about
# two minutes), then the sanitized one, whose summary ends the output.
(cd build/release && ctest --output-on-failure -j 1 -LE '^(fuzz|cross)$' -E 'deb_package_test|field/field_test' </dev/null) || release_failed=1
cd build/sanitize
if [ -n "${release_failed:-}" ]; then
  echo "test.sh: the Release build failed tests (above): the suite fails whatever the sanitized run says" >&2
  ctest --output-on-failure -j 1 </dev/null || true
  exit 1
fi
exec ctest --output-on-failure -j 1 </dev/null
