//! The generated data of the estimator-accuracy experiment and its exact answers.
//!
//! Every family has the same dependence skeleton: A and B have `dims` coordinates each, A_i and
//! B_i are correlated with coefficient ρ, and all other pairs are uncorrelated (so R_AA = R_BB =
//! I). The families differ in the copula put on that skeleton:
//! - `gaussian`: jointly normal. Copula entropy H_c(X) = ½ log det R_X, so CCE(A|B) =
//!   Σ_i ½ log(1 − ρ²) (computed with [`gaussian_cce_from_correlation`]) and MI = −CCE.
//! - `monotone`: the `gaussian` sample with a strictly increasing transform of every coordinate
//!   (exp or cube, alternating). Ranks, hence copula values and every estimate, are exactly
//!   those of `gaussian` on the same seed; the truth is the same.
//! - `student-t:ν` (ν a whole number ≥ 1): the same normal draw divided, row by row, by one
//!   shared √(χ²_ν/ν): a multivariate t with correlation R. Its copula is not Gaussian: even
//!   uncorrelated coordinates depend on each other through the shared scale (tail dependence),
//!   and the `gaussian` estimator is blind to that. Closed form (entropy of the multivariate t;
//!   e.g. Arellano-Valle, Contreras-Reyes & Genton 2013): with
//!   h_m = lnΓ(ν/2) − lnΓ((ν+m)/2) + (ν+m)/2 [ψ((ν+m)/2) − ψ(ν/2)] + (m/2) ln(νπ) the entropy of
//!   a standard m-dimensional t (R = I) and g(m) = h_m − m h_1, the copula entropy of an
//!   m-dimensional t with correlation R_X is H_c(X) = ½ log det R_X + g(m). Hence
//!   CCE(A|B) = CCE_gauss + g(2d) − g(d) and MI = MI_gauss + 2 g(d) − g(2d) (`student.rs`).
//! - `clayton`: every pair (A_i, B_i) has a bivariate Clayton copula, independent across i: not
//!   elliptical (lower-tail dependence only, no radial symmetry). Its strength θ matches the
//!   Kendall's τ of a Gaussian pair of correlation |ρ|: τ = (2/π) arcsin |ρ|, θ = 2τ/(1 − τ)
//!   (ρ < 0: B_i reversed, which leaves the entropy as it is; ρ = 0: independence). Drawn by
//!   Marshall & Olkin's frailty: V ~ Gamma(1/θ), A_i = (1 + E/V)^(−1/θ), B_i likewise with
//!   its own E ~ Exp(1). Closed form: for an Archimedean copula with generator φ, W = C(U, V)
//!   has Kendall's distribution K(t) = t − φ(t)/φ′(t) (Genest & Rivest 1993) and
//!   c(u, v) = −φ″(C) φ′(u) φ′(v)/φ′(C)³, so E log c = E_K[log φ″(W) − 3 log(−φ′(W))] +
//!   2 E[log(−φ′(U))]; with φ(t) = (t^(−θ) − 1)/θ both expectations are elementary and the
//!   copula entropy of one pair is H(θ) = θ/(1 + θ) − ln(1 + θ). A, and B, have independent
//!   coordinates, so CCE(A|B) = d H(θ) and MI = −d H(θ).
//! - `clayton-joint`: one Clayton copula over all 2·dims coordinates at once, of `clayton`'s θ
//!   (this family alone leaves the skeleton above: every two coordinates, within A, within B
//!   or across, form a bivariate Clayton pair of that θ). Its dependence is not a sum of pairs:
//!   every coordinate departs from an elliptical model at once, which is what `tcopula-pairs`
//!   cannot correct pair by pair (SPEC §4.C, limit 3). Drawn by one frailty V ~ Gamma(1/θ) a
//!   row, shared by every coordinate, U_j = (1 + E_j/V)^(−1/θ) (ρ < 0: all of B reversed).
//!   Closed form: the d-dimensional Clayton density is c(u) = Π_{j<d} (1 + jθ) ·
//!   Π u_i^(−1−θ) · (Σ u_i^(−θ) − d + 1)^(−d−1/θ); under the frailty u_i^(−θ) = 1 + E_i/V, and
//!   as V/(V + E_i) ~ Beta(1/θ, 1) and V/(V + ΣE) ~ Beta(1/θ, d), E ln(1 + E_i/V) = θ and
//!   E ln(1 + ΣE/V) = ψ(1/θ + d) − ψ(1/θ) = Σ_{j<d} θ/(1 + jθ). So the copula entropy is
//!   H_d(θ) = (1 + dθ) Σ_{j<d} 1/(1 + jθ) − d(1 + θ) − Σ_{j<d} ln(1 + jθ) (H_2 is `clayton`'s
//!   H(θ), H_1 = 0), CCE(A|B) = H_2d − H_d and MI = 2 H_d − H_2d.
//!
//! The normal draw depends on (seed, N, dims, ρ, replicate) only, not on the family, so the
//! Gaussian families of one cell share it (which is what makes `monotone` an exact check);
//! `clayton` and `clayton-joint` draw from streams of their own.

