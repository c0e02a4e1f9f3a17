//! The estimator-accuracy experiment (`kind: estimator-accuracy`, `experiments/estimators.yaml`):
//! the copula-entropy estimators run on generated data whose answer is known exactly, over a
//! grid of sample sizes, dimensions, strengths and dependence families; out come their bias,
//! spread and root-mean-square error.
//!
//! - `spec.rs`: the manifest schema and its validation.
//! - `family.rs`: the generated data and the exact CCE and MI of each family.
//! - this file: the plan (one unit per cell × data set × estimator, named by the SHA-256 of its
//!   inputs and cached like every other unit), its execution, the tables and the figure.
//!
//! Results (`artifacts/results/<name>/`): `estimates.csv` (one row per unit), `accuracy.csv`
//! (tidy: one row per family, N, dims, ρ, estimator and quantity, with truth, mean, bias, sd and
//! RMSE over the data sets), `accuracy.svg`/`.png`, `run.json` and `SHA256SUMS`.

mod family;
mod spec;

pub use family::{Family, Truth};
pub use spec::{is_accuracy_manifest, AccuracyManifest, Block, Cell, FigureCells};

use crate::cache::Store;
use crate::estimators::{self, Estimator, PairAlignment};
use crate::figure::{self, Panel, Series};
use crate::identity::{canonical_json, hash_of, ALGORITHM_VERSION};
use crate::report::cell;
use crate::report::write_results;
use anyhow::{Context, Result};
use plotters::chart::SeriesLabelPosition;
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Extension of a cached unit.
pub const UNIT_EXT: &str = "accuracy.json";

/// What one unit computes: one estimator on one generated data set. Its canonical JSON is the
/// unit's identity.
#[derive(Clone, Debug, Serialize)]
pub struct UnitSpec {
    pub unit: &'static str,
    pub algorithm_version: u32,
    pub seed: u64,
    pub family: Family,
    pub n: usize,
    pub dims: usize,
    pub rho: f64,
    pub replicate: usize,
    pub estimator: Estimator,
    pub k: usize,
}

#[derive(Clone, Debug)]
pub struct PlannedUnit {
    pub hash: String,
    pub spec: UnitSpec,
    /// Index into `AccuracyPlan::cells`.
    pub cell: usize,
}

#[derive(Clone, Debug)]
pub struct AccuracyPlan {
    pub manifest_hash: String,
    pub cells: Vec<(Cell, Truth)>,
    pub units: Vec<PlannedUnit>,
}

/// The experiment's identity: SHA-256 of the canonical manifest (description excluded).
pub fn manifest_hash(m: &AccuracyManifest) -> String {
    hash_of(m)
}

/// Every unit of the manifest, in the order (block, family, ρ, dims, N, data set, estimator).
pub fn plan(m: &AccuracyManifest) -> Result<AccuracyPlan> {
    let mut cells = Vec::new();
    let mut units = Vec::new();
    for (_, cell, seeds) in m.cells() {
        let truth = cell.family.truth(cell.dims, cell.rho)?;
        for replicate in 0..seeds {
            for &estimator in &m.estimators {
                let spec = UnitSpec {
                    unit: "estimator-accuracy",
                    algorithm_version: ALGORITHM_VERSION,
                    seed: m.seed,
                    family: cell.family,
                    n: cell.n,
                    dims: cell.dims,
                    rho: cell.rho,
                    replicate,
                    estimator,
                    k: m.k,
                };
                units.push(PlannedUnit {
                    hash: hash_of(&spec),
                    spec,
                    cell: cells.len(),
                });
            }
        }
        cells.push((cell, truth));
    }
    Ok(AccuracyPlan {
        manifest_hash: manifest_hash(m),
        cells,
        units,
    })
}

/// Runs one unit: draws its data set and applies its estimator.
pub fn run_unit(spec: &UnitSpec) -> Result<PairAlignment> {
    let (a, b) = spec
        .family
        .sample(spec.seed, spec.n, spec.dims, spec.rho, spec.replicate);
    // The tie-break seed: continuous data has no ties, but keep it tied to the data set.
    estimators::align(&a, &b, spec.estimator, spec.k, spec.replicate as u64)
}

/// How many units ran and were reused, and how long the units took.
#[derive(Clone, Copy, Debug, Default)]
pub struct AccuracyStats {
    pub units_run: usize,
    pub units_reused: usize,
    pub corrupt_recomputed: usize,
    pub seconds_units: f64,
}

