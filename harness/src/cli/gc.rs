//! `harness gc`: which cache entries the given manifests reach (every unit of their plans),
//! and, unless `--forget-history`, those of every manifest the run history lists; the rest
//! listed by experiment with sizes (each file with `--files`) or removed through
//! [`crate::cache::gc`].

use super::{Context, ManifestArgs};
use crate::cache::gc::{self, Garbage, STORE_LOCK};
use crate::cache::Store;
use crate::kinds;
use crate::manifest::AnyManifest;
use anyhow::Result;
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;

/// List the cache entries that none of the given manifests needs, by the experiment that
/// computed them, with their sizes (a dry run); with --delete, remove them. The entries of
/// every manifest the run history lists (`harness runs`: --set variants included) are kept
/// too, unless --forget-history. Waits while a `harness run` uses the artifacts folder.
/// Example: `harness gc experiments/*.yaml --delete`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Every manifest whose entries are kept.
    #[arg(required = true)]
    pub manifests: Vec<PathBuf>,
    /// Remove the entries listed (without it nothing is removed).
    #[arg(long)]
    pub delete: bool,
    /// Keep only what the manifests given need, not also what the run history's manifests
    /// need.
    #[arg(long)]
    pub forget_history: bool,
    /// List each file, not only each experiment's total.
    #[arg(long)]
    pub files: bool,
    #[command(flatten)]
    pub values: ManifestArgs,
}

/// `harness gc`: each experiment's share (each file with `--files`), then the total.
pub fn main(ctx: &Context, args: Args) -> Result<ExitCode> {
    let mut loaded = ctx.load_all(&args.manifests)?;
    let given = loaded.len();
    let store = &ctx.store;
    let recorded = if args.forget_history {
        0
    } else {
        let mut seen = HashSet::new();
        let before = loaded.len();
        for e in super::history::list(store)? {
            if seen.insert(e.manifest_sha256.clone()) {
                loaded.extend(super::history::manifest_of(&e));
            }
        }
        loaded.len() - before
    };
    let report = gc(store, &loaded, args.delete, || {
        eprintln!(
            "waiting: a `harness run` is using {}; gc --delete starts when it ends",
            store.root().display()
        )
    })?;
    if args.files {
        for g in &report.garbage {
            println!("{}  {} bytes", g.path.display(), g.bytes);
        }
    }
    for s in gc::by_experiment(&report.garbage) {
        let name = if s.experiment.is_empty() {
            "(no inputs record)"
        } else {
            &s.experiment
        };
        println!(
            "  {name}: {} entries ({} files), {}",
            s.entries,
            s.files,
            human_bytes(s.bytes)
        );
    }
    let total: u64 = report.garbage.iter().map(|g| g.bytes).sum();
    let verb = if report.deleted {
        "removed"
    } else {
        "would remove (dry run; --delete to act)"
    };
    let history = if args.forget_history {
        "run history not consulted (--forget-history)".to_string()
    } else {
        format!("nor by the {recorded} manifest(s) the run history lists")
    };
    println!(
        "{verb}: {} file(s), {} bytes, not needed by the {given} manifest(s) given, {history}",
        report.garbage.len(),
        if report.deleted { report.bytes } else { total },
    );
    Ok(ExitCode::SUCCESS)
}

/// Bytes as people read them: `512 B`, `3.4 MB`, `1.2 GB` (powers of 1000).
fn human_bytes(b: u64) -> String {
    match b {
        0..1_000 => format!("{b} B"),
        1_000..1_000_000 => format!("{:.1} kB", b as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        _ => format!("{:.1} GB", b as f64 / 1e9),
    }
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
