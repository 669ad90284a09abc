#!/usr/bin/env bash
# Builds (once) the small x86_64 kernel the GPIO VM tests boot: Debian's linux-source-6.1, tinyconfig plus
# kernel-options.txt (gpio-sim, the GPIO character device v1+v2 ABI, configfs, a serial console), and the
# busybox base of the initramfs. Both are cached, keyed by a hash of the options, the kernel source package
# version and this script, so CI rebuilds only when one of them changes.
#
# usage: build-kernel.sh            prints the cache folder holding bzImage and busybox
# env:   HWB_GPIO_VM_CACHE          cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/hwbridge/gpio-vm)
# Needs (Debian packages): linux-source-6.1 bc flex bison libelf-dev libssl-dev busybox-static cpio
#   qemu-system-x86 build-essential; installed here when missing and we are root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache_root=${HWB_GPIO_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hwbridge/gpio-vm}
needed=(linux-source-6.1 bc flex bison libelf-dev libssl-dev busybox-static cpio qemu-system-x86 build-essential)

missing=()
for p in "${needed[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "build-kernel: missing packages: ${missing[*]} (apt-get install them)" >&2; exit 2; }
  export DEBIAN_FRONTEND=noninteractive
  [ -n "$(ls /var/lib/apt/lists/*_Packages 2>/dev/null)" ] || apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

src_version=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$( { cat "$here/kernel-options.txt"; echo "$src_version"; cat "$0"; } | sha256sum | cut -c1-16)
out=$cache_root/$key
if [ -f "$out/bzImage" ] && [ -f "$out/busybox" ]; then echo "$out"; exit 0; fi

start=$(date +%s)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
tar -C "$work" -xf /usr/src/linux-source-6.1.tar.xz
cd "$work"/linux-source-6.1
make tinyconfig >/dev/null
for o in $(cat "$here/kernel-options.txt"); do scripts/config --enable "$o"; done
make olddefconfig >/dev/null
for o in GPIO_SIM GPIO_CDEV CONFIGFS_FS IIO_SIMPLE_DUMMY; do
  grep -q "^CONFIG_$o=y" .config || { echo "build-kernel: CONFIG_$o did not stick" >&2; exit 1; }
done
make -j"$(nproc)" bzImage >/dev/null
mkdir -p "$out.tmp"
cp arch/x86/boot/bzImage "$out.tmp/bzImage"
cp /bin/busybox "$out.tmp/busybox"
cp .config "$out.tmp/config"
rm -rf "$out"; mv "$out.tmp" "$out"
echo "build-kernel: built in $(( $(date +%s) - start )) s" >&2
echo "$out"
