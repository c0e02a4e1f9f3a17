//! Warnings that save a wrong conclusion: facts about a run's CCE estimates that make its
//! levels untrustworthy, printed by `harness run` and written beside every claim judged on the
//! CCE (the `warning` column of `claims.csv`). They change no verdict: the rules stay fixed
//! (README "Claim rules"); the warning says how far to trust the numbers behind them.
//!
//! Two checks, both on the main estimator (the one the claims read):
//! - **Above the possible range.** The true CCE(A|B) is never positive: it is −(TC(A) +
//!   MI(A; B)) ≤ 0, minus the total correlation within A and the mutual information, both
//!   ≥ 0 (SPEC §4). A point whose mean is positive by more than 2 standard errors (the
//!   margin of C4's rule) is an estimator's bias, not alignment.
//! - **Known kNN bias.** The estimator-accuracy experiment (`experiments/estimators.yaml`, its
//!   committed result `reference/estimators/accuracy.csv`, embedded here) measured each kNN
//!   estimator's bias on Gaussian copulas of known CCE; where the cell nearest to the run's
//!   dimensions and test-set size shows a bias beyond [`LARGE_BIAS_NATS`] at some correlation,
//!   the levels of the CCE are off by about that much.

use super::figure::Bound;
use super::tables::SummaryRow;
use crate::estimators::{Estimator, Projection};
use crate::manifest::Manifest;
use crate::plan::Plan;
use crate::representations::{live_units, MemberResult};

/// The committed estimator-accuracy table (`make reproduce` writes it; see README "Estimator
/// accuracy").
const ACCURACY_CSV: &str = include_str!("../../../reference/estimators/accuracy.csv");

/// Where the warnings send the reader.
pub const ESTIMATOR_TABLE: &str =
    "README \"Estimator accuracy\", reference/estimators/accuracy.csv";

/// A bias (nats) of the accuracy experiment that makes a kNN estimate's level unreliable.
pub const LARGE_BIAS_NATS: f64 = 0.1;

/// How many standard errors above 0 a mean CCE must be to count as impossible.
pub const IMPOSSIBLE_SE: f64 = 2.0;

/// The CCE's bound, 0, with the margin beyond which a mean is impossible: the one rule of
/// [`above_range`] and of the rings on the figures' CCE panels.
pub const CCE_BOUND: Bound = Bound {
    value: 0.0,
    margin_se: IMPOSSIBLE_SE,
    label: "CCE = 0, its upper bound",
};

/// Every warning about a network experiment's CCE, in a fixed order.
pub fn warnings(
    manifest: &Manifest,
    plan: &Plan,
    members: &[MemberResult],
    rows: &[SummaryRow],
) -> Vec<String> {
    let main = manifest.alignment.estimator;
    let mut out: Vec<String> = above_range(main, rows).into_iter().collect();
    let widths = live_widths(plan, members);
    out.extend(projection_does_nothing(manifest.alignment.project, &widths));
    out.extend(knn_bias(
        main,
        manifest.alignment.k,
        manifest.alignment.project,
        plan,
        &widths,
    ));
    out
}

/// The widest representation each network of the plan hands the estimators before any
/// projection: its members' most live (non-constant) units.
pub fn live_widths(plan: &Plan, members: &[MemberResult]) -> Vec<usize> {
    let mut widths = vec![0usize; plan.networks.len()];
    for (m, r) in plan.members.iter().zip(members) {
        widths[m.network] = widths[m.network].max(live_units(&r.repr).len().max(1));
    }
    widths
}

/// `pca:m` leaves a representation of at most m columns as it is: when that is every
/// representation of the run, the setting changed nothing but the experiment's hash (so every
/// pair was estimated again for nothing).
pub fn projection_does_nothing(project: Projection, widths: &[usize]) -> Option<String> {
    let Projection::Pca(m) = project else {
        return None;
    };
    let widest = widths.iter().copied().max()?;
    (widest <= m).then(|| {
        format!(
            "alignment.project: pca:{m} changes nothing: no representation has more than \
             {widest} live column(s), and pca:m leaves one of at most m columns as it is; it \
             changes only the experiment's hash (every pair is estimated again). Use pca:m \
             with m < {widest}, or none"
        )
    })
}

