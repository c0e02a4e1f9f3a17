//! Claim rules v2, pre-registered on 2026-11-30 before the confirmatory runs (docs/SPEC.md
//! §7, which gives the reasons and citations). v1 (the parent module) is kept as it was and
//! both are reported side by side.
//!
//! What changes against v1:
//! - **Threshold.** A classifier's interpolation threshold n* is the largest grid n where the
//!   mean training error on the members' own noisy labels is ≤ [`EPSILON`] (the *effective*
//!   threshold of Nakkiran et al. 2019); a level where every grid point interpolates, or none
//!   does, has no threshold on the grid and is N/A. A regression network's n* is its P.
//! - **Window.** Near the threshold = within a factor [`WINDOW_FACTOR`] of n*, in n:
//!   n*/2 ≤ n ≤ 2·n*. In a comparison (`compare:`) a curve is judged against either
//!   network's threshold at its level (the union of their windows), on the shared n axis.
//! - **C2**: the highest mean CCE lies in the window and exceeds both ends of the grid.
//! - **C3**: a local maximum in the window that rises ≥ [`RISE_SE`] standard errors above the
//!   best (lowest) point at smaller n (double descent as non-monotonicity, Nakkiran 2019),
//!   judged on the test error and, for classifiers, separately on the clean-label test loss
//!   (`C3-loss`).
//! - C1 and C4 keep v1's rules.
//!
//! Every per-curve outcome carries the numbers it was decided on.

use super::{ClaimPoint, Curve as V1Curve, Verdict};
use crate::results::tables::Estimate;

/// Training error on the noisy labels at or below which a grid point counts as interpolating.
pub const EPSILON: f64 = 0.01;
/// Near the threshold n* = n*/WINDOW_FACTOR ≤ n ≤ WINDOW_FACTOR·n*.
pub const WINDOW_FACTOR: f64 = 2.0;
/// C3's rise above the best point at smaller n, in standard errors of the difference.
pub const RISE_SE: f64 = 3.0;

/// One sweep point as the v2 rules see it.
#[derive(Clone, Copy, Debug)]
pub struct Point {
    pub n: usize,
    pub n_over_p: f64,
    pub cce: Estimate,
    pub gen_error: Estimate,
    /// Classifiers: mean cross-entropy on the clean test labels.
    pub test_loss: Option<Estimate>,
    /// Classifiers: error on the members' own noisy training labels.
    pub train_error: Option<Estimate>,
}

/// The points of one noise level of one network, in increasing n.
#[derive(Clone, Debug)]
pub struct Curve {
    /// How the level is shown, e.g. `label noise 0.2` (prefixed by the network in a comparison).
    pub label: String,
    /// Larger is cleaner; curves of different networks at one level share it.
    pub signal: f64,
    /// The network's name.
    pub network: String,
    /// The network's parameter count P.
    pub p: usize,
    pub points: Vec<Point>,
}

/// Where a curve's interpolation threshold is.
#[derive(Clone, Debug, PartialEq)]
pub enum Threshold {
    /// n* and how it was found.
    At { n: f64, how: String },
    /// No threshold on the grid, and why.
    NotApplicable(String),
}

impl Threshold {
    fn n(&self) -> Option<f64> {
        match self {
            Threshold::At { n, .. } => Some(*n),
            Threshold::NotApplicable(_) => None,
        }
    }
}

/// A curve's threshold: for a classifier (its points carry a training error) the largest grid
/// n with mean training error ≤ [`EPSILON`], N/A when every point or no point is that low; for
/// a regression network n* = P (SPEC §5).
pub fn threshold(curve: &Curve) -> Threshold {
    if curve.points.iter().all(|p| p.train_error.is_none()) {
        return Threshold::At {
            n: curve.p as f64,
            how: format!("{} n*=P={}", curve.network, curve.p),
        };
    }
    let fits = |p: &Point| p.train_error.is_some_and(|e| e.mean <= EPSILON);
    let fitting = curve.points.iter().filter(|p| fits(p)).count();
    if fitting == 0 {
        return Threshold::NotApplicable(format!(
            "no grid point interpolates (train error > {EPSILON} everywhere)"
        ));
    }
    if fitting == curve.points.len() {
        return Threshold::NotApplicable(format!(
            "every grid point interpolates (train error ≤ {EPSILON} up to n={})",
            curve.points.last().map_or(0, |p| p.n)
        ));
    }
    let last = curve.points.iter().filter(|p| fits(p)).map(|p| p.n).max();
    let n = last.unwrap_or(0);
    Threshold::At {
        n: n as f64,
        how: format!("{} n*={n} (train error ≤ {EPSILON})", curve.network),
    }
}

