//! The claim rule sets' **effect sizes** as tier 2 reads them: per rule set, each claim's
//! effect on every curve (or pair of levels), pooled into one number per claim (their mean),
//! so that a rerun with other seeds can be compared with the reference claim by claim.
//! [`RuleSet`] is the registry: a new rule set adds a variant and its arm. The verdicts and
//! their robustness come from the claims module itself ([`crate::results::claims::judge_groups`]).
//!
//! The effects (names are shared where two sets read the same number, e.g. C1's gap):
//! - **C1 level gap** (v1, v2, v3): per network and pair of adjacent noise levels, the mean
//!   CCE over n of the noisier level minus the cleaner one's (positive when alignment grows
//!   with the signal, which C1 requires of every gap; v3's paired gap is the same mean), in
//!   nats;
//! - **C2 peak contrast** (v1, v2; they differ in the window only): per curve, the highest
//!   mean CCE minus the larger of the grid's two ends (positive when the peak is inside);
//! - **C3 peak contrast** (v1): the same on the generalization error;
//! - **C3 rise** (v2): the window peak of the test error minus the lowest point before it,
//!   what v2's C3 compares with 3 SE; **C3-loss rise** the same on the clean-label test loss;
//! - **C2 region above the ends** (v3): per curve, the smaller of the threshold region's
//!   normalized-rank contrasts against the two ends (the best region where a comparison has
//!   two), in rank units;
//! - **C3 log rise and fall** (v3, and C3-loss on the test loss): per curve, the smaller of the
//!   log error's rise into the threshold point and fall after it.
//!
//! C4 is an existence claim (some pair of points), with no one effect: its verdict is
//! compared, not a size.

use crate::results::claims::data::{self, Groups};
use crate::results::claims::{v2, v3};
use crate::results::tables::Estimate;

/// One claim's effect: its size on each curve (or pair of levels) and, pooled, their mean:
/// the number tier 2 compares (one per claim, so that it is decidable with few replicas; the
/// claim's verdict already requires every curve).
#[derive(Clone, Debug, PartialEq)]
pub struct Effect {
    /// The claim it belongs to, e.g. `C2`.
    pub claim: &'static str,
    /// e.g. `C2 peak contrast` (names are equal across rule sets for one number).
    pub name: String,
    /// `nats` or `error` (the quantity's own unit).
    pub unit: &'static str,
    /// (curve label or `SNR 1 → SNR 2`, its effect), NaN where the curve has none.
    pub parts: Vec<(String, f64)>,
    /// The mean of the parts that have one (NaN when none has).
    pub value: f64,
}

impl Effect {
    fn pooled(
        claim: &'static str,
        name: &str,
        unit: &'static str,
        parts: Vec<(String, f64)>,
    ) -> Effect {
        let finite: Vec<f64> = parts
            .iter()
            .map(|p| p.1)
            .filter(|v| v.is_finite())
            .collect();
        let value = if finite.is_empty() {
            f64::NAN
        } else {
            finite.iter().sum::<f64>() / finite.len() as f64
        };
        Effect {
            claim,
            name: name.to_string(),
            unit,
            parts,
            value,
        }
    }
}

/// A set of claim rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleSet {
    V1,
    V2,
    V3,
}

impl RuleSet {
    pub const ALL: [RuleSet; 3] = [RuleSet::V1, RuleSet::V2, RuleSet::V3];

