#!/usr/bin/env bash
# Builds the Debian packages (ravao, ravao-web, ravao-receiver) for arm64 or
# armhf on this amd64 Debian 12 machine, then installs them with apt into a
# Debian 12 chroot of that architecture run under qemu-user, and runs ravaod
# there (docs/cross-build.md "Debian packages for ARM"). Not in CI: it takes
# a quarter of an hour per architecture on 2 cores.
#
#   scripts/cross-package.sh arm64|armhf [--no-chroot]
#
# 1. scripts/cross-build.sh ARCH --install-only --deb: the cross toolchain,
#    the ARCH -dev packages, crossbuild-essential-ARCH, mmdebstrap,
#    qemu-user-static (with its safety checks: nothing removed or downgraded).
# 2. RAVAO_DEB_ARCH=ARCH scripts/package.sh OUT: dpkg-buildpackage -a ARCH
#    -Pcross,nocheck, lintian. OUT: build/deb-ARCH.
# 3. Unless --no-chroot: binfmt_misc runs ARCH programs through
#    qemu-ARCH-static (registered with the F flag, so it works inside the
#    chroot; an entry this script registers is removed again at exit). A
#    minimal Debian 12 ARCH root is made with mmdebstrap (cached as
#    build/chroot-ARCH.tar; delete it to refresh) and unpacked into a
#    temporary folder; apt installs the three .deb files there with their
#    dependencies from the archive; then, in the chroot (no systemd: ravaod
#    runs in the foreground, as root):
#      ravaod --version; ravaod --check-config /etc/ravao/ravao.toml;
#      ravao-receiver --version;
#      the demo (config/demo.toml: a stdin scanner, a file printer): two
#      visitors scanned, their visits read back with ravaoctl, a slip
#      printed, then SIGTERM and ravaod's exit status.
# Environment: RAVAO_CROSS_PACKAGE_OUT (build/deb-ARCH), RAVAO_CHROOT_TAR
# (build/chroot-ARCH.tar), RAVAO_MIRROR (http://deb.debian.org/debian, as
# scripts/install-deps.sh's apt sources). Root only (chroot, mount,
# binfmt_misc). Never reads standard input.
set -euo pipefail
exec </dev/null
cd "$(dirname "$0")/.."
root_dir=$PWD

arch=
chroot_run=1
for a in "$@"; do
  case "$a" in
    arm64 | armhf) arch=$a ;;
    --no-chroot) chroot_run=0 ;;
    -h | --help) sed -n '2,/^# binfmt_misc. Never reads/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "usage: scripts/cross-package.sh arm64|armhf [--no-chroot]" >&2; exit 2 ;;
  esac
done
[[ -n $arch ]] || { echo "usage: scripts/cross-package.sh arm64|armhf [--no-chroot]" >&2; exit 2; }
case "$arch" in
  arm64) qemu_cpu=aarch64 ;;
  armhf) qemu_cpu=arm ;;
esac
say() { echo "cross-package[$arch]: $*"; }
die() { echo "cross-package[$arch]: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (apt, chroot, mount, binfmt_misc)"

out=${RAVAO_CROSS_PACKAGE_OUT:-$root_dir/build/deb-$arch}
tarball=${RAVAO_CHROOT_TAR:-$root_dir/build/chroot-$arch.tar}
mirror=${RAVAO_MIRROR:-http://deb.debian.org/debian}

# ---- 1. packages -----------------------------------------------------------
scripts/cross-build.sh "$arch" --install-only --deb

# ---- 2. the .deb files -------------------------------------------------------
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
rm -f "$out"/*_"$arch".deb
start=$SECONDS
RAVAO_DEB_ARCH=$arch scripts/package.sh "$out"
say "dpkg-buildpackage -a $arch and lintian: $((SECONDS - start))s"
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
[[ -w $binfmt/register ]] || mount -t binfmt_misc binfmt_misc "$binfmt" ||
  die "cannot mount binfmt_misc (a container without it cannot run the $arch chroot)"
if [[ ! -e $entry ]]; then
  conf=/usr/lib/binfmt.d/qemu-$qemu_cpu.conf
  [[ -f $conf ]] || die "$conf missing (qemu-user-static)"
  # systemd-binfmt's line, with the F flag: qemu is opened now, so that the
  # kernel finds it inside the chroot too.
  line=$(grep -v '^#' "$conf" | head -n1)
  [[ $line == *:F || $line == *:*F* ]] || line="${line}F"
  echo "$line" >"$binfmt/register"
  registered=1
  say "binfmt_misc: registered qemu-$qemu_cpu (removed again at exit)"
fi
grep -qx enabled "$entry" || die "$entry is disabled"
grep -q '^flags:.*F' "$entry" || die "$entry lacks the F flag: the chroot cannot reach its interpreter"

# ---- 4. the chroot -------------------------------------------------------------
if [[ ! -s $tarball ]]; then
  start=$SECONDS
  say "mmdebstrap bookworm $arch into $tarball"
  # mmdebstrap writes a tarball when the name ends in .tar, else a folder.
  part=${tarball%.tar}.part.tar
  mmdebstrap --quiet --arch="$arch" --variant=apt bookworm "$part" "$mirror"
  mv "$part" "$tarball"
  say "mmdebstrap: $((SECONDS - start))s, $(stat -c %s "$tarball") bytes"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ravao-chroot-XXXXXX")
chroot_dir=$work/root
mkdir "$chroot_dir"
tar -C "$chroot_dir" -xf "$tarball"
mount -t proc proc "$chroot_dir/proc"
cp /etc/resolv.conf "$chroot_dir/etc/resolv.conf"
mkdir -p "$chroot_dir/tmp/debs" "$chroot_dir/tmp/rehearsal/config"
cp "${debs[@]}" "$chroot_dir/tmp/debs/"
in_chroot() { chroot "$chroot_dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
say "uname -m in the chroot: $(in_chroot uname -m)"

start=$SECONDS
in_chroot apt-get update -qq
debs_in=()
for d in "${debs[@]}"; do debs_in+=("/tmp/debs/$(basename "$d")"); done
in_chroot env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${debs_in[@]}" \
  >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; die "apt-get install of the packages failed in the chroot"; }
say "apt-get install of the 3 packages and their dependencies under qemu-user: $((SECONDS - start))s"
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
  visits=$(ctl --json status 2>/dev/null | grep -o '"visits_today":[0-9]*' | cut -d: -f2)
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
