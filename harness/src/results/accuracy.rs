//! The tables of the estimator-accuracy experiment: `estimates.csv` (one row per unit),
//! `accuracy.csv` (tidy: one row per family, N, dims, ρ, estimator and quantity, with truth,
//! mean, bias, sd and RMSE over the data sets), `accuracy_wide.csv` (the same numbers with the
//! estimators side by side: one row per cell and quantity, bias, sd and RMSE of each estimator
//! in columns) and `versus.csv` (in how many cells each candidate estimator is worse than the
//! established ones, by SPEC §4.C's rule). Its figure is in [`super::figure::accuracy`], its
//! results folder in [`super::accuracy_folder`].

use super::tables::cell;
use crate::estimators::{Estimator, PairAlignment, Truth};
use crate::manifest::accuracy::{AccuracyManifest, Cell};
use crate::plan::accuracy::AccuracyPlan;
use anyhow::{Context, Result};
use std::path::Path;

/// The quantities whose accuracy is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    CceAGivenB,
    MutualInformation,
}

impl std::str::FromStr for Quantity {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        crate::estimators::parse_name("quantity", &Quantity::ALL, Quantity::name, s)
    }
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

/// The columns of `accuracy.csv` after the cell's, the estimator, `k` and the quantity: one
/// [`AccuracyRow`]'s numbers, in its fields' order.
const ROW_COLUMNS: [&str; 6] = ["truth", "seeds", "mean", "bias", "sd", "rmse"];

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
    w.write_record(
        CELL_COLUMNS
            .iter()
            .chain(&["estimator", "k", "quantity"])
            .chain(&ROW_COLUMNS),
    )?;
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

/// The estimators the figures had before issue 26 (SPEC §4.C): every other estimator is a
/// candidate, judged in `versus.csv` against the best of these in each cell.
pub const ESTABLISHED: [Estimator; 3] = [Estimator::Ksg, Estimator::Kl, Estimator::Gaussian];

/// What each candidate is compared against in `versus.csv` and by `harness diff` (SPEC §4.C):
/// the per-cell best of the [`ESTABLISHED`] estimators among `estimators` (`best`), then each
/// of them alone. Empty when `estimators` has none of them.
pub fn comparisons(estimators: &[Estimator]) -> Vec<(String, Vec<Estimator>)> {
    let established: Vec<Estimator> = ESTABLISHED
        .into_iter()
        .filter(|e| estimators.contains(e))
        .collect();
    let mut against = Vec::new();
    if !established.is_empty() {
        against.push(("best".to_string(), established.clone()));
        against.extend(established.iter().map(|&e| (e.to_string(), vec![e])));
    }
    against
}

/// The candidates among `estimators`: those not [`ESTABLISHED`], in their order.
pub fn candidates(estimators: &[Estimator]) -> Vec<Estimator> {
    estimators
        .iter()
        .copied()
        .filter(|e| !ESTABLISHED.contains(e))
        .collect()
}

/// `versus.csv`: how often each candidate (an estimator of the manifest not in [`ESTABLISHED`])
/// is worse than the established estimators, by SPEC §4.C's rule ([`cell_verdicts`]). One row
/// per candidate, quantity and comparison ([`comparisons`]): `cells` counts the cells compared
/// (those with an sd: two data sets or more), `worse_bias` / `worse_rmse` the cells where it is
/// worse, and `most_bias` / `most_rmse` its largest excess over the comparison (nats; negative
/// where it is better everywhere). Header only when the manifest has no candidate or no
/// established estimator.
pub fn versus_csv(rows: &[AccuracyRow], estimators: &[Estimator]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "estimator",
        "quantity",
        "against",
        "cells",
        "worse_bias",
        "worse_rmse",
        "most_bias",
        "most_rmse",
    ])?;
    let against = comparisons(estimators);
    for candidate in candidates(estimators) {
        for q in Quantity::ALL {
            for (name, others) in &against {
                let verdicts = cell_verdicts(rows, candidate, q, others);
                let count = |worse: fn(&CellVerdict) -> bool| {
                    verdicts.iter().filter(|v| worse(v)).count().to_string()
                };
                let most = |excess: fn(&CellVerdict) -> f64| {
                    verdicts
                        .iter()
                        .map(excess)
                        .fold(f64::NEG_INFINITY, f64::max)
                };
                w.write_record([
                    candidate.to_string(),
                    q.name().to_string(),
                    name.clone(),
                    verdicts.len().to_string(),
                    count(CellVerdict::worse_bias),
                    count(CellVerdict::worse_rmse),
                    // −∞ where no cell was compared: written empty, as every non-finite value.
                    cell(Some(most(|v| v.excess_bias))),
                    cell(Some(most(|v| v.excess_rmse))),
                ])?;
            }
        }
    }
    Ok(w.into_inner()?)
}

