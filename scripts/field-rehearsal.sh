#!/usr/bin/env bash
# The field rehearsal campaign (issue 17, docs/reliability.md): the ravao
# packages in a Debian 12 qemu guest with a real systemd, the cases of
# tests/field/field_test.py, and CUTS power cuts (default 20) during scan
# streams from both scanners (the serial one and the USB wedge). Needs root; installs what is missing (scripts/install-deps.sh);
# builds the packages unless DEBS (a folder with ravao_*.deb,
# ravao-web_*.deb and ravao-receiver_*.deb, whose ravao-receiver serves the
# guest's uploads on the host) is given; the guest image is cached in
# build/field/ (RAVAO_FIELD_CACHE: another folder). The moments of the cuts
# are drawn from RAVAO_FIELD_SEED (default: a random seed, printed).
# CASES (unittest names, e.g. Field.test_4_power_cuts_lose_and_duplicate_no_acknowledged_scan)
# runs only those; default: every case.
#   scripts/field-rehearsal.sh [CUTS] [DEBS] [CASES...]
# The guest's files (console logs, acks, the qcow2 overlay) stay in
# build/field/run-DATE/. Prints the figures at the end.
#
# ARM (issue 17 item 6; not in CI: emulated, they take most of an hour on a
# loaded 2-core machine):
#   scripts/field-rehearsal.sh --arm64 [DEBS]
#       the arm64 packages (scripts/cross-package.sh arm64 --no-chroot
#       unless DEBS is given) in an arm64 Debian 12 guest booted once in
#       qemu-system-aarch64 (virt, TCG): apt install, systemctl restart to
#       READY, one serial scan in the store (tests/field/arm64.py). The
#       image is cached in build/field-arm64/; its guest files stay in
#       build/field-arm64/run-DATE/.
#   scripts/field-rehearsal.sh --armhf
#       scripts/cross-package.sh armhf: the armhf packages built, installed
#       in an armhf chroot under qemu-user, and ravaod run there on the demo.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  --arm64)
    [ "$(id -u)" = 0 ] || { echo "field-rehearsal: needs root" >&2; exit 1; }
    command -v qemu-system-aarch64 >/dev/null ||
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-arm
    debs=${2:-}
    if [ -z "$debs" ]; then
      "$root/scripts/cross-package.sh" arm64 --no-chroot
      debs=$root/build/deb-arm64
    fi
    run=$root/build/field-arm64/run-$(date -u +%Y%m%dT%H%M%S)
    mkdir -p "$run"
    exec /usr/bin/python3 "$root/tests/field/arm64.py" --cache "$root/build/field-arm64" --work "$run" --debs "$debs" ;;
  --armhf)
    exec "$root/scripts/cross-package.sh" armhf ;;
esac
cuts=${1:-20}
debs=${2:-}
shift $(( $# < 2 ? $# : 2 ))
[ "$(id -u)" = 0 ] || { echo "field-rehearsal: needs root" >&2; exit 1; }
"$root/scripts/install-deps.sh"
run=$root/build/field/run-$(date -u +%Y%m%dT%H%M%S)
mkdir -p "$run"
if [ -z "$debs" ]; then
  debs=$run/debs-built
  DEB_BUILD_OPTIONS="noautodbgsym ${DEB_BUILD_OPTIONS:-}" RAVAO_NO_LINTIAN=1 "$root/scripts/package.sh" "$debs"
fi
seed=${RAVAO_FIELD_SEED:-$RANDOM}
echo "field-rehearsal: $cuts cuts, seed $seed, files in $run"
exec /usr/bin/python3 "$root/tests/field/field_test.py" --cache "${RAVAO_FIELD_CACHE:-$root/build/field}" \
  --work "$run" --debs "$debs" --cuts "$cuts" --seed "$seed" -v "$@"
