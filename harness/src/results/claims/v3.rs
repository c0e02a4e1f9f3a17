//! Claim rules v3 (docs/SPEC.md §7, "v3", which gives each rule's sentence of the paper, its
//! sources and the reasons): every claim is an effect size with a standard error, decided by
//! one-sided Welch t tests at [`ALPHA`] on a scale suited to its quantity, instead of the
//! location of one point.
//!
//! - **C1** keeps v1's rule; it adds each adjacent pair of levels' gap (mean over n of
//!   CCE(noisier) − CCE(cleaner), paired by replica: a replica's seeds are shared by every
//!   level at its n).
//! - **C2**: the threshold region (v2's window without the grid's ends) against each end of the
//!   grid, on the curve's normalized ranks of the replica CCEs ([`c2_curve`]).
//! - **C3** (and C3-loss): log error rises from the grid point nearest n*/2 to the one
//!   nearest n* and falls to the one nearest 2n*, n* being the curve's own threshold
//!   ([`c3_curve`]): three points fixed before the errors are looked at.
//! - **C4**: within one curve, some grid point is better aligned (ranks) and generalizes worse
//!   (log error) than another, both at Bonferroni's level over every pair tested ([`c4`]).
//!
//! [`effects`] gives every effect as plain numbers (what `harness check` and the power
//! analysis reuse); [`evaluate_groups`] the verdicts. The robustness of each verdict, and
//! UNDECIDED below 0.9, are added by the parent module ([`super::judge`]).

use super::data::{self, weighted_var_of_mean, Curve, Groups, Point, Series};
use super::{v2, Verdict};
use crate::results::check::stats::t_cdf;

/// Level of every one-sided test of v3.
pub const ALPHA: f64 = 0.05;

/// An effect with its standard error and Welch–Satterthwaite degrees of freedom; positive is
/// the direction the claim predicts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Effect {
    pub estimate: f64,
    pub se: f64,
    pub df: f64,
}

impl Effect {
    /// The one-sided p-value of "estimate > 0" (Student's t with `df`): 0 or 1 when the
    /// standard error is 0 (nothing varies), NaN when the effect or its error is unknown.
    pub fn p(&self) -> f64 {
        if !(self.estimate.is_finite() && self.se.is_finite()) {
            return f64::NAN;
        }
        if self.se == 0.0 {
            return if self.estimate > 0.0 { 0.0 } else { 1.0 };
        }
        if !(self.df > 0.0) {
            return f64::NAN;
        }
        t_cdf(-self.estimate / self.se, self.df)
    }

    /// Whether the test rejects "≤ 0" at level `alpha`.
    pub fn significant(&self, alpha: f64) -> bool {
        self.p() <= alpha
    }

    /// The estimate in standard errors.
    pub fn z(&self) -> f64 {
        self.estimate / self.se
    }

    fn text(&self) -> String {
        format!(
            "{:+.4} (SE {:.4}, df {:.1}, p {})",
            self.estimate,
            self.se,
            self.df,
            short_p(self.p())
        )
    }
}

fn short_p(p: f64) -> String {
    if p < 1e-3 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

/// One term of a linear contrast: a coefficient and one point's replica values, weighted.
struct Term<'a> {
    coef: f64,
    values: &'a [f64],
    weights: &'a [f64],
}

/// Σ coef · (weighted mean), with Welch's standard error over independent points and the
/// Welch–Satterthwaite degrees of freedom (R − 1 per point of R replicas, whatever the
/// weights: a bootstrap draw stands for another sample of R replicas).
fn contrast(terms: &[Term]) -> Effect {
    let (mut estimate, mut var, mut den) = (0.0, 0.0, 0.0);
    for t in terms {
        let m: f64 = t.values.iter().zip(t.weights).map(|(x, w)| x * w).sum();
        let v = weighted_var_of_mean(t.values.iter().copied(), t.weights, m);
        let cv = t.coef * t.coef * v;
        estimate += t.coef * m;
        var += cv;
        den += cv * cv / (t.values.len() as f64 - 1.0);
    }
    if terms.iter().any(|t| t.values.is_empty()) {
        estimate = f64::NAN;
    }
    Effect {
        estimate,
        se: var.sqrt(),
        df: var * var / den,
    }
}

