#!/usr/bin/env bash
# Installs what the instruction-count gate needs, only when it is missing:
#   - valgrind, from the distribution's packages (Debian: apt-get);
#   - gungraun-runner of exactly the version of the gungraun library in Cargo.lock, into
#     target/gungraun-runner/, copied from a per-version build under ~/.cache/alignment-harness/
#     (built there once per machine; about 5 minutes).
# Usage: benches/install-tools.sh   (from anywhere; root or sudo for apt-get)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
    echo "install-tools: installing valgrind" >&2
    sudo_=""
    [ "$(id -u)" -ne 0 ] && sudo_="sudo"
    $sudo_ apt-get update -qq
    $sudo_ apt-get install -y -qq valgrind
fi
valgrind --version >&2

version=$(awk '/^name = "gungraun"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [ -z "$version" ]; then
    echo "install-tools: Cargo.lock has no gungraun package" >&2
    exit 1
fi
runner=target/gungraun-runner/bin/gungraun-runner
# A machine-wide copy per version (outside the clone), so that a fresh clone on the same
# machine (CI's) reuses it instead of building it again; a new machine builds it once.
shared="${XDG_CACHE_HOME:-$HOME/.cache}/alignment-harness/gungraun-runner-$version"
runner_version() { [ -x "$1" ] && "$1" --version | awk '{print $NF}'; }
if [ "$(runner_version "$runner")" = "$version" ]; then
    echo "install-tools: $runner $version already installed" >&2
else
    if [ "$(runner_version "$shared/bin/gungraun-runner")" != "$version" ]; then
        echo "install-tools: building gungraun-runner $version into $shared" >&2
        cargo install --locked --quiet gungraun-runner --version "$version" --root "$shared" --force
    fi
    mkdir -p target/gungraun-runner/bin
    cp "$shared/bin/gungraun-runner" "$runner"
    echo "install-tools: $runner $version (from $shared)" >&2
fi
