//! The cache's write and read discipline, observed from outside: entries are replaced by a
//! rename (a hard link to the old file keeps the old bytes; an in-place write would change
//! them), a failed write leaves neither the entry nor a temporary file, and an entry whose
//! `.sha256` file is missing is never served: `get` calls it corrupt, `verify` names it, a run
//! recomputes it and writes the checksum again.

mod common;

use common::{harness_bin, run, SMALL};
use harness::cache::{write_atomic, Lookup, Store};
use std::fs;
use std::path::{Path, PathBuf};

fn entry(root: &Path, hash: &str, ext: &str) -> PathBuf {
    root.join("cache")
        .join(&hash[..2])
        .join(format!("{hash}.{ext}"))
}

fn sidecar(p: &Path) -> PathBuf {
    PathBuf::from(format!("{}.sha256", p.display()))
}

fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

#[test]
fn an_entry_is_replaced_by_rename_never_written_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let h = "5e".repeat(32);
    store.put(&h, "json", b"old bytes").unwrap();
    let path = entry(dir.path(), &h, "json");
    // Other names for the current inodes of the entry and of its checksum file.
    let (keep, keep_sum) = (dir.path().join("keep"), dir.path().join("keep.sha256"));
    fs::hard_link(&path, &keep).unwrap();
    fs::hard_link(sidecar(&path), &keep_sum).unwrap();
    let old_sum = fs::read(&keep_sum).unwrap();

    store.put(&h, "json", b"new, longer bytes").unwrap();
    assert!(matches!(store.get(&h, "json"), Lookup::Hit(b) if b == b"new, longer bytes"));
    // A reader holding the old file saw it complete and unchanged: a new inode took its name.
    assert_eq!(fs::read(&keep).unwrap(), b"old bytes");
    assert_eq!(fs::read(&keep_sum).unwrap(), old_sum);
    assert!(leftovers(path.parent().unwrap()).is_empty());

    // The same for results files and checksums written with `write_atomic`.
    let file = dir.path().join("summary.csv");
    write_atomic(&file, b"a,b\n1,2\n").unwrap();
    fs::hard_link(&file, dir.path().join("summary.keep")).unwrap();
    write_atomic(&file, b"a,b\n3,4\n").unwrap();
    assert_eq!(
        fs::read(dir.path().join("summary.keep")).unwrap(),
        b"a,b\n1,2\n"
    );
    assert_eq!(fs::read(&file).unwrap(), b"a,b\n3,4\n");
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn a_failed_write_leaves_no_entry_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    // The target name is taken by a non-empty folder: the rename fails.
    let target = dir.path().join("entry.json");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("x"), b"x").unwrap();
    let err = format!("{:#}", write_atomic(&target, b"bytes").unwrap_err());
    assert!(err.contains(&target.display().to_string()), "{err}");
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
    // The parent is a file: the folder cannot be created, and the error names it.
    let blocker = dir.path().join("file");
    fs::write(&blocker, b"").unwrap();
    let err = format!(
        "{:#}",
        write_atomic(&blocker.join("a.json"), b"x").unwrap_err()
    );
    assert!(err.contains(&blocker.display().to_string()), "{err}");
}

#[test]
fn an_entry_without_its_checksum_file_is_not_served_and_is_recomputed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let h = "7a".repeat(32);
    store.put(&h, "json", b"{}").unwrap();
    let path = entry(dir.path(), &h, "json");
    fs::remove_file(sidecar(&path)).unwrap();
    match store.get(&h, "json") {
        Lookup::Corrupt(why) => assert!(why.contains("has no checksum file"), "{why}"),
        other => panic!("served without a checksum: {other:?}"),
    }
    assert!(!store.contains(&h, "json"));
    let (value, corrupt) = store.load(&h, "json", |b| Ok(b.to_vec()));
    assert!(value.is_none() && corrupt);
    // A checksum file that is not a SHA-256 line counts as missing too.
    fs::write(sidecar(&path), "not a digest\n").unwrap();
    assert!(matches!(store.get(&h, "json"), Lookup::Corrupt(_)));

    // Through a whole run: verify names the entry (exit 1), a rerun recomputes it alone,
    // writes its checksum again, and the results are unchanged.
    let dir = tempfile::tempdir().unwrap();
    let first = run(SMALL, dir.path());
    let summary = fs::read(first.results_dir.join("summary.csv")).unwrap();
    let mut members: Vec<PathBuf> = walk(&dir.path().join("cache"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "safetensors"))
        .collect();
    members.sort();
    let victim = &members[3];
    fs::remove_file(sidecar(victim)).unwrap();
    let out = harness_bin()
        .arg("--artifacts")
        .arg(dir.path())
        .arg("verify")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains(&victim.display().to_string()) && listing.contains("has no checksum file"),
        "{listing}"
    );
    let second = run(SMALL, dir.path());
    assert_eq!(
        (second.stats.members_run, second.stats.corrupt_recomputed),
        (1, 1)
    );
    assert_eq!(
        second.stats.pairs_run, 0,
        "pairs are keyed by member hashes"
    );
    assert!(sidecar(victim).exists());
    assert_eq!(
        fs::read(second.results_dir.join("summary.csv")).unwrap(),
        summary
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
