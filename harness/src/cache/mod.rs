//! The content-addressed artifact store under `artifacts/`.
//!
//! Every unit's result lives at `cache/<h0h1>/<hash>.<ext>`, named by the SHA-256 of the unit's
//! inputs, beside a `sha256sum -c` compatible file `<hash>.<ext>.sha256` holding the SHA-256 of
//! the artifact's bytes. Writes go to a temporary file in the same folder and are renamed into
//! place, so a reader sees either nothing or a complete file; two processes writing the same
//! entry write the same bytes (units are deterministic) and the last rename wins harmlessly.
//! An entry whose bytes do not match its checksum is never served: [`Store::get`] reports it
//! as absent so that the unit is recomputed and the entry rewritten.
//!
//! [`executor`] runs a plan's units against this store, for every experiment kind;
//! [`unitlog`] is its optional line per computed unit.

pub mod executor;
pub mod unitlog;

use crate::identity::sha256_hex;
use anyhow::{Context, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The artifact root (by default `artifacts/`).
#[derive(Clone, Debug)]
pub struct Store {
    root: PathBuf,
}

/// What `get` found.
#[derive(Debug)]
pub enum Lookup {
    Hit(Vec<u8>),
    Missing,
    /// Present but its bytes do not match the recorded checksum (or the checksum is gone).
    Corrupt(String),
}

impl Store {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Store { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.root.join("cache")
    }

    pub fn results_dir(&self, experiment: &str) -> PathBuf {
        self.root.join("results").join(experiment)
    }

    fn entry_path(&self, hash: &str, ext: &str) -> PathBuf {
        self.cache_dir()
            .join(&hash[..2])
            .join(format!("{hash}.{ext}"))
    }

    /// Whether a complete, checksum-valid entry exists.
    pub fn contains(&self, hash: &str, ext: &str) -> bool {
        matches!(self.get(hash, ext), Lookup::Hit(_))
    }

    pub fn get(&self, hash: &str, ext: &str) -> Lookup {
        let path = self.entry_path(hash, ext);
        let Ok(bytes) = fs::read(&path) else {
            return Lookup::Missing;
        };
        match read_checksum(&sidecar(&path)) {
            Some(expected) if expected == sha256_hex(&bytes) => Lookup::Hit(bytes),
            Some(_) => Lookup::Corrupt(format!("{} does not match its checksum", path.display())),
            None => Lookup::Corrupt(format!("{} has no checksum file", path.display())),
        }
    }

    /// A lookup decoded: (the value, whether a corrupt or unreadable entry was found). Such an
    /// entry is reported on stderr and treated as absent, so the caller recomputes it.
    pub fn load<T>(
        &self,
        hash: &str,
        ext: &str,
        decode: impl Fn(&[u8]) -> Result<T>,
    ) -> (Option<T>, bool) {
        match self.get(hash, ext) {
            Lookup::Hit(bytes) => match decode(&bytes) {
                Ok(v) => (Some(v), false),
                Err(e) => {
                    eprintln!("warning: cache entry {hash}.{ext} is unreadable ({e}); recomputing");
                    (None, true)
                }
            },
            Lookup::Missing => (None, false),
            Lookup::Corrupt(why) => {
                eprintln!("warning: {why}; recomputing");
                (None, true)
            }
        }
    }

    /// Fails, naming the folder, unless the cache and results folders can be written: a
    /// read-only artifacts folder is found before any work. Creates the folders.
    pub fn check_writable(&self) -> Result<()> {
        for dir in [self.cache_dir(), self.root.join("results")] {
            let probe = dir.join(format!(".write-probe-{}", std::process::id()));
            fs::create_dir_all(&dir)
                .and_then(|()| fs::write(&probe, b""))
                .and_then(|()| fs::remove_file(&probe))
                .with_context(|| {
                    format!(
                        "the artifacts folder cannot be written at {}; nothing was run \
                         (give a writable folder with --artifacts)",
                        dir.display()
                    )
                })?;
        }
        Ok(())
    }

    /// Stores an entry atomically with its checksum file.
    pub fn put(&self, hash: &str, ext: &str, bytes: &[u8]) -> Result<()> {
        let path = self.entry_path(hash, ext);
        write_atomic(&path, bytes)?;
        write_checksum_file(&path, bytes)
    }
}

fn sidecar(path: &Path) -> PathBuf {
    let mut name = path.file_name().expect("entry has a name").to_os_string();
    name.push(".sha256");
    path.with_file_name(name)
}

/// Writes `<path>.sha256` in `sha256sum` format: `<hex>  <file name>`.
pub fn write_checksum_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().expect("file has a name").to_string_lossy();
    let line = format!("{}  {}\n", sha256_hex(bytes), name);
    write_atomic(&sidecar(path), line.as_bytes())
}

