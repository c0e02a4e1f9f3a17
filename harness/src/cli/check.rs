//! `harness check` for one network experiment: its results folder in the store against a
//! reference folder (by default `reference/<name>/`), judged by [`crate::results::check`],
//! with `check.csv` and `check.json` written beside the run's results.

use super::{Context, ManifestArgs};
use crate::cache::Store;
use crate::manifest::Manifest;
use crate::plan;
use crate::results::check::{self, CheckReport};
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Is a finished run the same result as a reference, within the seed-to-seed variation?
/// Per point and quantity an equivalence test within the manifest's `check:` margins
/// (docs/CHECK.md); prints a table, writes check.csv beside the run's results. Exit code
/// 0 PASS, 1 FAIL, 3 INCONCLUSIVE.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The experiment's manifest (already run).
    pub manifest: PathBuf,
    /// The reference results folder (default: reference/<name>/).
    #[arg(long)]
    pub against: Option<PathBuf>,
    #[command(flatten)]
    pub values: ManifestArgs,
}

/// `harness check`: the table, where the details are, and the verdict as the exit code.
pub fn main(ctx: &Context, args: Args) -> Result<ExitCode> {
    let m = ctx.network(&args.manifest, |e| {
        format!(
            "`{name}` is an {} experiment, which has no replicas to test: compare its \
             results with reference/{name}/ byte for byte",
            e.kind(),
            name = e.name()
        )
    })?;
    let (report, details) = check_run(&m, &ctx.store, args.against.as_deref())?;
    print!("{}", check::table(&report));
    println!("  details: {}", details.display());
    Ok(ExitCode::from(report.outcome.exit_code()))
}

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
    let home = crate::results::results_home(store, &manifest.name, &plan::manifest_hash(manifest));
    let report = check::check(manifest, &home.dir, &reference)?;
    let details = check::write(&report)?;
    Ok((report, details))
}
