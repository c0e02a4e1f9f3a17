//! `harness check` for one network experiment: its results folder in the store against a
//! reference folder (by default `reference/<name>/`), judged by [`crate::results::check`] at
//! the tier the two sides' identities call for (or the one forced), printed, with `check.csv`,
//! `check_units.csv` and `check.json` written beside the run's results.

use crate::cache::Store;
use crate::manifest::Manifest;
use crate::matrix::InputError;
use crate::plan;
use crate::results::check::{self, tier::Tier, CheckReport};
use anyhow::Result;
use std::path::{Path, PathBuf};

/// Judges the stored run of `manifest` against `against` (default `reference/<name>/`),
/// writes the details and returns the report and the path of `check.csv`. A missing default
/// reference is bad input (exit code 2): "no reference for NAME: pass --against DIR".
pub fn check_run(
    manifest: &Manifest,
    store: &Store,
    against: Option<&Path>,
    tier: Option<Tier>,
) -> Result<(CheckReport, PathBuf)> {
    let home = crate::results::results_home(store, &manifest.name, &plan::manifest_hash(manifest));
    if !home.dir.join(check::replicas::FILE).exists() {
        anyhow::bail!(
            "{} does not exist: no results of `{}` under {} (run it first: `harness run`)",
            home.dir.join(check::replicas::FILE).display(),
            manifest.name,
            store.root().display()
        );
    }
    let reference = match against {
        Some(dir) => {
            if !dir.is_dir() {
                return Err(InputError(format!(
                    "--against {}: no such folder (a results folder or a reference/<name>/)",
                    dir.display()
                ))
                .into());
            }
            dir.to_path_buf()
        }
        None => {
            let dir = Path::new("reference").join(&manifest.name);
            if !dir.join(check::replicas::FILE).exists() {
                return Err(InputError(format!(
                    "no reference for {}: pass --against DIR (a results folder of another run \
                     of it; reference/{}/ holds none)",
                    manifest.name, manifest.name
                ))
                .into());
            }
            dir
        }
    };
    let report = check::check(manifest, &home.dir, &reference, tier)?;
    let details = check::write(&report)?;
    Ok((report, details))
}

/// The command: checks, prints the report and where the details are, and returns the exit
/// code (0 PASS, 1 FAIL, 3 INCONCLUSIVE).
pub fn command(
    manifest: &Manifest,
    store: &Store,
    against: Option<&Path>,
    tier: Option<u8>,
) -> Result<u8> {
    let tier = tier.map(|t| {
        Tier::from_number(t).ok_or_else(|| InputError(format!("--tier {t}: give 1, 2 or 3")))
    });
    let tier = tier.transpose()?;
    let (report, details) = check_run(manifest, store, against, tier)?;
    print!("{}", check::table(&report));
    println!("  details: {}", details.display());
    Ok(report.outcome.exit_code())
}
