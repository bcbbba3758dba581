#!/usr/bin/env bash
# Builds the Debian packages (ravao, ravao-web, ravao-receiver) for arm64 or
# armhf on this amd64 Debian 12 machine, then installs them with apt into a
# Debian 12 chroot of that architecture run under qemu-user, and runs ravaod
# there (docs/cross-build.md "Debian packages for ARM"). Not in CI: it takes
# a quarter of an hour per architecture on 2 cores.
#
#   scripts/cross-package.sh arm64|armhf [--no-chroot | --no-build]
#
# --no-build: steps 3-5 only, with the .deb files already in OUT.
#
# 1. scripts/cross-build.sh ARCH --install-only --deb: the cross toolchain,
#    the ARCH -dev packages, crossbuild-essential-ARCH, mmdebstrap,
#    qemu-user-static (with its safety checks: nothing removed or downgraded).
# 2. RAVAO_DEB_ARCH=ARCH scripts/package.sh OUT: dpkg-buildpackage -a ARCH
#    -Pcross,nocheck, lintian. OUT: build/deb-ARCH.
# 3. Unless --no-chroot: binfmt_misc runs ARCH programs through
#    qemu-ARCH-static (registered with the F flag, so it works inside the
#    chroot; an entry this script registers is removed again at exit).
# 4. One mmdebstrap run makes a minimal Debian 12 ARCH root (--variant=
#    essential) in a temporary folder and installs the three .deb files
#    there with their dependencies from the archive, every maintainer
#    script under qemu-user.
# 5. Then, in the chroot (no systemd: ravaod runs in the foreground, as
#    root):
#      ravaod --version; ravaod --check-config /etc/ravao/ravao.toml;
#      ravao-receiver --version;
#      the demo (config/demo.toml: a stdin scanner, a file printer): two
#      visitors scanned, their visits read back with ravaoctl, a slip
#      printed, then SIGTERM and ravaod's exit status.
# Environment: RAVAO_CROSS_PACKAGE_OUT (build/deb-ARCH), RAVAO_MIRROR (http://deb.debian.org/debian, as
# scripts/install-deps.sh's apt sources). Root only (chroot, mount,
# binfmt_misc). Never reads standard input.
set -euo pipefail
exec </dev/null
cd "$(dirname "$0")/.."
root_dir=$PWD

arch=
chroot_run=1
build=1
for a in "$@"; do
  case "$a" in
    arm64 | armhf) arch=$a ;;
    --no-chroot) chroot_run=0 ;;
    --no-build) build=0 ;;
    -h | --help) sed -n '2,/^# binfmt_misc. Never reads/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "usage: scripts/cross-package.sh arm64|armhf [--no-chroot | --no-build]" >&2; exit 2 ;;
  esac
done
[[ -n $arch ]] || { echo "usage: scripts/cross-package.sh arm64|armhf [--no-chroot | --no-build]" >&2; exit 2; }
case "$arch" in
  arm64) qemu_cpu=aarch64 ;;
  armhf) qemu_cpu=arm ;;