/// Whether `n` lies within a factor [`WINDOW_FACTOR`] of one of the thresholds (inclusive).
pub fn in_window(n: usize, thresholds: &[f64]) -> bool {
    let n = n as f64;
    thresholds
        .iter()
        .any(|&t| n >= t / WINDOW_FACTOR && n <= t * WINDOW_FACTOR)
}

/// How one curve fared under one rule.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Pass(String),
    Fail(String),
    NotApplicable(String),
}

/// The first index of the largest value among `indices` (ties: the smallest n).
fn argmax(values: &[f64], indices: impl Iterator<Item = usize>) -> Option<usize> {
    indices.fold(None, |best, i| match best {
        Some(b) if values[b] >= values[i] => Some(b),
        _ => Some(i),
    })
}

/// The first index of the smallest value among `indices` (ties: the smallest n).
fn argmin(values: &[f64], indices: impl Iterator<Item = usize>) -> Option<usize> {
    indices.fold(None, |best, i| match best {
        Some(b) if values[b] <= values[i] => Some(b),
        _ => Some(i),
    })
}

/// The means of one quantity, or N/A when one is missing or not finite.
fn means(
    curve: &Curve,
    what: &str,
    q: &dyn Fn(&Point) -> Option<Estimate>,
) -> Result<Vec<Estimate>, Outcome> {
    let values: Option<Vec<Estimate>> = curve.points.iter().map(q).collect();
    match values {
        Some(v) if v.iter().all(|e| e.mean.is_finite()) => Ok(v),
        _ => Err(Outcome::NotApplicable(format!(
            "{what} not measured at every point"
        ))),
    }
}

/// C2 on one curve: the highest mean CCE lies within a factor 2 of a threshold and exceeds
/// the values at both ends of the grid (strictly, so it is neither end).
pub fn c2_curve(curve: &Curve, thresholds: &[f64]) -> Outcome {
    if thresholds.is_empty() {
        return Outcome::NotApplicable("no threshold".into());
    }
    if curve.points.len() < 3 {
        return Outcome::NotApplicable(format!("{} grid points: need 3", curve.points.len()));
    }
    let est = match means(curve, "CCE", &|p| Some(p.cce)) {
        Ok(v) => v,
        Err(o) => return o,
    };
    let v: Vec<f64> = est.iter().map(|e| e.mean).collect();
    let last = v.len() - 1;
    let top = argmax(&v, 0..v.len()).unwrap_or(0);
    let at = &curve.points[top];
    let inside = in_window(at.n, thresholds);
    // Strictly above both ends: so the peak is neither end.
    let ok = inside && v[top] > v[0] && v[top] > v[last];
    let text = format!(
        "peak {:.4} at n={} (n/P={:.3}){}; ends {:.4}, {:.4}",
        v[top],
        at.n,
        at.n_over_p,
        if inside {
            " in window"
        } else {
            " outside window"
        },
        v[0],
        v[last]
    );
    if ok {
        Outcome::Pass(text)
    } else {
        Outcome::Fail(text)
    }
}

