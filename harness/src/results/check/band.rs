//! Tier 2's whole-curve comparison: one simultaneous 95 % band for the difference run −
//! reference over every point of a quantity, instead of one test per point.
//!
//! At point p the band is d_p ± c·se_p (Welch's standard error of the difference of the
//! replica means). The critical value c is the 95 % quantile of max_p |t_p| when the replicas
//! of both sides are shuffled between them (a permutation band: whole replicas move, so the
//! dependence between the points of one replica is kept), when the replicas allow at least
//! [`MIN_SPLITS`] distinct splits; with fewer (3 + 3 replicas give 20) a permutation cannot
//! reach the 5 % level and c is Šidák's t quantile per point, t₁₋ₐ(df_p) with
//! a = (1 − 0.95^{1/m})/2, valid whatever the dependence between points.
//!
//! A curve **leaves the band** where the band lies wholly beyond ± the margin (the effect
//! margin, [`crate::manifest::margins::CheckMargins::effect`], times the reference curve's
//! range over n): a difference detectable at every point at once and larger than half the
//! curve's own rise and fall. That is a FAIL; a band inside the margins everywhere is
//! reported, but equivalence is judged on the effects.

use super::replicas::PointKey;
use super::resample::ReplicaTable;
use super::stats::{t_quantile, Sample, Welch};
use super::Outcome;
use crate::manifest::margins::Margin;
use crate::rng::Rng;
use std::collections::BTreeMap;

/// Fewest distinct splits of the pooled replicas for a permutation band.
pub const MIN_SPLITS: u64 = 100;
/// At most this many splits are drawn (all of them when fewer).
const MAX_SPLITS: usize = 2000;
const LEVEL: f64 = 0.95;

/// One point of the band.
#[derive(Clone, Debug, PartialEq)]
pub struct BandPoint {
    pub point: PointKey,
    pub diff: f64,
    pub half_width: f64,
    pub margin: f64,
}

impl BandPoint {
    /// The band lies wholly beyond ± the margin.
    pub fn beyond(&self) -> bool {
        self.diff - self.half_width > self.margin || self.diff + self.half_width < -self.margin
    }

    /// The band lies inside ± the margin.
    pub fn inside(&self) -> bool {
        self.diff.abs() + self.half_width <= self.margin
    }
}

/// The band of one quantity.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub quantity: String,
    /// `permutation (924 splits)` or `Šidák over 100 points`.
    pub method: String,
    /// The permutation's critical value (NaN for Šidák, whose c varies with df).
    pub critical: f64,
    pub points: Vec<BandPoint>,
    pub outcome: Outcome,
}

impl Band {
    pub fn beyond(&self) -> Vec<&BandPoint> {
        self.points.iter().filter(|p| p.beyond()).collect()
    }
}

/// n choose k, saturating.
fn choose(n: u64, k: u64) -> u64 {
    (0..k).fold(1u64, |acc, i| acc.saturating_mul(n - i) / (i + 1))
}

/// Every k-subset of 0..n, in lexicographic order.
fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut idx: Vec<usize> = (0..k).collect();
    loop {
        out.push(idx.clone());
        let Some(i) = (0..k).rev().find(|&i| idx[i] != i + n - k) else {
            return out;
        };
        idx[i] += 1;
        for j in i + 1..k {
            idx[j] = idx[j - 1] + 1;
        }
    }
}

