//! The tables of the estimator-accuracy experiment: `estimates.csv` (one row per unit),
//! `accuracy.csv` (tidy: one row per family, N, dims, ρ, estimator and quantity, with truth,
//! mean, bias, sd and RMSE over the data sets) and `accuracy_wide.csv` (the same numbers with
//! the estimators side by side: one row per cell and quantity, bias, sd and RMSE of each
//! estimator in columns). Its figure is in [`super::figure::accuracy`], its results folder in
//! [`super::accuracy_folder`].

use super::tables::cell;
use crate::estimators::{Estimator, PairAlignment, Truth};
use crate::manifest::accuracy::{AccuracyManifest, Cell};
use crate::plan::accuracy::AccuracyPlan;
use anyhow::Result;

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

/// The leading columns of a row about one cell, and their values ([`cell_columns`]).
const CELL_COLUMNS: [&str; 5] = ["family", "n", "dims_a", "dims_b", "rho"];

/// The values of [`CELL_COLUMNS`] for one cell.
fn cell_columns(c: &Cell) -> [String; 5] {
    [
        c.family.to_string(),
        c.n.to_string(),
        c.dims.to_string(),
        c.dims.to_string(),
        cell(Some(c.rho)),
    ]
}

/// `accuracy.csv`: one row per cell, estimator and quantity.
pub fn accuracy_csv(rows: &[AccuracyRow], k: usize) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CELL_COLUMNS.iter().chain(&[
        "estimator",
        "k",
        "quantity",
        "truth",
        "seeds",
        "mean",
        "bias",
        "sd",
        "rmse",
    ]))?;
    for r in rows {
        let mut record = cell_columns(&r.cell).to_vec();
        record.extend([
            r.estimator.to_string(),
            k.to_string(),
            r.quantity.name().to_string(),
            cell(Some(r.truth)),
            r.seeds.to_string(),
            cell(Some(r.mean)),
            cell(Some(r.bias)),
            cell(Some(r.sd)),
            cell(Some(r.rmse)),
        ]);
        w.write_record(record)?;
    }
    Ok(w.into_inner()?)
}

/// `accuracy_wide.csv`: one row per cell and quantity (in the order of `accuracy.csv`; `rows`
/// as [`summarize`] gives them, each cell's rows together), with
/// `<estimator>_bias`, `_sd` and `_rmse` for each estimator of the manifest, in its order.
pub fn accuracy_wide_csv(
    rows: &[AccuracyRow],
    estimators: &[Estimator],
    k: usize,
) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = CELL_COLUMNS.iter().map(|c| c.to_string()).collect();
    header.extend(["k", "quantity", "truth", "seeds"].map(String::from));
    for e in estimators {
        header.extend(["bias", "sd", "rmse"].map(|s| format!("{e}_{s}")));
    }
    w.write_record(&header)?;
    // `summarize` writes the rows of one cell together.
    for group in rows.chunk_by(|a, b| a.cell == b.cell) {
        for q in Quantity::ALL {
            let Some(first) = group.iter().find(|r| r.quantity == q) else {
                continue;
            };
            let mut record = cell_columns(&first.cell).to_vec();
            record.extend([
                k.to_string(),
                q.name().to_string(),
                cell(Some(first.truth)),
                first.seeds.to_string(),
            ]);
            for &e in estimators {
                let of_e = group.iter().find(|o| o.quantity == q && o.estimator == e);
                record.extend([
                    cell(of_e.map(|o| o.bias)),
                    cell(of_e.map(|o| o.sd)),
                    cell(of_e.map(|o| o.rmse)),
                ]);
            }
            w.write_record(record)?;
        }
    }
    Ok(w.into_inner()?)
}

/// `estimates.csv`: one row per unit.
pub fn estimates_csv(plan: &AccuracyPlan, results: &[PairAlignment]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CELL_COLUMNS.iter().chain(&[
        "data_set",
        "estimator",
        "k",
        "cce_a_given_b",
        "mutual_information",
        "true_cce_a_given_b",
        "true_mutual_information",
        "unit_sha256",
    ]))?;
    for (u, r) in plan.units.iter().zip(results) {
        let s = &u.spec;
        let (cell_of_unit, truth) = &plan.cells[u.cell];
        let mut record = cell_columns(cell_of_unit).to_vec();
        record.extend([
            s.replicate.to_string(),
            s.estimator.to_string(),
            s.k.to_string(),
            cell(Some(r.cce_a_given_b)),
            cell(Some(r.mutual_information)),
            cell(Some(truth.cce_a_given_b)),
            cell(Some(truth.mutual_information)),
            u.hash.clone(),
        ]);
        w.write_record(record)?;
    }
    Ok(w.into_inner()?)
}