/// The curve's CCE replica values as normalized mid-ranks (rank / N over every replica value
/// of every point, ties sharing their mean rank), point by point; `None` when a point has no
/// finite value.
pub fn cce_ranks(curve: &Curve) -> Option<Vec<Vec<f64>>> {
    let all: Vec<f64> = curve
        .points
        .iter()
        .flat_map(|p| p.cce.replicas.iter().map(|r| r.1))
        .collect();
    if curve
        .points
        .iter()
        .any(|p| p.cce.replicas.is_empty() || p.cce.replicas.iter().any(|r| !r.1.is_finite()))
    {
        return None;
    }
    let mut sorted = all.clone();
    sorted.sort_by(f64::total_cmp);
    let total = sorted.len() as f64;
    let rank = |x: f64| -> f64 {
        // 1-based mid-rank: below + (equal + 1) / 2.
        let below = sorted.partition_point(|v| *v < x);
        let upto = sorted.partition_point(|v| *v <= x);
        (below as f64 + (upto - below + 1) as f64 / 2.0) / total
    };
    Some(
        curve
            .points
            .iter()
            .map(|p| p.cce.replicas.iter().map(|r| rank(r.1)).collect())
            .collect(),
    )
}

/// The thresholds a curve is judged against, as in v2: its own and, in a comparison, the
/// other networks' at its level; with how they read.
fn thresholds(groups: &Groups) -> Vec<(usize, usize, Vec<f64>, Option<f64>, String)> {
    let v2g = data::v2_groups(groups);
    let all: Vec<(usize, usize, v2::Threshold, f64)> = v2g
        .iter()
        .enumerate()
        .flat_map(|(g, (_, cs))| {
            cs.iter()
                .enumerate()
                .map(move |(i, c)| (g, i, v2::threshold(c), c.signal))
        })
        .collect();
    all.iter()
        .map(|(g, i, own, signal)| {
            let same: Vec<&v2::Threshold> = all
                .iter()
                .filter(|o| o.3 == *signal)
                .map(|o| &o.2)
                .collect();
            let ns: Vec<f64> = same.iter().filter_map(|t| threshold_n(t)).collect();
            let text = same
                .iter()
                .map(|t| match t {
                    v2::Threshold::At { how, .. } => how.clone(),
                    v2::Threshold::NotApplicable(why) => format!("no threshold: {why}"),
                })
                .collect::<Vec<_>>()
                .join(", ");
            (*g, *i, ns, threshold_n(own), text)
        })
        .collect()
}

fn threshold_n(t: &v2::Threshold) -> Option<f64> {
    match t {
        v2::Threshold::At { n, .. } => Some(*n),
        v2::Threshold::NotApplicable(_) => None,
    }
}

/// C2's contrast for one threshold: its region's mean normalized rank against each end's.
#[derive(Clone, Debug, PartialEq)]
pub struct C2Region {
    pub threshold: f64,
    /// The grid n of the region (within a factor 2 of the threshold, neither end).
    pub region: Vec<usize>,
    /// Region minus the smallest n's, and minus the largest n's.
    pub above_low: Effect,
    pub above_high: Effect,
}

impl C2Region {
    fn pass(&self, level: f64) -> bool {
        self.above_low.significant(level) && self.above_high.significant(level)
    }
}

/// C2's effect on one curve: one contrast per threshold it is judged against (one, except in
/// a comparison), each at `level` = α / their number.
#[derive(Clone, Debug, PartialEq)]
pub struct C2Effect {
    pub low_end: usize,
    pub high_end: usize,
    pub regions: Vec<C2Region>,
    pub level: f64,
}

impl C2Effect {
    pub fn pass(&self) -> bool {
        self.regions.iter().any(|r| r.pass(self.level))
    }
}

