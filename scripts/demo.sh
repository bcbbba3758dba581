#!/usr/bin/env bash
# Installs what is missing, builds, and runs ravaod on config/demo.toml: no
# hardware needed. The demo scanner is this terminal: type or paste a scan and
# press Enter (a CCCD QR line, e.g. the samples in config/demo-scans.txt).
# In another terminal: build/release/ctl/ravaoctl --config config/demo.toml status
# Stop with Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# Only the two programs the demo runs, not the tests and benchmarks
# (scripts/test.sh and scripts/bench.sh build those): the first scan is
# minutes sooner on a fresh clone.
scripts/build.sh release ravaod ravaoctl
mkdir -p var/demo
echo "ravao demo: type a scan and press Enter; Ctrl+C stops."
echo "  status:  build/release/ctl/ravaoctl --config config/demo.toml status"
echo "  visits:  build/release/ctl/ravaoctl --config config/demo.toml visits"
exec build/release/daemon/ravaod --config config/demo.toml "$@"
