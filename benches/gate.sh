#!/usr/bin/env bash
# The instruction-count gate and its companions, callable directly so that CI reads the
# exit code itself (make turns every failing code into 2):
#   benches/gate.sh [check]    0 no regression, 1 regression, 2 NO BASELINE, 3 could not run
#   benches/gate.sh baseline   rewrite this machine's baseline from the current tree
#   benches/gate.sh record     append this commit's counts to benches/history.csv
#   benches/gate.sh report     draw benches/history/<hot path>.svg
#   benches/gate.sh key        print this machine's key
# Further arguments go to perfgate (benches/src/bin/perfgate.rs; `--help` lists them).
set -uo pipefail
cd "$(dirname "$0")/.."
if ! cargo build --release --locked --quiet -p harness-benches --bin perfgate; then
    echo "gate: could not build perfgate (exit 3)" >&2
    exit 3
fi
# No arguments: the gate itself.
[ $# -gt 0 ] || set -- check
exec target/release/perfgate "$@"