/// C2 on one curve: for each threshold (its own; in a comparison also the other networks'
/// at its level), the grid points within a factor 2 of it (v2's window), the two ends
/// excluded, against each end, on the curve's normalized CCE ranks ([`cce_ranks`]); the
/// region's points weigh equally. PASS when, for some threshold, both differences are > 0 at
/// α / (the number of thresholds with a region) (Bonferroni over the alternatives). N/A
/// without a threshold, with fewer than 3 points, with a point unmeasured, with no interior
/// point near any threshold, or with an unknown standard error (fewer than 2 replicas).
pub fn c2_curve(curve: &Curve, thresholds: &[f64]) -> Result<C2Effect, String> {
    if thresholds.is_empty() {
        return Err("no threshold".into());
    }
    let k = curve.points.len();
    if k < 3 {
        return Err(format!("{k} grid points: need 3"));
    }
    let ranks = cce_ranks(curve).ok_or("CCE not measured at every point")?;
    let last = k - 1;
    let w = |j: usize| curve.points[j].cce.weights.as_slice();
    let mut distinct: Vec<f64> = thresholds.to_vec();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let mut regions = Vec::new();
    for t in distinct {
        let region: Vec<usize> = (1..last)
            .filter(|&j| v2::in_window(curve.points[j].n, &[t]))
            .collect();
        if region.is_empty() {
            continue;
        }
        let against = |end: usize| {
            let mut terms: Vec<Term> = region
                .iter()
                .map(|&j| Term {
                    coef: 1.0 / region.len() as f64,
                    values: &ranks[j],
                    weights: w(j),
                })
                .collect();
            terms.push(Term {
                coef: -1.0,
                values: &ranks[end],
                weights: w(end),
            });
            contrast(&terms)
        };
        let r = C2Region {
            threshold: t,
            region: region.iter().map(|&j| curve.points[j].n).collect(),
            above_low: against(0),
            above_high: against(last),
        };
        if !(r.above_low.p().is_finite() && r.above_high.p().is_finite()) {
            return Err("standard error unknown (fewer than 2 replicas at a point)".into());
        }
        regions.push(r);
    }
    if regions.is_empty() {
        return Err("no grid point between the ends lies within a factor 2 of a threshold".into());
    }
    Ok(C2Effect {
        low_end: curve.points[0].n,
        high_end: curve.points[last].n,
        level: ALPHA / regions.len() as f64,
        regions,
    })
}

/// C3's effect on one curve: the log error's rise into the threshold point and fall after it.
#[derive(Clone, Debug, PartialEq)]
pub struct C3Effect {
    /// The curve's own threshold n*.
    pub threshold: f64,
    /// The grid n nearest n*/2 below, nearest n*, nearest 2n* above.
    pub from: usize,
    pub at: usize,
    pub to: usize,
    /// mean log q(at) − mean log q(from), and mean log q(at) − mean log q(to).
    pub rise: Effect,
    pub fall: Effect,
}

impl C3Effect {
    pub fn pass(&self) -> bool {
        self.rise.significant(ALPHA) && self.fall.significant(ALPHA)
    }
}

/// The index among `candidates` whose n is nearest `target` on a log scale (ties: smaller n).
fn nearest(curve: &Curve, candidates: impl Iterator<Item = usize>, target: f64) -> Option<usize> {
    let dist = |j: usize| (curve.points[j].n as f64 / target).ln().abs();
    candidates.fold(None, |best, j| match best {
        Some(b) if dist(b) <= dist(j) => Some(b),
        _ => Some(j),
    })
}

