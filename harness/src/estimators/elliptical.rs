//! The elliptical (Student-t) copula fit and its closed-form copula entropies: the `tcopula`
//! estimator, and the reference model of `ksg-tref` (SPEC §4.3).
//!
//! A t copula with correlation (shape) matrix R and ν degrees of freedom (ν = ∞: the Gaussian
//! copula) has copula entropy H_c(X) = ½ log det R_X + g_ν(|X|) for every subset X of the
//! coordinates (`student.rs`), so CCE(A|B) = H_c(A, B) − H_c(B) and the MI follow in closed form.
//! The fit, on the ranks of all D = d_A + d_B coordinates:
//! 1. **ν by profile likelihood** (Mashal & Zeevi 2002; Demarta & McNeil 2005), over s = 1/ν in
//!    [1/1000, 1] by Brent's method, against the Gaussian copula (s = 0): on at most
//!    [`PROFILE_ROWS`] rows (beyond that, the rows whose rank in A's first column opens each of
//!    [`PROFILE_ROWS`] equal bins, ranked again among themselves: a choice by value, so permuting
//!    the rows changes nothing). For each ν the scores x = t_ν⁻¹(rank/(m+1)) are one vector of m
//!    quantiles shared by every column, R is [`PROFILE_STEPS`] steps of the fixed point below
//!    from the normal-score correlation, and the copula log-likelihood is
//!    Σᵢ log f_{ν,R}(xᵢ) − Σᵢⱼ log f_ν(xᵢⱼ).
//! 2. **R by maximum likelihood at ν̂** on all rows: [`FINAL_STEPS`] steps of the fixed point
//!    R ← corr(Σᵢ wᵢ xᵢ xᵢᵀ), wᵢ = (ν + D)/(ν + xᵢᵀ R⁻¹ xᵢ) (the EM step of the multivariate t
//!    with known ν, scaled back to a correlation; it contracts by about 10× per step here), from
//!    the normal-score correlation. The Gaussian copula takes the normal-score correlation itself
//!    (what the `gaussian` estimator computes). Kendall's τ (R = sin(πτ/2), the textbook
//!    estimator for any elliptical copula) is not used: D(D−1)/2 rank correlations of
//!    O(N log N) each cost several `ksg` runs at N = 20 000.
//! 3. **Finite-sample correction.** For a Gaussian sample the Pearson correlation matrix of m
//!    variables has E[log det R̂] = log det R + β(N, m), β(N, m) = Σᵢ₌₁..ₘ ψ((N − i)/2) − m ψ((N − 1)/2)
//!    (Wishart moments; about −m(m − 1)/(2N)), whatever R. Each log det is corrected by it
//!    (exact for Gaussian samples, an approximation for normal scores of ranks and for t fits;
//!    it removes the −0.3 nats of the plain closed form at 16 + 16 dims, N = 500).
//!
//! Sums over rows run in fixed chunks added in chunk order, so the fit does not depend on the
//! number of threads; permuting the rows changes it by rounding only (like `gaussian`).

use super::gaussian::{correlation, log_det, normal_scores};
use super::optimize::minimize_bounded;
use super::special::{digamma, ln_gamma, normal_quantile};
use super::student::{t_copula_excess, StudentT};
use super::PairAlignment;
use crate::matrix::Matrix;
use crate::rng::Rng;
use anyhow::{bail, Result};
use rayon::prelude::*;

/// Rows the ν profile reads at most.
pub(crate) const PROFILE_ROWS: usize = 2000;
/// Fixed-point steps for R at each ν of the profile.
const PROFILE_STEPS: usize = 2;
/// Fixed-point steps for R at ν̂ on all rows.
const FINAL_STEPS: usize = 3;
/// The profile's bounds on s = 1/ν: ν from 1 to 1000 (beyond that, the Gaussian copula competes).
const S_RANGE: (f64, f64) = (1e-3, 1.0);
/// Brent's tolerance on s (a CCE moves by about 3e-4 nats per 1e-4 of s at 8 + 8 dims, ν = 4).
const S_TOL: f64 = 1e-4;
/// Rows per chunk of the parallel sums (fixed: the result must not depend on the threads).
const CHUNK: usize = 512;