    /// As `claims.csv`'s `rules` column names it.
    pub fn name(self) -> &'static str {
        match self {
            RuleSet::V1 => "v1",
            RuleSet::V2 => "v2",
            RuleSet::V3 => "v3",
        }
    }

    /// The set's effects on the curves.
    pub fn effects(self, groups: &Groups) -> Vec<Effect> {
        let v2g = data::v2_groups(groups);
        let curves: Vec<&v2::Curve> = v2g.iter().flat_map(|(_, c)| c.iter()).collect();
        let contrast = |q: &dyn Fn(&v2::Point) -> f64| -> Vec<(String, f64)> {
            curves
                .iter()
                .map(|c| {
                    let v: Vec<f64> = c.points.iter().map(q).collect();
                    (c.label.clone(), peak_contrast(&v))
                })
                .collect()
        };
        let gap = Effect::pooled("C1", "C1 level gap", "nats", level_gaps(&v2g));
        let mut out = match self {
            RuleSet::V1 => vec![
                gap,
                Effect::pooled("C2", "C2 peak contrast", "nats", contrast(&|p| p.cce.mean)),
                Effect::pooled(
                    "C3",
                    "C3 peak contrast",
                    "error",
                    contrast(&|p| p.gen_error.mean),
                ),
            ],
            RuleSet::V2 => {
                let judged = v2::with_thresholds(&v2g);
                let rises = |q: &dyn Fn(&v2::Point) -> Option<Estimate>| -> Vec<(String, f64)> {
                    judged
                        .iter()
                        .map(|(c, thresholds, _)| (c.label.clone(), rise(c, thresholds, q)))
                        .collect()
                };
                let mut out = vec![
                    gap,
                    Effect::pooled("C2", "C2 peak contrast", "nats", contrast(&|p| p.cce.mean)),
                    Effect::pooled("C3", "C3 rise", "error", rises(&|p| Some(p.gen_error))),
                ];
                if curves
                    .iter()
                    .any(|c| c.points.iter().any(|p| p.test_loss.is_some()))
                {
                    out.push(Effect::pooled(
                        "C3-loss",
                        "C3-loss rise",
                        "nats",
                        rises(&|p| p.test_loss),
                    ));
                }
                out
            }
            RuleSet::V3 => {
                let e = v3::effects(groups);
                let c2 =
                    e.c2.iter()
                        .map(|c| {
                            let v = c.effect.as_ref().map_or(f64::NAN, |x| {
                                x.regions
                                    .iter()
                                    .map(|r| r.above_low.estimate.min(r.above_high.estimate))
                                    .fold(f64::NAN, f64::max)
                            });
                            (c.curve.clone(), v)
                        })
                        .collect();
                let rise_fall = |per: &[v3::PerCurve<v3::C3Effect>]| -> Vec<(String, f64)> {
                    per.iter()
                        .map(|c| {
                            let v = c
                                .effect
                                .as_ref()
                                .map_or(f64::NAN, |x| x.rise.estimate.min(x.fall.estimate));
                            (c.curve.clone(), v)
                        })
                        .collect()
                };
                let mut out = vec![
                    gap,
                    Effect::pooled("C2", "C2 region above the ends", "rank", c2),
                    Effect::pooled("C3", "C3 log rise and fall", "log error", rise_fall(&e.c3)),
                ];
                if let Some(loss) = &e.c3_loss {
                    out.push(Effect::pooled(
                        "C3-loss",
                        "C3-loss log rise and fall",
                        "log loss",
                        rise_fall(loss),
                    ));
                }
                out
            }
        };
        out.retain(|e| !e.parts.is_empty());
        out
    }
}

/// C1's gaps: per network, the mean CCE over n of each level minus the next cleaner one's.
fn level_gaps(groups: &[(String, Vec<v2::Curve>)]) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for (_, curves) in groups {
        let mut sorted: Vec<&v2::Curve> = curves.iter().collect();
        sorted.sort_by(|a, b| a.signal.total_cmp(&b.signal));
        let average = |c: &v2::Curve| {
            c.points.iter().map(|p| p.cce.mean).sum::<f64>() / c.points.len() as f64
        };
        for w in sorted.windows(2) {
            out.push((
                format!("{} → {}", w[0].label, w[1].label),
                average(w[0]) - average(w[1]),
            ));
        }
    }
    out
}