/// A candidate against others in one cell, for one quantity (SPEC §4.C).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CellVerdict {
    pub cell: Cell,
    /// The candidate's |bias| minus the smallest |bias| of the others (nats).
    pub excess_bias: f64,
    /// The candidate's RMSE minus the smallest RMSE of the others (nats).
    pub excess_rmse: f64,
    /// The candidate's standard error, sd / √(data sets).
    pub se: f64,
}

impl CellVerdict {
    /// Worse in |bias| by more than its standard error.
    pub fn worse_bias(&self) -> bool {
        self.excess_bias > self.se
    }

    /// Worse in RMSE by more than its standard error.
    pub fn worse_rmse(&self) -> bool {
        self.excess_rmse > self.se
    }
}

/// SPEC §4.C's rule in every cell where `candidate` and at least one of `others` have a row
/// for `q` and the candidate has an sd (two data sets or more), in the order of `rows`.
pub fn cell_verdicts(
    rows: &[AccuracyRow],
    candidate: Estimator,
    q: Quantity,
    others: &[Estimator],
) -> Vec<CellVerdict> {
    let mut verdicts = Vec::new();
    // `summarize` (and `read_accuracy_csv`) give the rows of one cell together.
    for group in rows.chunk_by(|a, b| a.cell == b.cell) {
        let of = |e: Estimator| group.iter().find(|r| r.estimator == e && r.quantity == q);
        let Some(mine) = of(candidate) else { continue };
        let theirs: Vec<&AccuracyRow> = others.iter().filter_map(|&e| of(e)).collect();
        let se = mine.sd / (mine.seeds as f64).sqrt();
        if theirs.is_empty() || !se.is_finite() {
            continue;
        }
        let best =
            |f: fn(&AccuracyRow) -> f64| theirs.iter().map(|r| f(r)).fold(f64::INFINITY, f64::min);
        verdicts.push(CellVerdict {
            cell: mine.cell,
            excess_bias: mine.bias.abs() - best(|r| r.bias.abs()),
            excess_rmse: mine.rmse - best(|r| r.rmse),
            se,
        });
    }
    verdicts
}

/// Read an `accuracy.csv` back ([`accuracy_csv`]'s columns, by name; rows in the file's order).
/// Errors name the file, the line and the column.
pub fn read_accuracy_csv(path: &Path) -> Result<Vec<AccuracyRow>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let header = reader
        .headers()
        .with_context(|| format!("cannot read {}", path.display()))?
        .clone();
    // The cell (dims_b is dims_a), the estimator and quantity, then the row's numbers: each
    // column's place in this file's header.
    let mut at = std::collections::BTreeMap::new();
    for name in ["family", "n", "dims_a", "rho", "estimator", "quantity"]
        .into_iter()
        .chain(ROW_COLUMNS)
    {
        let place = header.iter().position(|h| h == name).with_context(|| {
            format!(
                "{}: no column `{name}` (not an accuracy.csv?)",
                path.display()
            )
        })?;
        at.insert(name, place);
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.with_context(|| format!("{}:{line}: cannot read", path.display()))?;
        let field = |name: &'static str| -> Result<Field<'_>> {
            let value = record
                .get(at[name])
                .with_context(|| format!("{}:{line}: column `{name}`: no value", path.display()))?;
            Ok(Field {
                value,
                path,
                line,
                name,
            })
        };
        rows.push(AccuracyRow {
            cell: Cell {
                family: field("family")?.parse("a family")?,
                n: field("n")?.parse("a count")?,
                dims: field("dims_a")?.parse("a count")?,
                rho: field("rho")?.number()?,
            },
            estimator: field("estimator")?.parse("an estimator")?,
            quantity: field("quantity")?.parse("a quantity")?,
            truth: field("truth")?.number()?,
            seeds: field("seeds")?.parse("a count")?,
            mean: field("mean")?.number()?,
            bias: field("bias")?.number()?,
            sd: field("sd")?.number()?,
            rmse: field("rmse")?.number()?,
        });
    }
    Ok(rows)
}

