//! Two runs of the estimator-accuracy experiment over the same cells compared (SPEC §4.F): do
//! they measure the same thing ([`agreement`]: each estimator's mean, run B minus run A, in
//! standard errors of the difference), and which of SPEC §4.C's cell verdicts hold in both
//! ([`replication`]: a cell where a candidate is worse in one run only flipped under
//! resampling and is not a finding). `harness diff` prints both.

use super::accuracy::{candidates, cell_verdicts, comparisons, AccuracyRow, CellVerdict, Quantity};
use crate::estimators::Estimator;
use crate::manifest::accuracy::Cell;

/// The estimators of a run, in the order of their first row.
fn estimators_of(rows: &[AccuracyRow]) -> Vec<Estimator> {
    let mut seen = Vec::new();
    for r in rows {
        if !seen.contains(&r.estimator) {
            seen.push(r.estimator);
        }
    }
    seen
}

/// The estimators both runs have, in A's order.
pub fn shared_estimators(a: &[AccuracyRow], b: &[AccuracyRow]) -> Vec<Estimator> {
    let in_b = estimators_of(b);
    estimators_of(a)
        .into_iter()
        .filter(|e| in_b.contains(e))
        .collect()
}

/// The cells of a run, in the order of its rows (`accuracy.csv` keeps a cell's rows together,
/// as [`cell_verdicts`] relies on too).
fn cells_of(rows: &[AccuracyRow]) -> Vec<Cell> {
    rows.chunk_by(|x, y| x.cell == y.cell)
        .map(|group| group[0].cell)
        .collect()
}

/// How many cells the two runs share, and how many each has alone.
pub fn shared_cells(a: &[AccuracyRow], b: &[AccuracyRow]) -> (usize, usize, usize) {
    let (ca, cb) = (cells_of(a), cells_of(b));
    let both = ca.iter().filter(|c| cb.contains(c)).count();
    (both, ca.len() - both, cb.len() - both)
}

/// One estimator's means in the two runs, for one quantity.
#[derive(Clone, Debug, PartialEq)]
pub struct Agreement {
    pub estimator: Estimator,
    pub quantity: Quantity,
    /// Cells in both runs where the difference has a standard error (an sd on each side).
    pub cells: usize,
    /// Of them, the cells where |B − A| exceeds 2 standard errors of the difference.
    pub beyond_2se: usize,
    /// The largest |z| = |B − A| / √(SE_A² + SE_B²), and its cell.
    pub largest: Option<(f64, Cell)>,
}

/// Each shared estimator's mean, B − A, over the shared cells, for each quantity.
pub fn agreement(a: &[AccuracyRow], b: &[AccuracyRow]) -> Vec<Agreement> {
    let mut out = Vec::new();
    for estimator in shared_estimators(a, b) {
        for quantity in Quantity::ALL {
            let mine = |r: &&AccuracyRow| r.estimator == estimator && r.quantity == quantity;
            let in_b: Vec<&AccuracyRow> = b.iter().filter(mine).collect();
            let mut agreement = Agreement {
                estimator,
                quantity,
                cells: 0,
                beyond_2se: 0,
                largest: None,
            };
            for ra in a.iter().filter(mine) {
                let Some(rb) = in_b.iter().find(|r| r.cell == ra.cell) else {
                    continue;
                };
                let var = |r: &AccuracyRow| r.sd * r.sd / r.seeds as f64;
                let se = (var(ra) + var(rb)).sqrt();
                if !(se.is_finite() && se > 0.0) {
                    continue;
                }
                let z = ((rb.mean - ra.mean) / se).abs();
                agreement.cells += 1;
                agreement.beyond_2se += (z > 2.0) as usize;
                if agreement.largest.is_none_or(|(largest, _)| z > largest) {
                    agreement.largest = Some((z, ra.cell));
                }
            }
            out.push(agreement);
        }
    }
    out
}

/// One candidate's verdicts against one comparison, in the cells both runs judged.
#[derive(Clone, Debug, PartialEq)]
pub struct Replication {
    pub candidate: Estimator,
    pub quantity: Quantity,
    /// `best` (the per-cell best of the established estimators both runs have) or one of them.
    pub against: String,
    /// (A's verdict, B's verdict) for each cell both runs judged, in A's order.
    pub cells: Vec<(CellVerdict, CellVerdict)>,
}

/// How a measure's verdicts fall over the cells both runs judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    /// Worse in run A.
    pub a: usize,
    /// Worse in run B.
    pub b: usize,
    /// Worse in both: the findings.
    pub both: usize,
}

impl Replication {
    /// The counts for one measure ([`CellVerdict::worse_bias`] or [`CellVerdict::worse_rmse`]).
    pub fn held(&self, worse: fn(&CellVerdict) -> bool) -> Held {
        let count = |f: &dyn Fn(&(CellVerdict, CellVerdict)) -> bool| {
            self.cells.iter().filter(|c| f(c)).count()
        };
        Held {
            a: count(&|(va, _)| worse(va)),
            b: count(&|(_, vb)| worse(vb)),
            both: count(&|(va, vb)| worse(va) && worse(vb)),
        }
    }
}

