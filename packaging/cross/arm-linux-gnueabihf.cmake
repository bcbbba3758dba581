# CMake toolchain file: ravao for 32-bit ARM, hard-float ABI (Debian armhf),
# with Debian's cross compiler and the armhf multiarch -dev packages, which
# scripts/cross-build.sh installs (docs/cross-build.md).
#   cmake -S . -B build/cross-armhf -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=packaging/cross/arm-linux-gnueabihf.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(ravao_cross_triplet arm-linux-gnueabihf)

# g++-12-arm-linux-gnueabihf: the same GCC 12.2 as the native build, so the
# warnings (-Werror) and the C++23 library are the same.
set(CMAKE_C_COMPILER ${ravao_cross_triplet}-gcc-12)
set(CMAKE_CXX_COMPILER ${ravao_cross_triplet}-g++-12)
# GCC notes on 32-bit ARM, for every std::vector iterator or std::span passed
# by value, that their parameter passing "changed in GCC 7.1" (-Wpsabi). That
# matters only when linking with code built by GCC 6 or older; everything here
# is GCC 12, so the 60-odd notes are noise.
set(CMAKE_CXX_FLAGS_INIT -Wno-psabi)

# Debian multiarch: the armhf libraries are installed into this same root, in
# /usr/lib/arm-linux-gnueabihf (headers in /usr/include and
# /usr/include/arm-linux-gnueabihf), beside the build machine's own; the cross
# compiler's libc and libstdc++ are in /usr/arm-linux-gnueabihf. So there is no
# separate sysroot: the find roots are / and /usr/arm-linux-gnueabihf, and
# CMAKE_LIBRARY_ARCHITECTURE makes find_library and find_package (Boost, fmt)
# look in lib/arm-linux-gnueabihf, never in the build machine's lib/x86_64-linux-gnu.
set(CMAKE_LIBRARY_ARCHITECTURE ${ravao_cross_triplet})
set(CMAKE_FIND_ROOT_PATH / /usr/${ravao_cross_triplet})
# Programs (pkg-config, strip, clang for the fuzz test) run on the build machine.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config must read the target's .pc files only: PKG_CONFIG_LIBDIR replaces
# the build machine's default search path (the same as Debian's
# arm-linux-gnueabihf-pkg-config wrapper). RAVAO_CROSS_PKG_CONFIG_PATH adds
# folders searched first: scripts/cross-build.sh puts there the .pc files of
# the -dev packages that cannot be installed beside their amd64 twins
# (libzbar-dev, libumockdev-dev), unpacked into the build folder.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${ravao_cross_triplet}/pkgconfig:/usr/share/pkgconfig")
# (The environment is the process's: try_compile re-reads this file, so it
# must see the same value, or it would clear the path for the main project.)
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES RAVAO_CROSS_PKG_CONFIG_PATH)
set(ENV{PKG_CONFIG_PATH} "${RAVAO_CROSS_PKG_CONFIG_PATH}")
unset(ENV{PKG_CONFIG_SYSROOT_DIR})

# ctest (and anything else that runs a target binary) goes through qemu-user.
# No -L: libc6:armhf is installed multiarch, so the loader
# /lib/ld-linux-armhf.so.3 and every library the tests need are where an
# armhf system has them; -L /usr/arm-linux-gnueabihf would pair the cross
# package's loader with the multiarch libc, which can be a different build.
find_program(RAVAO_CROSS_QEMU NAMES qemu-arm qemu-arm-static)
if(RAVAO_CROSS_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${RAVAO_CROSS_QEMU})
endif()
