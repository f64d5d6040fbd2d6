#!/usr/bin/env bash
# Minimal Debian 12 arm64 sysroot (glibc, libstdc++, libgcc, OpenSSL 3, ICU 72, zlib) for qemu-aarch64,
# fetched with private apt state so the host's dpkg/apt configuration is left untouched.
set -euo pipefail
SYSROOT=${1:?usage: arm64-sysroot.sh SYSROOT_DIR}
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/lists/partial" "$WORK/cache/archives/partial" "$SYSROOT"; touch "$WORK/status"
APT=(apt-get -q -o APT::Architecture=arm64 -o APT::Architectures::=arm64
  -o Dir::State::Lists="$WORK/lists" -o Dir::State::Status="$WORK/status"
  -o Dir::Cache="$WORK/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
"${APT[@]}" update >/dev/null
( cd "$WORK" && "${APT[@]}" download libc6 libgcc-s1 libstdc++6 libssl3 libicu72 zlib1g >/dev/null 2>&1 )
for deb in "$WORK"/*.deb; do dpkg-deb -x "$deb" "$SYSROOT"; done
test -e "$SYSROOT/lib/ld-linux-aarch64.so.1"