use super::draw::gamma;
use super::gaussian_cce_from_correlation;
use super::student::t_copula_excess;
use crate::matrix::Matrix;
use crate::rng::Rng;
use anyhow::{bail, Result};

/// The dependence family of a cell; written `gaussian`, `monotone`, `student-t:ν`, `clayton` or
/// `clayton-joint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    Gaussian,
    Monotone,
    StudentT { nu: u32 },
    Clayton,
    ClaytonJoint,
}

/// The exact values of one cell, in nats.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Truth {
    pub cce_a_given_b: f64,
    pub mutual_information: f64,
}

impl Family {
    /// Draws one data set: A and B, N × dims each.
    pub fn sample(
        self,
        seed: u64,
        n: usize,
        dims: usize,
        rho: f64,
        replicate: usize,
    ) -> (Matrix, Matrix) {
        let tag = format!("accuracy/n={n}/dims={dims}/rho={rho}/replicate={replicate}");
        match self {
            Family::Clayton => {
                return clayton_sample(Rng::derive(seed, &format!("{tag}/clayton")), n, dims, rho)
            }
            Family::ClaytonJoint => {
                let rng = Rng::derive(seed, &format!("{tag}/clayton-joint"));
                return clayton_joint_sample(rng, n, dims, rho);
            }
            _ => {}
        }
        let mut normal = Rng::derive(seed, &tag);
        let mix = (1.0 - rho * rho).sqrt();
        let mut a = Matrix::zeros(n, dims);
        let mut b = Matrix::zeros(n, dims);
        for i in 0..n {
            for j in 0..dims {
                let x = normal.normal();
                let e = normal.normal();
                a.data[i * dims + j] = x;
                b.data[i * dims + j] = rho * x + mix * e;
            }
        }
        match self {
            Family::Gaussian | Family::Clayton | Family::ClaytonJoint => {}
            Family::Monotone => {
                for (m, first) in [(&mut a, 0), (&mut b, 1)] {
                    for (p, v) in m.data.iter_mut().enumerate() {
                        *v = if (p % dims + first).is_multiple_of(2) {
                            v.exp()
                        } else {
                            *v * *v * *v
                        };
                    }
                }
            }
            Family::StudentT { nu } => {
                let mut chi = Rng::derive(seed, &format!("{tag}/chi2"));
                for i in 0..n {
                    let w: f64 = (0..nu).map(|_| chi.normal().powi(2)).sum();
                    let scale = (nu as f64 / w).sqrt();
                    for m in [&mut a, &mut b] {
                        for v in &mut m.data[i * dims..(i + 1) * dims] {
                            *v *= scale;
                        }
                    }
                }
            }
        }
        (a, b)
    }

