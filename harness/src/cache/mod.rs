//! The content-addressed artifact store under `artifacts/`.
//!
//! Every unit's result lives at `cache/<h0h1>/<hash>.<ext>`, named by the SHA-256 of the unit's
//! inputs, beside a `sha256sum -c` compatible file `<hash>.<ext>.sha256` holding the SHA-256 of
//! the artifact's bytes. Writes go to a temporary file in the same folder (named
//! `.<name>.tmp-<pid>-<n>`) and are renamed into place, so a reader sees either nothing or a
//! complete file. The checksum file is put in place *before* the entry, so an entry never
//! exists without its checksum: a process killed between the two leaves a checksum file
//! without an entry, which is no entry (a lookup misses, `verify` does not count it) and is
//! swept, with the temporary files of dead processes, by the next run ([`Store::sweep`]).
//! An entry whose bytes do not match its checksum is never served: [`Store::get`] reports it
//! as absent so that the unit is recomputed and the entry rewritten.
//!
//! Beside a computed entry lies its **inputs record** `<hash>.<ext>.inputs`:
//! `{"experiment":NAME,"inputs":SPEC}`, SPEC the unit's description in canonical JSON (the
//! text whose SHA-256 is the entry's name) and NAME the experiment that computed it
//! (provenance, not identity). It is written before the checksum file and the entry, so an
//! entry computed by this version always has one; entries cached before inputs were recorded
//! have none. `harness why` compares a missing unit with these records ([`inputs`]).
//!
//! `locks/` holds one empty lock file per batch of units (see [`executor`]); the lock itself
//! is the OS's and dies with its process, so a lock file left behind means nothing.
//!
//! [`executor`] runs a plan's units against this store, for every experiment kind;
//! [`unitlog`] is its optional line per computed unit; [`progress`] its progress on stderr; [`gc`] removes the entries no given
//! manifest reaches.

