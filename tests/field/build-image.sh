#!/usr/bin/env bash
# Builds the field rehearsal's guest image (issue 17): a minimal Debian 12
# with systemd as PID 1, udev, journald, a kernel, the run-time libraries of
# the ravao packages (so that apt in the guest, which has no network,
# installs the .deb under test from a local disk), sqlite3, and a tiny
# command agent on the second serial port (tests/field/guest/).
#
#   tests/field/build-image.sh [CACHE]        CACHE defaults to build/field
#   RAVAO_FIELD_ARCH=arm64 tests/field/build-image.sh build/field-arm64
#       the arm64 guest of scripts/field-rehearsal.sh --arm64 (tests/field/
#       arm64.py): linux-image-arm64, made under qemu-user through
#       binfmt_misc (mmdebstrap runs the packages' scripts as arm64
#       programs), the agent on the virtio console /dev/hvc0 (qemu's virt
#       machine has one UART, the kernel's console). Give it its own CACHE:
#       a build removes the other images of its CACHE.
#
# Prints the image folder on its last line: CACHE/image-KEY with rootfs.raw
# (ext4, booted read-only as the backing file of a per-run qcow2 overlay),
# vmlinuz and initrd.img (direct kernel boot, no bootloader). KEY hashes this
# script, the package list and the guest files, so a second run reuses the
# image and a change to any input builds a new one. A lock (flock) on
# CACHE/lock makes a second caller wait for a build under way instead of
# building again: scripts/test.sh starts this in the background and the
# field test calls it again, which then only finds the image.
#
# Packages come from the Debian mirror this machine's apt uses (the first
# deb.debian.org-style "debian" URI in /etc/apt/sources.list*), never from
# another source. Needs root (mmdebstrap's root mode: file owners in the
# image are real) and mmdebstrap, e2fsprogs; scripts/install-deps.sh
# installs them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${1:-$root/build/field}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
arch=${RAVAO_FIELD_ARCH:-amd64}
case "$arch" in
  amd64) agent_tty=/dev/ttyS1 ;;
  arm64) agent_tty=/dev/hvc0 ;;
  *) echo "build-image: RAVAO_FIELD_ARCH must be amd64 or arm64" >&2; exit 2 ;;
esac

# The initrd holds only what mounts the root disk (MODULES=list: the modules
# below and their dependencies) instead of MODULES=most's 35 MB, which TCG
# took 12 s to unpack (docs/reliability.md, "A faster boot"). The same list
# serves both kernels: virtio_pci, virtio_blk and ext4 are modules in
# linux-image-amd64 and -arm64 alike (the arm64 virt machine's PCIe host,
# pci-host-generic, is built in), crc32c_generic is ext4's metadata checksum.
# The settings are written by an essential hook, before the kernel and
# initramfs-tools are installed: under qemu-user, MODULES=most runs an
# emulated modinfo per module of the kernel and took over an hour. They go
# where no package ships a file (conf.d/, modules.d/), so dpkg never asks
# about a changed conffile. update-initramfs is diverted to a no-op for the
# install (the kernel's postinst and the initramfs-tools trigger would each
# build an initrd) and restored by a customize hook, which builds it once.
initrd_modules=(virtio_pci virtio_blk ext4 crc32c_generic)
#
# What the guest has besides Debian's required packages. The libraries are
# the ravao, ravao-web and ravao-receiver packages' shlibs dependencies on
# bookworm (ldd of the programs, dpkg -S): when the programs link a new
# library, add its package here (the field test then says which is missing).
packages=(
  systemd systemd-sysv udev dbus "linux-image-$arch" initramfs-tools
  sqlite3 procps kmod
  fonts-dejavu-core
  libboost-json1.81.0 libboost-url1.81.0 libfmt9 libfreetype6 libpng16-16
  libqrencode4 libsodium23 libsqlite3-0 libssl3 libstdc++6 libsystemd0
  libtomlplusplus3 libudev1 libunistring2 libusb-1.0-0 zlib1g libcap2
)

mirror=
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror=$(grep -Eo 'https?://[^ ]+/debian/?( |$)' "$f" | head -n1 | tr -d ' ' || true)
  [ -n "$mirror" ] && break
done
[ -n "$mirror" ] || { echo "build-image: no Debian mirror in /etc/apt/sources.list*" >&2; exit 1; }

