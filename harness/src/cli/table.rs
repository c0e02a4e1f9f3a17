//! `harness table MANIFEST`: a finished network experiment's summary, rebuilt from its cached
//! units (so it is this manifest's, whatever the results folder holds), rendered by
//! [`crate::results::paper_table`].

use super::run::cached_outcome;
use crate::cache::Store;
use crate::manifest::Manifest;
use crate::results::paper_table::{render, Summary, TableFormat};
use crate::results::tables;
use anyhow::Result;

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
