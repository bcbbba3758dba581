# CMake toolchain file: ravao for 64-bit ARM (Debian arm64) with Debian's
# cross compiler and the arm64 multiarch -dev packages, which
# scripts/cross-build.sh installs (docs/cross-build.md).
#   cmake -S . -B build/cross-arm64 -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=packaging/cross/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(ravao_cross_triplet aarch64-linux-gnu)
set(ravao_cross_qemu qemu-aarch64)

include(${CMAKE_CURRENT_LIST_DIR}/debian-multiarch.cmake)
