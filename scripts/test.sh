#!/usr/bin/env bash
# Installs what is missing, builds with ASan+UBSan, and runs the whole test
# suite with ctest: unit tests, integration tests (real ravaod on
# pseudo-terminals, a real SQLite file, a small tmpfs for the full-disk case)
# and the libFuzzer targets for a short while. Needs no standard input.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh sanitize
# The Debian packages for the package test (tests/packaging/
# deb_package_test.sh, root only) build in the background, at low priority,
# while ctest runs the other tests, which mostly wait on daemons: that keeps
# CI within its 30 minutes on two cores. The test waits for this build and
# uses its packages; the build's log is in build/deb-ci/package.log.
if [ "$(id -u)" = 0 ] && command -v dpkg-buildpackage >/dev/null; then
  rm -rf build/deb-ci && mkdir -p build/deb-ci
  (DEB_BUILD_OPTIONS="noautodbgsym ${DEB_BUILD_OPTIONS:-}" nice -n 15 scripts/package.sh build/deb-ci \
     >build/deb-ci/package.log 2>&1 </dev/null
   echo $? >build/deb-ci/package.rc) >/dev/null 2>&1 </dev/null &
  export RAVAO_PREBUILT_DEBS=$PWD/build/deb-ci
fi
cd build/sanitize
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# One test at a time: the integration tests drive real daemons on ptys and
# sockets, and on a 2-CPU machine running two sanitized suites at once has
# starved a daemon long enough to miss a scan wait (docs/architecture.md,
# "Known gaps"). A test that fails is run once more (--repeat until-pass:2)
# because that pty stall is still not understood: a second failure fails
# the suite, and the first one stays in the output for whoever investigates.
# The suite takes about ten minutes this way.
exec ctest --output-on-failure -j 1 --repeat until-pass:2 </dev/null