key=$( { cat "$0"; printf '%s\n' "${packages[@]}" "${initrd_modules[@]}" "$mirror" "$arch"; \
         find "$here/guest" -type f | sort | xargs cat; } | sha256sum | cut -c1-16)
image=$cache/image-$key

exec 9>"$cache/lock"
flock 9
if [ -f "$image/done" ]; then
  echo "build-image: cached"
  echo "$image"
  exit 0
fi

command -v mmdebstrap >/dev/null || { echo "build-image: needs mmdebstrap (scripts/install-deps.sh)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "build-image: needs root" >&2; exit 1; }

# A foreign root: mmdebstrap runs its packages' scripts through qemu-user.
[ "$arch" = amd64 ] || "$root/scripts/qemu-binfmt.sh" aarch64 >/dev/null

start=$(date +%s)
rm -rf "$image" "$image.tmp"
mkdir -p "$image.tmp"
tree=$image.tmp/tree
echo "build-image: mmdebstrap bookworm from $mirror into $tree"
# The hooks run on the host with the tree as $1.
uinit=/usr/sbin/update-initramfs
mmdebstrap --mode=root --variant=minbase --format=directory --architectures="$arch" \
  --include="$(IFS=,; echo "${packages[*]}")" \
  --essential-hook="mkdir -p \"\$1/etc/initramfs-tools/conf.d\" \"\$1/usr/share/initramfs-tools/modules.d\"" \
  --essential-hook="echo MODULES=list > \"\$1/etc/initramfs-tools/conf.d/ravao-field\"" \
  --essential-hook="printf '%s\n' ${initrd_modules[*]} > \"\$1/usr/share/initramfs-tools/modules.d/ravao-field\"" \
  --essential-hook="chroot \"\$1\" dpkg-divert --quiet --local --rename --add $uinit && printf '#!/bin/sh\nexit 0\n' > \"\$1$uinit\" && chmod 0755 \"\$1$uinit\"" \
  --aptopt='Acquire::Retries "3"' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --customize-hook="sed 's|/dev/ttyS1|$agent_tty|g' '$here/guest/field-agent' >\"\$1/usr/local/sbin/field-agent\"; chmod 0755 \"\$1/usr/local/sbin/field-agent\"" \
  --customize-hook="sed 's|ttyS1|${agent_tty#/dev/}|g' '$here/guest/field-agent.service' >\"\$1/etc/systemd/system/field-agent.service\"" \
  --customize-hook="chroot \"\$1\" systemctl enable field-agent.service" \
  --customize-hook="chroot \"\$1\" systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer systemd-timesyncd.service serial-getty@${agent_tty#/dev/}.service serial-getty@hvc1.service" \
  --customize-hook="echo ravao-field > \"\$1/etc/hostname\"" \
  --customize-hook="rm \"\$1$uinit\" && chroot \"\$1\" dpkg-divert --quiet --local --rename --remove $uinit" \
  --customize-hook="chroot \"\$1\" update-initramfs -c -k all" \
  --customize-hook="printf '/dev/vda / ext4 defaults,errors=remount-ro 0 1\n' > \"\$1/etc/fstab\"" \
  --customize-hook="mkdir -p \"\$1/var/log/journal\" \"\$1/mnt/debs\"" \
  --customize-hook="rm -f \"\$1/etc/resolv.conf\" \"\$1/etc/machine-id\"; : > \"\$1/etc/machine-id\"" \
  bookworm "$tree" "$mirror"

cp "$(ls "$tree"/boot/vmlinuz-* | sort -V | tail -n1)" "$image.tmp/vmlinuz"
cp "$(ls "$tree"/boot/initrd.img-* | sort -V | tail -n1)" "$image.tmp/initrd.img"
rm -rf "$tree"/var/cache/apt/archives/*.deb "$tree"/var/lib/apt/lists/*_Packages
# mkfs.ext4 -d copies the tree with its owners and modes: no loop mount.
truncate -s 3G "$image.tmp/rootfs.raw"
mkfs.ext4 -q -F -L root -d "$tree" "$image.tmp/rootfs.raw"
rm -rf "$tree"
printf 'mirror %s\npackages %s\nseconds %s\n' "$mirror" "${packages[*]}" "$(( $(date +%s) - start ))" >"$image.tmp/done"
mv "$image.tmp" "$image"
# Older images of other keys are of no use any more.
find "$cache" -maxdepth 1 -name 'image-*' ! -name "image-$key" -exec rm -rf {} +
echo "build-image: built in $(( $(date +%s) - start )) s"
echo "$image"