/// A fitted t copula (ν = ∞: Gaussian) of D = d_A + d_B coordinates, A first.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EllipticalFit {
    /// The correlation (shape) matrix, D × D.
    pub r: Matrix,
    /// Degrees of freedom; `f64::INFINITY` for the Gaussian copula.
    pub nu: f64,
    /// The rows it was fitted on (the finite-sample correction depends on them).
    pub n: usize,
}

/// Fits the t copula to the ranks `ra` (N × d_A) and `rb` (N × d_B), ranks 1..N without ties.
pub(crate) fn fit(ra: &Matrix, rb: &Matrix) -> Result<EllipticalFit> {
    let ranks = ra.hstack(rb)?;
    let (n, d) = (ranks.rows, ranks.cols);
    if n < d + 2 {
        bail!(
            "the t-copula fit needs at least D + 2 = {} samples for {d} coordinates, got N = {n}",
            d + 2
        );
    }
    let nu = profile_nu(&profile_sample(&ranks, PROFILE_ROWS))?;
    let start = correlation(&normal_scores(&ranks));
    let r = if nu == f64::INFINITY {
        start
    } else {
        fixed_point(&scores_of(&ranks, &StudentT::new(nu).scores(n)), &start, nu, FINAL_STEPS)?
    };
    Ok(EllipticalFit { r, nu, n })
}

impl EllipticalFit {
    /// CCE(A|B), CCE(B|A) and MI in closed form, with the finite-sample correction; `dims_a` is
    /// d_A.
    pub(crate) fn alignment(&self, dims_a: usize) -> Result<PairAlignment> {
        let all: Vec<usize> = (0..self.r.rows).collect();
        let joint = self.entropy(&all)?;
        let (ha, hb) = (self.entropy(&all[..dims_a])?, self.entropy(&all[dims_a..])?);
        Ok(PairAlignment::new(joint - hb, joint - ha, ha + hb - joint))
    }

    /// CCE(A|B) alone, bit for bit `alignment(dims_a)?.cce_a_given_b`.
    pub(crate) fn cce(&self, dims_a: usize) -> Result<f64> {
        let all: Vec<usize> = (0..self.r.rows).collect();
        Ok(self.entropy(&all)? - self.entropy(&all[dims_a..])?)
    }

    /// The copula entropy of the coordinates `idx`: ½ (log det R_X − β(N, |X|)) + g_ν(|X|).
    fn entropy(&self, idx: &[usize]) -> Result<f64> {
        let m = idx.len();
        Ok(0.5 * (log_det(&self.r, idx)? - log_det_bias(self.n, m)) + t_copula_excess(self.nu, m))
    }

    /// `n` rows drawn from the fitted copula, as ranks 1..n per column (N × D): multivariate t
    /// rows L z / √(χ²_ν/ν), L L' = R, z standard normal; rows in chunks of [`CHUNK`], chunk c
    /// drawn from `Rng::derive(seed, "surrogate/c")`, so the draw does not depend on the threads.
    pub(crate) fn surrogate_ranks(&self, n: usize, seed: u64) -> Result<Matrix> {
        let d = self.r.rows;
        let l = cholesky(&self.r)?;
        let mut x = vec![0.0; n * d];
        x.par_chunks_mut(CHUNK * d)
            .enumerate()
            .for_each(|(c, block)| {
                let mut rng = Rng::derive(seed, &format!("surrogate/{c}"));
                let mut z = vec![0.0; d];
                for row in block.chunks_mut(d) {
                    z.iter_mut().for_each(|v| *v = rng.normal());
                    let scale = if self.nu == f64::INFINITY {
                        1.0
                    } else {
                        1.0 / super::draw::chi_square_over_nu(&mut rng, self.nu).sqrt()
                    };
                    for (j, out) in row.iter_mut().enumerate() {
                        let dot: f64 = l[j * d..j * d + j + 1].iter().zip(&z).map(|(a, b)| a * b).sum();
                        *out = dot * scale;
                    }
                }
            });
        let columns: Vec<Vec<u32>> = (0..d)
            .into_par_iter()
            .map(|j| {
                let mut order: Vec<u32> = (0..n as u32).collect();
                order.sort_unstable_by(|&p, &q| {
                    x[p as usize * d + j]
                        .total_cmp(&x[q as usize * d + j])
                        .then(p.cmp(&q))
                });
                let mut rank = vec![0u32; n];
                for (r, &i) in order.iter().enumerate() {
                    rank[i as usize] = r as u32 + 1;
                }
                rank
            })
            .collect();
        Ok(Matrix::from_fn(n, d, |i, j| columns[j][i] as f64))
    }
}

