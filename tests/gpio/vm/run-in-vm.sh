#!/usr/bin/env bash
# Boots the gpio-sim kernel (build-kernel.sh) under qemu, creates the simulated chips, runs one program
# inside and exits with its status (3: the VM ended without one: timeout or crash).
#
# usage: run-in-vm.sh [--chip LABEL:LINES[:NAME0,NAME1,...]]... [--file SRC[:DST]]... [--env NAME=VALUE]...
#                     [--timeout S] -- PROGRAM [ARGS...]
# Inside: /dev/gpiochipN per --chip, in order; for chip i, GPIO_SIM_CHIP<i>=gpiochipN and
# GPIO_SIM_SYSFS<i>=its sysfs folder (sim_gpio<L>/pull takes pull-up/pull-down, sim_gpio<L>/value shows the
# line). PROGRAM, each --file and their shared libraries (found with ldd) are copied in at the same paths.
# env: HWB_GPIO_VM_CACHE (see build-kernel.sh), HWB_GPIO_VM_ACCEL (default tcg: KVM is often unavailable),
#      HWB_GPIO_VM_SYSROOT: the programs were built in this root of another Debian release
#      (.ci/release-root): their shared libraries are that root's, found with its own dynamic loader.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
timeout_s=180
chips=() files=() envs=()
while [ $# -gt 0 ]; do
  case $1 in
    --chip) chips+=("$2"); shift 2 ;;
    --file) files+=("$2"); shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "run-in-vm: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -ge 1 ] || { echo "run-in-vm: no program given" >&2; exit 2; }
[ ${#chips[@]} -gt 0 ] || chips=("hwsim0:8")
cache=$("$here/build-kernel.sh")
prog=$(readlink -f "$(command -v "$1")"); shift

root=$(mktemp -d); log=$(mktemp)
trap 'rm -rf "$root" "$root.cpio.gz" "$log"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,run}
cp "$cache/busybox" "$root/bin/busybox"; ln -s busybox "$root/bin/sh"
sysroot=${HWB_GPIO_VM_SYSROOT:-}
list_libs() {  # the shared libraries of $1 (absolute paths as seen by the program), one a line
  if [ -n "$sysroot" ]; then
    # The root's loader, told to look only in the root: prints the root's paths (and its own as the
    # program names it, /lib64/...); the root's prefix is taken off.
    { "$sysroot/lib64/ld-linux-x86-64.so.2" --inhibit-cache \
        --library-path "$sysroot/usr/lib/x86_64-linux-gnu:$sysroot/lib/x86_64-linux-gnu" --list "$1" 2>/dev/null || true; } |
      grep -o '/[^ ]*' | sed "s|^$sysroot||"
  else
    { ldd "$1" 2>/dev/null || true; } | grep -o '/[^ ]*'
  fi
}
copy_with_libs() {
  local src=$1 dst=${2:-$1}
  mkdir -p "$root/$(dirname "$dst")"; cp -L "$src" "$root/$dst"
  # scripts and data files have no libraries: listing fails, which is fine
  list_libs "$src" | while read -r lib; do
    [ -f "$sysroot$lib" ] && { mkdir -p "$root/$(dirname "$lib")"; cp -Ln "$sysroot$lib" "$root/$lib"; }
  done || true
}
copy_with_libs "$prog"
for f in "${files[@]}"; do src=${f%%:*}; dst=${f#*:}; [ "$dst" = "$f" ] && dst=$(readlink -f "$src"); copy_with_libs "$(readlink -f "$src")" "$dst"; done

{
  echo '#!/bin/sh'
  echo '/bin/busybox --install -s 2>/dev/null'
  echo 'mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev'
  # /tmp stays the initramfs' own (writable, in RAM): a tmpfs there would hide the programs and
  # files copied in at their paths when the build lives under /tmp.
  echo 'mount -t configfs configfs /sys/kernel/config'
  echo 'ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up'
  echo 'cs=/sys/kernel/config/gpio-sim'
  i=0
  for c in "${chips[@]}"; do
    IFS=: read -r label lines names <<<"$c"
    echo "mkdir \$cs/c$i \$cs/c$i/bank0; echo $lines > \$cs/c$i/bank0/num_lines; echo $label > \$cs/c$i/bank0/label"
    if [ -n "${names:-}" ]; then
      l=0; IFS=, read -ra nm <<<"$names"
      for n in "${nm[@]}"; do echo "mkdir \$cs/c$i/bank0/line$l; echo $n > \$cs/c$i/bank0/line$l/name"; l=$((l+1)); done
    fi
    echo "echo 1 > \$cs/c$i/live"
    echo "export GPIO_SIM_CHIP$i=\$(cat \$cs/c$i/bank0/chip_name)"
    echo "export GPIO_SIM_SYSFS$i=/sys/devices/platform/\$(cat \$cs/c$i/dev_name)/\$GPIO_SIM_CHIP$i"
    i=$((i+1))
  done
  for e in "${envs[@]}"; do printf 'export %q\n' "$e"; done
  echo 'cd /tmp'
  printf '%q ' "$prog" "$@"; echo
  echo 'echo "hwb-vm-exit=$?"'
  echo 'reboot -f'
} >"$root/init"
chmod +x "$root/init"
( cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1 ) >"$root.cpio.gz"

timeout "$timeout_s" qemu-system-x86_64 -accel "${HWB_GPIO_VM_ACCEL:-tcg}" -m 512 -nodefaults -display none -serial stdio \
  -no-reboot -kernel "$cache/bzImage" -initrd "$root.cpio.gz" -append "console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init" \
  </dev/null 2>&1 | tee "$log" | grep -v '^hwb-vm-exit=' || true
code=$(tr -d '\r' <"$log" | sed -n 's/^hwb-vm-exit=\([0-9]*\).*/\1/p' | tail -n1)
[ -n "$code" ] || { echo "run-in-vm: the VM ended without the program's exit status (timeout ${timeout_s}s or crash)" >&2; exit 3; }
exit "$code"