/// C3 on one curve and quantity q: with n* the curve's own threshold, j* the grid point
/// nearest n* (log scale, ties: the smaller n), i the point below j* nearest n*/2 and k the
/// point above j* nearest 2n*, the rise mean log q(j*) − mean log q(i) and the fall
/// mean log q(j*) − mean log q(k), each replica's q taken as its mean over members. PASS when
/// both are > 0 at [`ALPHA`]. N/A without a threshold, without a point below or above j*, with
/// a q not measured or ≤ 0, or with an unknown standard error.
pub fn c3_curve(
    curve: &Curve,
    threshold: Option<f64>,
    what: &str,
    q: &dyn Fn(&Point) -> Option<&Series>,
) -> Result<C3Effect, String> {
    let Some(t) = threshold else {
        return Err("no threshold".into());
    };
    let k = curve.points.len();
    let at = nearest(curve, 0..k, t).ok_or("no grid point")?;
    let from = nearest(curve, 0..at, t / 2.0)
        .ok_or_else(|| format!("nothing below the threshold point n={}", curve.points[at].n))?;
    let to = nearest(curve, at + 1..k, t * 2.0)
        .ok_or_else(|| format!("nothing above the threshold point n={}", curve.points[at].n))?;
    let logs = |j: usize| -> Result<(Vec<f64>, &[f64]), String> {
        let s = q(&curve.points[j]).ok_or_else(|| format!("{what} not measured"))?;
        if s.replicas.is_empty() || s.replicas.iter().any(|r| !(r.1 > 0.0 && r.1.is_finite())) {
            return Err(format!(
                "{what} at n={} not measured or not positive (log scale)",
                curve.points[j].n
            ));
        }
        Ok((s.replicas.iter().map(|r| r.1.ln()).collect(), &s.weights))
    };
    let (la, wa) = logs(at)?;
    let (lf, wf) = logs(from)?;
    let (lt, wt) = logs(to)?;
    let diff = |l: &[f64], w: &[f64]| {
        contrast(&[
            Term {
                coef: 1.0,
                values: &la,
                weights: wa,
            },
            Term {
                coef: -1.0,
                values: l,
                weights: w,
            },
        ])
    };
    let e = C3Effect {
        threshold: t,
        from: curve.points[from].n,
        at: curve.points[at].n,
        to: curve.points[to].n,
        rise: diff(&lf, wf),
        fall: diff(&lt, wt),
    };
    if !(e.rise.p().is_finite() && e.fall.p().is_finite()) {
        return Err("standard error unknown (fewer than 2 replicas at a point)".into());
    }
    Ok(e)
}

/// C4's best pair: within one curve, point `aligned` is better aligned than point `other`
/// (higher normalized CCE rank at `other`) and generalizes worse (higher log error).
#[derive(Clone, Debug, PartialEq)]
pub struct C4Pair {
    pub curve: String,
    pub aligned: usize,
    pub other: usize,
    /// rank(other) − rank(aligned): > 0 when `aligned` is better aligned.
    pub alignment: Effect,
    /// log error(aligned) − log error(other): > 0 when `aligned` generalizes worse.
    pub error: Effect,
}

impl C4Pair {
    /// The pair's p-value: both tests must reject (the larger of the two).
    pub fn p(&self) -> f64 {
        self.alignment.p().max(self.error.p())
    }
}

/// C4's effect: how many ordered pairs were tested and the one with the smallest p.
#[derive(Clone, Debug, PartialEq)]
pub struct C4Effect {
    pub tested: usize,
    pub best: Option<C4Pair>,
}

impl C4Effect {
    /// Bonferroni's level over the pairs tested.
    pub fn level(&self) -> f64 {
        ALPHA / self.tested.max(1) as f64
    }

    pub fn pass(&self) -> bool {
        self.best.as_ref().is_some_and(|b| b.p() <= self.level())
    }
}

/// The curve's log errors point by point, `None` where not measured or not positive.
fn log_errors(curve: &Curve) -> Vec<Option<Vec<f64>>> {
    curve
        .points
        .iter()
        .map(|p| {
            let r = &p.gen_error.replicas;
            (!r.is_empty() && r.iter().all(|x| x.1 > 0.0 && x.1.is_finite()))
                .then(|| r.iter().map(|x| x.1.ln()).collect())
        })
        .collect()
}

