#!/usr/bin/env bash
# Publishes the test executable for linux-arm64 and runs it under qemu-user (AdvSimd path, or scalar with
# DOTNET_EnableHWIntrinsic=0 in the environment). Usage: arm64-test.sh [xunit v3 runner args...]
# Env: SYSROOT (default /opt/arm64-sysroot), OUT (default artifacts/arm64-tests), PUBLISH=0 to reuse a publish.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SYSROOT=${SYSROOT:-/opt/arm64-sysroot}
OUT=${OUT:-$ROOT/artifacts/arm64-tests}
if ! command -v qemu-aarch64-static >/dev/null; then
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-user-static >/dev/null
fi
[ -e "$SYSROOT/lib/ld-linux-aarch64.so.1" ] || "$HERE/arm64-sysroot.sh" "$SYSROOT"
if [ "${PUBLISH:-1}" = 1 ]; then
  dotnet publish "$ROOT/tests/SimdRnn.Tests/SimdRnn.Tests.csproj" -c Release -r linux-arm64 --self-contained \
    -p:DisableTransitiveFrameworkReferenceDownloads=true -o "$OUT" -nologo -v q
fi
export QEMU_LD_PREFIX="$SYSROOT"
export DOTNET_EnableWriteXorExecute=0   # mandatory under qemu-user: stale translated code otherwise
export DOTNET_TieredCompilation=0       # test the fully optimised code, not Tier0
exec qemu-aarch64-static "$OUT/SimdRnn.Tests" -noColor -noLogo "$@"
