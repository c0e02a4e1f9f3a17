//! `harness check` for one network experiment: its results folder in the store against a
//! reference folder (by default `reference/<name>/`), judged by [`crate::results::check`],
//! with `check.csv` and `check.json` written beside the run's results.

use crate::cache::Store;
use crate::manifest::Manifest;
use crate::plan;
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
    if !manifest.sweep.over.is_empty() {
        anyhow::bail!(
            "`{}` sweeps {} (`sweep.over`): `harness check` compares an experiment without \
             `sweep.over` with its reference; use `harness diff` to compare two runs",
            manifest.name,
            manifest
                .sweep
                .over
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let dir = crate::results::results_of(store, &manifest.name, &plan::manifest_hash(manifest));
    let report = check::check(manifest, &dir, &reference)?;
    let details = check::write(&report)?;
    Ok((report, details))
}