/// The points whose mean CCE of `main` is positive beyond [`IMPOSSIBLE_SE`] standard errors
/// (a single replica has no standard error: then any positive mean).
pub fn above_range(main: Estimator, rows: &[SummaryRow]) -> Option<String> {
    let mut flagged: Vec<(&SummaryRow, f64)> = Vec::new();
    let mut judged = 0;
    for r in rows {
        let Some(e) = r.cce.get(main.name()) else {
            continue;
        };
        judged += 1;
        if CCE_BOUND.exceeded_by(e.mean, e.se) {
            flagged.push((r, e.mean));
        }
    }
    let (top, value) = *flagged.iter().max_by(|a, b| a.1.total_cmp(&b.1))?;
    Some(format!(
        "CCE above its possible range: the true CCE is <= 0, but the {main} mean is positive \
         beyond {IMPOSSIBLE_SE} SE at {} of {judged} points (largest {value:+.3} nats at {} {}n/P={:.3}; \
         ringed in red on the figure): the levels are the estimator's bias, compare shapes, not levels (see {ESTIMATOR_TABLE})",
        flagged.len(),
        top.point.level.label(),
        if several_networks(rows) {
            format!("{} ", top.model)
        } else {
            String::new()
        },
        top.point.n_over_p,
    ))
}

fn several_networks(rows: &[SummaryRow]) -> bool {
    rows.iter().any(|r| r.network != 0)
}

/// One warning per distinct (dims of A, dims of B) of the experiment's pairs where the
/// accuracy experiment shows a large bias of `main` (a kNN estimator) near those dimensions
/// and the test-set size.
pub fn knn_bias(
    main: Estimator,
    k: usize,
    project: Projection,
    plan: &Plan,
    widths: &[usize],
) -> Vec<String> {
    if !main.is_knn() {
        return Vec::new();
    }
    // The widest representation each network hands the estimator: live units (`widths`,
    // [`live_widths`]), after the projection.
    let dims: Vec<usize> = widths
        .iter()
        .map(|&live| match project {
            Projection::Pca(p) => live.min(p),
            Projection::None => live,
        })
        .collect();
    let mut combos: Vec<(usize, usize)> = plan
        .pairs
        .iter()
        .flat_map(|p| {
            let (a, b) = (plan.members[p.a].network, plan.members[p.b].network);
            [(dims[a], dims[b]), (dims[b], dims[a])]
        })
        .collect();
    combos.sort();
    combos.dedup();
    let cells = accuracy_cells(main, k);
    combos
        .into_iter()
        .filter_map(|(da, db)| {
            let (cell, beyond) = nearest_cell(&cells, da + db, plan.n_test)?;
            let (lo, hi) = cell
                .biases
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &b| {
                    (lo.min(b), hi.max(b))
                });
            (lo.abs().max(hi.abs()) > LARGE_BIAS_NATS).then(|| {
                format!(
                    "{main} at {da} + {db} dims, N = {}: the estimator-accuracy experiment \
                     measured a bias of {lo:+.2} to {hi:+.2} nats on Gaussian copulas at {} + {} \
                     dims ({}), N = {} (correlations {}): the CCE levels are off by {} that \
                     much, compare shapes, not levels, and read cce_gaussian_mean beside it \
                     (see {ESTIMATOR_TABLE})",
                    plan.n_test,
                    cell.dims,
                    cell.dims,
                    if beyond {
                        "the largest measured; the run's dims are beyond it"
                    } else {
                        "the nearest measured at or above the run's"
                    },
                    cell.n,
                    cell.rhos
                        .iter()
                        .map(|r| format!("{r}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if beyond { "at least" } else { "about" },
                )
            })
        })
        .collect()
}

/// One (N, dims per side) cell of the accuracy table for one estimator: the bias of CCE(A|B)
/// on Gaussian copulas at each correlation measured.
#[derive(Clone, Debug, PartialEq)]
struct Cell {
    n: usize,
    dims: usize,
    rhos: Vec<f64>,
    biases: Vec<f64>,
}

/// The cells of the embedded accuracy table for `estimator` with `k` neighbours (A and B of
/// equal dimension, Gaussian family), in table order.
fn accuracy_cells(estimator: Estimator, k: usize) -> Vec<Cell> {
    let mut reader = csv::Reader::from_reader(ACCURACY_CSV.as_bytes());
    let header = reader
        .headers()
        .expect("the embedded table has a header")
        .clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("the embedded accuracy table has no `{name}` column"))
    };
    let (family, n, da, db, rho, est, kk, quantity, bias) = (
        col("family"),
        col("n"),
        col("dims_a"),
        col("dims_b"),
        col("rho"),
        col("estimator"),
        col("k"),
        col("quantity"),
        col("bias"),
    );
    let mut cells: Vec<Cell> = Vec::new();
    for rec in reader.records() {
        let rec = rec.expect("the embedded accuracy table is CSV");
        if &rec[family] != "gaussian"
            || &rec[est] != estimator.name()
            || &rec[quantity] != "cce_a_given_b"
            || rec[kk].parse::<usize>().ok() != Some(k)
            || rec[da] != rec[db]
        {
            continue;
        }
        let num = |i: usize| {
            rec[i]
                .parse::<f64>()
                .expect("a number in the accuracy table")
        };
        let (cn, cd) = (num(n) as usize, num(da) as usize);
        let cell = match cells.iter_mut().find(|c| c.n == cn && c.dims == cd) {
            Some(c) => c,
            None => {
                cells.push(Cell {
                    n: cn,
                    dims: cd,
                    rhos: Vec::new(),
                    biases: Vec::new(),
                });
                cells.last_mut().expect("just pushed")
            }
        };
        cell.rhos.push(num(rho));
        cell.biases.push(num(bias));
    }
    for c in &mut cells {
        let mut by_rho: Vec<(f64, f64)> = c.rhos.iter().copied().zip(c.biases.clone()).collect();
        by_rho.sort_by(|a, b| a.0.total_cmp(&b.0));
        (c.rhos, c.biases) = by_rho.into_iter().unzip();
    }
    cells
}