pub mod executor;
pub mod gc;
pub mod progress;
pub mod stale;
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

    pub fn locks_dir(&self) -> PathBuf {
        self.root.join("locks")
    }

    pub fn results_dir(&self, experiment: &str) -> PathBuf {
        self.root.join("results").join(experiment)
    }

    /// Takes the lock of a batch of units without waiting: `None` when another process (or
    /// another open of the lock file) holds it. The lock lasts as long as the returned file
    /// is open, and the OS drops it when the process ends, however it ends.
    pub fn try_lock_batch(&self, ext: &str, hashes: &[&str]) -> Result<Option<fs::File>> {
        let id = sha256_hex(hashes.join("\n").as_bytes());
        self.try_lock(&format!("{ext}-{id}.lock"))
    }

    fn open_lock(&self, name: &str) -> Result<(fs::File, PathBuf)> {
        let dir = self.locks_dir();
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join(name);
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        Ok((file, path))
    }

    /// Takes the lock `locks/<name>` exclusively without waiting (see
    /// [`Store::try_lock_batch`]).
    pub fn try_lock(&self, name: &str) -> Result<Option<fs::File>> {
        let (file, path) = self.open_lock(name)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
    }

    /// Takes the lock `locks/<name>`, shared or exclusive, waiting for it; `on_wait` runs
    /// once, before waiting, if it must wait.
    pub fn lock(&self, name: &str, shared: bool, on_wait: impl FnOnce()) -> Result<fs::File> {
        let (file, path) = self.open_lock(name)?;
        let tried = if shared {
            file.try_lock_shared()
        } else {
            file.try_lock()
        };
        match tried {
            Ok(()) => return Ok(file),
            Err(fs::TryLockError::WouldBlock) => on_wait(),
            Err(fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
        if shared {
            file.lock_shared()
        } else {
            file.lock()
        }
        .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(file)
    }

    /// Removes what interrupted writes left in the cache and results folders: the temporary
    /// files and folders (`.<name>.tmp-<pid>-…`, `.<name>.old-<pid>`) of processes that no
    /// longer run. A checksum file without its entry is left: it is no entry, and the next
    /// write of that entry replaces it. Returns the number of paths removed.
    pub fn sweep(&self) -> Result<usize> {
        let mut removed = 0;
        for dir in [self.cache_dir(), self.root.join("results")] {
            removed += sweep_dir(&dir)?;
        }
        Ok(removed)
    }

    fn entry_path(&self, hash: &str, ext: &str) -> PathBuf {
        self.cache_dir()
            .join(&hash[..2])
            .join(format!("{hash}.{ext}"))
    }

    /// Whether an entry file exists (not checked: a cheap guess of what a run will find).
    pub fn has_entry(&self, hash: &str, ext: &str) -> bool {
        self.entry_path(hash, ext).is_file()
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
        // The cache folder is created (every run writes there); the results folder is probed
        // only where it exists, so that a shard, which writes no results, leaves none behind.
        let results = self.root.join("results");
        let dirs = std::iter::once(self.cache_dir()).chain(results.is_dir().then_some(results));
        for dir in dirs {
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

    /// A lookup decoded, without a word on stderr: any entry not served whole is `None`.
    pub fn load_quietly<T>(
        &self,
        hash: &str,
        ext: &str,
        decode: impl Fn(&[u8]) -> Result<T>,
    ) -> Option<T> {
        match self.get(hash, ext) {
            Lookup::Hit(bytes) => decode(&bytes).ok(),
            Lookup::Missing | Lookup::Corrupt(_) => None,
        }
    }

    /// Stores the inputs record of entry `<hash>.<ext>` (see the module's doc), atomically:
    /// `inputs` is the unit's canonical JSON, which must hash to `hash`.
    pub fn put_inputs(&self, hash: &str, ext: &str, experiment: &str, inputs: &str) -> Result<()> {
        anyhow::ensure!(
            sha256_hex(inputs.as_bytes()) == hash,
            "the inputs recorded for {hash}.{ext} do not hash to its name"
        );
        let record = format!(
            "{{\"experiment\":{},\"inputs\":{inputs}}}\n",
            serde_json::to_string(experiment)?
        );
        let mut path = self.entry_path(hash, ext).into_os_string();
        path.push(INPUTS_SUFFIX);
        write_atomic(Path::new(&path), record.as_bytes())
    }

    /// Whether entry `<hash>.<ext>` has an inputs record that reads and hashes to its name.
    pub fn inputs_intact(&self, hash: &str, ext: &str) -> bool {
        let mut path = self.entry_path(hash, ext).into_os_string();
        path.push(INPUTS_SUFFIX);
        inputs_problem(Path::new(&path), &format!("{hash}.{ext}")).is_none()
    }

    /// Every entry of the cache named `<hash>.<ext>` with its inputs record, if it has one
    /// (entries cached before inputs were recorded have none), sorted by hash. Checksums are
    /// not checked here: this is what `why` compares with, not what a run is served.
    pub fn inputs(&self, ext: &str) -> Result<Vec<Recorded>> {
        let mut found = Vec::new();
        collect_files(&self.cache_dir(), &mut |p| {
            let Some(name) = p.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                return;
            };
            match name.split_once('.') {
                Some((hash, rest)) if rest == ext && hash.len() == 64 => {
                    let mut record = p.as_os_str().to_owned();
                    record.push(INPUTS_SUFFIX);
                    let record = fs::read(&record)
                        .ok()
                        .and_then(|b| serde_json::from_slice::<InputsRecord>(&b).ok());
                    found.push(Recorded {
                        hash: hash.to_string(),
                        record,
                    });
                }
                _ => {}
            }
        })?;
        found.sort_by(|a, b| a.hash.cmp(&b.hash));
        Ok(found)
    }

    /// Stores an entry: its checksum file first, then the entry, each atomically (see the
    /// module's doc for why in this order).
    pub fn put(&self, hash: &str, ext: &str, bytes: &[u8]) -> Result<()> {
        let path = self.entry_path(hash, ext);
        write_checksum_file(&path, bytes)?;
        write_atomic(&path, bytes)
    }
}

/// The inputs record's suffix after the entry's name.
pub const INPUTS_SUFFIX: &str = ".inputs";

/// An inputs record: the unit's canonical description and the experiment that computed it.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct InputsRecord {
    pub experiment: String,
    pub inputs: serde_json::Value,
}

/// A cache entry and its inputs record (`None`: cached before inputs were recorded, or
/// unreadable).
#[derive(Clone, Debug)]
pub struct Recorded {
    pub hash: String,
    pub record: Option<InputsRecord>,
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

/// The process that wrote a temporary path, from its name (`.<name>.tmp-<pid>-<n>`,
/// `.<name>.tmp-<pid>`, `.<name>.old-<pid>`); `None` for any other name.
fn temp_owner(name: &str) -> Option<u32> {
    if !name.starts_with('.') {
        return None;
    }
    let (_, tail) = name
        .rsplit_once(".tmp-")
        .or_else(|| name.rsplit_once(".old-"))?;
    tail.split('-').next()?.parse().ok()
}

/// Whether process `pid` may still run. Where the system has no `/proc`, every process may.
fn may_run(pid: u32) -> bool {
    pid == std::process::id()
        || !Path::new("/proc/self").exists()
        || Path::new("/proc").join(pid.to_string()).exists()
}

/// Removes a dead process's temporary file or folder: `Ok(false)` when it is already gone
/// (another process sweeping the same cache got there first); any other failure is an error
/// naming the path.
fn remove_temp(path: &Path, is_dir: bool) -> Result<bool> {
    let gone = if is_dir {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    match gone {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
}

fn sweep_dir(dir: &Path) -> Result<usize> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut removed = 0;
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        match temp_owner(&name) {
            Some(pid) if !may_run(pid) => removed += usize::from(remove_temp(&path, is_dir)?),
            _ if is_dir => removed += sweep_dir(&path)?,
            _ => {}
        }
    }
    Ok(removed)
}

/// One problem `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    pub what: String,
}

/// Re-hashes every cache entry and every results folder's `SHA256SUMS`, naming each file that
/// is missing or altered. Temporary files and folders (names starting with `.`) are not
/// entries and are not looked at; nor is a cache checksum file without its entry (what a
/// write cut short between the two leaves: no entry). Returns the number of files checked
/// and the problems.
pub fn verify(root: &Path) -> Result<(usize, Vec<Problem>)> {
    let mut checked = 0;
    let mut problems = Vec::new();
    let mut sums_files = Vec::new();
    collect_files(&root.join("cache"), &mut |p| {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
        if let Some(entry) = name.as_deref().and_then(|n| n.strip_suffix(INPUTS_SUFFIX)) {
            checked += 1;
            if let Some(what) = inputs_problem(p, entry) {
                problems.push(Problem {
                    path: p.to_path_buf(),
                    what,
                });
            }
        } else if p.extension().is_some_and(|e| e == "sha256") {
            if p.with_extension("").exists() {
                sums_files.push(p.to_path_buf());
            }
        } else if !sidecar(p).exists() {
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

/// What is wrong with the inputs record at `path` of entry `entry` (`<hash>.<ext>`): its
/// inputs must hash to the entry's name.
fn inputs_problem(path: &Path, entry: &str) -> Option<String> {
    let hash = entry.split('.').next().unwrap_or_default();
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Some("no inputs record".into())
        }
        Err(_) => return Some("unreadable inputs record".into()),
    };
    match serde_json::from_slice::<InputsRecord>(&bytes).ok() {
        None => Some("unreadable inputs record".into()),
        Some(r) if crate::identity::hash_of(&r.inputs) == hash => None,
        Some(_) => {
            Some("altered inputs record (its inputs do not hash to the entry's name)".into())
        }
    }
}

fn collect_files(dir: &Path, f: &mut dyn FnMut(&Path)) -> Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
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
        fs::remove_file(sidecar(&path)).unwrap();
        let (_, problems) = verify(dir.path()).unwrap();
        assert_eq!(problems[0].what, "has no checksum file");
        // A checksum file without its entry (a write cut short) is no entry: not served, not
        // a problem.
        store.put(&h, "json", b"{\"x\":1}").unwrap();
        fs::remove_file(&path).unwrap();
        assert!(matches!(store.get(&h, "json"), Lookup::Missing));
        assert_eq!(verify(dir.path()).unwrap(), (0, vec![]));
    }

    /// Every lock lives in the artifacts folder's `locks/`: a run writes nothing elsewhere, and
    /// two processes sharing an artifacts folder (from different working directories) meet at
    /// the same lock files.
    #[test]
    fn locks_are_files_under_the_artifacts_folder() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("artifacts"));
        let held = store.try_lock("unit.lock").unwrap().expect("a free lock");
        assert!(dir.path().join("artifacts/locks/unit.lock").is_file());
        assert!(
            store.try_lock("unit.lock").unwrap().is_none(),
            "held by `held`"
        );
        drop(held);
        let batch = store.try_lock_batch("json", &["a", "b"]).unwrap();
        assert!(batch.is_some());
        let id = sha256_hex(b"a\nb");
        assert!(dir
            .path()
            .join(format!("artifacts/locks/json-{id}.lock"))
            .is_file());
        let _shared = store.lock("shared.lock", true, || panic!("free")).unwrap();
        assert!(dir.path().join("artifacts/locks/shared.lock").is_file());
    }

    #[test]
    fn sweep_removes_the_temporary_paths_of_dead_processes_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let cache = store.cache_dir().join("ab");
        let results = dir.path().join("results");
        fs::create_dir_all(&cache).unwrap();
        fs::create_dir_all(results.join(".fig.tmp-999999999/x")).unwrap();
        let dead = cache.join(".ab.json.tmp-999999999-0");
        let mine = cache.join(format!(".ab.json.tmp-{}-3", std::process::id()));
        let entry = cache.join("ab.json");
        for p in [&dead, &mine, &entry] {
            fs::write(p, b"x").unwrap();
        }
        assert_eq!(store.sweep().unwrap(), 2);
        assert!(!dead.exists() && !results.join(".fig.tmp-999999999").exists());
        assert!(mine.exists() && entry.exists());
        assert_eq!(temp_owner(".a.sha256.tmp-12-4"), Some(12));
        assert_eq!(temp_owner(".fig.old-77"), Some(77));
        assert_eq!(temp_owner("a.tmp-12-4"), None);
    }

    #[test]
    fn a_temporary_path_already_swept_is_no_error_and_other_failures_are() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join(".a.json.tmp-999999999-0");
        assert!(!remove_temp(&gone, false).unwrap());
        assert!(!remove_temp(&gone, true).unwrap());
        // A failure other than "not found" (here: a folder removed as a file, which fails
        // even for root) is reported with the path.
        let folder = dir.path().join(".fig.tmp-999999999");
        fs::create_dir(&folder).unwrap();
        let err = remove_temp(&folder, false).unwrap_err();
        assert!(format!("{err:#}").contains(".fig.tmp-999999999"), "{err:#}");
        assert!(remove_temp(&folder, true).unwrap());
        assert!(!folder.exists());
    }

    #[test]
    fn verify_counts_each_inputs_record_and_names_an_altered_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let inputs = r#"{"seed":11,"unit":"member"}"#;
        let h = sha256_hex(inputs.as_bytes());
        store.put(&h, "json", b"{}").unwrap();
        store.put_inputs(&h, "json", "exp", inputs).unwrap();
        // The entry (through its checksum file) and its inputs record.
        assert_eq!(verify(dir.path()).unwrap(), (2, vec![]));
        let record = dir
            .path()
            .join(format!("cache/{}/{h}.json.inputs", &h[..2]));
        let text = fs::read_to_string(&record).unwrap();
        fs::write(&record, text.replace("\"seed\":11", "\"seed\":12")).unwrap();
        let (checked, problems) = verify(dir.path()).unwrap();
        assert_eq!(checked, 2);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, record);
        assert!(problems[0].what.starts_with("altered inputs record"));
    }

    /// `inputs` lists exactly the entries of one extension, with their records where they
    /// have one: not checksum files, not records, not other extensions, not names that are
    /// no hash.
    #[test]
    fn inputs_lists_each_entry_of_one_extension_with_its_record() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let recorded = r#"{"seed":11,"unit":"member"}"#;
        let with = sha256_hex(recorded.as_bytes());
        let without = sha256_hex(b"cached before inputs were recorded");
        let other = sha256_hex(b"another extension");
        store.put(&with, "json", b"{}").unwrap();
        store.put_inputs(&with, "json", "exp", recorded).unwrap();
        store.put(&without, "json", b"{}").unwrap();
        store.put(&other, "safetensors", b"x").unwrap();
        // A short name in the cache folder is no entry.
        store.put("ab", "json", b"{}").unwrap();
        let listed = store.inputs("json").unwrap();
        let mut expected = vec![with.clone(), without.clone()];
        expected.sort();
        assert_eq!(
            listed.iter().map(|r| r.hash.clone()).collect::<Vec<_>>(),
            expected
        );
        for r in &listed {
            match &r.record {
                Some(rec) => {
                    assert_eq!(r.hash, with);
                    assert_eq!(rec.experiment, "exp");
                    assert_eq!(
                        rec.inputs,
                        serde_json::json!({"seed": 11, "unit": "member"})
                    );
                }
                None => assert_eq!(r.hash, without),
            }
        }
        let other_listed = store.inputs("safetensors").unwrap();
        assert_eq!(other_listed.len(), 1);
        assert_eq!(other_listed[0].hash, other);
        assert!(store.inputs("bin").unwrap().is_empty());
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
