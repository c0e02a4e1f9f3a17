#!/usr/bin/env bash
# The seeds of the pre-registered confirmatory run (docs/CONFIRM.md), derived from the text of
# claim rules v3: S = SHA-256 of docs/SPEC.md's section "### v3: effect sizes …" (its lines up
# to the next heading), and each experiment's seed = the first 15 hex digits of
# SHA-256("<S>/<experiment name>"), as a decimal integer. Prints S and one "name seed" line per
# manifest of experiments/confirm/; with --check, exits 1 if a manifest's `seed:` differs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
section=$(awk '/^### v3: effect sizes/ {f = 1; print; next} f && /^#{1,3} / {exit} f {print}' \
  "$root/docs/SPEC.md")
[ -n "$section" ] || { echo "docs/SPEC.md has no '### v3: effect sizes' section" >&2; exit 2; }
s=$(printf '%s\n' "$section" | sha256sum | cut -d' ' -f1)
echo "v3 section sha256 $s"
status=0
for m in "$root"/experiments/confirm/*.yaml; do
  name=$(sed -n 's/^name: *//p' "$m")
  hex=$(printf '%s/%s' "$s" "$name" | sha256sum | cut -c1-15)
  seed=$((16#$hex))
  have=$(sed -n 's/^seed: *//p' "$m")
  echo "$name $seed"
  if [ "${1:-}" = "--check" ] && [ "$have" != "$seed" ]; then
    echo "  $m: seed $have, but the registered text gives $seed" >&2
    status=1
  fi
done
exit $status
