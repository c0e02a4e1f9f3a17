//! The whole job for one manifest: plan, execute against the cache, summarize, judge the
//! claims, draw the figure and write the results folder with its run record.

use crate::cache::Store;
use crate::claims::{self, ClaimPoint, Curve, Verdict};
use crate::datasets;
use crate::experiment::{execute, plan, RunStats};
use crate::figure::{self, Panel, Series};
use crate::identity::canonical_json;
use crate::manifest::{Level, Manifest, Model, Task, Train};
use crate::report::{self, SummaryRow};
use crate::theory;
use anyhow::Result;
use plotters::chart::SeriesLabelPosition;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What a finished run reports to the person who started it.
pub struct RunReport {
    pub name: String,
    pub hash: String,
    pub results_dir: PathBuf,
    pub stats: RunStats,
    pub verdicts: Vec<Verdict>,
    pub seconds: f64,
}

pub fn run_manifest(
    manifest: &Manifest,
    manifest_path: &Path,
    store: &Store,
    quiet: bool,
) -> Result<RunReport> {
    let started = Instant::now();
    let plan = plan(manifest);
    let outcome = execute(manifest, &plan, store, quiet)?;
    let rows = report::summarize(manifest, &plan, &outcome);
    let verdicts = claims::evaluate_groups(&claim_groups(manifest, &rows));

    let mut files = vec![
        (
            "members.csv".to_string(),
            report::members_csv(manifest, &plan, &outcome)?,
        ),
        (
            "pairs.csv".to_string(),
            report::pairs_csv(manifest, &plan, &outcome)?,
        ),
        (
            "summary.csv".to_string(),
            report::summary_csv(manifest, &rows)?,
        ),
        (
            crate::check::replicas::FILE.to_string(),
            crate::check::replicas::replicas_csv(manifest, &rows, &plan.manifest_hash)?,
        ),
        ("claims.csv".to_string(), claims_csv(&verdicts)?),
    ];
    let fig = manifest.figure_kind().to_string();
    let (svg, png) = figure::render(&figure_title(manifest), "n / P", &panels(manifest, &rows))?;
    files.push((format!("{fig}.svg"), svg));
    files.push((format!("{fig}.png"), png));
    let split = split_record(manifest)?;
    if let Some((csv, _)) = &split {
        files.push(("split.csv".to_string(), csv.clone()));
    }
    let mut record = serde_json::json!({
        "experiment": manifest.name,
        "manifest_file": manifest_path.display().to_string(),
        "manifest_sha256": plan.manifest_hash,
        "manifest": serde_json::from_str::<serde_json::Value>(&canonical_json(manifest))?,
        "harness_version": env!("CARGO_PKG_VERSION"),
        "algorithm_version": crate::identity::ALGORITHM_VERSION,
        "units": {
            "members": plan.members.len(),
            "pairs": plan.pairs.len(),
            "members_run": outcome.stats.members_run,
            "members_reused": outcome.stats.members_reused,
            "pairs_run": outcome.stats.pairs_run,
            "pairs_reused": outcome.stats.pairs_reused,
            "corrupt_recomputed": outcome.stats.corrupt_recomputed,
        },
        "timings_seconds": {
            "members": outcome.stats.seconds_members,
            "pairs": outcome.stats.seconds_pairs,
            "total": started.elapsed().as_secs_f64(),
        },
        "threads": rayon::current_num_threads(),
        "device": manifest.device,
        "replicas": manifest.sweep.replicas,
        "members_per_replica": manifest.sweep.members,
        "claims": verdicts.iter().map(|v| serde_json::json!({"claim": v.claim, "pass": v.pass, "result": v.result()})).collect::<Vec<_>>(),
    });
    if let Some((_, info)) = split {
        record["split"] = info;
    }
    files.push((
        "run.json".to_string(),
        serde_json::to_string_pretty(&record)?.into_bytes(),
    ));
    let results_dir = report::write_results(&store.results_dir(&manifest.name), &files)?;
    Ok(RunReport {
        name: manifest.name.clone(),
        hash: plan.manifest_hash,
        results_dir,
        stats: outcome.stats,
        verdicts,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// A classification experiment's split: `split.csv` and its summary for `run.json`.
fn split_record(manifest: &Manifest) -> Result<Option<(Vec<u8>, serde_json::Value)>> {
    let Task::Classification {
        dataset, n_test, ..
    } = &manifest.task
    else {
        return Ok(None);
    };
    let n_test = n_test.unwrap_or(dataset.default_test_size());
    let (pool, test) = datasets::split_rows(*dataset, manifest.seed, n_test)?;
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

/// C4 judged across several finished experiments (e.g. fig1–fig3): every (experiment,
/// network, SNR) curve's points pooled, each experiment's summary rebuilt from its cached
/// units (nothing is trained: an experiment with missing units is an error naming it).
/// Writes `<artifacts>/results/claims/claims.csv` and returns the verdict.
pub fn cross_experiment_c4(manifests: &[Manifest], store: &Store) -> Result<(Verdict, PathBuf)> {
    let mut curves = Vec::new();
    let mut names = Vec::new();
    for manifest in manifests {
        let plan = plan(manifest);
        let missing = plan
            .members
            .iter()
            .filter(|m| !store.contains(&m.hash, crate::experiment::MEMBER_EXT))
            .count()
            + plan
                .pairs
                .iter()
                .filter(|p| !store.contains(&p.hash, crate::experiment::PAIR_EXT))
                .count();
        if missing > 0 {
            anyhow::bail!(
                "experiment `{}` has {missing} units not in the cache: run it first",
                manifest.name
            );
        }
        let outcome = execute(manifest, &plan, store, true)?;
        let rows = report::summarize(manifest, &plan, &outcome);
        for (_, group) in claim_groups(manifest, &rows) {
            curves.extend(group.into_iter().map(|c| Curve {
                label: format!("{} {}", manifest.name, c.label),
                ..c
            }));
        }
        names.push(format!("{} ({})", manifest.name, &plan.manifest_hash[..12]));
    }
    let mut verdict = claims::c4(&curves);
    verdict.detail = format!("across {}: {}", names.join(", "), verdict.detail);
    let dir = report::write_results(
        &store.results_dir("claims"),
        &[(
            "claims.csv".to_string(),
            claims_csv(std::slice::from_ref(&verdict))?,
        )],
    )?;
    Ok((verdict, dir))
}

/// The curves the claims are judged on, one group per network (see
/// [`claims::evaluate_groups`]).
pub fn claim_groups(manifest: &Manifest, rows: &[SummaryRow]) -> Vec<(String, Vec<Curve>)> {
    let main = manifest.alignment.estimator.name();
    let networks = manifest.networks();
    (0..networks.len())
        .map(|net| {
            let mine: Vec<&SummaryRow> = rows.iter().filter(|r| r.network == net).collect();
            let name = networks[net].0.name().to_string();
            let prefix = if networks.len() > 1 {
                format!("{name} ")
            } else {
                String::new()
            };
            (name, claim_curves(&mine, main, &prefix))
        })
        .collect()
}

/// One curve per noise level, in sweep order, with the CCE of measure `main` (an estimator
/// name); each label starts with `prefix`. Label noise enters the claims in place of 1/SNR
/// (cleaner = larger `signal`).
fn claim_curves(rows: &[&SummaryRow], main: &str, prefix: &str) -> Vec<Curve> {
    let mut curves: Vec<Curve> = Vec::new();
    for r in rows {
        let label = format!("{prefix}{}", r.point.level.label());
        let missing = report::Estimate {
            mean: f64::NAN,
            se: f64::NAN,
        };
        let point = ClaimPoint {
            n_over_p: r.point.n_over_p,
            cce: r.cce.get(main).copied().unwrap_or(missing),
            gen_error: r.gen_error,
        };
        match curves.iter_mut().find(|c| c.label == label) {
            Some(c) => c.points.push(point),
            None => curves.push(Curve {
                label,
                signal: r.point.level.signal(),
                points: vec![point],
            }),
        }
    }
    for c in &mut curves {
        c.points.sort_by(|a, b| a.n_over_p.total_cmp(&b.n_over_p));
    }
    curves
}

fn claims_csv(verdicts: &[Verdict]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["claim", "result", "statement", "detail"])?;
    for v in verdicts {
        w.write_record([v.claim, v.result(), v.statement, &v.detail])?;
    }
    Ok(w.into_inner()?)
}

fn figure_title(manifest: &Manifest) -> String {
    let d = match &manifest.task {
        Task::LinearTeacher { d, .. } => *d,
        Task::Classification {
            dataset, pairing, ..
        } => {
            let model = match &manifest.model {
                Model::Fcnn { width, .. } => format!("fcnn width {width}"),
                Model::Cnn5 { width } => format!("cnn5 width {width}"),
                other => other.name().to_string(),
            };
            return format!(
                "{}: {model} on {dataset} with label noise (same initialization, {}), {} replicas × {} members",
                manifest.name,
                pairing.name(),
                manifest.sweep.replicas,
                manifest.sweep.members
            );
        }
    };
    let network = |model: &Model, train: &Train| -> String {
        let solver = match train {
            Train::MinNorm {} => "at the global minimum".to_string(),
            Train::Gd { .. } => "trained by gradient descent".to_string(),
            Train::Adam { .. } => "trained by Adam".to_string(),
            Train::Sgd { .. } => "trained by SGD".to_string(),
        };
        match model {
            Model::Relu2 { width, .. } => {
                format!("two-layer ReLU network of width {width} {solver}")
            }
            Model::Linear2 {} => format!("two-layer linear network {solver}"),
            other => format!("{} {solver}", other.name()),
        }
    };
    let what = match &manifest.compare {
        None => network(&manifest.model, &manifest.train),
        Some(c) => format!(
            "{} vs {} on the same data",
            manifest.model.name(),
            c.model.name()
        ),
    };
    format!(
        "{}: {what}, d = {d}, {} replicas × {} members",
        manifest.name, manifest.sweep.replicas, manifest.sweep.members
    )
}

/// The two panels: generalization error (log scale) and the main estimator's CCE, one
/// series per (network, SNR) at the network's own n/P, with the theory of SPEC §5 as lines
/// where it applies. In a comparison the CCE series are CCE(network | the other).
fn panels(manifest: &Manifest, rows: &[SummaryRow]) -> Vec<Panel> {
    let main = manifest.alignment.estimator.name();
    let d = match &manifest.task {
        Task::LinearTeacher { d, .. } => *d,
        Task::Classification { .. } => 0,
    };
    let classification = matches!(manifest.task, Task::Classification { .. });
    let networks = manifest.networks();
    let has_theory = rows.iter().any(|r| r.theory_cce.is_some());
    let mut gen_series = Vec::new();
    let mut cce_series = Vec::new();
    for (net, (model, _)) in networks.iter().enumerate() {
        let p = manifest.parameter_count_of(model);
        let (gen_label, cce_label) = match networks.len() {
            1 => (String::new(), String::new()),
            _ => {
                let other = networks[1 - net].0.name();
                (
                    format!("{} ", model.name()),
                    format!("CCE({} | {other}) ", model.name()),
                )
            }
        };
        for level in manifest.sweep.levels() {
            let snr = level.value();
            let mine: Vec<&SummaryRow> = rows
                .iter()
                .filter(|r| r.network == net && r.point.level == level)
                .collect();
            let max_n = mine.iter().map(|r| r.point.n).max().unwrap_or(1);
            let dense = |f: &dyn Fn(usize) -> Option<f64>| -> Vec<(f64, f64)> {
                if !has_theory || !matches!(level, Level::Snr(_)) {
                    return Vec::new();
                }
                (1..=max_n)
                    .map(|n| (n as f64 / p as f64, f(n).unwrap_or(f64::NAN)))
                    .collect()
            };
            gen_series.push(Series {
                label: format!("{gen_label}{}", level.label()),
                points: mine
                    .iter()
                    .map(|r| (r.point.n_over_p, r.gen_error.mean, r.gen_error.se))
                    .collect(),
                theory: dense(&|n| theory::gen_error(d, n, snr)),
            });
            cce_series.push(Series {
                label: format!("{cce_label}{}", level.label()),
                points: mine
                    .iter()
                    .filter_map(|r| r.cce.get(main).map(|e| (r.point.n_over_p, e.mean, e.se)))
                    .collect(),
                theory: dense(&|n| theory::cce(d, n, snr)),
            });
        }
    }
    let theory_note = if has_theory {
        "; lines: theory (SPEC §5)"
    } else {
        ""
    };
    let x_note = if networks.len() > 1 {
        " (each network at its own P)"
    } else {
        ""
    };
    vec![
        Panel {
            title: format!("(a) generalization error{theory_note}{x_note}"),
            y_label: if classification {
                "test error on clean labels".into()
            } else {
                "excess risk".into()
            },
            log_y: !classification,
            legend: SeriesLabelPosition::UpperRight,
            series: gen_series,
        },
        Panel {
            title: format!(
                "(b) alignment: CCE ({main}, k = {}){theory_note}",
                manifest.alignment.k
            ),
            y_label: "CCE (nats), lower = more aligned".into(),
            log_y: false,
            legend: SeriesLabelPosition::LowerMiddle,
            series: cce_series,
        },
    ]
}