/// C4 over every curve: every ordered pair (a, b) of grid points within one curve whose CCE
/// ranks and log errors have ≥ 2 replicas at both is tested (M pairs); a is better aligned
/// when rank(b) − rank(a) > 0 and generalizes worse when log err(a) − log err(b) > 0, each a
/// one-sided Welch t test; the pair's p is the larger. PASS when the smallest p is ≤ α/M.
/// N/A when no pair can be tested. With `first`, stops at the first pair that passes (the
/// verdict without the best pair's numbers, for the resamples).
pub fn c4(groups: &Groups, first: bool) -> C4Effect {
    let curves: Vec<(&Curve, Vec<Vec<f64>>, Vec<Option<Vec<f64>>>)> = groups
        .iter()
        .flat_map(|(_, cs)| cs.iter())
        .filter_map(|c| cce_ranks(c).map(|r| (c, r, log_errors(c))))
        .collect();
    let testable = |c: &Curve, e: &[Option<Vec<f64>>], j: usize| {
        e[j].as_ref().is_some_and(|v| v.len() >= 2) && c.points[j].cce.replicas.len() >= 2
    };
    let tested: usize = curves
        .iter()
        .map(|(c, _, e)| {
            let t = (0..c.points.len()).filter(|&j| testable(c, e, j)).count();
            t * t.saturating_sub(1)
        })
        .sum();
    let level = ALPHA / tested.max(1) as f64;
    let mut best: Option<C4Pair> = None;
    for (c, ranks, errs) in &curves {
        let k = c.points.len();
        for a in (0..k).filter(|&j| testable(c, errs, j)) {
            for b in (0..k).filter(|&j| j != a && testable(c, errs, j)) {
                let (pa, pb) = (&c.points[a], &c.points[b]);
                let (ea, eb) = (
                    errs[a].as_deref().unwrap_or(&[]),
                    errs[b].as_deref().unwrap_or(&[]),
                );
                let error = contrast(&[
                    Term {
                        coef: 1.0,
                        values: ea,
                        weights: &pa.gen_error.weights,
                    },
                    Term {
                        coef: -1.0,
                        values: eb,
                        weights: &pb.gen_error.weights,
                    },
                ]);
                if !(error.estimate > 0.0) {
                    continue;
                }
                let alignment = contrast(&[
                    Term {
                        coef: 1.0,
                        values: &ranks[b],
                        weights: &pb.cce.weights,
                    },
                    Term {
                        coef: -1.0,
                        values: &ranks[a],
                        weights: &pa.cce.weights,
                    },
                ]);
                if !(alignment.estimate > 0.0) {
                    continue;
                }
                let pair = C4Pair {
                    curve: c.label.clone(),
                    aligned: pa.n,
                    other: pb.n,
                    alignment,
                    error,
                };
                let p = pair.p();
                if best.as_ref().is_none_or(|b| p < b.p()) {
                    best = Some(pair);
                    if first && p <= level {
                        return C4Effect { tested, best };
                    }
                }
            }
        }
    }
    C4Effect { tested, best }
}

/// C1's effect between two adjacent levels of one network.
#[derive(Clone, Debug, PartialEq)]
pub struct LevelGap {
    pub network: String,
    pub noisier: String,
    pub cleaner: String,
    /// Mean over the shared grid n of CCE(noisier) − CCE(cleaner), each n's difference taken
    /// replica by replica: > 0 when the cleaner level is better aligned.
    pub gap: Effect,
}

/// Every adjacent pair of levels of each network (ordered by signal), with its gap.
pub fn c1_gaps(groups: &Groups) -> Vec<LevelGap> {
    let mut out = Vec::new();
    for (name, curves) in groups {
        let mut sorted: Vec<&Curve> = curves.iter().collect();
        sorted.sort_by(|a, b| a.signal.total_cmp(&b.signal));
        for w in sorted.windows(2) {
            let (lo, hi) = (w[0], w[1]);
            let mut diffs: Vec<(Vec<f64>, Vec<f64>)> = Vec::new();
            for p in &lo.points {
                let Some(q) = hi.points.iter().find(|q| q.n == p.n) else {
                    continue;
                };
                let (mut d, mut wts) = (Vec::new(), Vec::new());
                for ((r, x), wt) in p.cce.replicas.iter().zip(&p.cce.weights) {
                    if let Some((_, y)) = q.cce.replicas.iter().find(|(s, _)| s == r) {
                        d.push(x - y);
                        wts.push(*wt);
                    }
                }
                let total: f64 = wts.iter().sum();
                wts.iter_mut().for_each(|w| *w /= total);
                diffs.push((d, wts));
            }
            let k = diffs.len() as f64;
            let terms: Vec<Term> = diffs
                .iter()
                .map(|(d, w)| Term {
                    coef: 1.0 / k,
                    values: d,
                    weights: w,
                })
                .collect();
            out.push(LevelGap {
                network: name.clone(),
                noisier: lo.label.clone(),
                cleaner: hi.label.clone(),
                gap: contrast(&terms),
            });
        }
    }
    out
}

