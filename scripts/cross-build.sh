#!/usr/bin/env bash
# Cross-builds ravao for ARM with Debian's cross compilers and multiarch -dev
# packages, and with --tests runs the unit tests under qemu-user
# (docs/cross-build.md).
#
#   scripts/cross-build.sh arm64 [--tests]   64-bit ARM, aarch64-linux-gnu
#   scripts/cross-build.sh armhf [--tests]   32-bit ARM hard-float, arm-linux-gnueabihf
#   scripts/cross-build.sh ARCH --install-only [--deb]
#                          only step 1; --deb adds what scripts/cross-package.sh
#                          needs (crossbuild-essential-ARCH, debhelper,
#                          mmdebstrap, qemu-user-static, pkgconf:ARCH)
#
# Environment: RAVAO_CROSS_BUILD  build folder (default build/cross-ARCH)
#              RAVAO_CROSS_JOBS   parallel jobs (default: nproc)
#
# 1. Installs what is missing, as root or through `sudo -n`: the foreign dpkg
#    architecture, gcc/g++-12 for the target triplet, qemu-user, and the :ARCH
#    multiarch -dev packages. apt-get -s runs first; if apt would remove or
#    downgrade any installed package, nothing is installed and the script
#    stops. (Multi-Arch: same packages move in lockstep: installing
#    libssl3:arm64 upgrades libssl3:amd64 to the same version. Those upgrades
#    are listed, not refused.)
#    libpq-dev (the receiver's PostgreSQL engine; always needed) is not
#    Multi-Arch: same either: libpq5:ARCH is installed at the installed
#    libpq5:amd64's version and libpq-dev:ARCH unpacked as below.
#    libzbar-dev and libumockdev-dev cannot sit beside their amd64 versions
#    (libumockdev-dev is not Multi-Arch: same; libzbar-dev depends on
#    libmagick++-dev, which is not), and the tests' configure step needs
#    both. Their runtime libraries (libzbar0:ARCH, libumockdev0:ARCH) are
#    installed; the -dev .debs of the same version are downloaded and
#    unpacked into BUILD/multiarch-dev, whose .pc files the toolchain file
#    puts first on pkg-config's path.
# 2. Configures BUILD with packaging/cross/TRIPLET.cmake (Release, -Werror as
#    usual, no benchmarks, tests only with --tests), builds ravaod, ravaoctl
#    and ravao-receiver, strips copies into BUILD/stripped with the cross
#    strip and prints their sizes.
# 3. With --tests: builds the unit tests and runs them with ctest; each test
#    binary runs under qemu-user (CMAKE_CROSSCOMPILING_EMULATOR). Run: every
#    test under tests/daemon and tests/drivers, except:
#    - label integration: they start ravaod and ravaoctl (ARM binaries) on
#      ptys from the test, which needs the kernel to run ARM binaries itself
#      (see the receiver tests below), and their timing assumptions (start-up
#      deadlines, the pty stall) are a native machine's, not an emulator's.
#    - *_umockdev_test: they need LD_PRELOAD=libumockdev-preload.so.0 in the
#      test process; under qemu-user it reaches qemu (an amd64 program), not
#      the emulated test (tried: every case fails "not under umockdev", also
#      with QEMU_SET_ENV=LD_PRELOAD=...).
#    - label fuzz: the libFuzzer targets are a clang build for the build machine.
#    - label packaging: the Debian package test builds, installs and purges
#      the packages on this machine (root, dpkg: not a unit test), and the
#      man page test runs ravaod and ravaoctl (ARM binaries) from the test.
#    - receiver/*: they fork and execv ravao-receiver, an ARM binary.
#      qemu-user does not follow execve into another emulated program; the
#      kernel runs it only through a binfmt_misc entry for qemu. They run when
#      /proc/sys/fs/binfmt_misc/qemu-CPU is registered and enabled, and are
#      skipped with a notice otherwise (as in a container without binfmt_misc).
# Never reads standard input.
set -euo pipefail
exec </dev/null
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/cross-build.sh arm64|armhf [--tests] [--install-only [--deb]]" >&2; exit 2; }
arch=
tests=0
install_only=0
deb=0
for a in "$@"; do
  case "$a" in
    arm64 | armhf) arch=$a ;;
    --tests) tests=1 ;;
    --install-only) install_only=1 ;;
    --deb) deb=1 ;;
    -h | --help) sed -n '2,/^# Never reads/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "cross-build.sh: unknown argument \"$a\"" >&2; usage ;;
  esac
done
[[ -n $arch ]] || usage

case "$arch" in
  arm64) triplet=aarch64-linux-gnu; qemu_cpu=aarch64 ;;
  armhf) triplet=arm-linux-gnueabihf; qemu_cpu=arm ;;
esac
build=${RAVAO_CROSS_BUILD:-build/cross-$arch}
jobs=${RAVAO_CROSS_JOBS:-$(nproc 2>/dev/null || echo 2)}
toolchain=$PWD/packaging/cross/$triplet.cmake
say() { echo "cross-build[$arch]: $*"; }
die() { echo "cross-build[$arch]: $*" >&2; exit 1; }

