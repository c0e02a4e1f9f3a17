//! Tier 3: point by point and quantity by quantity (`gen_error`, `cce_<measure>` of
//! `replicas.csv`), a two one-sided test (TOST, α = 0.05) of equivalence within the manifest's
//! margin, with Welch's standard error over the replicas of both sides; a minimum-effect test
//! of a difference beyond the margin, Holm-corrected over every point of the run; values
//! without seed variance compared with a tolerance. Always written as the detail table
//! (`check.csv`: which points differ?); its figure verdict, which combines the points with
//! the claim verdicts of both sides, decides only when forced (`--tier 3`).

use super::part::Part;
use super::replicas::{PointKey, Replicas};
use super::stats::{self, Sample, Welch};
use super::{short, Outcome, ALPHA, REPLICA_CAP};
use crate::manifest::margins::CheckMargins;
use anyhow::Result;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Share of the points that decide no claim that must pass for the figure to pass.
pub const OTHERS_SHARE: f64 = 0.90;

/// How a point was judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Welch TOST and minimum-effect test.
    Tost,
    /// No seed variance on either side: |difference| within the deterministic tolerance.
    Tolerance,
    /// Both sides byte-equal: no statistics.
    BitIdentical,
    /// The point exists on one side only, or a side has fewer than two replicas.
    Untestable,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Tost => "tost",
            Method::Tolerance => "tolerance",
            Method::BitIdentical => "bit-identical",
            Method::Untestable => "untestable",
        }
    }
}

/// One quantity at one point.
#[derive(Clone, Debug)]
pub struct PointCheck {
    pub point: PointKey,
    pub n_over_p: f64,
    pub quantity: String,
    pub run: Option<Sample>,
    pub reference: Option<Sample>,
    /// The margin δ (or the tolerance) at this point.
    pub margin: f64,
    pub method: Method,
    /// run − reference, its 90 % interval, and the tests' p-values (NaN where not made).
    pub diff: f64,
    pub interval: (f64, f64),
    pub tost_p: f64,
    pub minimum_effect_p: f64,
    /// t₀.₉₅ · se: the smallest margin the TOST could pass here.
    pub smallest_margin: f64,
    /// Whether a claim rule reads this point (a curve's peak or an end of its grid, for the
    /// main estimator's CCE and the generalization error).
    pub decides_claim: bool,
    pub outcome: Outcome,
    /// Replicas per side for an 80 % chance of PASS if the true difference is 0.
    pub replicas_needed: Option<usize>,
    pub note: String,
}

/// One claim's verdict on both sides.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimComparison {
    pub claim: String,
    pub run: String,
    pub reference: String,
}

/// Tier 3's findings: every point, the claims of both sides' `claims.csv`, the verdict.
#[derive(Clone, Debug)]
pub struct Points {
    pub points: Vec<PointCheck>,
    pub claims: Vec<ClaimComparison>,
    pub outcome: Outcome,
    pub reason: String,
}

/// Every point of both sides judged (all PASS, "bit-identical", when `identical`), the claims
/// of both folders' `claims.csv` (the rows of the combination `variant`), and the figure
/// verdict.
pub fn compare(
    run: &Replicas,
    reference: &Replicas,
    margins: &CheckMargins,
    main: &str,
    identical: bool,
    dirs: (&Path, &Path),
    variant: &[(String, String)],
) -> Result<Points> {
    let mut points = if identical {
        identical_points(run)
    } else {
        compare_points(run, reference, margins)
    };
    mark_deciding_points(&mut points, main);
    let claims = compare_claims(dirs.0, dirs.1, variant)?;
    let (outcome, reason) = figure_verdict(&points, &claims, identical);
    Ok(Points {
        points,
        claims,
        outcome,
        reason,
    })
}

/// Per (point, quantity): the replica values and the point's n/P.
type Grouped = BTreeMap<(PointKey, String), (f64, Vec<f64>)>;

/// Whether tier 3 compares a quantity of `replicas.csv`: `gen_error` and the CCEs. The
/// classifiers' further quantities (`train_error`, `test_loss`, `dead_units`, …) are there
/// for the claims (docs/SPEC.md §7, v3) and have no margin of their own.
pub fn compared(quantity: &str) -> bool {
    quantity == "gen_error" || quantity.starts_with("cce_")
}

