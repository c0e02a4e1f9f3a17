//! `harness gc`: the cache entries that no given manifest reaches. The caller names what to
//! keep (each entry's file name, `<hash>.<ext>`, from the manifests' plans); everything else
//! under `cache/` with an entry's name, and its checksum file and inputs record, is garbage. Temporary files are
//! [swept](super::Store::sweep) as in a run.
//!
//! Deleting takes the store's lock exclusively (`locks/store.lock`), which every `harness run`
//! holds shared for as long as it runs: `gc --delete` waits (saying so) until no run is
//! working, and a run that starts meanwhile waits for it. So no run loses an entry it is
//! writing or about to read, and a kept entry is never touched.

use super::Store;
use anyhow::{Context, Result};
use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;

/// The store-wide lock: shared by runs, exclusive for `gc --delete`.
pub const STORE_LOCK: &str = "store.lock";

/// One cache file that no given manifest needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Garbage {
    pub path: PathBuf,
    pub bytes: u64,
}

/// The entry a cache file belongs to: its own name, or for a checksum file or an inputs
/// record the name without `.sha256` or `.inputs`.
fn entry_name(file: &str) -> &str {
    file.strip_suffix(".sha256")
        .or_else(|| file.strip_suffix(super::INPUTS_SUFFIX))
        .unwrap_or(file)
}

/// Every file under `cache/` whose entry is not in `keep` (entry file names,
/// `<hash>.<ext>`), sorted by path. Temporary files (names starting with `.`) are not listed.
pub fn garbage(store: &Store, keep: &HashSet<String>) -> Result<Vec<Garbage>> {
    let mut found = Vec::new();
    let cache = store.cache_dir();
    let Ok(shards) = fs::read_dir(&cache) else {
        return Ok(found);
    };
    for shard in shards {
        let shard = shard.with_context(|| format!("cannot read {}", cache.display()))?;
        if !shard.file_type()?.is_dir() {
            continue;
        }
        for file in fs::read_dir(shard.path())
            .with_context(|| format!("cannot read {}", shard.path().display()))?
        {
            let file = file?;
            let name = file.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || keep.contains(entry_name(&name)) {
                continue;
            }
            found.push(Garbage {
                path: file.path(),
                bytes: file.metadata()?.len(),
            });
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

/// One experiment's share of the garbage: `experiment` as the inputs records name it (empty
/// for entries without a readable record), its entries, its files (entries, checksum files,
/// inputs records) and their bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    pub experiment: String,
    pub entries: usize,
    pub files: usize,
    pub bytes: u64,
}

/// The garbage grouped by the experiment that computed each entry (read from its inputs
/// record), largest first.
pub fn by_experiment(garbage: &[Garbage]) -> Vec<Share> {
    let mut shares: Vec<Share> = Vec::new();
    for g in garbage {
        let name = g
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let entry = entry_name(&name);
        let record = g
            .path
            .with_file_name(format!("{entry}{}", super::INPUTS_SUFFIX));
        let experiment = fs::read(&record)
            .ok()
            .and_then(|b| serde_json::from_slice::<super::InputsRecord>(&b).ok())
            .map(|r| r.experiment)
            .unwrap_or_default();
        let i = match shares.iter().position(|s| s.experiment == experiment) {
            Some(i) => i,
            None => {
                shares.push(Share {
                    experiment,
                    entries: 0,
                    files: 0,
                    bytes: 0,
                });
                shares.len() - 1
            }
        };
        let s = &mut shares[i];
        s.files += 1;
        s.bytes += g.bytes;
        s.entries += usize::from(entry == name);
    }
    shares.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.experiment.cmp(&b.experiment)));
    shares
}

/// Removes the garbage under the store's exclusive lock (taken by the caller), and the shard
/// folders left empty. Returns the bytes freed.
pub fn delete(garbage: &[Garbage]) -> Result<u64> {
    let mut freed = 0;
    for g in garbage {
        match fs::remove_file(&g.path) {
            Ok(()) => freed += g.bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", g.path.display())),
        }
        if let Some(dir) = g.path.parent() {
            // Fails (and is left) while the folder holds anything.
            let _ = fs::remove_dir(dir);
        }
    }
    Ok(freed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_file_of_an_unneeded_entry_and_nothing_of_a_needed_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let (kept, gone) = ("ab".repeat(32), "cd".repeat(32));
        store.put(&kept, "json", b"1").unwrap();
        store.put(&gone, "json", b"22").unwrap();
        let keep: HashSet<String> = [format!("{kept}.json")].into();
        let g = garbage(&store, &keep).unwrap();
        let names: Vec<String> = g
            .iter()
            .map(|g| g.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [format!("{gone}.json"), format!("{gone}.json.sha256")]
        );
        assert_eq!(g[0].bytes, 2);
        assert_eq!(delete(&g).unwrap(), g[0].bytes + g[1].bytes);
        assert!(store.contains(&kept, "json") && !store.contains(&gone, "json"));
        assert!(garbage(&store, &keep).unwrap().is_empty());
    }
}