/// β(N, m) = Σᵢ₌₁..ₘ ψ((N − i)/2) − m ψ((N − 1)/2): the mean of log det R̂ − log det R for the
/// Pearson correlation of m variables over N Gaussian samples.
pub(crate) fn log_det_bias(n: usize, m: usize) -> f64 {
    let n = n as f64;
    (1..=m).map(|i| digamma((n - i as f64) / 2.0)).sum::<f64>() - m as f64 * digamma((n - 1.0) / 2.0)
}

/// The rows the profile reads, ranked 1..m among themselves (module doc, step 1).
fn profile_sample(ranks: &Matrix, m: usize) -> Matrix {
    let (n, d) = (ranks.rows, ranks.cols);
    if n <= m {
        return ranks.clone();
    }
    // order[r − 1] = the row of rank r in column 0; bin b opens at rank ⌈b n / m⌉ + 1.
    let mut order = vec![0usize; n];
    for i in 0..n {
        order[ranks.get(i, 0) as usize - 1] = i;
    }
    let rows: Vec<usize> = (0..m).map(|b| order[(b * n).div_ceil(m)]).collect();
    let mut out = Matrix::zeros(m, d);
    for j in 0..d {
        let mut by_rank: Vec<(u32, usize)> =
            rows.iter().enumerate().map(|(s, &i)| (ranks.get(i, j) as u32, s)).collect();
        by_rank.sort_unstable();
        for (r, &(_, s)) in by_rank.iter().enumerate() {
            out.data[s * d + j] = (r + 1) as f64;
        }
    }
    out
}

/// The maximum of the profile log-likelihood over ν (∞ when the Gaussian copula is at least as
/// likely as the best t copula).
fn profile_nu(ranks: &Matrix) -> Result<f64> {
    let m = ranks.rows;
    let z = normal_scores(ranks);
    let start = correlation(&z);
    let gaussian = {
        let sum_sq: f64 = (1..=m).map(|r| normal_quantile(r as f64 / (m + 1) as f64).powi(2)).sum();
        let (q, ld) = mahalanobis_sums(&z, &start, |q| q)?;
        -0.5 * m as f64 * ld - 0.5 * q + 0.5 * ranks.cols as f64 * sum_sq
    };
    let (s, minus_best) = minimize_bounded(
        |s| Ok(-t_log_likelihood(ranks, &start, 1.0 / s)?),
        S_RANGE.0,
        S_RANGE.1,
        S_TOL,
    )?;
    Ok(if gaussian >= -minus_best { f64::INFINITY } else { 1.0 / s })
}

/// The t copula's log-likelihood at ν on `ranks` (1..m), R by the fixed point from `start`.
fn t_log_likelihood(ranks: &Matrix, start: &Matrix, nu: f64) -> Result<f64> {
    let (m, d) = (ranks.rows as f64, ranks.cols as f64);
    let t = StudentT::new(nu);
    let scores = t.scores(ranks.rows);
    let x = scores_of(ranks, &scores);
    let r = fixed_point(&x, start, nu, PROFILE_STEPS)?;
    let (sum_log, ld) = mahalanobis_sums(&x, &r, |q| (q / nu).ln_1p())?;
    let marginal: f64 = scores.iter().map(|&s| t.log_density(s)).sum();
    let constant = ln_gamma((nu + d) / 2.0) - ln_gamma(nu / 2.0) - d / 2.0 * (nu * std::f64::consts::PI).ln();
    Ok(m * constant - 0.5 * m * ld - (nu + d) / 2.0 * sum_log - d * marginal)
}

/// Each rank r replaced by `scores[r − 1]`.
fn scores_of(ranks: &Matrix, scores: &[f64]) -> Matrix {
    Matrix {
        rows: ranks.rows,
        cols: ranks.cols,
        data: ranks.data.iter().map(|&r| scores[r as usize - 1]).collect(),
    }
}

