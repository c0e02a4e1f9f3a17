//! `harness check` for one network experiment: its results folder in the store against a
//! reference folder (by default `reference/<name>/`), judged by [`crate::results::check`],
//! with `check.csv` and `check.json` written beside the run's results.

use crate::cache::Store;
use crate::manifest::Manifest;
use crate::results::check::{self, CheckReport};
use anyhow::Result;
use std::path::{Path, PathBuf};

/// Judges the stored run of `manifest` against `against` (default `reference/<name>/`),
/// writes the details and returns the report and the path of `check.csv`.
pub fn check_run(
    manifest: &Manifest,
    store: &Store,
    against: Option<&Path>,
) -> Result<(CheckReport, PathBuf)> {
    let reference = against.map_or_else(
        || Path::new("reference").join(&manifest.name),
        Path::to_path_buf,
    );
    let report = check::check(manifest, &store.results_dir(&manifest.name), &reference)?;
    let details = check::write(&report)?;
    Ok((report, details))
}