/// Every unit's result, from the cache or computed (in parallel, each stored as it finishes).
pub fn execute(plan: &AccuracyPlan, store: &Store) -> Result<(Vec<PairAlignment>, AccuracyStats)> {
    let started = Instant::now();
    let mut stats = AccuracyStats::default();
    let mut results: Vec<Option<PairAlignment>> = vec![None; plan.units.len()];
    let mut pending = Vec::new();
    for (i, u) in plan.units.iter().enumerate() {
        let (hit, corrupt) = store.load(&u.hash, UNIT_EXT, |b| Ok(serde_json::from_slice(b)?));
        stats.corrupt_recomputed += corrupt as usize;
        match hit {
            Some(r) => {
                results[i] = Some(r);
                stats.units_reused += 1;
            }
            None => pending.push(i),
        }
    }
    // Largest data sets first, so that the last units to finish are short ones.
    pending.sort_by_key(|&i| {
        let s = &plan.units[i].spec;
        std::cmp::Reverse(s.n * s.dims)
    });
    let computed: Vec<(usize, PairAlignment)> = pending
        .par_iter()
        .map(|&i| {
            let u = &plan.units[i];
            let describe = || {
                format!(
                    "{} on {} N = {}, {}+{} dims, rho = {}, data set {}",
                    u.spec.estimator,
                    u.spec.family,
                    u.spec.n,
                    u.spec.dims,
                    u.spec.dims,
                    u.spec.rho,
                    u.spec.replicate
                )
            };
            let r = run_unit(&u.spec).with_context(describe)?;
            store.put(&u.hash, UNIT_EXT, &serde_json::to_vec(&r)?)?;
            crate::unitlog::computed("accuracy", &u.hash, &describe());
            Ok((i, r))
        })
        .collect::<Result<_>>()?;
    stats.units_run = computed.len();
    for (i, r) in computed {
        results[i] = Some(r);
    }
    stats.seconds_units = started.elapsed().as_secs_f64();
    let results = results
        .into_iter()
        .map(|r| r.expect("every unit is cached or computed"))
        .collect();
    Ok((results, stats))
}

/// The quantities whose accuracy is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    CceAGivenB,
    MutualInformation,
}

impl Quantity {
    pub const ALL: [Quantity; 2] = [Quantity::CceAGivenB, Quantity::MutualInformation];

    /// The CSV name (the field of [`PairAlignment`]).
    pub fn name(self) -> &'static str {
        match self {
            Quantity::CceAGivenB => "cce_a_given_b",
            Quantity::MutualInformation => "mutual_information",
        }
    }

    fn estimate(self, r: &PairAlignment) -> f64 {
        match self {
            Quantity::CceAGivenB => r.cce_a_given_b,
            Quantity::MutualInformation => r.mutual_information,
        }
    }

    fn truth(self, t: &Truth) -> f64 {
        match self {
            Quantity::CceAGivenB => t.cce_a_given_b,
            Quantity::MutualInformation => t.mutual_information,
        }
    }
}

/// One row of `accuracy.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct AccuracyRow {
    pub cell: Cell,
    pub estimator: Estimator,
    pub quantity: Quantity,
    pub truth: f64,
    pub seeds: usize,
    pub mean: f64,
    /// mean − truth.
    pub bias: f64,
    /// Sample standard deviation over the data sets (n − 1; NaN with one data set).
    pub sd: f64,
    /// √(mean of (estimate − truth)²).
    pub rmse: f64,
}

/// Bias, spread and RMSE of every (cell, estimator, quantity), in plan order.
pub fn summarize(
    m: &AccuracyManifest,
    plan: &AccuracyPlan,
    results: &[PairAlignment],
) -> Vec<AccuracyRow> {
    let mut rows = Vec::new();
    for (c, (cell, truth)) in plan.cells.iter().enumerate() {
        for &estimator in &m.estimators {
            let mine: Vec<&PairAlignment> = plan
                .units
                .iter()
                .zip(results)
                .filter(|(u, _)| u.cell == c && u.spec.estimator == estimator)
                .map(|(_, r)| r)
                .collect();
            for q in Quantity::ALL {
                let t = q.truth(truth);
                let v: Vec<f64> = mine.iter().map(|r| q.estimate(r)).collect();
                let n = v.len() as f64;
                let mean = v.iter().sum::<f64>() / n;
                let sd = if v.len() > 1 {
                    (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
                } else {
                    f64::NAN
                };
                let rmse = (v.iter().map(|x| (x - t).powi(2)).sum::<f64>() / n).sqrt();
                rows.push(AccuracyRow {
                    cell: *cell,
                    estimator,
                    quantity: q,
                    truth: t,
                    seeds: v.len(),
                    mean,
                    bias: mean - t,
                    sd,
                    rmse,
                });
            }
        }
    }
    rows
}

fn accuracy_csv(rows: &[AccuracyRow], k: usize) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "family",
        "n",
        "dims_a",
        "dims_b",
        "rho",
        "estimator",
        "k",
        "quantity",
        "truth",
        "seeds",
        "mean",
        "bias",
        "sd",
        "rmse",
    ])?;
    for r in rows {
        let c = &r.cell;
        w.write_record([
            c.family.to_string(),
            c.n.to_string(),
            c.dims.to_string(),
            c.dims.to_string(),
            cell(Some(c.rho)),
            r.estimator.to_string(),
            k.to_string(),
            r.quantity.name().to_string(),
            cell(Some(r.truth)),
            r.seeds.to_string(),
            cell(Some(r.mean)),
            cell(Some(r.bias)),
            cell(Some(r.sd)),
            cell(Some(r.rmse)),
        ])?;
    }
    Ok(w.into_inner()?)
}

