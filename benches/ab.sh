#!/usr/bin/env bash
# A/B wall-clock comparison: builds BASE (A) in target/scratch/ (benches/scratch.sh; only the
# harness crate is compiled again) and the working tree (B) in target/, then runs the same fixed
# workloads interleaved, A B / B A, and prints each ratio B/A with its 95 % interval.
# BASE is unpacked with `git archive` into a scratch folder; nothing changes in the repository.
# Usage: benches/ab.sh <rev> [rounds]     (make bench-compare BASE=<rev> [ROUNDS=10])
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. benches/scratch.sh
base=${1:?usage: benches/ab.sh <git rev> [rounds]}
rounds=${2:-10}
sha=$(git rev-parse --verify "$base^{commit}")
out=target/perfgate-ab
mkdir -p "$out"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/perfgate-ab-base.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
unpack_rev "$sha" "$scratch"
echo "ab: building A = $base ($(git rev-parse --short=10 "$sha"))" >&2
target=$(scratch_target)
(cd "$scratch" && CARGO_TARGET_DIR="$target" cargo build --release --locked --quiet -p harness --bin harness)
cp "$target/release/harness" "$out/harness-A"
echo "ab: building B = working tree" >&2
cargo build --release --locked --quiet -p harness --bin harness
cp target/release/harness "$out/harness-B"
cargo build --release --locked --quiet -p harness-benches --bin perfgate
exec target/release/perfgate ab --a "$out/harness-A" --b "$out/harness-B" --rounds "$rounds" --work "$out"
