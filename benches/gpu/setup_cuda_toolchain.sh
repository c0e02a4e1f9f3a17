#!/usr/bin/env bash
# Sets up a CUDA 13.0 toolchain from NVIDIA's PyPI wheels, enough to build the harness with
# `--features cuda` on a machine with no CUDA toolkit and no GPU, and writes an env file to
# source before `cargo build`. See benches/gpu/README.md.
#
#   bash benches/gpu/setup_cuda_toolchain.sh
#
# Settings (environment variables, all optional):
#   GPU_VENV          the venv the wheels go into              (default /tmp/cuda-venv)
#   GPU_CUDA_HOME     the CUDA_HOME to create: a symlink to the wheels' nvidia/cu13 folder
#                                                              (default /tmp/cuda-home)
#   GPU_ENV_FILE      the env file to write                    (default /tmp/cuda-build-env.sh)
#   GPU_WHEEL_DIR     a folder holding the 8 wheels: pip then installs from it only
#                     (--no-index --find-links); pip's own PIP_FIND_LINKS / PIP_NO_INDEX /
#                     PIP_INDEX_URL are honoured as usual
#   CUDA_COMPUTE_CAP  the GPU's compute capability without the dot (default 90: H100/H200;
#                     cudaforge builds 90 as sm_90a)
#   CUDAFORGE_THREADS parallel nvcc jobs during the build     (default: nproc)
#   PYTHON            the Python that makes the venv          (default python3)
#   CC                the C compiler for the libcuda stub     (default cc)
#
# What it does:
#   1. makes the venv and installs the 8 wheels below with --no-deps (about 0.7 GB of wheels,
#      1.4 GB installed);
#   2. points GPU_CUDA_HOME at <site-packages>/nvidia/cu13 (where every CUDA 13 wheel unpacks)
#      and adds what build scripts expect of a toolkit: lib64 -> lib and unversioned .so links;
#   3. writes and compiles a stub libcuda.so (soname libcuda.so.1) into <CUDA_HOME>/lib/stubs,
#      because no wheel ships the driver library and cudarc (dynamic-linking) links -lcuda.
#      Every stub function returns CUDA_ERROR_NO_DEVICE (100). The stub is for linking only:
#      at run time the driver's own libcuda.so.1 is used (benches/gpu/check.sh never puts a
#      stubs folder on LD_LIBRARY_PATH);
#   4. writes GPU_ENV_FILE and compiles a tiny kernel with the new nvcc as a self-test.
# It is idempotent: run again, it reuses the venv and rewrites the links, stub and env file.
set -euo pipefail

G=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$G/../.." && pwd)
VENV=${GPU_VENV:-/tmp/cuda-venv}
CUDA_HOME_DIR=${GPU_CUDA_HOME:-/tmp/cuda-home}
ENV_FILE=${GPU_ENV_FILE:-/tmp/cuda-build-env.sh}
CAP=${CUDA_COMPUTE_CAP:-90}
THREADS=${CUDAFORGE_THREADS:-$(nproc 2>/dev/null || echo 2)}

# The wheels of the CUDA 13.0 toolkit the 2026-11-28 build used (pip names, exact versions).
WHEELS=(
  nvidia-cuda-nvcc==13.0.88      # nvcc, ptxas, nvlink, fatbinary, cudafe++
  nvidia-cuda-crt==13.0.88       # crt/ headers nvcc needs
  nvidia-nvvm==13.0.88           # cicc and libdevice
  nvidia-cuda-cccl==13.0.85      # cub/thrust/libcu++ headers (candle's kernels include them)
  nvidia-cuda-runtime==13.0.96   # cuda_runtime headers, libcudart.so.13
  nvidia-cuda-nvrtc==13.0.88     # libnvrtc.so.13
  nvidia-curand==10.4.0.35       # libcurand.so.10
  nvidia-cublas==13.0.0.19       # libcublas.so.13, libcublasLt.so.13
)

say() { printf '== %s\n' "$*"; }

# ---- 1. venv and wheels ------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  say "creating venv $VENV"
  "${PYTHON:-python3}" -m venv "$VENV"
fi
PIP_ARGS=(install --no-deps --disable-pip-version-check)
if [ -n "${GPU_WHEEL_DIR:-}" ]; then
  PIP_ARGS+=(--no-index --find-links "$GPU_WHEEL_DIR")
fi
say "installing ${#WHEELS[@]} wheels into $VENV"
"$VENV/bin/python" -m pip "${PIP_ARGS[@]}" "${WHEELS[@]}"

SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
CU=$SITE/nvidia/cu13
if [ ! -x "$CU/bin/nvcc" ]; then
  echo "error: $CU/bin/nvcc is missing after the install" >&2
  exit 1
fi

# ---- 2. CUDA_HOME ------------------------------------------------------------------------
if [ -e "$CUDA_HOME_DIR" ] && [ ! -L "$CUDA_HOME_DIR" ]; then
  echo "error: $CUDA_HOME_DIR exists and is not a symlink; choose another GPU_CUDA_HOME" >&2
  exit 1
