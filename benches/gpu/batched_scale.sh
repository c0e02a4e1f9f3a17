#!/usr/bin/env bash
# Paper scale on one GPU, projected (issue 15, point 8; issue 27, point 5): times the fleet's
# lockstep SGD step of the full-scale classification manifests on the device, on synthetic
# images of their data sets' shapes (random pixels and labels: timing only, no MNIST or
# CIFAR-10 needed), with the tensors candle creates per step, and prints each manifest's
# projected training and alignment time (`harness project`: the lockstep's sequential steps,
# the longest member's, × the measured step time; see docs/classification.md).
#
#   OUT=/some/dir bash benches/gpu/batched_scale.sh
#
# Needs benches/gpu/carry/ (package.sh, a `--features cuda` build), like check.sh. Settings:
# DEVICE (cuda), STEPS timed per manifest after 2 of warm-up (20), SCALE_BUDGET_S: no manifest
# is started after that many seconds (200), MANIFESTS (default: the two full-scale ones),
# GPU_CARRY, CHECK_EXTRA_LIBDIRS as check.sh. Writes $OUT/projection.txt and
# $OUT/batched_scale.log. Tested on the CPU at tiny scale by harness/tests/gpu_scripts.rs.
set -u
G=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$G/../.." && pwd)
CARRY=${GPU_CARRY:-$G/carry}
[ -d "$CARRY" ] && CARRY=$(cd "$CARRY" && pwd)
OUT=${OUT:-/tmp/batched-scale-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/batched_scale.log") 2>&1
DEVICE=${DEVICE:-cuda}
STEPS=${STEPS:-20}
BUDGET=${SCALE_BUDGET_S:-200}
MANIFESTS=${MANIFESTS:-"$REPO/experiments/fig4_mnist_fcnn.yaml $REPO/experiments/fig5_cifar10_cnn5.yaml"}
T0=$(date +%s)
W=$(mktemp -d "${TMPDIR:-/tmp}/batchedscale.XXXXXX")
mkdir -p "$W/libs"
trap 'rm -rf "$W"' EXIT
source "$G/binary_env.sh"
: > "$OUT/projection.txt"
rc=0
for m in $MANIFESTS; do
  left=$(( BUDGET - ($(date +%s) - T0) ))
  if (( left < 10 )); then echo "skipped (budget): $m" | tee -a "$OUT/projection.txt"; rc=1; continue; fi
  s=$(date +%s.%N)
  timeout --kill-after=5 "$left" "$H" --device "$DEVICE" project --steps "$STEPS" "$m" >> "$OUT/projection.txt"
  r=$?
  e=$(date +%s.%N)
  echo "$(basename "$m"): exit $r in $(python3 -c "print(round($e-$s,1))") s"
  (( r != 0 )) && rc=$r
done
cat "$OUT/projection.txt"
exit $rc
