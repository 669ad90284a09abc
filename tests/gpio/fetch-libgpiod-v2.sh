#!/usr/bin/env bash
# Unpacks libgpiod 2.x (headers + library) from bookworm-backports into PREFIX without installing it,
# so a second build can use the v2 API beside the system's libgpiod 1.6 (both packages are named
# libgpiod-dev and cannot be installed together). Then:
#   cmake -S . -B build-gpiod2 -DHWB_GPIOD_PREFIX=PREFIX
# usage: fetch-libgpiod-v2.sh PREFIX      (needs root for apt; adds the backports suite once)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 PREFIX" >&2; exit 2; }
prefix=$(mkdir -p "$1" && cd "$1" && pwd)
if [ -f "$prefix/usr/include/gpiod.h" ] && ls "$prefix"/usr/lib/*/libgpiod.so.3* >/dev/null 2>&1; then
  echo "$prefix: libgpiod v2 already there"; exit 0
fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
sources=/etc/apt/sources.list.d/backports.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # The first stanza of the system's own source (its mirror and keyring), with the backports suite.
  awk 'BEGIN{RS="";ORS="\n\n"} NR==1' /etc/apt/sources.list.d/debian.sources |
    sed 's/^Suites:.*/Suites: bookworm-backports/' | $SUDO tee "$sources" >/dev/null
  $SUDO apt-get update -qq
elif ! apt-cache policy libgpiod3 2>/dev/null | grep -q bookworm-backports; then
  $SUDO apt-get update -qq
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -qq -t bookworm-backports libgpiod-dev libgpiod3)
for deb in "$work"/*.deb; do dpkg -x "$deb" "$prefix"; done
version=$(sed -n 's/^Version: *//p' "$prefix"/usr/lib/*/pkgconfig/libgpiod.pc)
case $version in 2.*) ;; *) echo "fetch-libgpiod-v2: got libgpiod $version, expected 2.x" >&2; exit 1 ;; esac
echo "$prefix: libgpiod $version"
