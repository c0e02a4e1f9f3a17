#!/usr/bin/env bash
# The pre-registered confirmatory run of claim rules v3 (docs/CONFIRM.md), as `make confirm`
# runs it: usage  scripts/confirm.sh HARNESS JOBS ESTIMATOR.
# ESTIMATOR=keep gives each manifest of experiments/confirm/ the main estimator of its quick
# twin in experiments/ (confirm_fig2_relu.yaml reads experiments/fig2_relu.yaml), the decision
# of issue 26 (docs/SPEC.md §4.C); any other value gives all five that estimator. The other
# estimators are reported beside it. Then C4 across the regression experiments, and the power
# table of the new results.
set -euo pipefail
harness=$1 jobs=$2 estimator=$3
root=$(cd "$(dirname "$0")/.." && pwd)
[ -n "$estimator" ] || {
  echo "make confirm ESTIMATOR=keep|<name>: the confirmatory run's main estimator (docs/CONFIRM.md)" >&2
  exit 2
}
"$root/scripts/confirm-seeds.sh" --check

# The estimator a manifest runs with, and the --set arguments that say so.
main_estimator() {
  if [ "$estimator" != keep ]; then echo "$estimator"; return; fi
  local twin="$root/experiments/$(basename "$1" | sed 's/^confirm_//')"
  local name
  name=$(sed -n 's/^  estimator: *//p' "$twin")
  [ -n "$name" ] || { echo "$twin: no alignment.estimator to keep" >&2; exit 2; }
  echo "$name"
}
sets() {
  local main=$1 report=$1
  for other in ksg kl gaussian; do [ "$other" = "$main" ] || report="$report,$other"; done
  echo "--set alignment.estimator=$main --set alignment.report=[$report]"
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
folders=()
regression=()
regression_sets=""
for m in "$root"/experiments/confirm/*.yaml; do
  main=$(main_estimator "$m")
  # shellcheck disable=SC2046
  "$harness" run --jobs "$jobs" $(sets "$main") "$m" | tee "$log"
  folders+=("$(sed -n 's/^ *results: *//p' "$log" | tail -n 1)")
  case "$m" in
    *digits_fcnn*) ;;
    *)
      [ -z "$regression_sets" ] || [ "$regression_sets" = "$(sets "$main")" ] || {
        echo "C4 across fig1-fig3 needs one estimator; $m has $main" >&2
        exit 2
      }
      regression_sets=$(sets "$main")
      regression+=("$m")
      ;;
  esac
done
# shellcheck disable=SC2086
"$harness" claims $regression_sets "${regression[@]}"
"$harness" power "${folders[@]}"