/// C3 on one curve and quantity: let j be the point with the highest mean inside the window
/// (ties: smallest n), i the point with the lowest mean at smaller n (ties: smallest n).
/// PASS when j is a local maximum of the means (not the last grid point, strictly above its
/// right neighbour, at least its left neighbour) and the rise q_j − q_i is > 0 and
/// ≥ [`RISE_SE`]·√(se_j² + se_i²). N/A when no grid point lies in the window or a standard
/// error is unknown (fewer than 2 replicas); FAIL when j is the first grid point.
pub fn c3_curve(
    curve: &Curve,
    thresholds: &[f64],
    what: &str,
    q: &dyn Fn(&Point) -> Option<Estimate>,
) -> Outcome {
    if thresholds.is_empty() {
        return Outcome::NotApplicable("no threshold".into());
    }
    let est = match means(curve, what, q) {
        Ok(v) => v,
        Err(o) => return o,
    };
    let v: Vec<f64> = est.iter().map(|e| e.mean).collect();
    let Some((j, before)) = c3_points(curve, thresholds, &v) else {
        return Outcome::NotApplicable("no grid point in the window".into());
    };
    let at = &curve.points[j];
    let Some(i) = before else {
        return Outcome::Fail(format!(
            "window peak {:.4} at n={} is the first grid point: no rise from smaller n",
            v[j], at.n
        ));
    };
    let se = (est[j].se * est[j].se + est[i].se * est[i].se).sqrt();
    if !se.is_finite() {
        return Outcome::NotApplicable(format!(
            "standard error unknown at n={} or n={} (fewer than 2 replicas)",
            at.n, curve.points[i].n
        ));
    }
    let rise = v[j] - v[i];
    let local_max = j + 1 < v.len() && v[j] > v[j + 1] && v[j] >= v[j - 1];
    let risen = rise > 0.0 && rise >= RISE_SE * se;
    let text =
        format!(
        "window peak {:.4} at n={} (n/P={:.3}), best before {:.4} at n={}: rise {:.4} = {:.1} SE{}",
        v[j],
        at.n,
        at.n_over_p,
        v[i],
        curve.points[i].n,
        rise,
        if se > 0.0 { rise / se } else { f64::INFINITY },
        if local_max {
            String::new()
        } else if j + 1 == v.len() {
            "; last grid point, no descent seen".into()
        } else {
            format!("; not a local maximum (neighbours {:.4}, {:.4})", v[j - 1], v[j + 1])
        }
    );
    if local_max && risen {
        Outcome::Pass(text)
    } else {
        Outcome::Fail(text)
    }
}

/// C3's two points on a curve with means `v`: j, the highest mean inside the window (ties:
/// smallest n), and i, the lowest mean at smaller n (`None` when j is the first grid point);
/// `None` when no grid point lies in the window. The rise C3 reads is v[j] − v[i].
pub fn c3_points(curve: &Curve, thresholds: &[f64], v: &[f64]) -> Option<(usize, Option<usize>)> {
    let window = (0..v.len()).filter(|&j| in_window(curve.points[j].n, thresholds));
    let j = argmax(v, window)?;
    Some((j, argmin(v, 0..j)))
}

/// A verdict over curves: applicable when some curve is; PASS when every applicable curve
/// passes. The detail lists every curve, with its threshold(s).
fn verdict(
    claim: &'static str,
    statement: &'static str,
    judged: Vec<(String, String, Outcome)>,
) -> Verdict {
    let applicable = judged
        .iter()
        .any(|(_, _, o)| !matches!(o, Outcome::NotApplicable(_)));
    let pass = applicable
        && judged
            .iter()
            .all(|(_, _, o)| !matches!(o, Outcome::Fail(_)));
    let detail = judged
        .iter()
        .map(|(label, th, o)| match o {
            Outcome::Pass(t) => format!("{label} [{th}]: {t}"),
            Outcome::Fail(t) => format!("{label} [{th}]: {t} ✗"),
            Outcome::NotApplicable(t) => format!("{label} [{th}]: N/A ({t})"),
        })
        .collect::<Vec<_>>()
        .join("; ");
    Verdict {
        claim,
        statement,
        pass,
        applicable,
        detail,
        robustness: None,
    }
}

