#!/usr/bin/env bash
# The iio driver against the kernel's IIO core and iio_dummy driver: boots the gpio-sim VM's kernel
# (tests/gpio/vm, which has CONFIG_IIO_SIMPLE_DUMMY) and runs BUILD_DIR's ksensors_vm_tests inside,
# with BUILD_DIR's hwbridge for --list-sensors.
#
# usage: tests/ksensors/run-vm-tests.sh BUILD_DIR [GTEST_ARGS...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [GTEST_ARGS...]" >&2; exit 2; }
build=$(cd "$1" && pwd); shift
[ -n "${HWB_GPIO_VM_SYSROOT:-}" ] || cmake --build "$build" -j"$(nproc)" --target ksensors_vm_tests hwbridge >/dev/null
tests=$build/tests/ksensors/ksensors_vm_tests
[ -x "$tests" ] || { echo "run-vm-tests: $tests missing" >&2; exit 2; }
start=$(date +%s.%N)
set +e
"$here/../gpio/vm/run-in-vm.sh" \
  --file "$build/hwbridge" \
  --env "HWB_BINARY=$build/hwbridge" \
  -- "$tests" --gtest_color=no "$@"
code=$?
set -e
echo "ksensors run-vm-tests: $(basename "$build"): exit $code after $(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)") s (boot + tests)"
exit $code