/// One field of a CSV record, and where it is (file, line, column) for its errors.
struct Field<'a> {
    value: &'a str,
    path: &'a Path,
    line: usize,
    name: &'static str,
}

impl Field<'_> {
    fn parse<T: std::str::FromStr>(&self, what: &str) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        self.value.parse().map_err(|e| {
            anyhow::anyhow!(
                "{}:{}: column `{}`: `{}` is not {what} ({e})",
                self.path.display(),
                self.line,
                self.name,
                self.value
            )
        })
    }

    /// A number; empty (as [`cell`] writes a non-finite one) is NaN.
    fn number(&self) -> Result<f64> {
        if self.value.is_empty() {
            return Ok(f64::NAN);
        }
        self.parse("a number")
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimators::Family;

    fn row(
        n: usize,
        estimator: Estimator,
        bias: f64,
        sd: f64,
        seeds: usize,
        rmse: f64,
    ) -> AccuracyRow {
        AccuracyRow {
            cell: Cell {
                family: Family::Gaussian,
                rho: 0.6,
                dims: 4,
                n,
            },
            estimator,
            quantity: Quantity::CceAGivenB,
            truth: -1.0,
            seeds,
            mean: bias - 1.0,
            bias,
            sd,
            rmse,
        }
    }

    /// SPEC §4.C's rule, cell by cell: worse only by more than the candidate's own SE, sd/√seeds
    /// (cell 500: |bias| 0.03 over the best, SE 0.01, worse; RMSE 0.005 over, within; cell
    /// 10 000: RMSE 0.03 over `ksg`, worse by the SE 0.02 but not by the sd 0.04), not by exactly
    /// it (cell 20 000: |bias| and RMSE 1/32 over, SE 1/32, all exact in binary), |bias| not bias
    /// (cell 2000: −0.01 beats ksg's +0.02), against the best of the established estimators
    /// and each alone; a cell with one data set (no SD) is not compared.
    #[test]
    fn versus_counts_the_cells_where_a_candidate_is_worse_beyond_its_se() {
        use Estimator::{Gaussian, Ksg, TCopulaPairs};
        let rows = [
            row(500, Ksg, 0.30, 0.01, 4, 0.31),
            row(500, Gaussian, -0.05, 0.01, 4, 0.06),
            row(500, TCopulaPairs, 0.08, 0.02, 4, 0.065),
            row(2000, Ksg, 0.02, 0.02, 4, 0.05),
            row(2000, Gaussian, 0.20, 0.01, 4, 0.21),
            row(2000, TCopulaPairs, -0.01, 0.04, 4, 0.045),
            row(5000, Ksg, 0.0, 0.01, 1, 0.0),
            row(5000, Gaussian, 0.0, 0.01, 1, 0.0),
            row(5000, TCopulaPairs, 0.5, f64::NAN, 1, 0.5),
            row(10_000, Ksg, 0.0, 0.01, 4, 0.02),
            row(10_000, Gaussian, 0.0, 0.01, 4, 0.04),
            row(10_000, TCopulaPairs, 0.0, 0.04, 4, 0.05),
            row(20_000, Ksg, 0.125, 0.01, 4, 0.5),
            row(20_000, Gaussian, 0.25, 0.01, 4, 0.5),
            row(20_000, TCopulaPairs, 0.15625, 0.0625, 4, 0.53125),
        ];
        let csv = versus_csv(&rows, &[Ksg, Gaussian, TCopulaPairs]).unwrap();
        let mut reader = csv::Reader::from_reader(csv.as_slice());
        let header = reader.headers().unwrap().clone();
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let field = |r: &csv::StringRecord, name: &str| -> String {
            let column = header.iter().position(|h| h == name);
            r[column.unwrap_or_else(|| panic!("no column {name}"))].to_string()
        };
        let close = |s: String, v: f64| (s.parse::<f64>().unwrap() - v).abs() < 1e-12;
        // CCE against best, ksg, gaussian; then the same for the MI, which no row has.
        assert_eq!(records.len(), 2 * 3);
        let expect = [
            ("best", "1", "1", 0.03125, 0.03125),
            ("ksg", "0", "1", 0.03125, 0.03125),
            ("gaussian", "1", "0", 0.03, 0.03125),
        ];
        for (r, (against, bias, rmse, most_bias, most_rmse)) in records.iter().zip(expect) {
            assert_eq!(field(r, "estimator"), "tcopula-pairs");
            assert_eq!(field(r, "quantity"), "cce_a_given_b");
            assert_eq!(field(r, "against"), against);
            assert_eq!(field(r, "cells"), "4");
            assert_eq!(
                (field(r, "worse_bias"), field(r, "worse_rmse")),
                (bias.into(), rmse.into())
            );
            assert!(close(field(r, "most_bias"), most_bias), "{r:?}");
            assert!(close(field(r, "most_rmse"), most_rmse), "{r:?}");
        }
        let mi = &records[3];
        assert_eq!(field(mi, "quantity"), "mutual_information");
        assert_eq!(
            (field(mi, "cells"), field(mi, "most_bias")),
            ("0".into(), "".into())
        );
        // Without an established estimator there is nothing to compare with.
        let alone = versus_csv(&rows[2..3], &[TCopulaPairs]).unwrap();
        assert_eq!(String::from_utf8(alone).unwrap().lines().count(), 1);
    }

    /// `accuracy.csv` reads back as the rows it was written from (an sd of NaN, one data
    /// set, as an empty field), and a bad field is named by file, line and column.
    #[test]
    fn accuracy_csv_reads_back_and_names_a_bad_field() {
        use Estimator::{Ksg, TCopulaMatched};
        let mut rows = vec![
            row(500, Ksg, 0.30, 0.01, 4, 0.31),
            row(500, TCopulaMatched, -0.0625, f64::NAN, 1, 0.0625),
            row(2000, Ksg, 1e-17, 0.1, 5, 0.2),
            row(5000, Ksg, 0.25, 0.5, 7, 0.5),
        ];
        rows[1].quantity = Quantity::MutualInformation;
        rows[2].cell.family = crate::estimators::Family::StudentT { nu: 4 };
        rows[2].cell.rho = 0.3;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accuracy.csv");
        std::fs::write(&path, accuracy_csv(&rows, 3).unwrap()).unwrap();
        let back = read_accuracy_csv(&path).unwrap();
        assert_eq!(back.len(), rows.len());
        for (r, b) in rows.iter().zip(&back) {
            assert!(b.sd.is_nan() == r.sd.is_nan());
            let sd_free = |x: &AccuracyRow| AccuracyRow {
                sd: 0.0,
                ..x.clone()
            };
            assert_eq!(sd_free(b), sd_free(r));
            if r.sd.is_finite() {
                assert_eq!(b.sd.to_bits(), r.sd.to_bits());
            }
        }
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace(",7,", ",seven,")).unwrap();
        let err = format!("{:#}", read_accuracy_csv(&path).unwrap_err());
        assert!(
            err.contains("accuracy.csv:5: column `seeds`: `seven` is not a count"),
            "{err}"
        );
    }
}
