# Sourced by gate-selftest.sh, record-past.sh and ab.sh: other trees (a past commit, a copy
# with a planted slowdown) are built in their own target folder, target/scratch/, seeded once
# from target/release so that only the harness and benches crates are compiled there.
# Never build another tree in target/ itself: cargo's fingerprints name source files relative
# to the package, so after a build of an older copy elsewhere, this tree would look up to date
# and run the other tree's code.
# Every unpacked tree gets fresh modification times (tar -m), so that cargo rebuilds its
# crates even when target/scratch last built a different tree.

scratch_target() {
    local t="$root/target/scratch"
    if [ ! -d "$t/release" ]; then
        echo "scratch: seeding $t from target/release (once)" >&2
        mkdir -p "$t"
        cp -a "$root/target/release" "$t/"
    fi
    echo "$t"
}

# unpack_rev <rev> <dest>: the commit's tree, via git archive (the repository is not touched).
unpack_rev() {
    git -C "$root" archive "$1" | tar -x -m -C "$2"
}

# copy_worktree <dest>: this tree's tracked and untracked (not ignored) files.
copy_worktree() {
    (cd "$root" && git ls-files -co --exclude-standard -z | tar --null -cf - -T -) | tar -x -m -C "$1"
}
