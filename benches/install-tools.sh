#!/usr/bin/env bash
# Installs what the instruction-count gate needs, only when it is missing:
#   - valgrind, from the distribution's packages (Debian: apt-get);
#   - gungraun-runner of exactly the version of the gungraun library in Cargo.lock, into
#     target/gungraun-runner/ (a cache CI keeps with target/; about 5 minutes to build).
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
if [ -x "$runner" ] && [ "$("$runner" --version | awk '{print $NF}')" = "$version" ]; then
    echo "install-tools: $runner $version already installed" >&2
else
    echo "install-tools: building gungraun-runner $version into target/gungraun-runner" >&2
    cargo install --locked --quiet gungraun-runner --version "$version" --root target/gungraun-runner --force
fi
