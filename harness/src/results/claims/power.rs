//! How many replicas per point a v3 claim needs for a [`POWER`] chance to pass, taking the
//! pilot's effects and standard deviations as true (docs/SPEC.md §7, v3; docs/POWER.md).
//!
//! Each v3 claim passes when every one of its m one-sided tests rejects (an intersection-union
//! test); by the union bound, m tests each with power 1 − (1 − POWER)/m pass together with
//! probability ≥ POWER. One test of an effect δ with standard error s at the pilot's R
//! replicas per point has, at R' replicas, standard error s·√(R/R') and about df·(R' − 1)/(R − 1)
//! degrees of freedom; its power is taken as P(T_df' > t_{1−α, df'} − δ/s') (the shifted
//! central t, a close approximation of the noncentral t). C1's rule asks only that each gap
//! be > 0 (a test at α = 0.5).

use super::v3::{Effect, Effects, ALPHA};
use crate::results::check::stats::{t_cdf, t_quantile};

/// The chance to pass that the replica counts are chosen for.
pub const POWER: f64 = 0.9;
/// Beyond this many replicas per point, "needs more than".
pub const CAP: usize = 10_000;

/// The approximate power of a one-sided test at level `alpha` of `effect` (measured at
/// `pilot` replicas per point) with `r` replicas per point.
pub fn power_at(effect: &Effect, pilot: usize, r: usize, alpha: f64) -> f64 {
    if !(effect.estimate > 0.0) {
        return 0.0;
    }
    let scale = (pilot as f64 / r as f64).sqrt();
    let se = effect.se * scale;
    if se == 0.0 {
        return 1.0;
    }
    let df = if effect.df.is_finite() && pilot > 1 {
        (effect.df * (r as f64 - 1.0) / (pilot as f64 - 1.0)).max(1.0)
    } else {
        (r as f64 - 1.0).max(1.0)
    };
    let critical = if alpha == 0.5 {
        0.0
    } else {
        t_quantile(1.0 - alpha, df)
    };
    1.0 - t_cdf(critical - effect.estimate / se, df)
}

/// What a claim needs.
#[derive(Clone, Debug, PartialEq)]
pub enum Needed {
    /// Replicas per point for the target power.
    Replicas(usize),
    /// More than [`CAP`].
    Beyond,
    /// An effect the claim needs positive is ≤ 0 at the pilot: it fails at any count.
    FailsAtAnyCount(String),
    /// The claim cannot be tested (N/A).
    NotApplicable,
}

impl Needed {
    /// As `claims.csv` writes it.
    pub fn cell(&self) -> String {
        match self {
            Needed::Replicas(r) => r.to_string(),
            Needed::Beyond => format!(">{CAP}"),
            Needed::FailsAtAnyCount(_) => "fails at any count".into(),
            Needed::NotApplicable => String::new(),
        }
    }
}

/// The smallest r in 2..=CAP whose power is ≥ `target` (power grows with r).
fn smallest(effect: &Effect, pilot: usize, alpha: f64, target: f64) -> Option<usize> {
    if power_at(effect, pilot, CAP, alpha) < target {
        return None;
    }
    let (mut lo, mut hi) = (2usize, CAP);
    if power_at(effect, pilot, lo, alpha) >= target {
        return Some(lo);
    }
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if power_at(effect, pilot, mid, alpha) >= target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// The replicas per point that m tests (named effects, each with its level) need to pass
/// together with probability ≥ [`POWER`], and the test that needs the most.
pub fn needed_for(tests: &[(String, Effect, f64)], pilot: usize) -> (Needed, Option<String>) {
    if tests.is_empty() {
        return (Needed::NotApplicable, None);
    }
    let target = 1.0 - (1.0 - POWER) / tests.len() as f64;
    let mut worst: Option<(usize, String)> = None;
    for (name, e, alpha) in tests {
        if !(e.estimate > 0.0) {
            return (
                Needed::FailsAtAnyCount(format!("{name}: {:+.4}", e.estimate)),
                Some(name.clone()),
            );
        }
        match smallest(e, pilot, *alpha, target) {
            None => return (Needed::Beyond, Some(name.clone())),
            Some(r) => {
                if worst.as_ref().is_none_or(|(w, _)| r > *w) {
                    worst = Some((r, name.clone()));
                }
            }
        }
    }
    let (r, name) = worst.unwrap_or((2, String::new()));
    (Needed::Replicas(r), Some(name))
}

/// Each v3 claim's tests, each (name, effect, level), that must all pass: C1's gaps; C2's
/// contrasts of each curve's region that is closest to passing (the larger p of its two is the
/// smallest); C3's rises and falls; C4's best pair.
pub fn tests(effects: &Effects) -> Vec<(&'static str, Vec<(String, Effect, f64)>)> {
    let mut out = Vec::new();
    out.push((
        "C1",
        effects
            .c1
            .iter()
            .map(|g| (format!("{}→{} gap", g.noisier, g.cleaner), g.gap, 0.5))
            .collect(),
    ));
    out.push((
        "C2",
        effects
            .c2
            .iter()
            .filter_map(|c| c.effect.as_ref().ok().map(|e| (c, e)))
            .flat_map(|(c, e)| {
                let p = |r: &super::v3::C2Region| r.above_low.p().max(r.above_high.p());
                let best = e
                    .regions
                    .iter()
                    .min_by(|a, b| p(a).total_cmp(&p(b)))
                    .expect("a C2 effect has a region");
                [
                    (
                        format!("{} above n={} (n*={})", c.curve, e.low_end, best.threshold),
                        best.above_low,
                        e.level,
                    ),
                    (
                        format!("{} above n={} (n*={})", c.curve, e.high_end, best.threshold),
                        best.above_high,
                        e.level,
                    ),
                ]
            })
            .collect(),
    ));
    let c3 = |list: &[super::v3::PerCurve<super::v3::C3Effect>]| -> Vec<(String, Effect, f64)> {
        list.iter()
            .filter_map(|c| c.effect.as_ref().ok().map(|e| (c, e)))
            .flat_map(|(c, e)| {
                [
                    (
                        format!("{} rise n={}→{}", c.curve, e.from, e.at),
                        e.rise,
                        ALPHA,
                    ),
                    (
                        format!("{} fall n={}→{}", c.curve, e.at, e.to),
                        e.fall,
                        ALPHA,
                    ),
                ]
            })
            .collect()
    };
    out.push(("C3", c3(&effects.c3)));
    if let Some(loss) = &effects.c3_loss {
        out.push(("C3-loss", c3(loss)));
    }
    let level = effects.c4.level();
    let mut c4: Vec<(String, Effect, f64)> = Vec::new();
    if effects.c4.tested > 0 && effects.c4.best.is_none() {
        let zero = Effect {
            estimate: 0.0,
            se: 0.0,
            df: f64::NAN,
        };
        c4.push(("no discordant pair".to_string(), zero, level));
    }
    if let Some(b) = &effects.c4.best {
        let name = format!("{} n={} vs n={}", b.curve, b.aligned, b.other);
        c4.push((format!("{name} alignment"), b.alignment, level));
        c4.push((format!("{name} error"), b.error, level));
    }
    out.push(("C4", c4));
    out
}

/// What each v3 claim needs, by claim name, with the test that needs the most.
pub fn needed(effects: &Effects, pilot: usize) -> Vec<(&'static str, Needed, Option<String>)> {
    tests(effects)
        .into_iter()
        .map(|(claim, t)| {
            let (n, worst) = needed_for(&t, pilot);
            (claim, n, worst)
        })
        .collect()
}
