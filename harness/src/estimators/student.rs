//! The Student-t distribution, as the elliptical copula fit (`elliptical.rs`) and the accuracy
//! experiment's `student-t:ν` family (`families.rs`) need it: the entropy of a multivariate t and
//! the copula entropy excess g(m) that follows from it, the univariate density, upper tail and
//! quantiles (scores of ranks), for any real ν > 0.
//!
//! The upper tail is P(T > x) = ½ I_{ν/(ν+x²)}(ν/2, ½), the regularized incomplete beta function
//! by its continued fraction (modified Lentz; Press et al., *Numerical Recipes*, 3rd ed., §6.4),
//! on the side of the symmetry I_z(a, b) = 1 − I_{1−z}(b, a) where it converges fast, with 1 − z
//! computed directly (no cancellation near x = 0). Quantiles solve P(T > x) = q by Halley steps
//! from the previous, smaller quantile (the tail is convex for x > 0, so a Newton step from the
//! left never overshoots; Halley's is used where it stays close to Newton's).

use super::special::{digamma, ln_gamma};

/// h_m: the differential entropy of the standard m-dimensional t with ν degrees of freedom
/// (location 0, scale matrix I): lnΓ(ν/2) − lnΓ((ν+m)/2) + (ν+m)/2 [ψ((ν+m)/2) − ψ(ν/2)] +
/// (m/2) ln(νπ) (e.g. Arellano-Valle, Contreras-Reyes & Genton 2013).
pub(crate) fn t_entropy(nu: f64, m: usize) -> f64 {
    let m_f = m as f64;
    let half = (nu + m_f) / 2.0;
    ln_gamma(nu / 2.0) - ln_gamma(half)
        + half * (digamma(half) - digamma(nu / 2.0))
        + m_f / 2.0 * (nu * std::f64::consts::PI).ln()
}

/// g(m) = h_m − m h_1: the copula entropy of an uncorrelated m-dimensional t copula with ν degrees
/// of freedom (≤ 0: the shared scale makes the coordinates dependent). A t copula with
/// correlation matrix R has copula entropy ½ log det R + g(m). 0 for ν = ∞ (the Gaussian copula).
pub(crate) fn t_copula_excess(nu: f64, m: usize) -> f64 {
    if nu == f64::INFINITY {
        return 0.0;
    }
    t_entropy(nu, m) - m as f64 * t_entropy(nu, 1)
}

/// The univariate standard t with ν degrees of freedom (0 < ν < ∞).
#[derive(Clone, Copy, Debug)]
pub(crate) struct StudentT {
    nu: f64,
    /// lnΓ((ν+1)/2) − lnΓ(ν/2) − ½ ln(νπ): the log density at 0.
    log_density_0: f64,
    /// lnΓ(ν/2 + ½) − lnΓ(ν/2) − lnΓ(½): minus the log of the beta function B(ν/2, ½).
    minus_ln_beta: f64,
}

impl StudentT {
    pub(crate) fn new(nu: f64) -> StudentT {
        assert!(nu > 0.0 && nu.is_finite(), "StudentT::new({nu})");
        let lg_half_nu = ln_gamma(nu / 2.0);
        let lg = ln_gamma((nu + 1.0) / 2.0);
        StudentT {
            nu,
            log_density_0: lg - lg_half_nu - 0.5 * (nu * std::f64::consts::PI).ln(),
            minus_ln_beta: lg - lg_half_nu - 0.5 * std::f64::consts::PI.ln(),
        }
    }

    /// ln f(x).
    pub(crate) fn log_density(&self, x: f64) -> f64 {
        self.log_density_0 - (self.nu + 1.0) / 2.0 * (x * x / self.nu).ln_1p()
    }

    /// P(T > x) for x ≥ 0.
    pub(crate) fn upper_tail(&self, x: f64) -> f64 {
        debug_assert!(x >= 0.0);
        let (a, b) = (self.nu / 2.0, 0.5);
        let denom = self.nu + x * x;
        let (z, one_minus_z) = (self.nu / denom, x * x / denom);
        if one_minus_z == 0.0 {
            return 0.5;
        }
        // ln(z^a (1 − z)^b / B(a, b)).
        let front =
            (self.minus_ln_beta + a * (-(x * x / self.nu).ln_1p()) + b * one_minus_z.ln()).exp();
        let incomplete = if z < (a + 1.0) / (a + b + 2.0) {
            front * beta_continued_fraction(a, b, z) / a
        } else {
            1.0 - front * beta_continued_fraction(b, a, one_minus_z) / b
        };
        0.5 * incomplete
    }

    /// The quantiles t_ν⁻¹(r/(n+1)) of the ranks r = 1..=n, ascending (scores of ranks).
    pub(crate) fn scores(&self, n: usize) -> Vec<f64> {
        let mut out = vec![0.0; n];
        let np1 = (n + 1) as f64;
        let mut x = 0.0;
        // Upper half (r/(n+1) > ½) outward from the middle; the lower half mirrors it.
        for r in n.div_ceil(2) + 1..=n {
            x = self.upper_quantile_from((n + 1 - r) as f64 / np1, x);
            out[r - 1] = x;
            out[n - r] = -x;
        }
        out
    }

    /// The x ≥ `start` with P(T > x) = q, for q < ½ and `start` not beyond it. Stops after a
    /// step below 1e-7 relative: Halley's error is then about the step cubed (Newton's, where it
    /// steps instead, the square), far below 1e-14.
    fn upper_quantile_from(&self, q: f64, start: f64) -> f64 {
        let mut x = start;
        for _ in 0..200 {
            let delta = (self.upper_tail(x) - q) / self.log_density(x).exp();
            // Halley's correction of the Newton step, where it is a correction.
            let curvature = delta * (self.nu + 1.0) * x / (2.0 * (self.nu + x * x));
            let step = if curvature < 0.5 {
                delta / (1.0 - curvature)
            } else {
                delta
            };
            let next = (x + step).max(0.5 * x);
            if (next - x).abs() <= 1e-7 * next.abs().max(1.0) {
                return next;
            }
            x = next;
        }
        x
    }
}

