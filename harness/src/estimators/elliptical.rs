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
//! The rows are first put in the order of their rank in A's first column, and sums over rows run
//! in fixed chunks added in chunk order: the fit does not depend on the number of threads, and
//! permuting the rows of the inputs leaves it bit-identical.

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
    let ranks = by_first_column(&ra.hstack(rb)?);
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
        fixed_point(
            &scores_of(&ranks, &StudentT::new(nu).scores(n)),
            &start,
            nu,
            FINAL_STEPS,
        )?
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
        let columns = self.surrogate_rank_columns(n, seed)?;
        Ok(Matrix::from_fn(n, columns.len(), |i, j| {
            columns[j][i] as f64
        }))
    }

    /// [`EllipticalFit::surrogate_ranks`]' ranks, one vector per column.
    pub(crate) fn surrogate_rank_columns(&self, n: usize, seed: u64) -> Result<Vec<Vec<u32>>> {
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
                        let dot: f64 = l[j * d..j * d + j + 1]
                            .iter()
                            .zip(&z)
                            .map(|(a, b)| a * b)
                            .sum();
                        *out = dot * scale;
                    }
                }
            });
        Ok((0..d)
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
            .collect())
    }
}

/// β(N, m) = Σᵢ₌₁..ₘ ψ((N − i)/2) − m ψ((N − 1)/2): the mean of log det R̂ − log det R for the
/// Pearson correlation of m variables over N Gaussian samples.
pub(crate) fn log_det_bias(n: usize, m: usize) -> f64 {
    let n = n as f64;
    (1..=m).map(|i| digamma((n - i as f64) / 2.0)).sum::<f64>()
        - m as f64 * digamma((n - 1.0) / 2.0)
}

/// The rows of `ranks` in the order of their rank in the first column (row r − 1 has rank r
/// there): every later sum then runs in an order set by the values, so permuting the rows of
/// the inputs leaves the fit bit-identical.
fn by_first_column(ranks: &Matrix) -> Matrix {
    let (n, d) = (ranks.rows, ranks.cols);
    let mut out = Matrix::zeros(n, d);
    for i in 0..n {
        let r = ranks.get(i, 0) as usize - 1;
        out.data[r * d..(r + 1) * d].copy_from_slice(ranks.row(i));
    }
    out
}

