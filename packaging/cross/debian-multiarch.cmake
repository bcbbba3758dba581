# The part of the cross toolchain files (aarch64-linux-gnu.cmake,
# arm-linux-gnueabihf.cmake) that is the same for every Debian multiarch
# target. They set CMAKE_SYSTEM_PROCESSOR, ravao_cross_triplet and
# ravao_cross_qemu (the qemu-user program), then include this file.
set(CMAKE_SYSTEM_NAME Linux)

# g++-12-<triplet>: the same GCC 12.2 as the native build, so the
# warnings (-Werror) and the C++23 library are the same.
set(CMAKE_C_COMPILER ${ravao_cross_triplet}-gcc-12)
set(CMAKE_CXX_COMPILER ${ravao_cross_triplet}-g++-12)

# Debian multiarch: the target's libraries are installed into this same root,
# in /usr/lib/<triplet> (headers in /usr/include and /usr/include/<triplet>),
# beside the build machine's own; the cross compiler's libc and libstdc++ are
# in /usr/<triplet>. So there is no separate sysroot: the find roots are / and
# /usr/<triplet>, and
# CMAKE_LIBRARY_ARCHITECTURE makes find_library and find_package (Boost, fmt)
# look in lib/<triplet>, never in the build machine's lib/x86_64-linux-gnu.
set(CMAKE_LIBRARY_ARCHITECTURE ${ravao_cross_triplet})
set(CMAKE_FIND_ROOT_PATH / /usr/${ravao_cross_triplet})
# Programs (pkg-config, strip, clang for the fuzz test) run on the build machine.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config must read the target's .pc files only: PKG_CONFIG_LIBDIR replaces
# the build machine's default search path (the same as Debian's
# <triplet>-pkg-config wrapper). RAVAO_CROSS_PKG_CONFIG_PATH adds
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
# No -L: the target's libc6 is installed multiarch, so the loader (e.g.
# /lib/ld-linux-aarch64.so.1) and every library the tests need are where a
# system of that architecture has them; -L /usr/<triplet> would pair the cross
# package's loader with the multiarch libc, which can be a different build.
find_program(RAVAO_CROSS_QEMU NAMES ${ravao_cross_qemu} ${ravao_cross_qemu}-static)
if(RAVAO_CROSS_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${RAVAO_CROSS_QEMU})
endif()