/// `steps` steps of R ← corr(Σᵢ wᵢ xᵢ xᵢᵀ), wᵢ = (ν + D)/(ν + xᵢᵀ R⁻¹ xᵢ), from `start`.
fn fixed_point(x: &Matrix, start: &Matrix, nu: f64, steps: usize) -> Result<Matrix> {
    let d = x.cols;
    let mut r = start.clone();
    for _ in 0..steps {
        let l = cholesky(&r)?;
        let scatter = chunked_sum(x, d * d, |rows, acc| {
            let mut y = vec![0.0; d];
            for row in rows.chunks(d) {
                let w = (nu + d as f64) / (nu + forward_solve(&l, d, row, &mut y));
                for j in 0..d {
                    let wj = w * row[j];
                    for (a, &b) in acc[j * d..j * d + j + 1].iter_mut().zip(row) {
                        *a += wj * b;
                    }
                }
            }
        });
        r = Matrix::from_fn(d, d, |i, j| {
            let (a, b) = if j <= i { (i, j) } else { (j, i) };
            if a == b {
                1.0
            } else {
                scatter[a * d + b] / (scatter[a * d + a] * scatter[b * d + b]).sqrt()
            }
        });
    }
    Ok(r)
}

/// (Σᵢ f(xᵢᵀ R⁻¹ xᵢ), log det R).
fn mahalanobis_sums(x: &Matrix, r: &Matrix, f: impl Fn(f64) -> f64 + Sync) -> Result<(f64, f64)> {
    let d = x.cols;
    let l = cholesky(r)?;
    let sum = chunked_sum(x, 1, |rows, acc| {
        let mut y = vec![0.0; d];
        for row in rows.chunks(d) {
            acc[0] += f(forward_solve(&l, d, row, &mut y));
        }
    })[0];
    let ld = 2.0 * (0..d).map(|j| l[j * d + j].ln()).sum::<f64>();
    Ok((sum, ld))
}

/// Σ over chunks of [`CHUNK`] rows of `x` of what `add` accumulates into a zeroed vector of
/// `len`, the chunks' vectors added in chunk order.
fn chunked_sum(x: &Matrix, len: usize, add: impl Fn(&[f64], &mut [f64]) + Sync) -> Vec<f64> {
    let parts: Vec<Vec<f64>> = x
        .data
        .par_chunks(CHUNK * x.cols)
        .map(|rows| {
            let mut acc = vec![0.0; len];
            add(rows, &mut acc);
            acc
        })
        .collect();
    let mut total = vec![0.0; len];
    for p in &parts {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

/// The lower Cholesky factor L (row-major, D × D) of a symmetric positive definite `r`.
fn cholesky(r: &Matrix) -> Result<Vec<f64>> {
    let d = r.rows;
    let mut l = vec![0.0; d * d];
    for j in 0..d {
        for i in j..d {
            let s = r.get(i, j) - (0..j).map(|p| l[i * d + p] * l[j * d + p]).sum::<f64>();
            if i == j {
                if s.is_nan() || s <= 0.0 {
                    bail!(
                        "correlation matrix is not positive definite (pivot {s:e} at variable \
                         {j}): some variable is a function of others"
                    );
                }
                l[j * d + j] = s.sqrt();
            } else {
                l[i * d + j] = s / l[j * d + j];
            }
        }
    }
    Ok(l)
}

/// Solves L y = x into `y` and returns |y|² = xᵀ R⁻¹ x.
#[inline]
fn forward_solve(l: &[f64], d: usize, x: &[f64], y: &mut [f64]) -> f64 {
    let mut q = 0.0;
    for j in 0..d {
        let row = &l[j * d..j * d + j];
        let s = x[j] - row.iter().zip(&y[..j]).map(|(a, b)| a * b).sum::<f64>();
        y[j] = s / l[j * d + j];
        q += y[j] * y[j];
    }
    q
}

/// The registry's handle on the `tcopula` estimator.
pub(super) struct TCopula;

impl super::CopulaEstimator for TCopula {
    fn name(&self) -> &'static str {
        "tcopula"
    }

    fn about(&self) -> &'static str {
        "Student-t copula fit (ν by profile likelihood), closed form: exact for Gaussian and t copulas"
    }

    fn alignment(&self, ra: &Matrix, rb: &Matrix, _k: usize, _seed: u64) -> Result<PairAlignment> {
        fit(ra, rb)?.alignment(ra.cols)
    }

    fn cce(&self, ra: &Matrix, rb: &Matrix, _k: usize, _seed: u64) -> Result<f64> {
        fit(ra, rb)?.cce(ra.cols)
    }
}
