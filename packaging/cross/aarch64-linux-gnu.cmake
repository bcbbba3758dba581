# CMake toolchain file: ravao for 64-bit ARM (Debian arm64) with Debian's
# cross compiler and the arm64 multiarch -dev packages, which
# scripts/cross-build.sh installs (docs/cross-build.md).
#   cmake -S . -B build/cross-arm64 -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=packaging/cross/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(ravao_cross_triplet aarch64-linux-gnu)

# g++-12-aarch64-linux-gnu: the same GCC 12.2 as the native build, so the
# warnings (-Werror) and the C++23 library are the same.
set(CMAKE_C_COMPILER ${ravao_cross_triplet}-gcc-12)
set(CMAKE_CXX_COMPILER ${ravao_cross_triplet}-g++-12)

# Debian multiarch: the arm64 libraries are installed into this same root, in
# /usr/lib/aarch64-linux-gnu (headers in /usr/include and
# /usr/include/aarch64-linux-gnu), beside the build machine's own; the cross
# compiler's libc and libstdc++ are in /usr/aarch64-linux-gnu. So there is no
# separate sysroot: the find roots are / and /usr/aarch64-linux-gnu, and
# CMAKE_LIBRARY_ARCHITECTURE makes find_library and find_package (Boost, fmt)
# look in lib/aarch64-linux-gnu, never in the build machine's lib/x86_64-linux-gnu.
set(CMAKE_LIBRARY_ARCHITECTURE ${ravao_cross_triplet})
set(CMAKE_FIND_ROOT_PATH / /usr/${ravao_cross_triplet})
# Programs (pkg-config, strip, clang for the fuzz test) run on the build machine.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config must read the target's .pc files only: PKG_CONFIG_LIBDIR replaces
# the build machine's default search path (the same as Debian's
# aarch64-linux-gnu-pkg-config wrapper). RAVAO_CROSS_PKG_CONFIG_PATH adds
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
# No -L: libc6:arm64 is installed multiarch, so the loader
# /lib/ld-linux-aarch64.so.1 and every library the tests need are where an
# arm64 system has them; -L /usr/aarch64-linux-gnu would pair the cross
# package's loader with the multiarch libc, which can be a different build.
find_program(RAVAO_CROSS_QEMU NAMES qemu-aarch64 qemu-aarch64-static)
if(RAVAO_CROSS_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${RAVAO_CROSS_QEMU})
endif()