esac
say() { echo "cross-package[$arch]: $*"; }
die() { echo "cross-package[$arch]: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (apt, chroot, mount, binfmt_misc)"

out=${RAVAO_CROSS_PACKAGE_OUT:-$root_dir/build/deb-$arch}
mirror=${RAVAO_MIRROR:-http://deb.debian.org/debian}

# ---- 1. packages -----------------------------------------------------------
((build)) && scripts/cross-build.sh "$arch" --install-only --deb

# ---- 2. the .deb files -------------------------------------------------------
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
triplet=$(dpkg-architecture -a"$arch" -qDEB_HOST_MULTIARCH 2>/dev/null)
# libpq-dev:ARCH, unpacked by cross-build.sh (package.sh builds with -d).
export PKG_CONFIG_PATH=$root_dir/build/cross-$arch/multiarch-dev/usr/lib/$triplet/pkgconfig
[[ -f $PKG_CONFIG_PATH/libpq.pc ]] || die "$PKG_CONFIG_PATH/libpq.pc missing (cross-build.sh --install-only)"
# ccache when installed: package.sh builds in a new /tmp folder each time, so
# the base folder makes the compiler's paths relative and the cache hit.
if command -v ccache >/dev/null; then
  export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-${TMPDIR:-/tmp}} CCACHE_NOHASHDIR=1
fi
if ((build)); then
  rm -f "$out"/*_"$arch".deb
  start=$SECONDS
  RAVAO_DEB_ARCH=$arch scripts/package.sh "$out"
  say "dpkg-buildpackage -a $arch and lintian: $((SECONDS - start))s"
fi
debs=()
for p in ravao ravao-web ravao-receiver; do
  deb=$out/${p}_${version}_$arch.deb
  [[ -f $deb ]] || die "$deb was not built"
  debs+=("$deb")
  printf '  %-44s %9d bytes  %s installed\n' "$(basename "$deb")" "$(stat -c %s "$deb")" \
    "$(dpkg-deb -f "$deb" Installed-Size) KiB"
done
((chroot_run)) || exit 0

# ---- 3. binfmt_misc ----------------------------------------------------------
binfmt=/proc/sys/fs/binfmt_misc
entry=$binfmt/qemu-$qemu_cpu
registered=0
work=
cleanup() {
  if [[ -n $work ]]; then
    for m in "$work/root/proc" "$work/root/dev/pts"; do mountpoint -q "$m" && umount "$m"; done
    rm -rf "$work"
  fi
  ((registered)) && echo -1 >"$entry"
  return 0
}
trap cleanup EXIT
said=$(scripts/qemu-binfmt.sh "$qemu_cpu") || die "binfmt_misc cannot run $arch programs here"
[[ $said == registered ]] && registered=1
((registered)) && say "binfmt_misc: registered qemu-$qemu_cpu (removed again at exit)"

# ---- 4. the chroot -------------------------------------------------------------
# One mmdebstrap run makes the root and installs the packages: apt (on the
# build machine) resolves the .deb files' dependencies against the archive,
# dpkg in the root unpacks and configures everything, each maintainer script
# an ARCH program under qemu-user. --variant=essential: no apt inside, so
# fewer packages to configure under emulation.
# apt passes the .deb paths to the dpkg inside verbatim, so the setup hook
# copies them to the same path in the root.
# One --include per file: mmdebstrap (1.3.5) takes "a.deb,b.deb" for one path.
includes=()
for deb in "${debs[@]}"; do includes+=("--include=$deb"); done
work=$(mktemp -d "${TMPDIR:-/tmp}/ravao-chroot-XXXXXX")
chroot_dir=$work/root
start=$SECONDS
say "mmdebstrap bookworm $arch --variant=essential with the 3 packages into $chroot_dir"
mmdebstrap --quiet --mode=root --format=directory --arch="$arch" --variant=essential \
  "${includes[@]}" \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --setup-hook="mkdir -p \"\$1$out\" && cp ${debs[*]} \"\$1$out/\"" \
  --customize-hook="rm -rf \"\$1$out\"" \
  bookworm "$chroot_dir" "$mirror" >"$work/mmdebstrap.log" 2>&1 ||
  { tail -n 40 "$work/mmdebstrap.log" >&2; die "mmdebstrap (and the install of the packages) failed"; }
say "mmdebstrap of the root with the 3 packages and their dependencies under qemu-user: $((SECONDS - start))s"
mount -t proc proc "$chroot_dir/proc"
mkdir -p "$chroot_dir/tmp/rehearsal/config"
in_chroot() { chroot "$chroot_dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
say "uname -m in the chroot: $(in_chroot uname -m); dpkg --print-architecture: $(in_chroot dpkg --print-architecture)"
in_chroot dpkg-query -W -f='  ${Package} ${Version} ${Architecture} ${db:Status-Abbrev}\n' ravao ravao-web ravao-receiver

# ---- 5. what runs ------------------------------------------------------------
say "ravaod --version: $(in_chroot ravaod --version)"
say "ravao-receiver --version: $(in_chroot ravao-receiver --version)"
in_chroot ravaod --check-config /etc/ravao/ravao.toml && say "ravaod --check-config /etc/ravao/ravao.toml: ok"
file -b "$chroot_dir/usr/sbin/ravaod" | cut -d, -f1-2 | sed "s/^/cross-package[$arch]: \/usr\/sbin\/ravaod: /"

cp config/demo.toml "$chroot_dir/tmp/rehearsal/config/"
head -n 2 config/demo-scans.txt >"$chroot_dir/tmp/rehearsal/scans.txt"
cat >"$chroot_dir/tmp/rehearsal/run.sh" <<'EOF'
#!/bin/sh
# The demo in the chroot: two visitors through the stdin scanner, their
# visits read back, a slip printed, SIGTERM. Deadlines, no fixed sleeps.
set -u
cd /tmp/rehearsal
mkdir -p var/demo
mkfifo scanner
ravaod --config config/demo.toml <scanner >ravaod.log 2>&1 &
pid=$!
exec 3>scanner
cat scans.txt >&3
ctl() { ravaoctl --config config/demo.toml "$@"; }
visits=0
i=0
while [ $i -lt 600 ]; do  # up to 60 s under emulation
  visits=$(ctl --json counters 2>/dev/null | grep -o '"visits_today": *[0-9]*' | head -n1 | tr -dc 0-9)
  visits=${visits:-0}
  [ "$visits" -ge 2 ] && break
  sleep 0.1; i=$((i + 1))
done
echo "visits recorded: $visits"
ctl status
ctl visits
printf 'RAVAO:CMD:PRINT_SLIP\n' >&3
i=0
while [ $i -lt 600 ] && [ -z "$(ls var/demo/slips 2>/dev/null)" ]; do sleep 0.1; i=$((i + 1)); done
echo "slips printed: $(ls var/demo/slips 2>/dev/null | wc -l)"
kill -TERM "$pid"
wait "$pid"
status=$?
exec 3>&-
echo "ravaod exit status after SIGTERM: $status"
echo "--- ravaod's log (first lines)"
head -n 12 ravaod.log
[ "$visits" -ge 2 ] && [ "$status" -eq 0 ]
EOF
chmod +x "$chroot_dir/tmp/rehearsal/run.sh"
start=$SECONDS
status=0
in_chroot /tmp/rehearsal/run.sh || status=$?
say "demo run under qemu-user: $((SECONDS - start))s, $( ((status == 0)) && echo ok || echo "FAILED ($status)")"
exit "$status"