/// The highest value minus the larger of the two ends (NaN with fewer than 3 values).
fn peak_contrast(v: &[f64]) -> f64 {
    if v.len() < 3 || v.iter().any(|x| !x.is_finite()) {
        return f64::NAN;
    }
    let top = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    top - v[0].max(v[v.len() - 1])
}

/// v2's C3 rise on one curve and quantity: the window peak minus the lowest mean before it
/// (NaN when the rule has no such points: no window, first grid point, a missing value).
fn rise(curve: &v2::Curve, thresholds: &[f64], q: &dyn Fn(&v2::Point) -> Option<Estimate>) -> f64 {
    let Some(v) = curve
        .points
        .iter()
        .map(|p| q(p).map(|e| e.mean).filter(|m| m.is_finite()))
        .collect::<Option<Vec<f64>>>()
    else {
        return f64::NAN;
    };
    if thresholds.is_empty() {
        return f64::NAN;
    }
    match v2::c3_points(curve, thresholds, &v) {
        Some((j, Some(i))) => v[j] - v[i],
        _ => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_contrast_is_the_peak_above_the_higher_end() {
        assert_eq!(peak_contrast(&[1.0, 5.0, 2.0, 3.0]), 2.0);
        // A peak at an end: contrast 0, the C2 rule's "strictly above both ends" fails.
        assert_eq!(peak_contrast(&[1.0, 2.0, 3.0]), 0.0);
        assert!(peak_contrast(&[1.0, 2.0]).is_nan());
        assert!(peak_contrast(&[1.0, f64::NAN, 3.0]).is_nan());
    }

    fn curve(label: &str, signal: f64, cce: &[f64], gen: &[f64]) -> v2::Curve {
        let e = |mean| Estimate { mean, se: 0.01 };
        v2::Curve {
            label: label.into(),
            signal,
            network: "linear2".into(),
            p: 10,
            points: cce
                .iter()
                .zip(gen)
                .enumerate()
                .map(|(i, (&c, &g))| v2::Point {
                    n: 4 * (i + 1),
                    n_over_p: 0.4 * (i + 1) as f64,
                    cce: e(c),
                    gen_error: e(g),
                    test_loss: None,
                    train_error: None,
                })
                .collect(),
        }
    }

    #[test]
    fn level_gaps_run_from_the_noisiest_level_and_rises_read_v2s_points() {
        // Levels given clean first: the gaps still go noisier → cleaner.
        let groups = vec![(
            "linear2".to_string(),
            vec![
                curve(
                    "SNR 5",
                    5.0,
                    &[-1.0, -0.5, -0.8, -1.2],
                    &[1.0, 3.0, 2.0, 0.5],
                ),
                curve(
                    "SNR 1",
                    1.0,
                    &[-0.4, -0.1, -0.3, -0.6],
                    &[1.0, 4.0, 2.0, 1.0],
                ),
            ],
        )];
        let gaps = level_gaps(&groups);
        assert_eq!(gaps.len(), 1);
        assert_eq!(gaps[0].0, "SNR 1 → SNR 5");
        assert!(
            (gaps[0].1 - (-0.35 - -0.875)).abs() < 1e-12,
            "{}",
            gaps[0].1
        );
        // P = 10: the window is 5 ≤ n ≤ 20, so n = 8, 12, 16; the peak at n = 8 (3.0) rises
        // from n = 4 (1.0).
        let c = &groups[0].1[0];
        assert_eq!(rise(c, &[10.0], &|p| Some(p.gen_error)), 2.0);
        assert!(rise(c, &[], &|p| Some(p.gen_error)).is_nan());
        assert!(rise(c, &[10.0], &|p| p.test_loss).is_nan());
        // Pooled: the mean of the parts that have a value.
        let e = Effect::pooled(
            "C3",
            "C3 rise",
            "error",
            vec![("a".into(), 1.0), ("b".into(), f64::NAN), ("c".into(), 3.0)],
        );
        assert_eq!(e.value, 2.0);
    }
}