    /// CCE(A|B) and the copula MI of the family with `dims` + `dims` coordinates and pairwise ρ.
    pub fn truth(self, dims: usize, rho: f64) -> Result<Truth> {
        let r = pairwise_correlation(dims, rho);
        // R_AA = I, so H_c(A) of the Gaussian part is 0 and MI = −CCE.
        let cce = gaussian_cce_from_correlation(&r, dims)?;
        let (cce, mi) = match self {
            Family::Gaussian | Family::Monotone => (cce, -cce),
            Family::StudentT { nu } => {
                let nu = nu as f64;
                let (g_d, g_2d) = (t_copula_excess(nu, dims), t_copula_excess(nu, 2 * dims));
                (cce + g_2d - g_d, -cce + 2.0 * g_d - g_2d)
            }
            Family::Clayton => {
                let h = dims as f64 * clayton_entropy(clayton_theta(rho));
                (h, -h)
            }
            Family::ClaytonJoint => {
                let theta = clayton_theta(rho);
                let (h_d, h_2d) = (
                    clayton_joint_entropy(dims, theta),
                    clayton_joint_entropy(2 * dims, theta),
                );
                (h_2d - h_d, 2.0 * h_d - h_2d)
            }
        };
        if !(cce.is_finite() && mi.is_finite()) {
            bail!("no finite truth for {self} at {dims}+{dims} dims, rho = {rho}");
        }
        Ok(Truth {
            cce_a_given_b: cce,
            mutual_information: mi,
        })
    }
}

/// The correlation matrix of `dims` + `dims` coordinates in which coordinate i of A and
/// coordinate i of B correlate by `rho` and every other pair is independent.
pub(crate) fn pairwise_correlation(dims: usize, rho: f64) -> Matrix {
    Matrix::from_fn(2 * dims, 2 * dims, |i, j| {
        if i == j {
            1.0
        } else if i % dims == j % dims {
            rho
        } else {
            0.0
        }
    })
}

/// The Clayton θ of a pair whose Kendall's τ is that of a Gaussian pair of correlation |ρ|:
/// τ = (2/π) arcsin |ρ|, θ = 2τ/(1 − τ). 0 (independence) at ρ = 0.
pub(crate) fn clayton_theta(rho: f64) -> f64 {
    let tau = 2.0 / std::f64::consts::PI * rho.abs().asin();
    2.0 * tau / (1.0 - tau)
}

/// The copula entropy of the bivariate Clayton copula, θ/(1 + θ) − ln(1 + θ) (module doc); 0 at
/// θ = 0.
pub(crate) fn clayton_entropy(theta: f64) -> f64 {
    theta / (1.0 + theta) - theta.ln_1p()
}

/// The copula entropy of the d-dimensional Clayton copula (module doc): 0 at θ = 0 or d = 1,
/// [`clayton_entropy`] at d = 2.
pub(crate) fn clayton_joint_entropy(d: usize, theta: f64) -> f64 {
    let (mut inverse, mut log) = (0.0, 0.0);
    for j in 0..d {
        let s = j as f64 * theta;
        inverse += 1.0 / (1.0 + s);
        log += s.ln_1p();
    }
    (1.0 + d as f64 * theta) * inverse - d as f64 * (1.0 + theta) - log
}

/// `dims` independent Clayton pairs (module doc), as uniforms; B reversed for ρ < 0.
fn clayton_sample(mut rng: Rng, n: usize, dims: usize, rho: f64) -> (Matrix, Matrix) {
    let theta = clayton_theta(rho);
    let mut a = Matrix::zeros(n, dims);
    let mut b = Matrix::zeros(n, dims);
    for p in 0..n * dims {
        let (u, v) = if theta == 0.0 {
            (rng.uniform(), rng.uniform())
        } else {
            let frailty = gamma(&mut rng, 1.0 / theta);
            (
                clayton_uniform(&mut rng, frailty, theta),
                clayton_uniform(&mut rng, frailty, theta),
            )
        };
        a.data[p] = u;
        b.data[p] = if rho < 0.0 { 1.0 - v } else { v };
    }
    (a, b)
}

