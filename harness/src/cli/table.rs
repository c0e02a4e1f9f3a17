//! `harness table MANIFEST`: a finished network experiment's summary, rebuilt from its cached
//! units (so it is this manifest's, whatever the results folder holds), rendered by
//! [`crate::results::paper_table`].

use super::{Context, ManifestArgs};
use crate::cache::Store;
use crate::kinds::network::cached_outcome;
use crate::manifest::Manifest;
use crate::results::paper_table::{render, Summary, TableFormat};
use crate::results::tables;
use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

/// Print a finished experiment's summary as a table for a paper: Markdown, LaTeX (booktabs)
/// or CSV, rebuilt from the cached units (nothing is trained).
///
/// Columns are named as in summary.csv; a quantity's name without `_mean` (gen_error, cce_ksg,
/// cce_gaussian, mi, …) shows `mean ± SE` (CSV: two columns). Default: the noise level,
/// n_over_p, (model,) gen_error, the main estimator's CCE, cce_gaussian, and cce_exact /
/// theory_cce where they exist.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The experiment's manifest (already run).
    pub manifest: PathBuf,
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: TableFormat,
    /// Comma-separated column names, e.g. snr,n_over_p,gen_error,cce_ksg.
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// Significant digits of the measured numbers (1 to 17).
    #[arg(long, default_value_t = 3)]
    pub digits: usize,
    #[command(flatten)]
    pub values: ManifestArgs,
}

/// `harness table`.
pub fn main(ctx: &Context, args: Args) -> Result<ExitCode> {
    let m = ctx.network(&args.manifest, |e| {
        format!(
            "`{}` is an {} experiment: its table is accuracy.csv in its results folder",
            e.name(),
            e.kind()
        )
    })?;
    let text = table(
        &m,
        &ctx.store,
        args.format,
        args.columns.as_deref(),
        args.digits,
    )?;
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// The table of `manifest`'s summary: `columns` (default: see [`Summary::default_columns`])
/// to `digits` significant digits.
pub fn table(
    manifest: &Manifest,
    store: &Store,
    format: TableFormat,
    columns: Option<&[String]>,
    digits: usize,
) -> Result<String> {
    let (plan, outcome) = cached_outcome(manifest, store)?;
    let rows = tables::summarize(manifest, &plan, &outcome);
    let summary = Summary::parse(
        &tables::summary_csv(manifest, &plan, &rows)?,
        plan.level_column(),
    )?;
    let columns = columns.map_or_else(
        || {
            summary.default_columns(
                manifest.alignment.estimator.name(),
                manifest.compare.is_some(),
            )
        },
        <[String]>::to_vec,
    );
    let title = format!(
        "{} (manifest sha256 {}...), `harness table`",
        manifest.name,
        &plan.manifest_hash[..12]
    );
    render(&summary, &columns, digits, format, &title)
}
