//! `harness gc`: which cache entries the given manifests reach (every unit of their plans),
//! and the rest listed or removed through [`crate::cache::gc`].

use super::{Context, ManifestArgs};
use crate::cache::gc::{self, Garbage, STORE_LOCK};
use crate::cache::Store;
use crate::kinds;
use crate::manifest::AnyManifest;
use anyhow::Result;
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;

/// List the cache entries that none of the given manifests needs, with their sizes (a dry
/// run); with --delete, remove them. Waits while a `harness run` uses the artifacts folder.
/// Example: `harness gc experiments/*.yaml --delete`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Every manifest whose entries are kept.
    #[arg(required = true)]
    pub manifests: Vec<PathBuf>,
    /// Remove the entries listed (without it nothing is removed).
    #[arg(long)]
    pub delete: bool,
    #[command(flatten)]
    pub values: ManifestArgs,
}

/// `harness gc`: each file, then the total.
pub fn main(ctx: &Context, args: Args) -> Result<ExitCode> {
    let loaded = ctx.load_all(&args.manifests)?;
    let store = &ctx.store;
    let report = gc(store, &loaded, args.delete, || {
        eprintln!(
            "waiting: a `harness run` is using {}; gc --delete starts when it ends",
            store.root().display()
        )
    })?;
    for g in &report.garbage {
        println!("{}  {} bytes", g.path.display(), g.bytes);
    }
    let total: u64 = report.garbage.iter().map(|g| g.bytes).sum();
    let verb = if report.deleted {
        "removed"
    } else {
        "would remove (dry run; --delete to act)"
    };
    println!(
        "{verb}: {} file(s), {} bytes, not needed by the {} manifest(s) given",
        report.garbage.len(),
        if report.deleted { report.bytes } else { total },
        loaded.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// The entry file names (`<hash>.<ext>`) of every unit of the manifests' plans.
pub fn needed(manifests: &[AnyManifest]) -> Result<HashSet<String>> {
    let mut keep = HashSet::new();
    for m in manifests {
        keep.extend(kinds::of(m).work()?.entry_names());
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