/// One Clayton copula over the `dims` + `dims` coordinates of every row (module doc): one
/// frailty a row, then A's coordinates and B's; B reversed for ρ < 0.
fn clayton_joint_sample(mut rng: Rng, n: usize, dims: usize, rho: f64) -> (Matrix, Matrix) {
    let theta = clayton_theta(rho);
    let mut a = Matrix::zeros(n, dims);
    let mut b = Matrix::zeros(n, dims);
    for i in 0..n {
        let frailty = (theta > 0.0).then(|| gamma(&mut rng, 1.0 / theta));
        for (m, reverse) in [(&mut a, false), (&mut b, rho < 0.0)] {
            for v in &mut m.data[i * dims..(i + 1) * dims] {
                let u = match frailty {
                    Some(frailty) => clayton_uniform(&mut rng, frailty, theta),
                    None => rng.uniform(),
                };
                *v = if reverse { 1.0 - u } else { u };
            }
        }
    }
    (a, b)
}

/// One coordinate of a Clayton copula given its row's frailty: (1 + E/V)^(−1/θ), E ~ Exp(1).
fn clayton_uniform(rng: &mut Rng, frailty: f64, theta: f64) -> f64 {
    let e = -(1.0 - rng.uniform()).ln();
    (-(e / frailty).ln_1p() / theta).exp()
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Family::Gaussian => f.write_str("gaussian"),
            Family::Monotone => f.write_str("monotone"),
            Family::StudentT { nu } => write!(f, "student-t:{nu}"),
            Family::Clayton => f.write_str("clayton"),
            Family::ClaytonJoint => f.write_str("clayton-joint"),
        }
    }
}

impl std::str::FromStr for Family {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "gaussian" => return Ok(Family::Gaussian),
            "monotone" => return Ok(Family::Monotone),
            "clayton" => return Ok(Family::Clayton),
            "clayton-joint" => return Ok(Family::ClaytonJoint),
            _ => {}
        }
        match s.strip_prefix("student-t:").map(str::parse::<u32>) {
            Some(Ok(nu)) if nu >= 1 => Ok(Family::StudentT { nu }),
            _ => bail!(
                "family {s:?}: expected `gaussian`, `monotone`, `clayton`, `clayton-joint` or \
                 `student-t:ν` with a whole number ν >= 1 (degrees of freedom)"
            ),
        }
    }
}

impl serde::Serialize for Family {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Family {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimators::special::ln_gamma;