/// The hex digest recorded in a `sha256sum` file for its first line.
fn read_checksum(path: &Path) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    let hex = text.split_whitespace().next()?;
    (hex.len() == 64).then(|| hex.to_string())
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().expect("path has a parent");
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        path.file_name().expect("file has a name").to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| -> Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// One problem `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    pub what: String,
}

/// Re-hashes every cache entry and every results folder's `SHA256SUMS`, naming each file that
/// is missing or altered. Returns the number of files checked and the problems.
pub fn verify(root: &Path) -> Result<(usize, Vec<Problem>)> {
    let mut checked = 0;
    let mut problems = Vec::new();
    let mut sums_files = Vec::new();
    collect_files(&root.join("cache"), &mut |p| {
        if p.extension().is_some_and(|e| e == "sha256") {
            sums_files.push(p.to_path_buf());
        } else if !p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            && !sidecar(p).exists()
        {
            problems.push(Problem {
                path: p.to_path_buf(),
                what: "has no checksum file".into(),
            });
        }
    })?;
    collect_files(&root.join("results"), &mut |p| {
        if p.file_name().is_some_and(|n| n == "SHA256SUMS") {
            sums_files.push(p.to_path_buf());
        }
    })?;
    sums_files.sort();
    for sums in sums_files {
        let dir = sums.parent().expect("file has a parent");
        let text =
            fs::read_to_string(&sums).with_context(|| format!("cannot read {}", sums.display()))?;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let Some((hex, name)) = line.split_once("  ") else {
                problems.push(Problem {
                    path: sums.clone(),
                    what: format!("malformed line `{line}`"),
                });
                continue;
            };
            let file = dir.join(name);
            checked += 1;
            match fs::read(&file) {
                Err(_) => problems.push(Problem {
                    path: file,
                    what: "missing".into(),
                }),
                Ok(bytes) if sha256_hex(&bytes) != hex => problems.push(Problem {
                    path: file,
                    what: "altered (SHA-256 differs from the recorded one)".into(),
                }),
                Ok(_) => {}
            }
        }
    }
    Ok((checked, problems))
}

fn collect_files(dir: &Path, f: &mut dyn FnMut(&Path)) -> Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            collect_files(&p, f)?;
        } else {
            f(&p);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_corruption_detected() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let h = "ab".repeat(32);
        assert!(matches!(store.get(&h, "json"), Lookup::Missing));
        store.put(&h, "json", b"{\"x\":1}").unwrap();
        assert!(matches!(store.get(&h, "json"), Lookup::Hit(b) if b == b"{\"x\":1}"));
        let path = store.entry_path(&h, "json");
        fs::write(&path, b"{\"x\":").unwrap();
        assert!(matches!(store.get(&h, "json"), Lookup::Corrupt(_)));
        let (checked, problems) = verify(dir.path()).unwrap();
        assert_eq!(checked, 1);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, path);
        store.put(&h, "json", b"{\"x\":1}").unwrap();
        assert!(verify(dir.path()).unwrap().1.is_empty());
        fs::remove_file(&path).unwrap();
        let (_, problems) = verify(dir.path()).unwrap();
        assert_eq!(problems[0].what, "missing");
    }

    #[test]
    fn checksum_file_is_sha256sum_format() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.bin");
        write_atomic(&p, b"abc").unwrap();
        write_checksum_file(&p, b"abc").unwrap();
        let text = fs::read_to_string(dir.path().join("a.bin.sha256")).unwrap();
        assert_eq!(
            text,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a.bin\n"
        );
    }
}
