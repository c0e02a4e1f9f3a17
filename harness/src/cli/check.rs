//! `harness check` for one network experiment: its results folder in the store against a
//! reference folder (by default `reference/<name>/`), judged by [`crate::results::check`] at
//! the tier the two sides' identities call for (or the one forced), printed, with `check.csv`,
//! `check_units.csv` and `check.json` written beside the run's results.

use super::{Context, ManifestArgs};
use crate::cache::Store;
use crate::manifest::Manifest;
use crate::matrix::InputError;
use crate::plan;
use crate::results::check::{self, tier::Tier, CheckReport};
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Is a finished run the same result as a reference? Tier 1 (same manifest and seeds
/// elsewhere): every unit within the devices' tolerance; tier 2 (other seeds): the same
/// claims, effects and curves; tier 3: point by point (docs/CHECK.md). Prints the tier and why
/// first; writes check.csv and check.json beside the run's results. Exit code 0 PASS, 1 FAIL,
/// 3 INCONCLUSIVE, 2 bad input (e.g. no reference).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The experiment's manifest (already run).
    pub manifest: PathBuf,
    /// The reference results folder (default: reference/<name>/).
    #[arg(long)]
    pub against: Option<PathBuf>,
    /// Force a tier: 1 unit by unit, 2 claims and effects, 3 point by point (default: chosen
    /// from the two sides' manifest hashes and seeds).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=3))]
    pub tier: Option<u8>,
    #[command(flatten)]
    pub values: ManifestArgs,
}

/// `harness check`: the report, where the details are, and the verdict as the exit code.
pub fn main(ctx: &Context, args: Args) -> Result<ExitCode> {
    let m = ctx.network(&args.manifest, |e| {
        format!(
            "`{name}` is an {} experiment, which has no replicas to test: compare its \
             results with reference/{name}/ byte for byte",
            e.kind(),
            name = e.name()
        )
    })?;
    let tier = args
        .tier
        .map(|t| {
            Tier::from_number(t).ok_or_else(|| InputError(format!("--tier {t}: give 1, 2 or 3")))
        })
        .transpose()?;
    let (report, details) = check_run(&m, &ctx.store, args.against.as_deref(), tier)?;
    print!("{}", check::table(&report));
    println!("  details: {}", details.display());
    Ok(ExitCode::from(report.outcome.exit_code()))
}

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
