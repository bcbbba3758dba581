#!/usr/bin/env bash
# Makes the kernel run CPU (aarch64 or arm) programs through qemu-user-static
# (binfmt_misc), for mmdebstrap of a foreign root and chroots into it
# (scripts/cross-package.sh, tests/field/build-image.sh for arm64).
#
#   scripts/qemu-binfmt.sh aarch64|arm     exit 0 when the entry is usable
#
# Mounts binfmt_misc if needed, and registers the qemu-CPU entry of
# qemu-user-static (/usr/lib/binfmt.d/qemu-CPU.conf) when it is missing, with
# the F flag: the kernel opens qemu at registration, so it finds it inside a
# chroot too. Prints "registered" on standard output when it registered the
# entry (the caller may remove it again: echo -1 > /proc/sys/fs/binfmt_misc/
# qemu-CPU), nothing when it was there. The entry is the whole machine's
# (in a container, the host kernel's) until removed or reboot. Root only.
set -euo pipefail
cpu=${1:-}
[[ $cpu == aarch64 || $cpu == arm ]] || { echo "usage: scripts/qemu-binfmt.sh aarch64|arm" >&2; exit 2; }
binfmt=/proc/sys/fs/binfmt_misc
entry=$binfmt/qemu-$cpu
die() { echo "qemu-binfmt[$cpu]: $*" >&2; exit 1; }
[[ -w $binfmt/register ]] || mount -t binfmt_misc binfmt_misc "$binfmt" ||
  die "cannot mount binfmt_misc (a container without it cannot run $cpu programs)"
if [[ ! -e $entry ]]; then
  conf=/usr/lib/binfmt.d/qemu-$cpu.conf
  [[ -f $conf ]] || die "$conf missing (qemu-user-static)"
  line=$(grep -v '^#' "$conf" | head -n1)
  [[ ${line##*:} == *F* ]] || line="${line}F"
  echo "$line" >"$binfmt/register"
  echo registered
fi
grep -qx enabled "$entry" || die "$entry is disabled"
grep -q '^flags:.*F' "$entry" || die "$entry lacks the F flag: a chroot cannot reach its interpreter"