fn group(r: &Replicas) -> Grouped {
    let mut g: Grouped = BTreeMap::new();
    for row in r.rows.iter().filter(|row| compared(&row.quantity)) {
        g.entry((row.point.clone(), row.quantity.clone()))
            .or_insert_with(|| (row.n_over_p, Vec::new()))
            .1
            .push(row.value);
    }
    g
}

fn blank(point: PointKey, n_over_p: f64, quantity: String) -> PointCheck {
    PointCheck {
        point,
        n_over_p,
        quantity,
        run: None,
        reference: None,
        margin: f64::NAN,
        method: Method::Untestable,
        diff: f64::NAN,
        interval: (f64::NAN, f64::NAN),
        tost_p: f64::NAN,
        minimum_effect_p: f64::NAN,
        smallest_margin: f64::NAN,
        decides_claim: false,
        outcome: Outcome::Inconclusive,
        replicas_needed: None,
        note: String::new(),
    }
}

fn identical_points(run: &Replicas) -> Vec<PointCheck> {
    group(run)
        .into_iter()
        .map(|((point, quantity), (n_over_p, values))| {
            let s = Sample::of(&values);
            PointCheck {
                run: Some(s),
                reference: Some(s),
                method: Method::BitIdentical,
                diff: 0.0,
                outcome: Outcome::Pass,
                ..blank(point, n_over_p, quantity)
            }
        })
        .collect()
}

