//! `harness gc`: which cache entries the given manifests reach (every unit of their plans),
//! and the rest listed or removed through [`crate::cache::gc`].

use crate::cache::gc::{self, Garbage, STORE_LOCK};
use crate::cache::Store;
use crate::manifest::AnyManifest;
use crate::plan::{self, accuracy};
use anyhow::Result;
use std::collections::HashSet;

/// The entry file names (`<hash>.<ext>`) of every unit of the manifests' plans.
pub fn needed(manifests: &[AnyManifest]) -> Result<HashSet<String>> {
    let mut keep = HashSet::new();
    for m in manifests {
        match m {
            AnyManifest::Experiment(m) => {
                let p = plan::plan(m);
                keep.extend(
                    p.members
                        .iter()
                        .map(|u| format!("{}.{}", u.hash, plan::MEMBER_EXT)),
                );
                keep.extend(
                    p.pairs
                        .iter()
                        .flat_map(|u| {
                            std::iter::once(&u.hash).chain(u.draws.iter().map(|d| &d.hash))
                        })
                        .map(|hash| format!("{hash}.{}", plan::PAIR_EXT)),
                );
            }
            AnyManifest::Accuracy(m) => {
                let p = accuracy::plan(m)?;
                keep.extend(
                    p.units
                        .iter()
                        .map(|u| format!("{}.{}", u.hash, accuracy::UNIT_EXT)),
                );
            }
        }
    }
    Ok(keep)
}

/// What `gc` found and, with `delete`, removed.
pub struct GcReport {
    pub garbage: Vec<Garbage>,
    pub bytes: u64,
    pub deleted: bool,
}

/// Lists (and with `delete` removes, under the store's exclusive lock) the cache files that
/// no manifest in `manifests` needs. `on_wait` runs if a run holds the store.
pub fn gc(
    store: &Store,
    manifests: &[AnyManifest],
    delete: bool,
    on_wait: impl FnOnce(),
) -> Result<GcReport> {
    let keep = needed(manifests)?;
    if !delete {
        let garbage = gc::garbage(store, &keep)?;
        let bytes = garbage.iter().map(|g| g.bytes).sum();
        return Ok(GcReport {
            garbage,
            bytes,
            deleted: false,
        });
    }
    let _lock = store.lock(STORE_LOCK, false, on_wait)?;
    store.sweep()?;
    let garbage = gc::garbage(store, &keep)?;
    let bytes = gc::delete(&garbage)?;
    Ok(GcReport {
        garbage,
        bytes,
        deleted: true,
    })
}