    /// log c(A, B), log c(A), log c(B) of one row of a family's sample, from the copula densities
    /// of the values as drawn (normal or t coordinates, or Clayton uniforms): an independent route
    /// to the truth, which `truth` computes from entropy formulas instead.
    fn log_copula_densities(f: Family, a: &[f64], b: &[f64], rho: f64) -> (f64, f64, f64) {
        let d = a.len();
        match f {
            Family::Gaussian | Family::Monotone => {
                let joint: f64 = a
                    .iter()
                    .zip(b)
                    .map(|(x, y)| {
                        let q = (x * x - 2.0 * rho * x * y + y * y) / (1.0 - rho * rho);
                        -0.5 * (1.0 - rho * rho).ln() - 0.5 * q + 0.5 * (x * x + y * y)
                    })
                    .sum();
                (joint, 0.0, 0.0)
            }
            Family::StudentT { nu } => {
                let nu = nu as f64;
                // log f of a t with scale matrix R at Mahalanobis q, dimension m, log det R.
                let log_t = |q: f64, m: f64, ld: f64| {
                    ln_gamma((nu + m) / 2.0)
                        - ln_gamma(nu / 2.0)
                        - m / 2.0 * (nu * std::f64::consts::PI).ln()
                        - 0.5 * ld
                        - (nu + m) / 2.0 * (q / nu).ln_1p()
                };
                let margins = |v: &[f64]| v.iter().map(|x| log_t(x * x, 1.0, 0.0)).sum::<f64>();
                let q_joint: f64 = a
                    .iter()
                    .zip(b)
                    .map(|(x, y)| (x * x - 2.0 * rho * x * y + y * y) / (1.0 - rho * rho))
                    .sum();
                let sq = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>();
                let dims = d as f64;
                let joint = log_t(q_joint, 2.0 * dims, dims * (1.0 - rho * rho).ln())
                    - margins(a)
                    - margins(b);
                (
                    joint,
                    log_t(sq(a), dims, 0.0) - margins(a),
                    log_t(sq(b), dims, 0.0) - margins(b),
                )
            }
            Family::Clayton | Family::ClaytonJoint => {
                let theta = clayton_theta(rho);
                if theta == 0.0 {
                    return (0.0, 0.0, 0.0);
                }
                let b: Vec<f64> = b
                    .iter()
                    .map(|&v| if rho < 0.0 { 1.0 - v } else { v })
                    .collect();
                // The m-dimensional Clayton density, written out (module doc; m = 2 is the
                // bivariate one).
                let log_c = |u: &[f64]| {
                    let m = u.len();
                    let s: f64 = u.iter().map(|x| x.powf(-theta)).sum::<f64>() - m as f64 + 1.0;
                    (0..m).map(|j| (j as f64 * theta).ln_1p()).sum::<f64>()
                        - (1.0 + theta) * u.iter().map(|x| x.ln()).sum::<f64>()
                        - (m as f64 + 1.0 / theta) * s.ln()
                };
                if f == Family::Clayton {
                    // Independent pairs (A_i, B_i): A and B each have independent coordinates.
                    let joint = a.iter().zip(&b).map(|(&u, &v)| log_c(&[u, v])).sum();
                    return (joint, 0.0, 0.0);
                }
                (log_c(&[a, &b[..]].concat()), log_c(a), log_c(&b))
            }
        }
    }