fn estimates_csv(plan: &AccuracyPlan, results: &[PairAlignment]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "family",
        "n",
        "dims_a",
        "dims_b",
        "rho",
        "data_set",
        "estimator",
        "k",
        "cce_a_given_b",
        "mutual_information",
        "true_cce_a_given_b",
        "true_mutual_information",
        "unit_sha256",
    ])?;
    for (u, r) in plan.units.iter().zip(results) {
        let s = &u.spec;
        let truth = &plan.cells[u.cell].1;
        w.write_record([
            s.family.to_string(),
            s.n.to_string(),
            s.dims.to_string(),
            s.dims.to_string(),
            cell(Some(s.rho)),
            s.replicate.to_string(),
            s.estimator.to_string(),
            s.k.to_string(),
            cell(Some(r.cce_a_given_b)),
            cell(Some(r.mutual_information)),
            cell(Some(truth.cce_a_given_b)),
            cell(Some(truth.mutual_information)),
            u.hash.clone(),
        ])?;
    }
    Ok(w.into_inner()?)
}

/// One panel per dimension of the figure's (family, ρ): bias of CCE(A|B) against log10 N, one
/// colour per estimator, bars ± one sd over the data sets.
fn panels(m: &AccuracyManifest, rows: &[AccuracyRow]) -> Vec<Panel> {
    let f = m.figure.expect("parse fills in the figure cells");
    let shown: Vec<&AccuracyRow> = rows
        .iter()
        .filter(|r| {
            r.quantity == Quantity::CceAGivenB && r.cell.family == f.family && r.cell.rho == f.rho
        })
        .collect();
    let mut dims: Vec<usize> = shown.iter().map(|r| r.cell.dims).collect();
    dims.sort_unstable();
    dims.dedup();
    dims.iter()
        .map(|&d| {
            let truth = shown
                .iter()
                .find(|r| r.cell.dims == d)
                .map_or(f64::NAN, |r| r.truth);
            Panel {
                title: format!("{d} + {d} dims (true CCE {truth:.3})"),
                legend: SeriesLabelPosition::UpperRight,
                y_label: "bias of CCE(A|B), nats".into(),
                log_y: false,
                series: m
                    .estimators
                    .iter()
                    .map(|&e| Series {
                        label: e.to_string(),
                        points: shown
                            .iter()
                            .filter(|r| r.cell.dims == d && r.estimator == e)
                            .map(|r| ((r.cell.n as f64).log10(), r.bias, r.sd))
                            .collect(),
                        theory: Vec::new(),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// What a finished accuracy run reports.
pub struct AccuracyReport {
    pub name: String,
    pub hash: String,
    pub results_dir: PathBuf,
    pub stats: AccuracyStats,
    pub rows: Vec<AccuracyRow>,
    pub seconds: f64,
}

/// The whole job: plan, execute against the cache, write the results folder.
pub fn run(m: &AccuracyManifest, manifest_path: &Path, store: &Store) -> Result<AccuracyReport> {
    let started = Instant::now();
    let plan = plan(m)?;
    let (results, stats) = execute(&plan, store)?;
    let rows = summarize(m, &plan, &results);
    let f = m.figure.expect("parse fills in the figure cells");
    let title = format!(
        "{}: bias of CCE(A|B) vs N, {} copula, rho = {} per pair, k = {} (bars: ± 1 sd)",
        m.name, f.family, f.rho, m.k
    );
    let (svg, png) = figure::render(&title, "log10 N", &panels(m, &rows))?;
    let mut files = vec![
        ("accuracy.csv".to_string(), accuracy_csv(&rows, m.k)?),
        ("estimates.csv".to_string(), estimates_csv(&plan, &results)?),
        ("accuracy.svg".to_string(), svg),
        ("accuracy.png".to_string(), png),
    ];
    let record = serde_json::json!({
        "experiment": m.name,
        "kind": "estimator-accuracy",
        "manifest_file": manifest_path.display().to_string(),
        "manifest_sha256": plan.manifest_hash,
        "manifest": serde_json::from_str::<serde_json::Value>(&canonical_json(m))?,
        "harness_version": env!("CARGO_PKG_VERSION"),
        "algorithm_version": ALGORITHM_VERSION,
        "units": {
            "total": plan.units.len(),
            "run": stats.units_run,
            "reused": stats.units_reused,
            "corrupt_recomputed": stats.corrupt_recomputed,
        },
        "timings_seconds": {
            "units": stats.seconds_units,
            "total": started.elapsed().as_secs_f64(),
        },
        "threads": rayon::current_num_threads(),
    });
    files.push((
        "run.json".to_string(),
        serde_json::to_string_pretty(&record)?.into_bytes(),
    ));
    let results_dir = write_results(&store.results_dir(&m.name), &files)?;
    Ok(AccuracyReport {
        name: m.name.clone(),
        hash: plan.manifest_hash,
        results_dir,
        stats,
        rows,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests;
