# Cross-compiling for 64-bit ARM (Raspberry Pi 4/5 with a 64-bit OS) on Debian with multiarch:
#   dpkg --add-architecture arm64; apt-get install crossbuild-essential-arm64 LIB-dev:arm64 ...
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-arm64.cmake
# The arm64 libraries live beside the build machine's in /usr/lib/aarch64-linux-gnu; headers are
# shared in /usr/include. Programs built here run under qemu-user (tests, see .ci/cross-arm64).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# pkg-config: the arm64 .pc files only (PKG_CONFIG_PATH, searched first, may add more).
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")

# CTest runs the test programs (and gtest_discover_tests lists their tests) through qemu; with
# Debian's libc6:arm64 installed, the arm64 loader and libraries are found at their usual paths.
find_program(HWB_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(HWB_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${HWB_QEMU_AARCH64})
endif()