/// The band of `quantity` over the points both sides hold with at least 2 replicas each.
/// `margin` applies to each (network, level) curve's range of reference means.
pub fn band(
    quantity: &str,
    run: &ReplicaTable,
    reference: &ReplicaTable,
    margin: &Margin,
    rng: &mut Rng,
) -> Band {
    // Each point's replica values on both sides, by replica index.
    let mut points: Vec<(PointKey, &BTreeMap<usize, f64>, &BTreeMap<usize, f64>)> = Vec::new();
    for ((point, q), ours) in &run.values {
        if q != quantity {
            continue;
        }
        if let Some(theirs) = reference.values.get(&(point.clone(), q.clone())) {
            if ours.len() >= 2 && theirs.len() >= 2 {
                points.push((point.clone(), ours, theirs));
            }
        }
    }
    // The margin of each curve: the effect margin of the reference curve's range.
    let mut range: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    for (p, _, theirs) in &points {
        let mean = Sample::of(&theirs.values().copied().collect::<Vec<_>>()).mean;
        let r = range
            .entry((p.model.clone(), p.level.clone()))
            .or_insert((f64::INFINITY, f64::NEG_INFINITY));
        r.0 = r.0.min(mean);
        r.1 = r.1.max(mean);
    }
    let welch = |a: &[f64], b: &[f64]| Welch::of(Sample::of(a), Sample::of(b));
    let observed: Vec<Welch> = points
        .iter()
        .map(|(_, a, b)| {
            welch(
                &a.values().copied().collect::<Vec<_>>(),
                &b.values().copied().collect::<Vec<_>>(),
            )
        })
        .collect();
    // The pooled replicas: run's then reference's, each a column over the points.
    let run_ids = run.replicas();
    let ref_ids = reference.replicas();
    let (k, n) = (run_ids.len(), run_ids.len() + ref_ids.len());
    let splits = choose(n as u64, k as u64);
    let m = points.len();
    let (method, critical) = if splits >= MIN_SPLITS && m > 0 {
        let column = |side: usize, id: usize, p: usize| -> Option<f64> {
            let (_, a, b) = &points[p];
            if side == 0 { a.get(&id) } else { b.get(&id) }.copied()
        };
        let pooled: Vec<(usize, usize)> = run_ids
            .iter()
            .map(|&id| (0, id))
            .chain(ref_ids.iter().map(|&id| (1, id)))
            .collect();
        let chosen: Vec<Vec<usize>> = if splits as usize <= MAX_SPLITS {
            subsets(n, k)
        } else {
            (0..MAX_SPLITS)
                .map(|_| {
                    let mut perm = rng.permutation(n);
                    perm.truncate(k);
                    perm.sort_unstable();
                    perm
                })
                .collect()
        };
        let mut maxima: Vec<f64> = chosen
            .iter()
            .map(|group| {
                (0..m)
                    .filter_map(|p| {
                        let (mut a, mut b) = (Vec::new(), Vec::new());
                        for (i, &(side, id)) in pooled.iter().enumerate() {
                            if let Some(v) = column(side, id, p) {
                                if group.contains(&i) {
                                    a.push(v)
                                } else {
                                    b.push(v)
                                }
                            }
                        }
                        let w = welch(&a, &b);
                        w.testable().then(|| (w.diff / w.se).abs())
                    })
                    .fold(0.0, f64::max)
            })
            .collect();
        maxima.sort_by(f64::total_cmp);
        let at = ((LEVEL * maxima.len() as f64).ceil() as usize).clamp(1, maxima.len()) - 1;
        (
            format!("permutation band ({} splits)", maxima.len()),
            maxima[at],
        )
    } else {
        (format!("Šidák band over {m} points"), f64::NAN)
    };
    let a = (1.0 - LEVEL.powf(1.0 / m.max(1) as f64)) / 2.0;
    let band_points: Vec<BandPoint> = points
        .iter()
        .zip(&observed)
        .map(|((point, _, _), w)| {
            let c = if critical.is_finite() {
                critical
            } else {
                t_quantile(1.0 - a, w.df)
            };
            let half_width = if w.se == 0.0 { 0.0 } else { c * w.se };
            let (lo, hi) = range[&(point.model.clone(), point.level.clone())];
            BandPoint {
                point: point.clone(),
                diff: w.diff,
                half_width: if half_width.is_nan() {
                    f64::INFINITY
                } else {
                    half_width
                },
                margin: margin.at(hi - lo),
            }
        })
        .collect();
    let outcome = if band_points.iter().any(BandPoint::beyond) {
        Outcome::Fail
    } else if !band_points.is_empty() && band_points.iter().all(BandPoint::inside) {
        Outcome::Pass
    } else {
        Outcome::Inconclusive
    };
    Band {
        quantity: quantity.to_string(),
        method,
        critical,
        points: band_points,
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsets_and_their_count_agree() {
        assert_eq!(subsets(4, 2).len() as u64, choose(4, 2));
        assert_eq!(subsets(4, 2)[0], vec![0, 1]);
        assert_eq!(subsets(4, 2)[5], vec![2, 3]);
        assert_eq!(choose(12, 6), 924);
        assert_eq!(choose(6, 3), 20);
    }

    /// One curve of `points` points at level 1, quantity `q`, with replica values
    /// `v(point, replica)`.
    fn table(points: usize, replicas: usize, v: impl Fn(usize, usize) -> f64) -> ReplicaTable {
        let mut values = BTreeMap::new();
        for p in 0..points {
            let key = PointKey {
                level: "1.0".into(),
                n: 10 * (p + 1),
                model: "linear2".into(),
            };
            values.insert(
                (key, "q".to_string()),
                (0..replicas).map(|r| (r, v(p, r))).collect(),
            );
        }
        ReplicaTable { values }
    }

    fn noise(p: usize, r: usize, salt: u64) -> f64 {
        0.01 * Rng::new((salt << 40) | ((p as u64) << 20) | r as u64).normal()
    }

    #[test]
    fn a_shifted_curve_leaves_the_band_and_a_resampled_one_stays_inside() {
        // A curve rising 0 → 1 (range 1, margin 0.5), spread 0.01, 6 + 6 replicas.
        let margin = Margin {
            abs: None,
            rel: Some(0.5),
        };
        let curve = |shift: f64, salt: u64| {
            table(10, 6, move |p, r| {
                p as f64 / 9.0 + shift + noise(p, r, salt)
            })
        };
        let mut rng = Rng::new(1);
        let same = band("q", &curve(0.0, 1), &curve(0.0, 2), &margin, &mut rng);
        assert_eq!(same.outcome, Outcome::Pass, "{same:#?}");
        assert!(
            same.method.starts_with("permutation band (924 splits)"),
            "{}",
            same.method
        );
        let shifted = band("q", &curve(0.8, 1), &curve(0.0, 2), &margin, &mut rng);
        assert_eq!(shifted.outcome, Outcome::Fail);
        assert_eq!(shifted.beyond().len(), 10);
        // Shifted by less than the margin: never FAIL.
        let near = band("q", &curve(0.3, 1), &curve(0.0, 2), &margin, &mut rng);
        assert_ne!(near.outcome, Outcome::Fail);
    }

    #[test]
    fn few_replicas_use_sidak_whose_band_is_wider() {
        let margin = Margin {
            abs: None,
            rel: Some(0.5),
        };
        let mut rng = Rng::new(1);
        let curve = |salt: u64| table(10, 3, move |p, r| p as f64 / 9.0 + noise(p, r, salt));
        let b = band("q", &curve(1), &curve(2), &margin, &mut rng);
        assert_eq!(b.method, "Šidák band over 10 points");
        assert!(b.critical.is_nan());
        // Šidák's c at df ≈ 4 over 10 points is above the 95 % two-sided t (2.78).
        let p = &b.points[0];
        let w = Welch::of(
            Sample::of(&[noise(0, 0, 1), noise(0, 1, 1), noise(0, 2, 1)]),
            Sample::of(&[noise(0, 0, 2), noise(0, 1, 2), noise(0, 2, 2)]),
        );
        assert!(p.half_width / w.se > 2.78, "{}", p.half_width / w.se);
    }
}
