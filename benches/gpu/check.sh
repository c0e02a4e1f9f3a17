#!/usr/bin/env bash
# GPU smoke test, speed probe and determinism check of a `--features cuda` harness build.
# Needs benches/gpu/carry/ (package.sh) and, for the cnn5 steps, benches/gpu/hf/
# (make_cifar_fixture.py). Run from anywhere, on the GPU machine:
#
#   OUT=/some/dir bash benches/gpu/check.sh
#
# Steps: 1. the machine, the libraries, the binary; 2. a tiny digits manifest on cpu and on
# cuda, compared; 3. cnn5 width 4 speed probe on a synthetic CIFAR-10 hub cache; 4. the digits
# manifest twice more on cuda (once with --threads 1), compared byte for byte with step 2's.
# Every step is guarded: a failure is logged (timings.tsv, check.log) and the next step runs.
# The whole script stops starting new steps after CHECK_BUDGET_S seconds (default 270).
# Writes to $OUT (default /tmp/gpucheck-out; at most 7 files): check.log, timings.tsv,
# compare.txt, determinism.txt, env.txt, digits_results.tar.gz, cnn5_results.tar.gz.
# Other settings: GPU_CARRY (default benches/gpu/carry), GPU_HF_HOME (default benches/gpu/hf),
# CHECK_EXTRA_LIBDIRS (extra folders to look for libraries in; only for testing without a GPU).
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

# The binary and its libraries: sets H and LD_LIBRARY_PATH (shared with batched_scale.sh).
source "$G/binary_env.sh"
ldd "$H"
ldd "$H" | grep -q 'not found' && echo "WARNING: some libraries are not found (see ldd above)"
step version 20 "$H" --version

# ---- 2. tiny digits fcnn, CPU then CUDA ------------------------------------------------
step digits_cpu 90 "$H" -q --artifacts "$W/digits-cpu" --device cpu run "$G/digits_tiny.yaml"
step digits_cuda 120 "$H" -q --artifacts "$W/digits-cuda" --device cuda run "$G/digits_tiny.yaml"
nvidia-smi --query-gpu=memory.used,utilization.gpu --format=csv 2>&1 | tail -1
mkdir -p "$W/res/digits"
for dev in cpu cuda; do
  [ -d "$W/digits-$dev/results/gpu_digits_tiny" ] && cp -r "$W/digits-$dev/results/gpu_digits_tiny" "$W/res/digits/$dev"