/// The continued fraction of the regularized incomplete beta function I_z(a, b) (without its
/// front factor), by the modified Lentz method; converges fast for z < (a + 1)/(a + b + 2).
fn beta_continued_fraction(a: f64, b: f64, z: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - qab * z / qap);
    let mut h = d;
    for m in 1..=1000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let even = m * (b - m) * z / ((qam + m2) * (a + m2));
        d = 1.0 / guard(1.0 + even * d);
        c = guard(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (qab + m) * z / ((a + m2) * (qap + m2));
        d = 1.0 / guard(1.0 + odd * d);
        c = guard(1.0 + odd / c);
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn t_entropy_matches_known_values() {
        // The standard Cauchy (ν = 1) has entropy ln 4π.
        assert!((t_entropy(1.0, 1) - (4.0 * PI).ln()).abs() < 1e-12);
        // Large ν: the standard normal, (m/2) ln 2πe.
        let normal = 1.5 * (2.0 * PI * std::f64::consts::E).ln();
        assert!((t_entropy(1_000_000.0, 3) - normal).abs() < 1e-4);
        assert_eq!(t_copula_excess(f64::INFINITY, 5), 0.0);
        assert!(t_copula_excess(4.0, 3) < 0.0);
    }

    /// Quantiles against closed forms (ν = 1, 2, 4) and scipy (`stats.t.ppf`, `stats.t.sf`).
    #[test]
    fn tails_and_quantiles_match_closed_forms_and_scipy() {
        let close = |a: f64, b: f64, tol: f64| (a - b).abs() <= tol * b.abs().max(1.0);
        for &x in &[0.0f64, 0.3, 1.0, 7.5, 300.0] {
            let cauchy = 0.5 - x.atan() / PI;
            assert!(
                close(StudentT::new(1.0).upper_tail(x), cauchy, 1e-13),
                "x {x}"
            );
            let two = 0.5 - x / (2.0 * (2.0 + x * x).sqrt());
            assert!(close(StudentT::new(2.0).upper_tail(x), two, 1e-13), "x {x}");
        }
        assert!(close(
            StudentT::new(3.5).upper_tail(2.5),
            0.037_847_321_904_745_01,
            1e-12
        ));
        assert!(close(
            StudentT::new(1.3).upper_tail(40.0),
            0.002_865_644_272_366_714,
            1e-12
        ));
        assert!(close(
            StudentT::new(7.25).upper_tail(0.01),
            0.496_145_459_479_546_3,
            1e-13
        ));
        // Scores of n ranks: p = r / (n + 1).
        let n = 999;
        for (nu, exact) in [
            (
                1.0,
                Box::new(|p: f64| (PI * (p - 0.5)).tan()) as Box<dyn Fn(f64) -> f64>,
            ),
            (
                2.0,
                Box::new(|p: f64| (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt()),
            ),
            (
                4.0,
                Box::new(|p: f64| {
                    let alpha = 4.0 * p * (1.0 - p);
                    let q = ((alpha.sqrt()).acos() / 3.0).cos() / alpha.sqrt();
                    (p - 0.5).signum() * 2.0 * (q - 1.0).sqrt()
                }),
            ),
        ] {
            let s = StudentT::new(nu).scores(n);
            for r in [1, 2, 10, 250, 499, 500, 501, 800, 998, 999] {
                let p = r as f64 / (n + 1) as f64;
                let want = if r == 500 { 0.0 } else { exact(p) };
                assert!(
                    close(s[r - 1], want, 1e-11),
                    "nu {nu} r {r}: {} vs {want}",
                    s[r - 1]
                );
            }
            assert!(s.windows(2).all(|w| w[0] < w[1]), "nu {nu}: ascending");
        }
        // Non-integer ν, scipy's ppf; n + 1 = 10⁵ puts r = 10⁵ − 1 at p = 1 − 1e-5.
        let s = StudentT::new(3.5).scores(99_999);
        assert!(
            close(s[89_999], 1.576_576_605_136_405_2, 1e-12),
            "{}",
            s[89_999]
        );
        assert!(
            close(s[99_998], 31.585_022_230_708_937, 1e-10),
            "{}",
            s[99_998]
        );
        let s = StudentT::new(250.0).scores(99);
        assert!(close(s[98], 2.341_356_118_385_916, 1e-11), "{}", s[98]);
        // Even n: no middle rank, exact mirror.
        let s = StudentT::new(7.25).scores(4);
        assert!(close(s[2], 0.262_822_759_426_779_96, 1e-12) && s[1] == -s[2]);
    }

    #[test]
    fn log_density_integrates_to_one_and_matches_cauchy() {
        let t = StudentT::new(1.0);
        assert!((t.log_density(2.0) - (1.0 / (PI * 5.0)).ln()).abs() < 1e-14);
        // Trapezoid on [−L, L] plus the two tails from upper_tail.
        let t = StudentT::new(3.5);
        let (l, steps) = (20.0, 200_000);
        let h = 2.0 * l / steps as f64;
        let inner: f64 = (0..=steps)
            .map(|i| {
                let w = if i == 0 || i == steps { 0.5 } else { 1.0 };
                w * t.log_density(-l + i as f64 * h).exp()
            })
            .sum::<f64>()
            * h;
        assert!((inner + 2.0 * t.upper_tail(l) - 1.0).abs() < 1e-8);
    }
}