    /// Every family's truth against a Monte Carlo of −E log c over its own sampler (200 000
    /// rows): CCE(A|B) = −E[log c(A, B) − log c(B)], MI = E[log c(A, B) − log c(A) − log c(B)],
    /// within 4 standard errors of the Monte Carlo.
    #[test]
    fn truths_match_a_monte_carlo_of_the_copula_density() {
        let n = 200_000;
        let cases = [
            (Family::Gaussian, 2, 0.6),
            (Family::StudentT { nu: 4 }, 2, 0.6),
            (Family::StudentT { nu: 2 }, 3, 0.0),
            (Family::StudentT { nu: 2 }, 1, 0.9),
            (Family::Clayton, 2, 0.6),
            (Family::Clayton, 1, 0.9),
            (Family::Clayton, 2, -0.3),
            (Family::Clayton, 1, 0.0),
            (Family::ClaytonJoint, 2, 0.6),
            (Family::ClaytonJoint, 3, 0.9),
            (Family::ClaytonJoint, 2, -0.3),
            (Family::ClaytonJoint, 1, 0.0),
        ];
        for (f, dims, rho) in cases {
            let (a, b) = f.sample(99, n, dims, rho, 0);
            let (mut cce, mut mi) = (Vec::with_capacity(n), Vec::with_capacity(n));
            for i in 0..n {
                let (j, la, lb) = log_copula_densities(f, a.row(i), b.row(i), rho);
                cce.push(-(j - lb));
                mi.push(j - la - lb);
            }
            let truth = f.truth(dims, rho).unwrap();
            for (name, v, want) in [
                ("cce", &cce, truth.cce_a_given_b),
                ("mi", &mi, truth.mutual_information),
            ] {
                let mean = v.iter().sum::<f64>() / n as f64;
                let sd =
                    (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
                let se = sd / (n as f64).sqrt();
                assert!(
                    (mean - want).abs() <= 4.0 * se + 1e-12,
                    "{f} {dims}+{dims} rho {rho} {name}: Monte Carlo {mean} ± {se}, truth {want}"
                );
            }
        }
    }

    #[test]
    fn clayton_strength_follows_kendalls_tau_and_the_sample_has_uniform_margins() {
        // τ = 1/3 at ρ = 1/2 (arcsin ½ = π/6), so θ = 1; H(1) = ½ − ln 2.
        assert!((clayton_theta(0.5) - 1.0).abs() < 1e-12);
        assert!((clayton_entropy(1.0) - (0.5 - 2f64.ln())).abs() < 1e-15);
        assert_eq!(clayton_theta(-0.5), clayton_theta(0.5));
        assert_eq!(Family::Clayton.truth(3, 0.0).unwrap().cce_a_given_b, 0.0);
        let (a, b) = Family::Clayton.sample(3, 20_000, 2, 0.6, 0);
        for m in [&a, &b] {
            assert!(m.data.iter().all(|&u| u > 0.0 && u < 1.0));
            let mean = m.data.iter().sum::<f64>() / m.data.len() as f64;
            assert!((mean - 0.5).abs() < 0.01, "{mean}");
        }
        // Lower-tail dependence: both of a pair below 0.05 far more often than 0.05² of rows.
        let both_low = (0..20_000)
            .filter(|&i| a.get(i, 0) < 0.05 && b.get(i, 0) < 0.05)
            .count();
        assert!(both_low > 20_000 * 20 / 1000, "{both_low}");
        assert_eq!("clayton".parse::<Family>().unwrap(), Family::Clayton);
    }

    /// The joint Clayton at 1 + 1 dims is the Clayton pair, and its entropy at d = 2 is the
    /// pair's; its sample has uniform margins, every two coordinates (within A and across) of
    /// the pair's Kendall's τ, and B reversed for ρ < 0.
    #[test]
    fn joint_clayton_is_one_clayton_copula_over_every_coordinate() {
        for theta in [0.3, 1.0, 5.0] {
            let pair = clayton_entropy(theta);
            assert!((clayton_joint_entropy(2, theta) - pair).abs() < 1e-14);
            assert_eq!(clayton_joint_entropy(1, theta), 0.0);
        }
        assert_eq!(clayton_joint_entropy(8, 0.0), 0.0);
        for rho in [0.3, 0.9, -0.6] {
            let joint = Family::ClaytonJoint.truth(1, rho).unwrap();
            let pair = Family::Clayton.truth(1, rho).unwrap();
            assert!((joint.cce_a_given_b - pair.cce_a_given_b).abs() < 1e-14);
            assert!((joint.mutual_information - pair.mutual_information).abs() < 1e-14);
        }
        // More coordinates share more: CCE(A|B) falls faster than dims · H(θ).
        let t = Family::ClaytonJoint.truth(4, 0.6).unwrap();
        assert!(t.cce_a_given_b < Family::Clayton.truth(4, 0.6).unwrap().cce_a_given_b);
        assert!(t.mutual_information > 0.0);

        let n = 4000;
        let col = |m: &Matrix, j: usize| (0..n).map(|i| m.get(i, j)).collect::<Vec<_>>();
        let kendall = |x: &[f64], y: &[f64]| {
            let mut s = 0i64;
            for i in 0..x.len() {
                for j in 0..i {
                    let c = (x[i] - x[j]) * (y[i] - y[j]);
                    s += if c > 0.0 { 1 } else { -1 };
                }
            }
            s as f64 / (x.len() * (x.len() - 1) / 2) as f64
        };
        let tau = |rho: f64| 2.0 / std::f64::consts::PI * rho.asin();
        for rho in [0.6, -0.6] {
            let (a, b) = Family::ClaytonJoint.sample(11, n, 2, rho, 0);
            assert!(a.data.iter().chain(&b.data).all(|&u| u > 0.0 && u < 1.0));
            // τ's standard error here is about 0.01.
            for (x, y, want) in [
                (col(&a, 0), col(&a, 1), tau(0.6)),
                (col(&b, 0), col(&b, 1), tau(0.6)),
                (col(&a, 0), col(&b, 1), tau(rho)),
                (col(&a, 1), col(&b, 0), tau(rho)),
            ] {
                let got = kendall(&x, &y);
                assert!(
                    (got - want).abs() < 0.04,
                    "rho {rho}: tau {got}, want {want}"
                );
            }
        }
        let (a, b) = Family::ClaytonJoint.sample(11, n, 2, 0.0, 0);
        assert!(kendall(&col(&a, 0), &col(&b, 0)).abs() < 0.04);
        assert_eq!(
            "clayton-joint".parse::<Family>().unwrap(),
            Family::ClaytonJoint
        );
        assert_eq!(Family::ClaytonJoint.to_string(), "clayton-joint");
    }

    #[test]
    fn gaussian_truth_is_the_pairwise_sum() {
        let t = Family::Gaussian.truth(4, 0.6).unwrap();
        let expected = 4.0 * 0.5 * (1.0 - 0.36f64).ln();
        assert!((t.cce_a_given_b - expected).abs() < 1e-12);
        assert!((t.mutual_information + expected).abs() < 1e-12);
    }

    #[test]
    fn student_t_truth_tends_to_gaussian_and_adds_dependence() {
        let g = Family::Gaussian.truth(3, 0.5).unwrap();
        let far = Family::StudentT { nu: 100_000 }.truth(3, 0.5).unwrap();
        assert!((far.cce_a_given_b - g.cce_a_given_b).abs() < 1e-3);
        assert!((far.mutual_information - g.mutual_information).abs() < 1e-3);
        // Uncorrelated t coordinates still share information through the common scale.
        let t0 = Family::StudentT { nu: 3 }.truth(1, 0.0).unwrap();
        assert!(t0.mutual_information > 0.01 && t0.cce_a_given_b < -0.01);
        // A scalar's copula entropy is 0, so MI = −CCE at 1 + 1 dims.
        assert!((t0.mutual_information + t0.cce_a_given_b).abs() < 1e-12);
    }

    #[test]
    fn monotone_preserves_order_and_student_t_shares_the_draw() {
        let (ga, gb) = Family::Gaussian.sample(7, 50, 3, 0.5, 1);
        let (ma, mb) = Family::Monotone.sample(7, 50, 3, 0.5, 1);
        let (ta, _) = Family::StudentT { nu: 4 }.sample(7, 50, 3, 0.5, 1);
        for (g, m) in [(&ga, &ma), (&gb, &mb)] {
            for j in 0..3 {
                for i in 1..50 {
                    let before = g.get(i, j).total_cmp(&g.get(i - 1, j));
                    assert_eq!(before, m.get(i, j).total_cmp(&m.get(i - 1, j)));
                }
            }
        }
        assert_ne!(ga.data, ma.data);
        // The transforms as documented: exp and cube alternating, A starting with exp and B with
        // the cube (any strictly increasing map would keep the ranks; these are the ones named).
        for j in 0..3 {
            let (x, y) = (ga.get(4, j), gb.get(4, j));
            let (cube, exp) = (|v: f64| v * v * v, |v: f64| v.exp());
            let (want_a, want_b) = if j % 2 == 0 {
                (exp(x), cube(y))
            } else {
                (cube(x), exp(y))
            };
            assert_eq!(
                (ma.get(4, j), mb.get(4, j)),
                (want_a, want_b),
                "coordinate {j}"
            );
        }
        // Same normals, rescaled per row by one positive factor.
        for i in 0..50 {
            let s = ta.get(i, 0) / ga.get(i, 0);
            assert!(s > 0.0);
            assert!((ta.get(i, 2) / ga.get(i, 2) - s).abs() < 1e-12 * s);
        }
    }
}
