#!/usr/bin/env bash
# Installs every Debian 12 package ravao needs to build, run its demo and run
# its test suite (chromium, chromium-driver and python3-selenium: the
# console's browser tests, tests/web/browser_test.py). Idempotent: only missing packages are installed.
# Runs as root, or through sudo when available. Never reads standard input.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  clang-16 libclang-rt-16-dev
  libboost1.81-dev libboost-json1.81-dev libboost-test1.81-dev libboost-url1.81-dev
  libusb-1.0-0-dev libqrencode-dev libsqlite3-dev sqlite3 libsystemd-dev libssl-dev
  libtomlplusplus-dev libfmt-dev libunistring-dev libsodium-dev zlib1g-dev openssl
  libfreetype-dev libpng-dev fonts-dejavu-core
  libzbar-dev umockdev libumockdev-dev
  python3 util-linux procps e2fsprogs man-db groff-base
  dpkg-dev debhelper lintian
  chromium chromium-driver python3-selenium
  # issue 15, the weekly report: its HTML page to an A4 PDF without a browser
  # (tests/receiver/report_browser_test.py, docs/weekly-report.md)
  weasyprint
  # field rehearsal (issue 17, tests/field/): the guest image and the VM
  mmdebstrap qemu-system-x86 qemu-utils
  # pg (issue 15): ravao-receiver's PostgreSQL engine (libpq) and the server its tests start
  libpq-dev postgresql-15
  # armhf 2038 (issue 17, tests/cross/armhf_2038.sh): the date code built for
  # 32-bit ARM (static, the cross toolchain's own libc and libstdc++) and run
  # under qemu-arm; no :armhf package, no binfmt_misc
  g++-12-arm-linux-gnueabihf libstdc++-12-dev-armhf-cross libc6-dev-armhf-cross qemu-user file
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then sudo_cmd=(sudo -n); else
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq </dev/null
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