done
rm -f "$W"/res/digits/*/*.png                           # figures are large; the svg stays
tar -C "$W/res" -czf "$OUT/digits_results.tar.gz" digits
# CPU vs CUDA: the GPU's floats differ, so the numbers should be close, not equal.
python3 - "$W/res/digits" > "$OUT/compare.txt" 2>&1 <<'PY'
import csv, sys, os
base = sys.argv[1]
def rows(dev, name):
    p = os.path.join(base, dev, name)
    return list(csv.DictReader(open(p))) if os.path.exists(p) else None
for name, cols in [("summary.csv", ["gen_error_mean", "train_loss_mean", "cce_ksg_mean", "cce_gaussian_mean"]),
                   ("members.csv", ["gen_error", "train_loss", "train_error", "steps"])]:
    a, b = rows("cpu", name), rows("cuda", name)
    if a is None or b is None:
        print(name, "missing for", "cpu" if a is None else "cuda"); continue
    print(f"{name}: {len(a)} cpu rows, {len(b)} cuda rows")
    for c in cols:
        d = [abs(float(x[c]) - float(y[c])) for x, y in zip(a, b) if x[c] and y[c]]
        print(f"  {c:20s} max |cpu-cuda| = {max(d) if d else float('nan'):.6g}   cpu mean {sum(float(x[c]) for x in a)/len(a):.6g}   cuda mean {sum(float(y[c]) for y in b)/len(b):.6g}")
PY
cat "$OUT/compare.txt"

# ---- 3. cnn5 width 4 speed probe on a synthetic CIFAR-10 hub cache ------------------------
# s30 = 2 members x 30 SGD steps (batch 128), s300 = 2 x 300; per-step GPU time is
# (t_s300 - t_s30) / 540. The CPU runs only s30 (about 2 x 30 x 0.43 s on 2 cores).
HF_HOME="${GPU_HF_HOME:-$G/hf}"
[ -d "$HF_HOME" ] && HF_HOME=$(cd "$HF_HOME" && pwd)
export HF_HOME HF_HUB_OFFLINE=1
[ -d "$HF_HOME/hub/datasets--uoft-cs--cifar10" ] || echo "WARNING: no CIFAR-10 fixture under $HF_HOME (run make_cifar_fixture.py): the cnn5 steps will fail"
step cnn5_s30_cuda 90 "$H" -q --artifacts "$W/cnn5-s30-cuda" --device cuda run "$G/cnn5_w4_s30.yaml"
step cnn5_s300_cuda 120 "$H" -q --artifacts "$W/cnn5-s300-cuda" --device cuda run "$G/cnn5_w4_s300.yaml"
nvidia-smi --query-gpu=memory.used,utilization.gpu --format=csv 2>&1 | tail -1
step cnn5_s30_cpu 90 "$H" -q --artifacts "$W/cnn5-s30-cpu" --device cpu run "$G/cnn5_w4_s30.yaml"
mkdir -p "$W/res/cnn5"
for r in s30-cuda s300-cuda s30-cpu; do
  s=${r%%-*}
  [ -d "$W/cnn5-$r/results/gpu_cnn5_w4_$s" ] && cp -r "$W/cnn5-$r/results/gpu_cnn5_w4_$s" "$W/res/cnn5/$r"
done
rm -f "$W"/res/cnn5/*/*.png "$W"/res/cnn5/*/split.csv
tar -C "$W/res" -czf "$OUT/cnn5_results.tar.gz" cnn5
python3 - "$TIMINGS" <<'PY' 2>&1 | tee -a "$OUT/compare.txt"
import csv, sys
t = {r["step"]: r for r in csv.DictReader(open(sys.argv[1]), delimiter="\t")}
def s(k):
    r = t.get(k); return float(r["seconds"]) if r and r["rc"] == "0" else None
a, b, c = s("cnn5_s30_cuda"), s("cnn5_s300_cuda"), s("cnn5_s30_cpu")
if a is not None and b is not None:
    print(f"cnn5 w4 batch128: cuda ~{(b - a) / 540 * 1000:.2f} ms per SGD step (from s300 - s30 wall times)")
if c is not None:
    print(f"cnn5 w4 s30 on cpu: {c:.1f} s wall (2 x 30 steps + data load + evaluation)")
PY

# ---- 4. determinism on the GPU: the digits manifest again on cuda, then compare bytes -----
# Fresh --artifacts folders, so everything is retrained; step 2's cuda run is the reference.
step digits_cuda_2 120 "$H" -q --artifacts "$W/digits-cuda-2" --device cuda run "$G/digits_tiny.yaml"
step digits_cuda_threads1 120 "$H" -q --threads 1 --artifacts "$W/digits-cuda-t1" --device cuda run "$G/digits_tiny.yaml"
R="$W/digits-cuda/results/gpu_digits_tiny"
for run in digits-cuda-2 digits-cuda-t1; do
  for f in members.csv pairs.csv summary.csv; do
    a="$R/$f" b="$W/$run/results/gpu_digits_tiny/$f"
    if [ ! -e "$a" ] || [ ! -e "$b" ]; then echo "MISSING $run $f"
    elif cmp -s "$a" "$b"; then echo "IDENTICAL $run $f"
    else echo "DIFFER $run $f"
    fi
  done
done > "$OUT/determinism.txt"
for d in digits-cuda digits-cuda-2 digits-cuda-t1; do
  for f in "$W/$d"/results/gpu_digits_tiny/*.csv; do [ -e "$f" ] && sha256sum "$f"; done
done >> "$OUT/determinism.txt"
cat "$OUT/determinism.txt"

cat "$TIMINGS"
echo "total $(( $(date +%s) - T0 )) s"
