//! A network experiment's results folder, put together from its plan and outcome: the tables,
//! the per-replica values (`replicas.csv`), every unit's values (`units.csv`), the claims, the
//! figure, the data split of a classification task and its subset overlap (`overlap.csv`), and
//! the run record. An
//! experiment with `sweep.over` is written as its combinations ([`super::parts`]), each summarized and
//! judged on its own, in one folder: the swept keys are the first columns of every CSV and
//! each combination is one row of the figure's panels.

use super::check::{replicas, units};
use super::claims::{claims_csv, Verdict, Verdicts};
use super::parts::{parts, Part};
use super::tables::with_variant_columns;
use super::{figure, overlap, run_record, tables, write_results, Outcome, RecordHead};
use crate::data::datasets;
use crate::manifest::{Manifest, Task};
use crate::plan::Plan;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What a written results folder tells the person who ran it.
pub struct Written {
    pub dir: PathBuf,
    /// With `sweep.over`, each combination's, its values leading the detail.
    pub verdicts: Verdicts,
    /// Warnings about the CCE estimates ([`warnings`]), also in `claims.csv`.
    pub warnings: Vec<String>,
}

/// Writes every results file of the run to `dir`; returns the folder, the verdicts and the
/// warnings.
pub fn write(
    manifest: &Manifest,
    manifest_path: &Path,
    plan: &Plan,
    outcome: Outcome,
    dir: &Path,
    started: Instant,
) -> Result<Written> {
    let stats = outcome.stats.clone();
    let parts = parts(manifest, plan, outcome);
    let table = |f: &dyn Fn(&Part) -> Result<Vec<u8>>| -> Result<Vec<u8>> {
        let each: Vec<(&[(String, String)], Vec<u8>)> = parts
            .iter()
            .map(|p| Ok((p.values, f(p)?)))
            .collect::<Result<_>>()?;
        with_variant_columns(&each)
    };
    let mut files = vec![
        (
            "members.csv".to_string(),
            table(&|p| tables::members_csv(p.plan, &p.outcome))?,
        ),
        (
            "pairs.csv".to_string(),
            table(&|p| tables::pairs_csv(p.manifest, p.plan, &p.outcome))?,
        ),
        (
            "summary.csv".to_string(),
            table(&|p| tables::summary_csv(p.manifest, p.plan, &p.rows))?,
        ),
        (
            replicas::FILE.to_string(),
            table(&|p| replicas::replicas_csv(p.manifest, p.plan, &p.rows))?,
        ),
        (
            units::FILE.to_string(),
            table(&|p| units::units_csv(p.plan, &p.outcome))?,
        ),
        (
            "claims.csv".to_string(),
            table(&|p| claims_csv(&p.verdicts, &p.warnings))?,
        ),
    ];
    // With `sweep.over`, each combination's values lead the detail of its verdicts.
    let labelled = |vs: fn(&Verdicts) -> &Vec<Verdict>| -> Vec<Verdict> {
        parts
            .iter()
            .flat_map(|p| {
                let label = p.label();
                vs(&p.verdicts).iter().map(move |v| Verdict {
                    detail: if label.is_empty() {
                        v.detail.clone()
                    } else {
                        format!("[{label}] {}", v.detail)
                    },
                    ..v.clone()
                })
            })
            .collect()
    };
    let verdicts = Verdicts {
        v1: labelled(|v| &v.v1),
        v2: labelled(|v| &v.v2),
        v3: labelled(|v| &v.v3),
    };
    let warnings: Vec<String> = parts
        .iter()
        .flat_map(|p| {
            let label = p.label();
            p.warnings.iter().map(move |w| {
                if label.is_empty() {
                    w.clone()
                } else {
                    format!("[{label}] {w}")
                }
            })
        })
        .collect();
    let fig = manifest.figure_kind().to_string();
    let (svg, png) = match parts.as_slice() {
        [whole] if whole.values.is_empty() => {
            figure::experiment::render(manifest, plan, &whole.rows)?
        }
        _ => figure::experiment::render_parts(manifest, &parts)?,
    };
    files.push((format!("{fig}.svg"), svg));
    files.push((format!("{fig}.png"), png));
    let ties: Vec<(&[(String, String)], Vec<u8>)> = parts
        .iter()
        .filter_map(|p| {
            super::ties::ties_csv(p.plan, &p.outcome)
                .transpose()
                .map(|csv| csv.map(|c| (p.values, c)))
        })
        .collect::<Result<_>>()?;
    if !ties.is_empty() {
        files.push((super::ties::FILE.to_string(), with_variant_columns(&ties)?));
    }
    let split = split_record(manifest, plan)?;
    if let Some((csv, info)) = &split {
        files.push(("split.csv".to_string(), csv.clone()));
        files.push((
            "overlap.csv".to_string(),
            overlap_file(manifest, plan, info)?,
        ));
    }
    let s = &stats;
    let mut record = run_record(
        &RecordHead {
            experiment: &manifest.name,
            kind: None,
            manifest_file: manifest_path,
            manifest_sha256: &plan.manifest_hash,
            overrides: &manifest.overrides,
            manifest,
        },
        serde_json::json!({
            "members": plan.members.len(),
            "pairs": plan.pairs.len(),
            "members_run": s.members_run,
            "members_reused": s.members_reused,
            "pairs_run": s.pairs_run,
            "pairs_reused": s.pairs_reused,
            "tie_draws_run": s.ties_run,
            "tie_draws_reused": s.ties_reused,
            "corrupt_recomputed": s.corrupt_recomputed,
            "waited_for_another_process": s.waited,
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
    if !plan.variants.is_empty() {
        record["sweep_over"] = plan
            .variants
            .iter()
            .map(|v| {
                v.values
                    .iter()
                    .map(|(k, x)| (k.clone(), serde_json::Value::from(x.clone())))
                    .collect::<serde_json::Map<_, _>>()
                    .into()
            })
            .collect::<Vec<serde_json::Value>>()
            .into();
    }
    record["claims"] = verdicts
        .rows()
        .map(|(rules, v)| {
            serde_json::json!({"rules": rules, "claim": v.claim, "pass": v.pass, "result": v.result()})
        })
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

/// A classification experiment's `overlap.csv`, on the pool that `info` (the split record)
/// describes.
fn overlap_file(manifest: &Manifest, plan: &Plan, info: &serde_json::Value) -> Result<Vec<u8>> {
    let Task::Classification { pairing, .. } = &manifest.task else {
        anyhow::bail!("overlap.csv is written for classification experiments only");
    };
    let pool = info["pool_size"]
        .as_u64()
        .context("split record without pool_size")? as usize;
    let points: Vec<(usize, f64)> = plan.points.iter().map(|p| (p.n, p.n_over_p)).collect();
    let rows = overlap::overlap_rows(
        manifest.seed,
        *pairing,
        pool,
        &points,
        manifest.sweep.replicas,
        manifest.sweep.members,
    );
    overlap::overlap_csv(*pairing, pool, &rows)
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