/// Each curve with the thresholds it is judged against (its own, and in a comparison the
/// other networks' at the same level), and how they read.
pub fn with_thresholds(groups: &[(String, Vec<Curve>)]) -> Vec<(&Curve, Vec<f64>, String)> {
    let all: Vec<(&Curve, Threshold)> = groups
        .iter()
        .flat_map(|(_, c)| c.iter())
        .map(|c| (c, threshold(c)))
        .collect();
    all.iter()
        .map(|(c, _)| {
            let same_level: Vec<&Threshold> = all
                .iter()
                .filter(|(o, _)| o.signal == c.signal)
                .map(|(_, t)| t)
                .collect();
            let ns: Vec<f64> = same_level.iter().filter_map(|t| t.n()).collect();
            let text = same_level
                .iter()
                .map(|t| match t {
                    Threshold::At { how, .. } => how.clone(),
                    Threshold::NotApplicable(why) => format!("no threshold: {why}"),
                })
                .collect::<Vec<_>>()
                .join(", ");
            (*c, ns, text)
        })
        .collect()
}

const C2_STATEMENT: &str =
    "alignment is non-monotonic in n and weakest within a factor 2 of the interpolation threshold";
const C3_STATEMENT: &str =
    "test error rises ≥ 3 SE into a local maximum within a factor 2 of the interpolation threshold";
const C3_LOSS_STATEMENT: &str =
    "clean-label test loss rises ≥ 3 SE into a local maximum within a factor 2 of the interpolation threshold";

/// C2 v2 over every curve of every network.
pub fn c2(groups: &[(String, Vec<Curve>)]) -> Verdict {
    let judged = with_thresholds(groups)
        .into_iter()
        .map(|(c, ns, th)| (c.label.clone(), th, c2_curve(c, &ns)))
        .collect();
    verdict("C2", C2_STATEMENT, judged)
}

/// C3 v2 on the test error (`gen_error`) over every curve of every network.
pub fn c3(groups: &[(String, Vec<Curve>)]) -> Verdict {
    let judged = with_thresholds(groups)
        .into_iter()
        .map(|(c, ns, th)| {
            let o = c3_curve(c, &ns, "test error", &|p| Some(p.gen_error));
            (c.label.clone(), th, o)
        })
        .collect();
    verdict("C3", C3_STATEMENT, judged)
}

/// C3 v2 on the clean-label test loss (classifiers; `None` when no curve has it).
pub fn c3_loss(groups: &[(String, Vec<Curve>)]) -> Option<Verdict> {
    let has_loss = groups
        .iter()
        .flat_map(|(_, c)| c.iter())
        .any(|c| c.points.iter().any(|p| p.test_loss.is_some()));
    if !has_loss {
        return None;
    }
    let judged = with_thresholds(groups)
        .into_iter()
        .map(|(c, ns, th)| {
            let o = c3_curve(c, &ns, "test loss", &|p| p.test_loss);
            (c.label.clone(), th, o)
        })
        .collect();
    Some(verdict("C3-loss", C3_LOSS_STATEMENT, judged))
}

/// The v1 view of the same curves (C1 and C4 keep v1's rules).
pub(super) fn as_v1(groups: &[(String, Vec<Curve>)]) -> Vec<(String, Vec<V1Curve>)> {
    groups
        .iter()
        .map(|(name, curves)| {
            let curves = curves
                .iter()
                .map(|c| V1Curve {
                    label: c.label.clone(),
                    signal: c.signal,
                    points: c
                        .points
                        .iter()
                        .map(|p| ClaimPoint {
                            n_over_p: p.n_over_p,
                            cce: p.cce,
                            gen_error: p.gen_error,
                        })
                        .collect(),
                })
                .collect();
            (name.clone(), curves)
        })
        .collect()
}

/// Every v2 verdict: C1 (v1's rule), C2, C3, C3-loss (classifiers only), C4 (v1's rule).
pub fn evaluate_groups(groups: &[(String, Vec<Curve>)]) -> Vec<Verdict> {
    let v1 = super::evaluate_groups(&as_v1(groups));
    let pick = |claim: &str| v1.iter().find(|v| v.claim == claim).cloned();
    let mut out: Vec<Verdict> = pick("C1").into_iter().collect();
    out.push(c2(groups));
    out.push(c3(groups));
    out.extend(c3_loss(groups));
    out.extend(pick("C4"));
    out
}