sudo_cmd=()
need_root() {
  if [[ $(id -u) -ne 0 && ${#sudo_cmd[@]} -eq 0 ]]; then
    command -v sudo >/dev/null || die "need root or sudo to $1"
    sudo_cmd=(sudo -n)
  fi
}

# ---- 1. packages -----------------------------------------------------------
host_packages=(cmake ninja-build pkg-config file "gcc-12-$triplet" "g++-12-$triplet" "binutils-$triplet")
target_packages=(
  libc6 libstdc++6
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libusb-1.0-0-dev libqrencode-dev libsqlite3-dev libsystemd-dev libssl-dev
  libtomlplusplus-dev libfmt-dev libunistring-dev libsodium-dev zlib1g-dev
  libfreetype-dev libpng-dev
)
# libpq-dev (ravao-receiver's PostgreSQL engine) is not Multi-Arch: same: its
# ARCH version conflicts with the amd64 one the native build needs. Its
# runtime libpq5:ARCH is installed at the version of the installed amd64
# libpq5 (Multi-Arch: same moves both; a pinned version upgrades nothing),
# and libpq-dev:ARCH is unpacked into the build folder (staged_dev below).
native_libpq=$(dpkg-query -W -f='${Version}' libpq5:amd64 2>/dev/null || true)
staged_dev=(libpq-dev:libpq5)
if ((deb)); then
  # dpkg-buildpackage -a ARCH (unversioned TRIPLET-gcc, dpkg-cross), and the
  # ARCH chroot the packages are installed into (scripts/cross-package.sh).
  host_packages+=("crossbuild-essential-$arch" dpkg-dev debhelper lintian mmdebstrap arch-test qemu-user-static)
  # debhelper's cmake runs TRIPLET-pkg-config, which pkgconf:ARCH provides.
  target_packages+=(pkgconf)
fi
if ((tests)); then
  host_packages+=(qemu-user fonts-dejavu-core)
  # glib: umockdev-1.0.pc requires glib-2.0 and gobject-2.0.
  target_packages+=(libboost-test1.81-dev libzbar0 libumockdev0 libglib2.0-dev)
  staged_dev+=(libzbar-dev:libzbar0 libumockdev-dev:libumockdev0)
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
  need_root "add the dpkg architecture $arch"
  say "dpkg --add-architecture $arch"
  "${sudo_cmd[@]}" dpkg --add-architecture "$arch"
fi

missing=()
for p in "${host_packages[@]}"; do installed "$p" || missing+=("$p"); done
for p in "${target_packages[@]}"; do installed "$p:$arch" || missing+=("$p:$arch"); done
if ! installed "libpq5:$arch"; then
  missing+=("libpq5:$arch${native_libpq:+=$native_libpq}")
fi

if ((${#missing[@]})); then
  need_root "install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  say "apt-get update"
  # A mirror that fails one index (e.g. one caught mid-sync) makes apt keep
  # the previous lists of that whole suite; the simulation below then tells
  # whether what is listed still fits together.
  "${sudo_cmd[@]}" apt-get update -qq || say "warning: apt-get update reported errors (above); going on with the lists apt has"
  say "checking what apt-get would do for: ${missing[*]}"
  sim=$(mktemp)
  trap 'rm -f "$sim"' EXIT
  if ! "${sudo_cmd[@]}" apt-get install -s --no-install-recommends "${missing[@]}" >"$sim" 2>&1; then
    cat "$sim" >&2
    echo "cross-build[$arch]: apt-get cannot install these packages as they are listed now (above): a" \
      "Multi-Arch: same package must have the same version for every architecture, and the $arch" \
      "one of that version is missing (often after a failed apt-get update of one index)." >&2
    die "nothing was installed"
  fi
  if grep -q '^Remv ' "$sim"; then
    echo "cross-build[$arch]: apt-get would REMOVE installed packages to install the $arch ones:" >&2
    grep '^Remv ' "$sim" | sed 's/^Remv /  /' >&2
    die "refusing: nothing was installed (a package above is not Multi-Arch: same, or versions disagree)"
  fi
  if grep -q 'will be DOWNGRADED' "$sim"; then
    sed -n '/will be DOWNGRADED/,/^[^ ]/p' "$sim" >&2
    die "refusing: apt-get would downgrade installed packages; nothing was installed"
  fi
  # "Inst NAME [old] (new ...)" of a package not of $arch: an upgrade of an
  # installed build-machine package that Multi-Arch: same brings along.
  upgrades=$(grep '^Inst ' "$sim" | grep -v "\[$arch\])" | awk '$3 ~ /^\[/ {print "  " $2 " " $3 " -> " substr($4, 2)}' || true)
  if [[ -n $upgrades ]]; then
    say "installed packages apt upgrades to the version the $arch ones need:"
    echo "$upgrades"
  fi
  say "installing $(grep -c '^Inst ' "$sim") packages"
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The non-co-installable -dev packages, unpacked at the installed runtime's version.
stage=$build/multiarch-dev
pc_path=
if ((${#staged_dev[@]})); then
  mkdir -p "$stage/debs"
  stage=$(cd "$stage" && pwd)
  for pair in "${staged_dev[@]}"; do
    dev=${pair%%:*}
    version=$(dpkg-query -W -f='${Version}' "${pair#*:}:$arch")
    stamp=$stage/debs/$dev.unpacked
    [[ -f $stamp && $(cat "$stamp") == "$version" ]] && continue
    say "unpacking $dev:$arch $version into $stage"
    rm -f "$stage/debs/${dev}"_*.deb
    # As root apt warns that it downloads unsandboxed (_apt cannot write here).
    (cd "$stage/debs" && apt-get download -qq "$dev:$arch=$version" 2>&1) | grep -v 'unsandboxed' || true
    deb=$(find "$stage/debs" -name "${dev}_*_$arch.deb" | head -n1)
    [[ -n $deb ]] || die "apt-get download $dev:$arch=$version failed"
    dpkg-deb -x "$deb" "$stage"
    echo "$version" >"$stamp"
  done
  # Point the unpacked .pc files at the unpacked prefix, and the unpacked
  # libfoo.so development links (relative, so dangling here) at the installed
  # runtime libraries.
  sed -i "s|^prefix=/usr\$|prefix=$stage/usr|" "$stage/usr/lib/$triplet"/pkgconfig/*.pc
  for link in "$stage/usr/lib/$triplet"/*.so; do
    if [[ -L $link && ! -e $link ]]; then
      ln -sfn "/usr/lib/$triplet/$(readlink "$link")" "$link"
    fi
  done
  pc_path=$stage/usr/lib/$triplet/pkgconfig
fi

((install_only)) && exit 0

# ---- 2. configure, build, strip --------------------------------------------
cxx=$triplet-g++-12
say "compiler: $("$cxx" --version | head -n1)"
start=$SECONDS
mkdir -p "$build"
cmake -S . -B "$build" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
  -DCMAKE_BUILD_TYPE=Release \
  -DRAVAO_BENCH=OFF \
  -DRAVAO_TESTS="$( ((tests)) && echo ON || echo OFF)" \
  -DRAVAO_CROSS_PKG_CONFIG_PATH="$pc_path" >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; die "configure failed"; }
binaries=(ravaod ravaoctl ravao-receiver)
cmake --build "$build" -j "$jobs" --target "${binaries[@]}"
build_seconds=$((SECONDS - start))

mkdir -p "$build/stripped"
say "stripped sizes ($triplet-strip):"
for b in "${binaries[@]}"; do
  src=$(find "$build/daemon" -maxdepth 2 -type f -name "$b" | head -n1)
  [[ -n $src ]] || die "$b not found under $build/daemon"
  "$triplet-strip" --strip-all -o "$build/stripped/$b" "$src"
  printf '  %-16s %10d bytes  (%d unstripped)  %s\n' "$b" "$(stat -c %s "$build/stripped/$b")" \
    "$(stat -c %s "$src")" "$(file -b "$build/stripped/$b" | cut -d, -f1-2)"
done
say "configure + build of the binaries: ${build_seconds}s with -j$jobs"

((tests)) || exit 0

# ---- 3. unit tests under qemu-user -----------------------------------------
exclude='_umockdev_test$'
binfmt=/proc/sys/fs/binfmt_misc/qemu-$qemu_cpu
if [[ -r $binfmt ]] && grep -qx enabled "$binfmt"; then
  say "binfmt_misc runs $arch binaries through qemu: the receiver tests run too"
else
  say "no enabled binfmt_misc entry $binfmt: skipping receiver/* (they execv ravao-receiver, an ARM binary)"
  exclude="$exclude|^receiver/"
fi
selection=(-LE '^(integration|fuzz|packaging)$' -E "$exclude")
mapfile -t test_names < <(ctest --test-dir "$build" -N "${selection[@]}" | sed -n 's/^ *Test *#[0-9]*: //p')
((${#test_names[@]})) || die "no unit test selected"
# A test named DIR/NAME runs the executable target NAME (tests/CMakeLists.txt);
# build only those, not the integration tests.
mapfile -t all_targets < <(ninja -C "$build" -t targets all | sed -n 's/^\([^ :]*\): .*/\1/p')
targets=()
for t in "${test_names[@]##*/}"; do
  printf '%s\n' "${all_targets[@]}" | grep -qxF "$t" && targets+=("$t")
done
start=$SECONDS
cmake --build "$build" -j "$jobs" --target "${targets[@]}"
say "build of ${#targets[@]} unit tests: $((SECONDS - start))s with -j$jobs"
say "running them under $(grep -m1 '^RAVAO_CROSS_QEMU:' "$build/CMakeCache.txt" | cut -d= -f2)"
start=$SECONDS
status=0
ctest --test-dir "$build" --output-on-failure -j "$jobs" "${selection[@]}" || status=$?
say "ctest under qemu-user: $((SECONDS - start))s"
exit "$status"
