#!/usr/bin/env bash
# Proof that the gate works (issue 13, point 4), in three parts:
#   1. the unmodified tree passes the gate (exit 0);
#   2. a scratch copy with a planted slowdown, an extra pass over the sorted keys in the rank
#      transform (copula), fails it (exit 1) on the benches that rank;
#   3. N reruns of the benches on the unmodified tree give identical counts (0 false alarms).
# Needs this machine's baseline (make bench-baseline) and the tools (install-tools.sh).
# The scratch copy builds in target/scratch/ (benches/scratch.sh), never in target/ itself.
# Usage: benches/gate-selftest.sh [reruns]   (default 10; a few minutes each)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
reruns=${1:-10}
. benches/scratch.sh
fail() { echo "selftest: FAIL: $*" >&2; exit 1; }

cargo build --release --locked --quiet -p harness-benches --bin perfgate || fail "cannot build perfgate"
gate=target/release/perfgate
log=target/perfgate-selftest
rm -rf "$log" && mkdir -p "$log"

echo "== 1. unmodified tree: the gate must pass" >&2
$gate check > "$log/clean.txt"; code=$?
cat "$log/clean.txt"
[ $code -eq 0 ] || fail "the unmodified tree gave exit $code, not 0"

echo "== 2. planted slowdown: the gate must fail" >&2
scratch=$(mktemp -d "${TMPDIR:-/tmp}/perfgate-selftest.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
copy_worktree "$scratch"
copula=$(grep -rl "fn ranks(" "$scratch/harness/src") || fail "no rank transform (fn ranks) found"
grep -q "keyed.sort_unstable();" "$copula" || fail "$copula: no \`keyed.sort_unstable();\` to plant after"
sed -i 's|keyed.sort_unstable();|keyed.sort_unstable();\n                let keyed: Vec<u128> = keyed.iter().map(\|\&k\| std::hint::black_box(k)).collect(); // planted slowdown|' "$copula"
grep -q "planted slowdown" "$copula" || fail "the slowdown was not planted"
$gate --repo "$root" check --root "$scratch" --target-dir "$(scratch_target)" > "$log/planted.txt"; code=$?
cat "$log/planted.txt"
[ $code -eq 1 ] || fail "the planted slowdown gave exit $code, not 1"
grep -q "copula_transform.*REGRESSION" "$log/planted.txt" || fail "copula_transform not flagged"

echo "== 3. $reruns reruns of the unmodified tree: 0 false alarms, identical counts" >&2
for i in $(seq 1 "$reruns"); do
    $gate check > "$log/rerun-$i.txt"; code=$?
    [ $code -eq 0 ] || fail "rerun $i gave exit $code (a false alarm)"
    awk '$1 ~ /::/ {gsub(/_/, "", $3); print $1, $3}' "$log/rerun-$i.txt" >> "$log/counts.txt"
done
# Per bench: smallest and largest count over the reruns. Every bench must be identical in
# every rerun, except the candle-autograd steps (fcnn, cnn5): candle keeps gradients in
# std HashMaps whose hash keys are drawn from the OS per process, so their probe sequences,
# and a few dozen instructions, differ from run to run; they must stay within 0.1 % (a twentieth of the threshold).
awk -v reruns="$reruns" '
    { n[$1]++; if (!($1 in lo) || $2 < lo[$1]) lo[$1] = $2; if ($2 > hi[$1]) hi[$1] = $2 }
    END {
        bad = 0
        for (b in n) {
            spread = (hi[b] - lo[b]) / lo[b]
            if (n[b] != reruns) { print "selftest: " b " measured " n[b] " times"; bad = 1 }
            if (hi[b] != lo[b]) {
                printf "selftest: %s varies by %d instructions (%.4f%%) over the reruns\n", b, hi[b] - lo[b], 100 * spread
                if (b !~ /_sgd_step::/ || spread > 0.001) bad = 1
            }
        }
        exit bad
    }' "$log/counts.txt" || fail "counts differ between reruns"
identical=$(awk '{n[$1]++; c[$1 " " $2]++} END {k = 0; for (x in c) if (c[x] == '"$reruns"') k++; print k}' "$log/counts.txt")
echo "selftest: PASS: clean tree exit 0, planted slowdown exit 1, $reruns reruns exit 0 with $identical of $(awk '{print $1}' "$log/counts.txt" | sort -u | wc -l) benches identical in every rerun"
