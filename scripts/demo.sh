#!/usr/bin/env bash
# Installs what is missing, builds, and runs ravaod on config/demo.toml: no
# hardware needed. The demo scanner is this terminal: type or paste a scan and
# press Enter (a CCCD QR line, e.g. the samples in config/demo-scans.txt).
# The counter console (ravao-web, config/demo-web.toml) runs beside it at
# https://localhost:8443/, with a demo supervisor and a demo clerk made at the
# first run; its log goes to var/demo/web.log.
# In another terminal: build/release/ctl/ravaoctl --config config/demo.toml status
# Stop with Ctrl+C (it stops both).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/install-deps.sh
# Only the programs the demo runs, not the tests and benchmarks
# (scripts/test.sh and scripts/bench.sh build those): the first scan is
# minutes sooner on a fresh clone.
scripts/build.sh release ravaod ravaoctl ravao-web
web=build/release/web/ravao-web
mkdir -p var/demo/web
# The console's folder is private, as the package makes /var/lib/ravao-web.
chmod 0700 var/demo/web
sed "s|@DEMO@|$root/var/demo|g" config/demo-web.toml >var/demo/web.toml

# Demo accounts, once: their passwords are printed below and written here,
# so never use them outside the demo.
supervisor_password=demo-quanly
staff_password=demo-quay1
if [ ! -e var/demo/web/users.json ]; then
  printf '%s\n' "$supervisor_password" |
    "$web" --config var/demo/web.toml user add quanly --role supervisor --password-stdin
  printf '%s\n' "$staff_password" |
    "$web" --config var/demo/web.toml user add nhanvien --role staff --counter quay-1 --password-stdin
fi

# The console waits for ravaod's socket by itself; it stops with the demo.
# Its log goes to a file: this terminal is the demo's scanner.
"$web" --config var/demo/web.toml >var/demo/web.log 2>&1 &
web_pid=$!
trap 'kill "$web_pid" 2>/dev/null || true; wait "$web_pid" 2>/dev/null || true' EXIT

echo "ravao demo: type a scan and press Enter; Ctrl+C stops."
echo "  status:  build/release/ctl/ravaoctl --config config/demo.toml status"
echo "  visits:  build/release/ctl/ravaoctl --config config/demo.toml visits"
echo "  console: https://localhost:8443/  (self-signed certificate: its fingerprint is on the"
echo "           'console:' line of ravaoctl status; log: var/demo/web.log)"
echo "           supervisor: quanly / $supervisor_password    counter quay-1: nhanvien / $staff_password"
build/release/daemon/ravaod --config config/demo.toml "$@"
