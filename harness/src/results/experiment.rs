//! A network experiment's results folder, put together from its plan and outcome: the tables,
//! the per-replica values (`replicas.csv`), the claims, the figure, the data split of a
//! classification task, and the run record.

use super::check::replicas;
use super::claims::{self, claims_csv, Verdict};
use super::{figure, run_record, tables, warnings, write_results, Outcome, RecordHead};
use crate::data::datasets;
use crate::manifest::{Manifest, Task};
use crate::plan::Plan;
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What a written results folder tells the person who ran it.
pub struct Written {
    pub dir: PathBuf,
    pub verdicts: Vec<Verdict>,
    /// Warnings about the CCE estimates ([`warnings`]), also in `claims.csv`.
    pub warnings: Vec<String>,
}

/// Writes every results file of the run to `dir`; returns the folder, the verdicts and the
/// warnings.
pub fn write(
    manifest: &Manifest,
    manifest_path: &Path,
    plan: &Plan,
    outcome: &Outcome,
    dir: &Path,
    started: Instant,
) -> Result<Written> {
    let rows = tables::summarize(manifest, plan, outcome);
    let verdicts = claims::evaluate_groups(&claims::claim_groups(manifest, plan, &rows));
    let warnings = warnings::warnings(manifest, plan, &outcome.members, &rows);
    let mut files = vec![
        (
            "members.csv".to_string(),
            tables::members_csv(plan, outcome)?,
        ),
        (
            "pairs.csv".to_string(),
            tables::pairs_csv(manifest, plan, outcome)?,
        ),
        (
            "summary.csv".to_string(),
            tables::summary_csv(manifest, plan, &rows)?,
        ),
        (
            replicas::FILE.to_string(),
            replicas::replicas_csv(manifest, plan, &rows)?,
        ),
        ("claims.csv".to_string(), claims_csv(&verdicts, &warnings)?),
    ];
    let fig = manifest.figure_kind().to_string();
    let (svg, png) = figure::experiment::render(manifest, plan, &rows)?;
    files.push((format!("{fig}.svg"), svg));
    files.push((format!("{fig}.png"), png));
    let split = split_record(manifest, plan)?;
    if let Some((csv, _)) = &split {
        files.push(("split.csv".to_string(), csv.clone()));
    }
    let s = &outcome.stats;
    let mut record = run_record(
        &RecordHead {
            experiment: &manifest.name,
            kind: None,
            manifest_file: manifest_path,
            manifest_sha256: &plan.manifest_hash,
            manifest,
        },
        serde_json::json!({
            "members": plan.members.len(),
            "pairs": plan.pairs.len(),
            "members_run": s.members_run,
            "members_reused": s.members_reused,
            "pairs_run": s.pairs_run,
            "pairs_reused": s.pairs_reused,
            "corrupt_recomputed": s.corrupt_recomputed,
        }),
        serde_json::json!({
            "members": s.seconds_members,
            "pairs": s.seconds_pairs,
            "total": started.elapsed().as_secs_f64(),
        }),
    )?;
    record["device"] = manifest.device.name().into();
    record["replicas"] = manifest.sweep.replicas.into();
    record["members_per_replica"] = manifest.sweep.members.into();
    record["claims"] = verdicts
        .iter()
        .map(|v| serde_json::json!({"claim": v.claim, "pass": v.pass, "result": v.result()}))
        .collect();
    if let Some((_, info)) = split {
        record["split"] = info;
    }
    files.push((
        "run.json".to_string(),
        serde_json::to_string_pretty(&record)?.into_bytes(),
    ));
    Ok(Written {
        dir: write_results(dir, &files)?,
        verdicts,
        warnings,
    })
}

/// A classification experiment's split: `split.csv` and its summary for `run.json`.
fn split_record(manifest: &Manifest, plan: &Plan) -> Result<Option<(Vec<u8>, serde_json::Value)>> {
    let Task::Classification { dataset, .. } = &manifest.task else {
        return Ok(None);
    };
    let (pool, test) = datasets::split_rows(*dataset, manifest.seed, plan.n_test)?;
    let info = serde_json::json!({
        "dataset": dataset.name(),
        "pool_size": pool.len(),
        "test_size": test.len(),
        "pool_rows_sha256": datasets::rows_hash(&pool),
        "test_rows_sha256": datasets::rows_hash(&test),
        "rows_file": "split.csv",
    });
    Ok(Some((datasets::split_csv(&pool, &test), info)))
}