/// One curve's outcome under a per-curve rule: its label, the thresholds it was judged
/// against, and its effect or why it is N/A.
#[derive(Clone, Debug, PartialEq)]
pub struct PerCurve<T> {
    pub curve: String,
    pub thresholds: String,
    pub effect: Result<T, String>,
}

/// Every v3 effect of an experiment, as plain numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Effects {
    pub c1: Vec<LevelGap>,
    pub c2: Vec<PerCurve<C2Effect>>,
    pub c3: Vec<PerCurve<C3Effect>>,
    /// Classifiers only.
    pub c3_loss: Option<Vec<PerCurve<C3Effect>>>,
    pub c4: C4Effect,
}

/// Every v3 effect of the curves (see the module's rules).
pub fn effects(groups: &Groups) -> Effects {
    effects_with(groups, false)
}

/// The v3 effects of a results folder, from its `summary.csv` and `replicas.csv` alone.
pub fn effects_of_folder(dir: &std::path::Path) -> anyhow::Result<Effects> {
    Ok(effects(&data::read_folder(dir)?.0))
}

fn effects_with(groups: &Groups, first: bool) -> Effects {
    let th = thresholds(groups);
    let curve = |g: usize, i: usize| &groups[g].1[i];
    let c2 = th
        .iter()
        .map(|(g, i, ns, _, text)| PerCurve {
            curve: curve(*g, *i).label.clone(),
            thresholds: text.clone(),
            effect: c2_curve(curve(*g, *i), ns),
        })
        .collect();
    let c3_on = |what: &str, q: &dyn Fn(&Point) -> Option<&Series>| -> Vec<PerCurve<C3Effect>> {
        th.iter()
            .map(|(g, i, _, own, _)| {
                let c = curve(*g, *i);
                PerCurve {
                    curve: c.label.clone(),
                    thresholds: match own {
                        Some(t) => format!("{} n*={t}", c.network),
                        None => "no threshold".into(),
                    },
                    effect: c3_curve(c, *own, what, q),
                }
            })
            .collect()
    };
    let c3 = c3_on("test error", &|p| Some(&p.gen_error));
    let has_loss = groups
        .iter()
        .flat_map(|(_, c)| c.iter())
        .any(|c| c.points.iter().any(|p| p.test_loss.is_some()));
    let c3_loss = has_loss.then(|| c3_on("test loss", &|p| p.test_loss.as_ref()));
    Effects {
        c1: c1_gaps(groups),
        c2,
        c3,
        c3_loss,
        c4: c4(groups, first),
    }
}

const C2_STATEMENT: &str =
    "alignment is weaker (CCE higher) over the threshold region than at either end of the n grid";
const C3_STATEMENT: &str =
    "log test error rises from n*/2 into the threshold n* and falls towards 2n*";
const C3_LOSS_STATEMENT: &str =
    "log clean-label test loss rises from n*/2 into the threshold n* and falls towards 2n*";
const C4_STATEMENT: &str = "within one noise level, a better-aligned point generalizes worse, \
                            beyond chance over every pair tested";

/// A verdict over curves: applicable when some curve is; PASS when every applicable one
/// passes.
fn over_curves<T>(
    claim: &'static str,
    statement: &'static str,
    judged: &[PerCurve<T>],
    pass: impl Fn(&T) -> bool,
    text: impl Fn(&T) -> String,
) -> Verdict {
    let applicable = judged.iter().any(|c| c.effect.is_ok());
    let ok = judged.iter().all(|c| c.effect.as_ref().map_or(true, &pass));
    let detail = judged
        .iter()
        .map(|c| match &c.effect {
            Ok(e) => format!(
                "{} [{}]: {}{}",
                c.curve,
                c.thresholds,
                text(e),
                if pass(e) { "" } else { " ✗" }
            ),
            Err(why) => format!("{} [{}]: N/A ({why})", c.curve, c.thresholds),
        })
        .collect::<Vec<_>>()
        .join("; ");
    Verdict {
        claim,
        statement,
        pass: applicable && ok,
        applicable,
        detail,
        robustness: None,
    }
}