/// The cell to quote for `total_dims` (A + B) and `n`: the smallest measured dims per side at
/// or above the dims in use (the kNN bias grows with dimension, so a smaller cell would
/// understate it), or the largest measured when the run is beyond every cell; then the N
/// nearest on a log scale (ties to the larger, which shows less bias). The flag says whether
/// the run's dims are beyond the largest cell.
fn nearest_cell(cells: &[Cell], total_dims: usize, n: usize) -> Option<(&Cell, bool)> {
    let largest = cells.iter().map(|c| c.dims).max()?;
    let dims = cells
        .iter()
        .map(|c| c.dims)
        .filter(|&d| 2 * d >= total_dims)
        .min()
        .unwrap_or(largest);
    let ln = (n.max(1) as f64).ln();
    let cell = cells.iter().filter(|c| c.dims == dims).min_by(|a, b| {
        let da = ((a.n as f64).ln() - ln).abs();
        let db = ((b.n as f64).ln() - ln).abs();
        // Equal distances within rounding count as a tie.
        if (da - db).abs() < 1e-9 {
            b.n.cmp(&a.n)
        } else {
            da.total_cmp(&db)
        }
    })?;
    Some((cell, 2 * largest < total_dims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Level, Point};
    use crate::results::tables::Estimate;
    use std::collections::BTreeMap;

    fn row(n_over_p: f64, mean: f64, se: f64) -> SummaryRow {
        let e = |mean, se| Estimate { mean, se };
        SummaryRow {
            point: Point {
                level: Level::Snr(2.0),
                n: 10,
                n_over_p,
            },
            model: "relu2",
            network: 0,
            p: 10,
            replicas: 3,
            members: 9,
            pairs: 18,
            gen_error: e(1.0, 0.1),
            train_loss: e(0.1, 0.01),
            cce: BTreeMap::from([("ksg".to_string(), e(mean, se))]),
            mi: e(0.1, 0.01),
            theory_gen_error: None,
            theory_cce: None,
            theory_rho: None,
            extra: BTreeMap::new(),
            replica_values: BTreeMap::new(),
        }
    }

    #[test]
    fn a_positive_cce_beyond_two_standard_errors_is_flagged_with_its_largest_point() {
        let rows = [
            row(0.5, 0.05, 0.03),
            row(1.0, 0.31, 0.1),
            row(2.0, -0.4, 0.1),
            row(3.0, 0.21, 0.1),
        ];
        let w = above_range(Estimator::Ksg, &rows).unwrap();
        assert!(w.contains("at 2 of 4 points"), "{w}");
        assert!(w.contains("largest +0.310 nats at SNR 2 n/P=1.000"), "{w}");
        // Within 2 SE of zero, or negative: nothing to flag; another estimator: not judged.
        assert_eq!(above_range(Estimator::Ksg, &rows[..1]), None);
        assert_eq!(above_range(Estimator::Ksg, &[row(1.0, 0.19, 0.1)]), None);
        assert_eq!(above_range(Estimator::Kl, &rows), None);
        // A single replica has no standard error: any positive mean.
        assert!(above_range(Estimator::Ksg, &[row(1.0, 0.01, f64::NAN)]).is_some());
    }

    #[test]
    fn a_projection_onto_at_least_every_width_is_named_as_doing_nothing() {
        let w = projection_does_nothing(Projection::Pca(9), &[4, 3]).unwrap();
        assert!(
            w.starts_with("alignment.project: pca:9 changes nothing"),
            "{w}"
        );
        assert!(
            w.contains("more than 4 live column(s)") && w.contains("m < 4"),
            "{w}"
        );
        assert!(projection_does_nothing(Projection::Pca(4), &[4]).is_some());
        assert_eq!(projection_does_nothing(Projection::Pca(3), &[4, 3]), None);
        assert_eq!(projection_does_nothing(Projection::None, &[4]), None);
    }

    #[test]
    fn the_embedded_table_has_the_gaussian_cells_of_both_knn_estimators() {
        for est in [Estimator::Ksg, Estimator::Kl] {
            let cells = accuracy_cells(est, 3);
            let mut grid: Vec<(usize, usize)> = cells.iter().map(|c| (c.n, c.dims)).collect();
            grid.sort();
            assert!(
                grid.contains(&(2000, 4)) && grid.contains(&(500, 8)),
                "{grid:?}"
            );
            assert!(cells.iter().all(|c| c.rhos.len() == c.biases.len()));
        }
        assert!(accuracy_cells(Estimator::Ksg, 7).is_empty());
    }

    #[test]
    fn the_quoted_cell_is_at_or_above_the_dims_in_use_and_nearest_in_n() {
        let cells = accuracy_cells(Estimator::Ksg, 3);
        let pick = |total, n| {
            let (c, beyond) = nearest_cell(&cells, total, n).unwrap();
            (c.dims, c.n, beyond)
        };
        assert_eq!(
            pick(8, 1000),
            (4, 2000, false),
            "N 1000 is as far from 500 as from 2000"
        );
        assert_eq!(pick(8, 900), (4, 500, false));
        assert_eq!(pick(16, 500), (8, 500, false));
        assert_eq!(pick(2, 2000), (1, 2000, false));
        // At or above the dims in use, never below: 6 + 6 quotes 8 + 8, not 4 + 4.
        assert_eq!(pick(12, 2000), (8, 2000, false));
        assert_eq!(
            pick(5, 2000),
            (4, 2000, false),
            "1 + 4: 2.5 per side, so 4 + 4"
        );
        assert_eq!(pick(7, 2000), (4, 2000, false));
        assert_eq!(pick(9, 2000), (8, 2000, false));
        // Beyond the largest cell: the largest, flagged.
        let largest = cells.iter().map(|c| c.dims).max().unwrap();
        assert!(pick(2 * largest + 2, 2000).2);
        assert_eq!(pick(2 * largest + 2, 2000).0, largest);
    }
}