/// The rows the profile reads, ranked 1..m among themselves (module doc, step 1); `ranks` in the
/// order of [`by_first_column`], so bin b opens at row ⌈b n / m⌉.
fn profile_sample(ranks: &Matrix, m: usize) -> Matrix {
    let (n, d) = (ranks.rows, ranks.cols);
    if n <= m {
        return ranks.clone();
    }
    let rows: Vec<usize> = (0..m).map(|b| (b * n).div_ceil(m)).collect();
    let mut out = Matrix::zeros(m, d);
    for j in 0..d {
        let mut by_rank: Vec<(u32, usize)> = rows
            .iter()
            .enumerate()
            .map(|(s, &i)| (ranks.get(i, j) as u32, s))
            .collect();
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
        let sum_sq: f64 = (1..=m)
            .map(|r| normal_quantile(r as f64 / (m + 1) as f64).powi(2))
            .sum();
        let (q, ld) = mahalanobis_sums(&z, &start, |q| q)?;
        -0.5 * m as f64 * ld - 0.5 * q + 0.5 * ranks.cols as f64 * sum_sq
    };
    let (s, minus_best) = minimize_bounded(
        |s| Ok(-t_log_likelihood(ranks, &start, 1.0 / s)?),
        S_RANGE.0,
        S_RANGE.1,
        S_TOL,
    )?;
    Ok(if gaussian >= -minus_best {
        f64::INFINITY
    } else {
        1.0 / s
    })
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
    let constant =
        ln_gamma((nu + d) / 2.0) - ln_gamma(nu / 2.0) - d / 2.0 * (nu * std::f64::consts::PI).ln();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimators::copula::ranks;
    use crate::estimators::Family;

    /// Ranks (ties broken by a fixed stream) of a family's sample.
    fn family_ranks(f: Family, n: usize, dims: usize, rho: f64, rep: usize) -> (Matrix, Matrix) {
        let (a, b) = f.sample(17, n, dims, rho, rep);
        (ranks(&a, &mut Rng::new(1)), ranks(&b, &mut Rng::new(2)))
    }

    #[test]
    fn fit_recovers_nu_and_r_of_t_copulas_and_takes_gaussian_ones_for_gaussian() {
        for (nu, rep) in [(4u32, 0), (2, 1)] {
            let (ra, rb) = family_ranks(Family::StudentT { nu }, 10_000, 3, 0.6, rep);
            let f = fit(&ra, &rb).unwrap();
            assert!((f.nu / nu as f64 - 1.0).abs() < 0.2, "nu {nu}: {}", f.nu);
            for i in 0..6 {
                for j in 0..6 {
                    let want = if i == j {
                        1.0
                    } else if i % 3 == j % 3 {
                        0.6
                    } else {
                        0.0
                    };
                    assert!(
                        (f.r.get(i, j) - want).abs() < 0.04,
                        "nu {nu} ({i},{j}) {:?}",
                        f.r
                    );
                }
            }
        }
        // Gaussian data: ν̂ beyond 30 (or ∞), R the normal-score correlation when ∞.
        let (ra, rb) = family_ranks(Family::Gaussian, 4000, 3, 0.6, 0);
        let f = fit(&ra, &rb).unwrap();
        assert!(f.nu > 30.0, "{}", f.nu);
    }

    #[test]
    fn closed_form_is_the_families_truth_without_the_correction() {
        for (family, nu) in [
            (Family::StudentT { nu: 4 }, 4.0),
            (Family::Gaussian, f64::INFINITY),
        ] {
            for (dims, rho) in [(1, 0.6), (3, 0.3), (4, 0.9)] {
                let r = crate::estimators::families::pairwise_correlation(dims, rho);
                // N so large that β(N, m) ≈ −m²/2N vanishes.
                let p = EllipticalFit { r, nu, n: 1 << 50 }.alignment(dims).unwrap();
                let t = family.truth(dims, rho).unwrap();
                assert!(
                    (p.cce_a_given_b - t.cce_a_given_b).abs() < 1e-9,
                    "{family} {dims}"
                );
                assert!((p.mutual_information - t.mutual_information).abs() < 1e-9);
                // A and B alike: the two conditionals agree.
                assert!((p.cce_b_given_a - p.cce_a_given_b).abs() < 1e-12);
            }
        }
    }

    /// β(N, m) against a simulation: the Pearson correlation of m Gaussian variables (with a
    /// correlated R) over N = 40 samples, 4000 data sets.
    #[test]
    fn log_det_bias_matches_a_simulation() {
        let (n, m, sets) = (40, 5, 4000);
        let r = Matrix::from_fn(m, m, |i, j| 0.5f64.powi((i as i32 - j as i32).abs()));
        let l = cholesky(&r).unwrap();
        let truth = log_det(&r, &(0..m).collect::<Vec<_>>()).unwrap();
        let mut rng = Rng::new(3);
        let diffs: Vec<f64> = (0..sets)
            .map(|_| {
                let x = Matrix::from_fn(n, m, |_, _| rng.normal());
                let y = Matrix::from_fn(n, m, |i, j| {
                    (0..=j).map(|p| l[j * m + p] * x.get(i, p)).sum()
                });
                log_det(&correlation(&y), &(0..m).collect::<Vec<_>>()).unwrap() - truth
            })
            .collect();
        let mean = diffs.iter().sum::<f64>() / sets as f64;
        let sd = (diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (sets - 1) as f64).sqrt();
        let beta = log_det_bias(n, m);
        assert!(
            (mean - beta).abs() < 4.0 * sd / (sets as f64).sqrt(),
            "{mean} vs {beta}"
        );
        // About −m(m − 1)/(2N) = −0.25; not 0, and not the covariance's −m(m + 1)/(2N).
        assert!((beta + 0.25).abs() < 0.05, "{beta}");
    }

    #[test]
    fn surrogates_are_rank_permutations_drawn_from_the_fit_whatever_the_threads() {
        let model = EllipticalFit {
            r: Matrix::from_fn(4, 4, |i, j| {
                if i == j {
                    1.0
                } else if i % 2 == j % 2 {
                    0.7
                } else {
                    0.0
                }
            }),
            nu: 3.0,
            n: 3000,
        };
        let draw = |threads: usize, seed: u64| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| model.surrogate_ranks(3000, seed).unwrap())
        };
        let s = draw(1, 5);
        assert_eq!(s, draw(3, 5));
        assert_ne!(s, draw(1, 6));
        for j in 0..4 {
            let mut col: Vec<usize> = s.column(j).iter().map(|&v| v as usize).collect();
            col.sort_unstable();
            assert_eq!(col, (1..=3000).collect::<Vec<_>>());
        }
        // Refitting the surrogate gives back the model.
        let refit = fit(
            &Matrix::from_fn(3000, 2, |i, j| s.get(i, j)),
            &Matrix::from_fn(3000, 2, |i, j| s.get(i, 2 + j)),
        )
        .unwrap();
        assert!((refit.nu - 3.0).abs() < 0.8, "{}", refit.nu);
        assert!((refit.r.get(0, 2) - 0.7).abs() < 0.04 && refit.r.get(0, 1).abs() < 0.05);
    }

    #[test]
    fn profile_sample_takes_the_first_row_of_each_bin_and_ranks_it_again() {
        // 10 rows in first-column order, 4 bins: rows 0, 3, 5, 8 (⌈b·10/4⌉).
        let ranks = Matrix::from_fn(10, 2, |i, j| {
            if j == 0 {
                (i + 1) as f64
            } else {
                (10 - i) as f64
            }
        });
        let s = profile_sample(&ranks, 4);
        assert_eq!(s.data, vec![1.0, 4.0, 2.0, 3.0, 3.0, 2.0, 4.0, 1.0]);
        assert_eq!(profile_sample(&ranks, 10), ranks);
        // by_first_column puts row r − 1 at rank r.
        let shuffled = Matrix::from_fn(3, 2, |i, j| [[2.0, 5.0], [3.0, 6.0], [1.0, 4.0]][i][j]);
        assert_eq!(
            by_first_column(&shuffled).data,
            vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
        );
    }

    #[test]
    fn too_few_samples_or_a_singular_copula_is_an_error() {
        let (ra, rb) = family_ranks(Family::Gaussian, 5, 2, 0.6, 0);
        let e = fit(&ra, &rb).unwrap_err().to_string();
        assert!(
            e.contains("at least D + 2 = 6 samples for 4 coordinates, got N = 5"),
            "{e}"
        );
        let (ra, _) = family_ranks(Family::Gaussian, 300, 2, 0.6, 0);
        let e = fit(&ra, &ra).unwrap_err().to_string();
        assert!(e.contains("not positive definite"), "{e}");
    }
}
