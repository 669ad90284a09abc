#!/usr/bin/env bash
# The gpio driver against the kernel's real GPIO character device: boots a small kernel with gpio-sim
# chips under qemu and runs BUILD_DIR's gpio_vm_tests inside (with BUILD_DIR's hwbridge for --list-gpio
# and the WebSocket test). Works for a libgpiod v1 or v2 build alike. The kernel is built on first use
# (~4.5 min on 2 cores) and cached, see vm/build-kernel.sh.
#
# usage: tests/gpio/run-vm-tests.sh BUILD_DIR [GTEST_ARGS...]
# Needs Debian packages: qemu-system-x86 busybox-static cpio, and to build the kernel linux-source-6.1
# bc flex bison libelf-dev libssl-dev build-essential.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [GTEST_ARGS...]" >&2; exit 2; }
build=$(cd "$1" && pwd); shift
# A build made in another release's root (HWB_GPIO_VM_SYSROOT, see vm/run-in-vm.sh) is built there
# by the caller; this machine's cmake must not touch it.
[ -n "${HWB_GPIO_VM_SYSROOT:-}" ] || cmake --build "$build" -j"$(nproc)" --target gpio_vm_tests hwbridge >/dev/null
tests=$build/tests/gpio/gpio_vm_tests
[ -x "$tests" ] || { echo "run-vm-tests: $tests missing" >&2; exit 2; }
"$here/vm/build-kernel.sh" >/dev/null
start=$(date +%s.%N)
set +e
"$here/vm/run-in-vm.sh" \
  --chip pinctrl-sim:8:GPIO4,GPIO5,GPIO6,GPIO17,GPIO22,GPIO23,GPIO24,GPIO27 \
  --chip hwb-second:4 \
  --file "$build/hwbridge" \
  --env "HWB_BINARY=$build/hwbridge" \
  -- "$tests" --gtest_color=no "$@"
code=$?
set -e
echo "run-vm-tests: $(basename "$build"): exit $code after $(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)") s (boot + tests)"
exit $code