fn c2_text(e: &C2Effect) -> String {
    let one = |r: &C2Region| {
        let span = match (r.region.first(), r.region.last()) {
            (Some(a), Some(b)) if a != b => format!("n={a}–{b}"),
            (Some(a), _) => format!("n={a}"),
            _ => String::new(),
        };
        format!(
            "region {span} ({} points, n*={}) on ranks: above n={} by {}, above n={} by {}",
            r.region.len(),
            r.threshold,
            e.low_end,
            r.above_low.text(),
            e.high_end,
            r.above_high.text()
        )
    };
    let regions: Vec<String> = e.regions.iter().map(one).collect();
    if e.regions.len() > 1 {
        format!(
            "either region at level {}: {}",
            short_p(e.level),
            regions.join(" | ")
        )
    } else {
        regions.join("")
    }
}

fn c3_text(e: &C3Effect) -> String {
    format!(
        "log rise n={}→{}: {} (×{:.2}); fall n={}→{}: {} (×{:.2})",
        e.from,
        e.at,
        e.rise.text(),
        e.rise.estimate.exp(),
        e.at,
        e.to,
        e.fall.text(),
        (-e.fall.estimate).exp()
    )
}

/// The verdicts of [`Effects`]: C1 (v1's rule, `c1` being that verdict, with the gaps
/// added), C2, C3, C3-loss (classifiers), C4.
pub fn verdicts(effects: &Effects, c1: &Verdict) -> Vec<Verdict> {
    let mut c1 = c1.clone();
    if !effects.c1.is_empty() {
        let gaps: Vec<String> = effects
            .c1
            .iter()
            .map(|g| format!("{}→{} {}", g.noisier, g.cleaner, g.gap.text()))
            .collect();
        c1.detail = format!(
            "{}; level gaps, mean over n of CCE(noisier) − CCE(cleaner), paired by replica: {}",
            c1.detail,
            gaps.join(", ")
        );
    }
    let mut out = vec![c1];
    out.push(over_curves(
        "C2",
        C2_STATEMENT,
        &effects.c2,
        C2Effect::pass,
        c2_text,
    ));
    out.push(over_curves(
        "C3",
        C3_STATEMENT,
        &effects.c3,
        C3Effect::pass,
        c3_text,
    ));
    if let Some(loss) = &effects.c3_loss {
        out.push(over_curves(
            "C3-loss",
            C3_LOSS_STATEMENT,
            loss,
            C3Effect::pass,
            c3_text,
        ));
    }
    out.push(c4_verdict(&effects.c4));
    out
}

/// C4's verdict from its effect.
pub fn c4_verdict(e: &C4Effect) -> Verdict {
    let detail = match &e.best {
        _ if e.tested == 0 => "no pair of points could be tested".to_string(),
        Some(b) => format!(
            "{} ordered pairs within curves tested, Bonferroni level {}; best: {} n={} better \
             aligned than n={} by {} on ranks, worse log error by {}: p {}{}",
            e.tested,
            short_p(e.level()),
            b.curve,
            b.aligned,
            b.other,
            b.alignment.text(),
            b.error.text(),
            short_p(b.p()),
            if e.pass() { "" } else { " ✗" }
        ),
        None => format!(
            "{} ordered pairs within curves tested: none is better aligned and worse at \
             generalizing ✗",
            e.tested
        ),
    };
    Verdict {
        claim: "C4",
        statement: C4_STATEMENT,
        pass: e.pass(),
        applicable: e.tested > 0,
        detail,
        robustness: None,
    }
}

/// Every v3 verdict of the curves: C1, C2, C3, C3-loss (classifiers), C4.
pub fn evaluate_groups(groups: &Groups) -> Vec<Verdict> {
    let v1 = super::evaluate_groups(&data::v1_groups(groups));
    let c1 = v1.iter().find(|v| v.claim == "C1").cloned();
    verdicts(&effects(groups), &c1.unwrap_or_else(|| super::c1(&[])))
}

/// The results of [`evaluate_groups`] alone, `c1` being v1's C1 verdict on the same curves
/// (C4 stops at its first passing pair): what a bootstrap draw needs.
pub fn results(groups: &Groups, c1: &Verdict) -> Vec<&'static str> {
    verdicts(&effects_with(groups, true), c1)
        .iter()
        .map(|v| v.result())
        .collect()
}
