# Shared by the GPU scripts of this folder (check.sh, cross_device.sh; batched_scale.sh uses binary_env.sh alone): sourced, not run.
# Records the machine in $OUT/env.txt, unpacks the carried CUDA binary into a scratch folder
# ($W/harness, as $H), finds the CUDA libraries it needs and sets LD_LIBRARY_PATH, and defines
# `step NAME TIMEOUT_S CMD...` (timed, budgeted, logged to $OUT/timings.tsv).
# Needs: OUT (default /tmp/gpucheck-out). Settings: GPU_CARRY, CHECK_BUDGET_S (default 270),
# CHECK_EXTRA_LIBDIRS (see check.sh).
set -u
G=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CARRY=${GPU_CARRY:-$G/carry}
[ -d "$CARRY" ] && CARRY=$(cd "$CARRY" && pwd)
OUT=${OUT:-/tmp/gpucheck-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/check.log") 2>&1
set -x
T0=$(date +%s)
BUDGET=${CHECK_BUDGET_S:-270}
W=$(mktemp -d "${TMPDIR:-/tmp}/gpucheck.XXXXXX")   # scratch: binary, library links, --artifacts
mkdir -p "$W/libs"
trap 'rm -rf "$W"' EXIT
TIMINGS="$OUT/timings.tsv"
printf 'step\trc\tseconds\n' > "$TIMINGS"

# step NAME TIMEOUT_S CMD...: runs CMD with a timeout clipped to the remaining budget and
# records its exit status and wall time.
step() {
  local name=$1 limit=$2; shift 2
  local left=$(( BUDGET - ($(date +%s) - T0) ))
  if (( left < 10 )); then printf '%s\tskipped(budget)\t0\n' "$name" >> "$TIMINGS"; return 0; fi
  (( limit > left )) && limit=$left
  local s e rc
  s=$(date +%s.%N)
  timeout --kill-after=5 "$limit" "$@"; rc=$?
  e=$(date +%s.%N)
  printf '%s\t%s\t%s\n' "$name" "$rc" "$(python3 -c "print(round($e-$s,3))" 2>/dev/null || echo "$s $e")" >> "$TIMINGS"
  return 0
}

# ---- 1. the machine, the libraries, the binary ------------------------------------------
{
  nvidia-smi
  nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total,memory.used --format=csv
  ls -d /usr/local/cuda* 2>&1; head -20 /usr/local/cuda/version.json 2>/dev/null
  /usr/local/cuda/bin/nvcc --version 2>&1
  nproc; grep -m1 'model name' /proc/cpuinfo; ldd --version | head -1
  head -3 /etc/os-release
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt"

. "$G/binary_env.sh"   # the binary ($H) and its libraries (LD_LIBRARY_PATH)
ldd "$H"
ldd "$H" | grep -q 'not found' && echo "WARNING: some libraries are not found (see ldd above)"
step version 20 "$H" --version