/// Every (point, quantity) of either side, judged; FAILs only where Holm's correction over
/// all testable points keeps the minimum-effect test's rejection.
fn compare_points(run: &Replicas, reference: &Replicas, margins: &CheckMargins) -> Vec<PointCheck> {
    let (run, reference) = (group(run), group(reference));
    let mut keys: Vec<&(PointKey, String)> = run.keys().chain(reference.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut points: Vec<PointCheck> = keys
        .into_iter()
        .map(|key| {
            let (point, quantity) = key.clone();
            let (a, b) = (run.get(key), reference.get(key));
            let n_over_p = a.or(b).map_or(f64::NAN, |x| x.0);
            let mut c = blank(point, n_over_p, quantity);
            c.run = a.map(|x| Sample::of(&x.1));
            c.reference = b.map(|x| Sample::of(&x.1));
            judge(&mut c, margins);
            c
        })
        .collect();
    let rejected = stats::holm(
        &points
            .iter()
            .map(|c| c.minimum_effect_p)
            .collect::<Vec<_>>(),
        ALPHA,
    );
    for (c, reject) in points.iter_mut().zip(rejected) {
        if reject {
            c.outcome = Outcome::Fail;
            c.note = format!(
                "differs by {} beyond the margin {} (minimum-effect p = {:.2e}, Holm over all points)",
                short(c.diff),
                short(c.margin),
                c.minimum_effect_p
            );
        }
    }
    points
}

/// Judges one point on its own (before Holm): PASS, INCONCLUSIVE, or a tolerance FAIL.
fn judge(c: &mut PointCheck, margins: &CheckMargins) {
    let (Some(a), Some(b)) = (c.run, c.reference) else {
        c.note = format!(
            "only in the {}",
            if c.run.is_some() { "run" } else { "reference" }
        );
        return;
    };
    c.diff = a.mean - b.mean;
    if a.n >= 2 && b.n >= 2 && a.sd == 0.0 && b.sd == 0.0 {
        c.method = Method::Tolerance;
        c.margin = margins.deterministic.at(b.mean);
        c.outcome = if c.diff.abs() <= c.margin {
            Outcome::Pass
        } else {
            Outcome::Fail
        };
        c.note =
            "no seed variance on either side: compared with the deterministic tolerance".into();
        return;
    }
    c.margin = margins.for_quantity(&c.quantity).at(b.mean);
    let w = Welch::of(a, b);
    if !w.testable() {
        c.note = format!(
            "too few replicas to test (run {}, reference {}): need at least 2 per side",
            a.n, b.n
        );
        return;
    }
    c.method = Method::Tost;
    c.interval = w.interval(ALPHA);
    c.tost_p = w.tost_p(c.margin);
    c.minimum_effect_p = w.minimum_effect_p(c.margin);
    c.smallest_margin = w.smallest_passable_margin(ALPHA);
    let pooled_sd = ((a.sd * a.sd + b.sd * b.sd) / 2.0).sqrt();
    c.replicas_needed =
        stats::replicas_for_80_percent_pass(pooled_sd, c.margin, ALPHA, REPLICA_CAP);
    if c.tost_p <= ALPHA {
        c.outcome = Outcome::Pass;
    } else if c.margin < c.smallest_margin {
        c.note = format!(
            "margin {} is below the smallest passable {} at {} + {} replicas: cannot pass",
            short(c.margin),
            short(c.smallest_margin),
            a.n,
            b.n
        );
    } else {
        c.note = "90 % interval reaches beyond the margin".into();
    }
}

/// Marks, per (network, level) curve, the points the claim rules read: for the main CCE and
/// the generalization error, the reference's peak and both ends of the grid.
fn mark_deciding_points(points: &mut [PointCheck], main: &str) {
    let mut curves: BTreeMap<(String, String, String), Vec<usize>> = BTreeMap::new();
    for (i, c) in points.iter().enumerate() {
        if c.quantity == main || c.quantity == "gen_error" {
            curves
                .entry((
                    c.point.model.clone(),
                    c.point.level.clone(),
                    c.quantity.clone(),
                ))
                .or_default()
                .push(i);
        }
    }
    for idx in curves.values() {
        let mean = |i: &usize| {
            let c = &points[*i];
            c.reference.or(c.run).map_or(f64::NEG_INFINITY, |s| s.mean)
        };
        let first = idx.iter().min_by_key(|&&i| points[i].point.n);
        let last = idx.iter().max_by_key(|&&i| points[i].point.n);
        let peak = idx.iter().max_by(|a, b| mean(a).total_cmp(&mean(b)));
        for i in [first, last, peak]
            .into_iter()
            .flatten()
            .copied()
            .collect::<Vec<_>>()
        {
            points[i].decides_claim = true;
        }
    }
}

/// The claim verdicts of both sides' `claims.csv` (empty when either has none), each named
/// by its rule set and claim, e.g. `v2 C3`; a file without a `rules` column holds v1's.
fn compare_claims(
    run_dir: &Path,
    reference_dir: &Path,
    variant: &[(String, String)],
) -> Result<Vec<ClaimComparison>> {
    let read = |dir: &Path| -> Result<Option<Vec<(String, String)>>> {
        let path = dir.join("claims.csv");
        if !path.exists() {
            return Ok(None);
        }
        let part = Part::read(&path, variant)?;
        let (Some(claim), Some(result)) = (part.column("claim"), part.column("result")) else {
            anyhow::bail!("{}: no `claim` and `result` columns", path.display());
        };
        let rules = part.column("rules");
        let out = part
            .rows
            .iter()
            .map(|(_, rec)| {
                let set = rules.map_or("v1", |i| rec[i].as_str());
                (format!("{set} {}", rec[claim]), rec[result].clone())
            })
            .collect();
        Ok(Some(out))
    };
    let (Some(run), Some(reference)) = (read(run_dir)?, read(reference_dir)?) else {
        return Ok(Vec::new());
    };
    let mut claims: Vec<String> = run.iter().chain(&reference).map(|c| c.0.clone()).collect();
    claims.sort();
    claims.dedup();
    let find = |list: &[(String, String)], claim: &str| {
        list.iter()
            .find(|c| c.0 == claim)
            .map_or("absent".to_string(), |c| c.1.clone())
    };
    Ok(claims
        .into_iter()
        .map(|claim| ClaimComparison {
            run: find(&run, &claim),
            reference: find(&reference, &claim),
            claim,
        })
        .collect())
}

/// FAIL if any point fails; PASS if none fails, every deciding point passes, at least 90 %
/// of the others pass and every claim has the same verdict on both sides; else INCONCLUSIVE.
fn figure_verdict(
    points: &[PointCheck],
    claims: &[ClaimComparison],
    bit_identical: bool,
) -> (Outcome, String) {
    if bit_identical {
        return (
            Outcome::Pass,
            "bit-identical: same manifest and algorithm, every reference file byte-equal".into(),
        );
    }
    let failed: Vec<&PointCheck> = points
        .iter()
        .filter(|c| c.outcome == Outcome::Fail)
        .collect();
    if !failed.is_empty() {
        let names: Vec<String> = failed
            .iter()
            .take(5)
            .map(|c| format!("{} at {}", c.quantity, point_name(c)))
            .collect();
        let more = if failed.len() > 5 {
            format!(" and {} more", failed.len() - 5)
        } else {
            String::new()
        };
        return (
            Outcome::Fail,
            format!(
                "{} of {} points differ beyond their margins: {}{more}",
                failed.len(),
                points.len(),
                names.join("; ")
            ),
        );
    }
    let deciding: Vec<&PointCheck> = points.iter().filter(|c| c.decides_claim).collect();
    let others: Vec<&PointCheck> = points.iter().filter(|c| !c.decides_claim).collect();
    let deciding_pass = deciding
        .iter()
        .filter(|c| c.outcome == Outcome::Pass)
        .count();
    let others_pass = others.iter().filter(|c| c.outcome == Outcome::Pass).count();
    let share = if others.is_empty() {
        1.0
    } else {
        others_pass as f64 / others.len() as f64
    };
    let flipped: Vec<String> = claims
        .iter()
        .filter(|c| c.run != c.reference)
        .map(|c| format!("{} {} (reference {})", c.claim, c.run, c.reference))
        .collect();
    let mut reason = format!(
        "{deciding_pass}/{} claim-deciding points and {others_pass}/{} others ({:.0} %, need {:.0} %) equivalent within their margins",
        deciding.len(),
        others.len(),
        100.0 * share,
        100.0 * OTHERS_SHARE
    );
    if !flipped.is_empty() {
        let _ = write!(reason, "; claim verdicts differ: {}", flipped.join(", "));
    }
    if deciding_pass == deciding.len() && share >= OTHERS_SHARE && flipped.is_empty() {
        return (Outcome::Pass, reason);
    }
    // Replicas per side that would likely settle the unpassed claim-deciding points: the
    // median point's and the hardest one's; the median point leads the reason.
    let mut open: Vec<&&PointCheck> = deciding
        .iter()
        .filter(|c| c.outcome != Outcome::Pass)
        .collect();
    open.sort_by_key(|c| c.replicas_needed.unwrap_or(usize::MAX));
    let shown = |n: Option<usize>| n.map_or(format!("more than {REPLICA_CAP}"), |n| n.to_string());
    if let (Some(median), Some(hardest)) = (open.get(open.len() / 2), open.last()) {
        let sides = match (median.run, median.reference) {
            (Some(a), Some(b)) => format!("{} + {} replicas", a.n, b.n),
            _ => "these replicas".into(),
        };
        let lead = format!(
            "{sides} cannot show equivalence within {} at {} of {} claim-deciding points (the median one: {} at {}{})",
            median_margin(median),
            open.len(),
            deciding.len(),
            median.quantity,
            point_name(median),
            median
                .replicas_needed
                .map_or(String::new(), |n| format!("; {n} per side would")),
        );
        let _ = write!(
            reason,
            "; replicas per side for an 80 % chance of PASS at the unpassed claim-deciding points (if the true difference is 0): median {}, at most {}",
            shown(median.replicas_needed),
            shown(hardest.replicas_needed)
        );
        return (Outcome::Inconclusive, format!("{lead}; {reason}"));
    }
    (Outcome::Inconclusive, reason)
}

/// `0.05 nats` for a CCE, `0.012 (10 % of 0.12)` for an error.
fn median_margin(c: &PointCheck) -> String {
    if c.quantity.starts_with("cce_") {
        format!("{} nats", short(c.margin))
    } else {
        c.reference.map_or(short(c.margin), |r| {
            format!(
                "{} ({:.0} % of {})",
                short(c.margin),
                100.0 * c.margin / r.mean.abs(),
                short(r.mean)
            )
        })
    }
}

/// `snr=2 n=50 linear2`.
pub fn point_name(c: &PointCheck) -> String {
    format!(
        "level {} n={} (n/P {}) {}",
        c.point.level,
        c.point.n,
        short(c.n_over_p),
        c.point.model
    )
}

#[cfg(test)]
mod tests;