/// SPEC §4.C's verdicts of every candidate both runs have, against every comparison both can
/// make, cell by cell in the cells both runs judged (SPEC §4.F).
pub fn replication(a: &[AccuracyRow], b: &[AccuracyRow]) -> Vec<Replication> {
    let estimators = shared_estimators(a, b);
    let mut out = Vec::new();
    for candidate in candidates(&estimators) {
        for quantity in Quantity::ALL {
            for (against, others) in comparisons(&estimators) {
                let in_b = cell_verdicts(b, candidate, quantity, &others);
                let cells = cell_verdicts(a, candidate, quantity, &others)
                    .into_iter()
                    .filter_map(|va| {
                        let vb = in_b.iter().find(|vb| vb.cell == va.cell)?;
                        Some((va, *vb))
                    })
                    .collect();
                out.push(Replication {
                    candidate,
                    quantity,
                    against,
                    cells,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimators::Family;

    fn row(n: usize, estimator: Estimator, bias: f64, sd: f64, seeds: usize) -> AccuracyRow {
        AccuracyRow {
            cell: Cell {
                family: Family::Clayton,
                rho: 0.3,
                dims: 1,
                n,
            },
            estimator,
            quantity: Quantity::CceAGivenB,
            truth: -0.5,
            seeds,
            mean: bias - 0.5,
            bias,
            sd,
            rmse: (bias * bias + sd * sd).sqrt(),
        }
    }

    /// A verdict is a finding only where both runs give it: cell 500 is worse in both (held),
    /// 2000 in A only, 5000 in B only, 20 000 in neither; a cell only one run has (7, and 9
    /// with no candidate) is not compared.
    #[test]
    fn a_verdict_holds_only_where_both_runs_give_it() {
        use Estimator::{Ksg, TCopulaMatched};
        // SE = sd / √seeds: 0.02 / 2 = 0.01 in A (4 data sets), 0.02 / 4 = 0.005 in B (16).
        let a = [
            row(500, Ksg, 0.01, 0.02, 4),
            row(500, TCopulaMatched, 0.05, 0.02, 4),
            row(2000, Ksg, 0.01, 0.02, 4),
            row(2000, TCopulaMatched, 0.03, 0.02, 4),
            row(5000, Ksg, 0.01, 0.02, 4),
            row(5000, TCopulaMatched, 0.015, 0.02, 4),
            row(20_000, Ksg, 0.01, 0.02, 4),
            row(20_000, TCopulaMatched, 0.0, 0.02, 4),
            row(7, Ksg, 0.0, 0.02, 4),
            row(7, TCopulaMatched, 1.0, 0.02, 4),
            row(9, Ksg, 0.0, 0.02, 4),
        ];
        let b = [
            row(500, Ksg, 0.0, 0.02, 16),
            row(500, TCopulaMatched, 0.04, 0.02, 16),
            row(2000, Ksg, 0.01, 0.02, 16),
            row(2000, TCopulaMatched, 0.012, 0.02, 16),
            row(5000, Ksg, 0.0, 0.02, 16),
            row(5000, TCopulaMatched, 0.02, 0.02, 16),
            row(20_000, Ksg, 0.0, 0.02, 16),
            row(20_000, TCopulaMatched, 0.001, 0.02, 16),
        ];
        let r = replication(&a, &b);
        // One candidate, two quantities, against best and ksg: the MI rows have no cells.
        assert_eq!(r.len(), 4);
        let cce_best = &r[0];
        assert_eq!(
            (
                cce_best.candidate,
                cce_best.quantity,
                cce_best.against.as_str()
            ),
            (TCopulaMatched, Quantity::CceAGivenB, "best")
        );
        assert_eq!(cce_best.cells.len(), 4);
        assert_eq!(
            cce_best.held(CellVerdict::worse_bias),
            Held {
                a: 2,
                b: 2,
                both: 1
            }
        );
        let held: Vec<usize> = cce_best
            .cells
            .iter()
            .filter(|(va, vb)| va.worse_bias() && vb.worse_bias())
            .map(|(va, _)| va.cell.n)
            .collect();
        assert_eq!(held, [500]);
        assert_eq!(r[1].against, "ksg");
        assert!(r[2..].iter().all(|m| m.cells.is_empty()));
        assert_eq!(shared_cells(&a, &b), (4, 2, 0));
    }

    /// The means agree where they differ by at most 2 standard errors of the difference (not
    /// at exactly 2), the largest |z| and the first cell that has it; cells without an sd, or
    /// with a difference of no spread at all, skipped.
    #[test]
    fn agreement_counts_the_means_beyond_two_standard_errors() {
        use Estimator::Ksg;
        // SE of the difference: √(0.02²/4 + 0.02²/16) = 0.01118 (500 to 3000); √(0.5²/4) =
        // 0.25 exactly (4000, where B − A is 0.5: z = 2 exactly).
        let a = [
            row(500, Ksg, 0.0, 0.02, 4),
            row(2000, Ksg, 0.0, 0.02, 4),
            row(3000, Ksg, 0.0, 0.02, 4),
            row(4000, Ksg, 0.0, 0.5, 4),
            row(5000, Ksg, 0.0, f64::NAN, 1),
            row(6000, Ksg, 0.0, 0.0, 4),
        ];
        let b = [
            row(500, Ksg, 0.02, 0.02, 16),
            row(2000, Ksg, -0.03, 0.02, 16),
            row(3000, Ksg, -0.03, 0.02, 16),
            row(4000, Ksg, 0.5, 0.0, 16),
            row(5000, Ksg, 5.0, 0.02, 16),
            row(6000, Ksg, 1.0, 0.0, 16),
        ];
        let g = agreement(&a, &b);
        assert_eq!(g.len(), 2);
        let cce = &g[0];
        assert_eq!((cce.cells, cce.beyond_2se), (4, 2));
        let (z, cell) = cce.largest.unwrap();
        assert!((z - 0.03 / (0.0004f64 / 4.0 + 0.0004 / 16.0).sqrt()).abs() < 1e-9);
        assert_eq!(cell.n, 2000);
        assert_eq!(g[1].cells, 0);
    }
}
