#!/usr/bin/env bash
# Builds the Debian packages ravao and ravao-receiver (debian/) with
# `dpkg-buildpackage -us -uc -b` and checks them with lintian (no error and
# no warning may remain; overrides live in debian/*.lintian-overrides with
# their reasons).
#
# The build runs in a copy of the source tree (the files git knows, plus
# new ones not ignored), because dpkg-buildpackage writes its results next
# to the source folder. The .deb, .ddeb, .buildinfo and .changes files land
# in OUT (default build/deb). Needs no standard input.
#   scripts/package.sh [OUT]
#   RAVAO_NO_LINTIAN=1 scripts/package.sh    skip lintian
#   RAVAO_DEB_ARCH=arm64 scripts/package.sh  cross-build for arm64 or armhf
#     (dpkg-buildpackage -a ARCH, profiles cross and nocheck; the cross
#     toolchain and the ARCH -dev packages must be installed: that is what
#     scripts/cross-package.sh does, docs/cross-build.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

build_arch=$(dpkg-architecture -qDEB_BUILD_ARCH)
arch=${RAVAO_DEB_ARCH:-$build_arch}
cross=()
if [[ $arch != "$build_arch" ]]; then
  # -d: no build-dependency check. libpq-dev:ARCH cannot be installed beside
  # the amd64 one; scripts/cross-build.sh --install-only --deb installs the
  # rest and unpacks it into build/cross-ARCH/multiarch-dev, whose .pc folder
  # comes in through PKG_CONFIG_PATH (scripts/cross-package.sh sets it).
  cross=(-a "$arch" -Pcross,nocheck -d)
  export DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}"
else
  "$root/scripts/install-deps.sh"
fi

version=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
work=$(mktemp -d "${TMPDIR:-/tmp}/ravao-package-XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/ravao-$version
mkdir -p "$src"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # Tracked and new files; deleted ones are skipped by the existence test.
  (cd "$root" && git ls-files -z --cached --others --exclude-standard |
     while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done |
     tar --null -T - -cf -) | tar -xf - -C "$src"
else
  tar -C "$root" --exclude=./build --exclude=./var --exclude=./.git -cf - . | tar -xf - -C "$src"
fi

jobs=$(nproc 2>/dev/null || echo 2)
echo "package: building ravao $version in $src"
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
   dpkg-buildpackage -us -uc -b "${cross[@]}" </dev/null)

changes=$work/ravao_${version}_${arch}.changes
for f in $(awk '/^Files:/ {p=1; next} /^[^ ]/ {p=0} p {print $5}' "$changes"); do
  cp "$work/$f" "$out/"
done
cp "$changes" "$out/"
echo "package: built into $out:"
(cd "$out" && ls -l -- *"_${version}_"*)

if [ -z "${RAVAO_NO_LINTIAN:-}" ]; then
  echo "package: lintian"
  # --fail-on: exit non-zero for any error or warning that is not overridden.
  lintian --fail-on error,warning --display-info --info "$out/ravao_${version}_${arch}.changes"
  echo "package: lintian: no errors, no warnings"
fi
