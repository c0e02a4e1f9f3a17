#!/usr/bin/env bash
# Records the instruction counts of past commits into benches/history.csv, so that the
# history starts before the gate existed. Each commit is unpacked with `git archive` into a
# scratch folder (no git worktree, nothing changes in the repository), gets this tree's
# benches/ and Cargo.lock (the old trees had no gate; the bench file uses only the harness
# API every listed commit shares, see benches/README.md), and is built in target/scratch/
# (benches/scratch.sh), so only the harness and benches crates are compiled again.
# A commit of the pre-regroup layout (flat harness/src/, up to 3972758; it has
# harness/src/experiment.rs) gets benches/benches/hotpaths/api_pre_regroup.rs as its api.rs;
# a commit before the in-place relu2 trainer (no harness/src/models/relu2/cpu.rs) gets
# relu2_form_tensor.rs as its relu2_form.rs (the step in the form that commit trained with);
# a commit before the fleet (no harness/src/train/fleet.rs) gets fleet_form_absent.rs as its
# fleet_form.rs (the same steps through train_sgd).
# Usage: benches/record-past.sh <rev>...
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. benches/scratch.sh
[ $# -ge 1 ] || { echo "usage: benches/record-past.sh <rev>..." >&2; exit 2; }
cargo build --release --locked --quiet -p harness-benches --bin perfgate
for rev in "$@"; do
    sha=$(git rev-parse --verify "$rev^{commit}")
    short=$(git rev-parse --short=10 "$sha")
    date=$(git show -s --format=%cI "$sha")
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/perfgate-past-$short.XXXXXX")
    unpack_rev "$sha" "$scratch"
    rm -rf "$scratch/benches"
    cp -R benches "$scratch/benches"
    if [ -e "$scratch/harness/src/experiment.rs" ]; then
        echo "record-past: $short has the pre-regroup layout: api_pre_regroup.rs as api.rs" >&2
        cp benches/benches/hotpaths/api_pre_regroup.rs "$scratch/benches/benches/hotpaths/api.rs"
    fi
    if [ ! -e "$scratch/harness/src/models/relu2/cpu.rs" ]; then
        echo "record-past: $short predates the in-place relu2 form: relu2_form_tensor.rs as relu2_form.rs" >&2
        cp benches/benches/hotpaths/relu2_form_tensor.rs "$scratch/benches/benches/hotpaths/relu2_form.rs"
    fi
    if [ ! -e "$scratch/harness/src/train/fleet.rs" ]; then
        echo "record-past: $short predates the fleet: fleet_form_absent.rs as fleet_form.rs" >&2
        cp benches/benches/hotpaths/fleet_form_absent.rs "$scratch/benches/benches/hotpaths/fleet_form.rs"
    fi
    cp Cargo.lock "$scratch/Cargo.lock"
    echo "record-past: $short ($date) in $scratch" >&2
    target/release/perfgate --repo "$root" record --root "$scratch" --target-dir "$(scratch_target)" \
        --commit "$short" --commit-date "$date"
    rm -rf "$scratch"
done
