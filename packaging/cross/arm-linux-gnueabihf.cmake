# CMake toolchain file: ravao for 32-bit ARM, hard-float ABI (Debian armhf),
# with Debian's cross compiler and the armhf multiarch -dev packages, which
# scripts/cross-build.sh installs (docs/cross-build.md).
#   cmake -S . -B build/cross-armhf -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=packaging/cross/arm-linux-gnueabihf.cmake
set(CMAKE_SYSTEM_PROCESSOR arm)
set(ravao_cross_triplet arm-linux-gnueabihf)
set(ravao_cross_qemu qemu-arm)

# GCC notes on 32-bit ARM, for every std::vector iterator or std::span passed
# by value, that their parameter passing "changed in GCC 7.1" (-Wpsabi). That
# matters only when linking with code built by GCC 6 or older; everything here
# is GCC 12, so the 60-odd notes are noise.
set(CMAKE_CXX_FLAGS_INIT -Wno-psabi)

include(${CMAKE_CURRENT_LIST_DIR}/debian-multiarch.cmake)