fi
mkdir -p "$(dirname "$CUDA_HOME_DIR")"
ln -sfn "$CU" "$CUDA_HOME_DIR"
say "CUDA_HOME $CUDA_HOME_DIR -> $CU"
[ -e "$CU/lib64" ] || ln -s lib "$CU/lib64"
for so in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libnvrtc.so.13; do
  if [ ! -e "$CU/lib/$so" ]; then
    echo "error: $CU/lib/$so is missing after the install" >&2
    exit 1
  fi
  ln -sfn "$so" "$CU/lib/${so%.so.*}.so"
done

# ---- 3. the libcuda stub -----------------------------------------------------------------
# The names are every driver function cudarc's bindings declare: the `pub unsafe fn cu…(`
# items of cudarc's src/driver/sys/mod.rs, for the cudarc version in Cargo.lock.
CUDARC_VERSION=$(awk '/^name = "cudarc"$/ { getline; gsub(/"/, "", $3); print $3; exit }' "$REPO/Cargo.lock")
if [ -z "$CUDARC_VERSION" ]; then
  echo "error: no cudarc in $REPO/Cargo.lock" >&2
  exit 1
fi
find_cudarc() {
  local d
  for d in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"cudarc-$CUDARC_VERSION"; do
    [ -f "$d/src/driver/sys/mod.rs" ] && { echo "$d"; return 0; }
  done
  return 1
}
if ! CUDARC_SRC=$(find_cudarc); then
  say "cudarc $CUDARC_VERSION sources not in the cargo registry; running cargo fetch --locked"
  (cd "$REPO" && cargo fetch --locked)
  CUDARC_SRC=$(find_cudarc) || { echo "error: cudarc-$CUDARC_VERSION sources not found" >&2; exit 1; }
fi
STUBS=$CU/lib/stubs
mkdir -p "$STUBS"
grep -oE 'pub unsafe fn cu[A-Z][A-Za-z0-9_]*\(' "$CUDARC_SRC/src/driver/sys/mod.rs" \
  | sed -e 's/^pub unsafe fn //' -e 's/($//' | LC_ALL=C sort -u > "$STUBS/libcuda_stub_names.txt"
N=$(wc -l < "$STUBS/libcuda_stub_names.txt")
if [ "$N" -lt 100 ]; then
  echo "error: only $N driver functions found in $CUDARC_SRC/src/driver/sys/mod.rs" >&2
  exit 1
fi
{
  echo "/* Stub libcuda for linking without a driver (generated by benches/gpu/setup_cuda_toolchain.sh"
  echo "   from cudarc-$CUDARC_VERSION): every entry point returns CUDA_ERROR_NO_DEVICE (100). */"
  while read -r name; do echo "int $name(void) { return 100; }"; done < "$STUBS/libcuda_stub_names.txt"
} > "$STUBS/libcuda_stub.c"
"${CC:-cc}" -shared -fPIC -O1 -Wl,-soname,libcuda.so.1 -o "$STUBS/libcuda.so" "$STUBS/libcuda_stub.c"
say "stub $STUBS/libcuda.so: $N functions from $CUDARC_SRC"

# ---- 4. env file and self-test -----------------------------------------------------------
mkdir -p "$(dirname "$ENV_FILE")"
cat > "$ENV_FILE" <<EOF
# CUDA 13.0 build environment for \`cargo build --release --features cuda\`, written by
# benches/gpu/setup_cuda_toolchain.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ). Source it, then build.
export CUDA_HOME=$CUDA_HOME_DIR CUDA_PATH=$CUDA_HOME_DIR NVCC=$CUDA_HOME_DIR/bin/nvcc
export PATH=$CUDA_HOME_DIR/bin:\$PATH
export LIBRARY_PATH=$CUDA_HOME_DIR/lib:$CUDA_HOME_DIR/lib/stubs\${LIBRARY_PATH:+:\$LIBRARY_PATH}
export CUDA_COMPUTE_CAP=$CAP CUDARC_CUDA_VERSION=13000
export CUDAFORGE_THREADS=$THREADS
EOF
say "env file $ENV_FILE"

T=$(mktemp -d "${TMPDIR:-/tmp}/cuda-selftest.XXXXXX")
cat > "$T/t.cu" <<'EOF'
#include <cuda_fp16.h>
#include <cuda_bf16.h>
__global__ void k(float* x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = __half2float(__float2half(x[i])) * 2.f;
}
int main() { float* d; cudaMalloc(&d, 16); k<<<1, 4>>>(d, 4); return 0; }
EOF
(
  # shellcheck disable=SC1090
  source "$ENV_FILE"
  nvcc --version
  nvcc -arch="sm_$CAP" -ptx -o "$T/t.ptx" "$T/t.cu"
  nvcc -arch="sm_$CAP" -o "$T/t.bin" "$T/t.cu" -lcuda
)
grep -m1 '^\.target' "$T/t.ptx"
rm -rf "$T"
say "self-test passed: nvcc compiled a kernel to PTX and linked a program against the stub"
say "next: source $ENV_FILE, then build (see benches/gpu/README.md)"
