#!/usr/bin/env bash
# CPU against CUDA with one `--features cuda` binary, on the GPU machine (benches/gpu/README.md,
# "Cross-device check"). Needs benches/gpu/carry/ (package.sh). Run from anywhere:
#
#   OUT=/some/dir CHECK_BUDGET_S=420 bash benches/gpu/cross_device.sh
#
# Steps: 1. the machine, the libraries, the binary (common.sh); 2. relu2 and linear2 trained by
# full-batch gradient descent on cpu and on cuda, numbers compared; 3. `harness check` of a
# CUDA run of digits_check.yaml against a CPU run of it (the statistical verdict, docs/CHECK.md).
# Writes to $OUT: check.log, env.txt, timings.tsv, compare.txt, check_digits.txt,
# results.tar.gz.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# ---- 2. gradient descent on the GPU: relu2 and linear2 -----------------------------------
for m in relu2_gd_tiny linear2_gd_tiny; do
  for dev in cpu cuda; do
    step "${m}_$dev" 120 "$H" -q --threads 1 --artifacts "$W/$m-$dev" --device "$dev" run "$G/$m.yaml"
  done
done
python3 - "$W" > "$OUT/compare.txt" 2>&1 <<'PY'
import csv, os, sys
w = sys.argv[1]
def rows(m, dev):
    d = os.path.join(w, f"{m}-{dev}", "results", f"gpu_{m}")
    p = os.path.join(d, "members.csv")
    return list(csv.DictReader(open(p))) if os.path.exists(p) else None
for m in ["relu2_gd_tiny", "linear2_gd_tiny"]:
    a, b = rows(m, "cpu"), rows(m, "cuda")
    if a is None or b is None:
        print(m, "members.csv missing for", "cpu" if a is None else "cuda"); continue
    print(f"{m}: {len(a)} members on cpu, {len(b)} on cuda")
    for c in ["gen_error", "train_loss", "steps"]:
        d = [abs(float(x[c]) - float(y[c])) for x, y in zip(a, b)]
        rel = [abs(float(x[c]) - float(y[c])) / max(abs(float(x[c])), 1e-300) for x, y in zip(a, b)]
        print(f"  {c:11s} max |cpu-cuda| = {max(d):.3g}  max relative = {max(rel):.3g}  cpu {[x[c] for x in a][:3]}  cuda {[y[c] for y in b][:3]}")
PY
cat "$OUT/compare.txt"

# ---- 3. harness check: a CUDA run against a CPU run of the same manifest -------------------
step digits_cpu 120 "$H" -q --artifacts "$W/digits-cpu" --device cpu run "$G/digits_check.yaml"
step digits_cuda 300 "$H" -q --threads 1 --artifacts "$W/digits-cuda" --device cuda run "$G/digits_check.yaml"
REF="$W/digits-cpu/results/gpu_digits_check"
"$H" --artifacts "$W/digits-cuda" --device cuda check "$G/digits_check.yaml" --against "$REF" > "$OUT/check_digits.txt" 2>&1
echo "exit code $?" >> "$OUT/check_digits.txt"
cat "$OUT/check_digits.txt"

mkdir -p "$W/res"
for d in "$W"/*-cpu "$W"/*-cuda; do
  for r in "$d"/results/*/; do
    [ -d "$r" ] && mkdir -p "$W/res/$(basename "$d")" && cp "$r"/*.csv "$r"/run.json "$W/res/$(basename "$d")/" 2>/dev/null
  done
done
tar -C "$W/res" -czf "$OUT/results.tar.gz" .
cat "$TIMINGS"
echo "total $(( $(date +%s) - T0 )) s"
