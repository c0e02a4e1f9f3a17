//! The estimator-accuracy experiment's results folder: its tables ([`super::accuracy`]), its
//! figure ([`super::figure::accuracy`]) and the run record.

use super::accuracy::{
    accuracy_csv, accuracy_wide_csv, estimates_csv, summarize, versus_csv, AccuracyRow,
};
use crate::estimators::PairAlignment;
use crate::manifest::accuracy::AccuracyManifest;
use crate::plan::accuracy::AccuracyPlan;
use anyhow::Result;

/// Writes every results file of an accuracy run to `dir`: the tables, the figure and the run
/// record. Returns the folder and the rows of `accuracy.csv`.
pub fn write(
    m: &AccuracyManifest,
    manifest_path: &std::path::Path,
    plan: &AccuracyPlan,
    results: &[PairAlignment],
    stats: &crate::cache::executor::PhaseStats,
    dir: &std::path::Path,
    started: std::time::Instant,
) -> Result<(std::path::PathBuf, Vec<AccuracyRow>)> {
    let rows = summarize(m, plan, results);
    let (svg, png) = super::figure::accuracy::render(m, &plan.manifest_hash, &rows)?;
    let mut files = vec![
        ("accuracy.csv".to_string(), accuracy_csv(&rows, m.k)?),
        (
            "accuracy_wide.csv".to_string(),
            accuracy_wide_csv(&rows, &m.estimators, m.k)?,
        ),
        ("versus.csv".to_string(), versus_csv(&rows, &m.estimators)?),
        ("estimates.csv".to_string(), estimates_csv(plan, results)?),
        ("accuracy.svg".to_string(), svg),
        ("accuracy.png".to_string(), png),
    ];
    let record = super::run_record(
        &super::RecordHead {
            experiment: &m.name,
            kind: Some("estimator-accuracy"),
            manifest_file: manifest_path,
            manifest_sha256: &plan.manifest_hash,
            overrides: &m.overrides,
            manifest: m,
        },
        serde_json::json!({
            "total": plan.units.len(),
            "run": stats.run,
            "reused": stats.reused,
            "corrupt_recomputed": stats.corrupt_recomputed,
            "waited_for_another_process": stats.waited,
        }),
        serde_json::json!({
            "units": stats.seconds,
            "total": started.elapsed().as_secs_f64(),
        }),
    )?;
    files.push((
        "run.json".to_string(),
        serde_json::to_string_pretty(&record)?.into_bytes(),
    ));
    Ok((super::write_results(dir, &files)?, rows))
}
