#!/usr/bin/env bash
# Packs a `--features cuda` build of the harness for a GPU machine, into benches/gpu/carry/
# (git-ignored), where benches/gpu/check.sh looks for it:
#
#   carry/harness.xz          the stripped binary, xz -9 (about 8 MB; 56 MiB unpacked)
#   carry/harness.sha256      SHA-256 of the stripped, unpacked binary (check.sh verifies it)
#   carry/lib/libcudart.so.13 the CUDA runtime, from CUDA_HOME (GPU machines often have a
#                             driver but no toolkit; cuBLAS and cuRAND are looked for there)
#   carry/BUILD.txt           what was packed, from where, when
#
#   source /tmp/cuda-build-env.sh     # for CUDA_HOME (see setup_cuda_toolchain.sh)
#   bash benches/gpu/package.sh [path/to/harness]
#
# The binary defaults to ${CARGO_TARGET_DIR:-<repo>/target}/release/harness. It must be a CUDA
# build: one whose dynamic section needs libcuda.so.1.
set -euo pipefail

G=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$G/../.." && pwd)
BIN=${1:-${CARGO_TARGET_DIR:-$REPO/target}/release/harness}
CARRY=$G/carry

if [ ! -f "$BIN" ]; then
  echo "error: no binary at $BIN (build it first, see benches/gpu/README.md)" >&2
  exit 1
fi
if ! readelf -d "$BIN" | grep -q 'NEEDED.*\[libcuda\.so\.1\]'; then
  echo "error: $BIN is not a CUDA build (it does not need libcuda.so.1);" >&2
  echo "       build with: cargo build --release --locked -p harness --features cuda" >&2
  exit 1
fi
CUDART=${CUDA_HOME:?set CUDA_HOME (source the env file setup_cuda_toolchain.sh wrote)}/lib/libcudart.so.13
[ -e "$CUDART" ] || CUDART=$CUDA_HOME/lib64/libcudart.so.13
if [ ! -e "$CUDART" ]; then
  echo "error: no libcudart.so.13 under $CUDA_HOME/lib or $CUDA_HOME/lib64" >&2
  exit 1
fi

rm -rf "$CARRY"
mkdir -p "$CARRY/lib"
strip -o "$CARRY/harness" "$BIN"
SHA=$(sha256sum "$CARRY/harness" | cut -d' ' -f1)
echo "$SHA  harness" > "$CARRY/harness.sha256"
xz -9 -T1 "$CARRY/harness"                        # replaces carry/harness by carry/harness.xz
cp -L "$CUDART" "$CARRY/lib/libcudart.so.13"

COMMIT=$(git -C "$REPO" rev-parse HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$REPO" status --porcelain 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)
{
  echo "packed:     $(date -u +%Y-%m-%dT%H:%M:%SZ) by benches/gpu/package.sh"
  echo "binary:     $BIN ($(stat -c %s "$BIN") bytes, modified $(date -u -r "$BIN" +%Y-%m-%dT%H:%M:%SZ))"
  echo "stripped:   sha256 $SHA"
  echo "checkout:   $COMMIT$DIRTY; the checkout package.sh ran in, the binary may come from another"
  echo "needs:      $(readelf -d "$BIN" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
  echo "cudart:     $CUDART"
  echo "build env:  CUDA_COMPUTE_CAP=${CUDA_COMPUTE_CAP:-unset} CUDARC_CUDA_VERSION=${CUDARC_CUDA_VERSION:-unset}"
} > "$CARRY/BUILD.txt"
cat "$CARRY/BUILD.txt"
du -sh "$CARRY"
