//! The `gaussian` alignment estimator and the Gaussian closed form (SPEC §4.3–4.4): normal scores
//! Φ⁻¹(rank/(N+1)) of every column, their correlation matrix R, and
//! CCE(A|B) = ½ log det R − ½ log det R_BB, MI = ½ (log det R_AA + log det R_BB − log det R).
//! Exact for Gaussian copulas, blind to any other dependence. Log-determinants by Cholesky.

use super::{special::normal_quantile, PairAlignment};
use crate::matrix::Matrix;
use anyhow::{bail, Result};

/// Normal scores Φ⁻¹(r/(N+1)) of a matrix of ranks r ∈ 1..N.
pub(crate) fn normal_scores(ranks: &Matrix) -> Matrix {
    let n1 = ranks.rows as f64 + 1.0;
    Matrix {
        rows: ranks.rows,
        cols: ranks.cols,
        data: ranks.data.iter().map(|r| normal_quantile(r / n1)).collect(),
    }
}

/// Pearson correlation matrix of the columns of `z` (d × d).
pub(super) fn correlation(z: &Matrix) -> Matrix {
    let (n, d) = (z.rows, z.cols);
    let mut mean = vec![0.0; d];
    for i in 0..n {
        for (m, v) in mean.iter_mut().zip(z.row(i)) {
            *m += v;
        }
    }
    for m in &mut mean {
        *m /= n as f64;
    }
    let mut cov = vec![0.0; d * d];
    let mut c = vec![0.0; d];
    for i in 0..n {
        for (cj, (v, m)) in c.iter_mut().zip(z.row(i).iter().zip(&mean)) {
            *cj = v - m;
        }
        for j in 0..d {
            for l in j..d {
                cov[j * d + l] += c[j] * c[l];
            }
        }
    }
    Matrix::from_fn(d, d, |j, l| {
        let (a, b) = if j <= l { (j, l) } else { (l, j) };
        if a == b {
            1.0
        } else {
            cov[a * d + b] / (cov[a * d + a] * cov[b * d + b]).sqrt()
        }
    })
}

/// log det of the principal submatrix of `r` on the indices `idx`, by Cholesky.
pub(super) fn log_det(r: &Matrix, idx: &[usize]) -> Result<f64> {
    let m = idx.len();
    let mut l = vec![0.0; m * m];
    let mut ld = 0.0;
    for j in 0..m {
        for i in j..m {
            let mut s = r.get(idx[i], idx[j]);
            for p in 0..j {
                s -= l[i * m + p] * l[j * m + p];
            }
            if i == j {
                if s.is_nan() || s <= 0.0 {
                    bail!(
                        "correlation matrix is not positive definite (pivot {s:e} at variable {}): \
                         some variable is a linear function of others",
                        idx[j]
                    );
                }
                l[j * m + j] = s.sqrt();
                ld += s.ln();
            } else {
                l[i * m + j] = s / l[j * m + j];
            }
        }
    }
    Ok(ld)
}

/// CCE(A|B) = ½ log det R − ½ log det R_BB for jointly Gaussian variables with correlation (or
/// covariance) matrix `r`, whose first `dims_a` variables are A and the rest B. For scalars this
/// is ½ log(1 − ρ²). Errors unless `r` is square, symmetric (to 1e-12 × (1 + |entry|), room
/// for rounding) and positive definite and 0 < dims_a < size.
pub fn gaussian_cce_from_correlation(r: &Matrix, dims_a: usize) -> Result<f64> {
    let d = r.rows;
    if r.cols != d {
        bail!(
            "correlation matrix must be square, got {} x {}",
            r.rows,
            r.cols
        );
    }
    if dims_a == 0 || dims_a >= d {
        bail!(
            "dims_a = {dims_a} must be between 1 and {} (the matrix has {d} variables)",
            d.saturating_sub(1)
        );
    }
    for i in 0..d {
        for j in 0..d {
            let (x, y) = (r.get(i, j), r.get(j, i));
            if !x.is_finite() {
                bail!("correlation matrix has a non-finite entry at ({i}, {j})");
            }
            if (x - y).abs() > 1e-12 * (1.0 + x.abs()) {
                bail!("correlation matrix is not symmetric at ({i}, {j}): {x} vs {y}");
            }
        }
    }
    let all: Vec<usize> = (0..d).collect();
    Ok(0.5 * (log_det(r, &all)? - log_det(r, &all[dims_a..])?))
}

/// The registry's handle on this estimator: the closed form on the normal scores of the ranks.
pub(super) struct Gaussian;

impl super::CopulaEstimator for Gaussian {
    fn name(&self) -> &'static str {
        "gaussian"
    }

    fn about(&self) -> &'static str {
        "closed form on normal scores (exact for Gaussian copulas)"
    }

    fn alignment(&self, ra: &Matrix, rb: &Matrix, _k: usize, _seed: u64) -> Result<PairAlignment> {
        gaussian_alignment(&normal_scores(ra), &normal_scores(rb))
    }
}

/// The `gaussian` estimator on normal scores `za`, `zb` (same rows).
pub(crate) fn gaussian_alignment(za: &Matrix, zb: &Matrix) -> Result<PairAlignment> {
    let (da, db) = (za.cols, zb.cols);
    let r = correlation(&za.hstack(zb)?);
    let all: Vec<usize> = (0..da + db).collect();
    let ld = log_det(&r, &all)?;
    let ld_a = log_det(&r, &all[..da])?;
    let ld_b = log_det(&r, &all[da..])?;
    Ok(PairAlignment::new(
        0.5 * (ld - ld_b),
        0.5 * (ld - ld_a),
        0.5 * (ld_a + ld_b - ld),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On columns far from centred (normal scores are centred by construction, so only a direct
    /// test sees the mean), against the textbook two-pass Pearson formula per pair.
    /// Rounding may leave a computed correlation matrix asymmetric in the last bits: up to
    /// 1e-12 × (1 + |entry|) is accepted (the bound itself too), more is an error.
    #[test]
    fn closed_form_accepts_asymmetry_up_to_its_tolerance_only() {
        let two = |upper: f64, lower: f64| Matrix::new(2, 2, vec![1.0, upper, lower, 1.0]).unwrap();
        let at_the_bound = two(0.0, -1e-12);
        assert!(gaussian_cce_from_correlation(&at_the_bound, 1).is_ok());
        let within_relative = two(0.5, 0.5 + 1.2e-12);
        assert!(gaussian_cce_from_correlation(&within_relative, 1).is_ok());
        let err = gaussian_cce_from_correlation(&two(0.5, 0.5 + 1e-9), 1).unwrap_err();
        assert!(err.to_string().contains("not symmetric at (0, 1)"), "{err}");
    }

    #[test]
    fn correlation_is_pearsons_on_uncentred_columns() {
        let mut rng = crate::rng::Rng::new(9);
        let (n, d) = (40, 3);
        let z = Matrix::from_fn(n, d, |i, j| {
            let shared = (i as f64 * 0.37).sin();
            [5.0, -3.0, 120.0][j] + [1.0, 0.5, 30.0][j] * (shared + rng.normal() * 0.8)
        });
        let column = |j: usize| (0..n).map(|i| z.get(i, j)).collect::<Vec<f64>>();
        let r = correlation(&z);
        for j in 0..d {
            for l in 0..d {
                let (x, y) = (column(j), column(l));
                let (mx, my) = (
                    x.iter().sum::<f64>() / n as f64,
                    y.iter().sum::<f64>() / n as f64,
                );
                let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
                let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
                let syy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
                let pearson = sxy / (sxx * syy).sqrt();
                assert!(
                    (r.get(j, l) - pearson).abs() < 1e-12,
                    "({j}, {l}): {} against {pearson}",
                    r.get(j, l)
                );
            }
        }
        assert!(
            r.get(0, 2) > 0.3,
            "the columns share a signal: {}",
            r.get(0, 2)
        );
    }

    #[test]
    fn closed_form_known_values() {
        let r = Matrix::new(2, 2, vec![1.0, 0.6, 0.6, 1.0]).unwrap();
        let v = gaussian_cce_from_correlation(&r, 1).unwrap();
        // ½ log 0.64, by hand.
        assert!((v + 0.223_143_551_314_209_7).abs() < 1e-15);
        // 4 + 4, pairs (A_i, B_i) with ρ = 0.6, independent across i: 4 × the scalar value.
        let r8 = Matrix::from_fn(8, 8, |i, j| {
            if i == j {
                1.0
            } else if i % 4 == j % 4 {
                0.6
            } else {
                0.0
            }
        });
        let v8 = gaussian_cce_from_correlation(&r8, 4).unwrap();
        assert!((v8 - 4.0 * v).abs() < 1e-14);
        // Asymmetric sizes: A scalar, B = 2 variables with ρ(A,B1) = 0.5, ρ(A,B2) = 0.3, B
        // independent: H(A|B) residual variance 1 − 0.25 − 0.09.
        let r3 = Matrix::new(3, 3, vec![1.0, 0.5, 0.3, 0.5, 1.0, 0.0, 0.3, 0.0, 1.0]).unwrap();
        let v3 = gaussian_cce_from_correlation(&r3, 1).unwrap();
        assert!((v3 - 0.5 * (1.0f64 - 0.25 - 0.09).ln()).abs() < 1e-15);
    }

    /// The other known values all have log det R_BB = 0 (B a scalar or independent variables);
    /// here B's variables are correlated, and the matrix is a covariance, as the doc allows.
    /// Both answers are A's residual variance given B, by hand.
    #[test]
    fn closed_form_conditions_on_a_correlated_or_scaled_b() {
        // ρ(B1, B2) = 0.5, ρ(A, B1) = 0.6, ρ(A, B2) = 0: residual variance
        // 1 − 0.6² · (R_BB⁻¹)₁₁ = 1 − 0.36 / 0.75 = 0.52.
        let r = Matrix::new(3, 3, vec![1.0, 0.6, 0.0, 0.6, 1.0, 0.5, 0.0, 0.5, 1.0]).unwrap();
        let v = gaussian_cce_from_correlation(&r, 1).unwrap();
        assert!((v - 0.5 * 0.52f64.ln()).abs() < 1e-15, "{v}");
        // Var A = 1, Var B = 4, Cov = 1.2: residual variance 1 − 1.44 / 4 = 0.64.
        let cov = Matrix::new(2, 2, vec![1.0, 1.2, 1.2, 4.0]).unwrap();
        let v = gaussian_cce_from_correlation(&cov, 1).unwrap();
        assert!((v - 0.5 * 0.64f64.ln()).abs() < 1e-15, "{v}");
    }

    #[test]
    fn closed_form_rejects_bad_matrices() {
        let msg = |r: Matrix, a| {
            gaussian_cce_from_correlation(&r, a)
                .unwrap_err()
                .to_string()
        };
        assert!(msg(Matrix::zeros(2, 3), 1).contains("square"));
        let id = Matrix::from_fn(3, 3, |i, j| (i == j) as u8 as f64);
        assert!(msg(id.clone(), 0).contains("dims_a"));
        assert!(msg(id, 3).contains("dims_a"));
        let asym = Matrix::new(2, 2, vec![1.0, 0.5, 0.4, 1.0]).unwrap();
        assert!(msg(asym, 1).contains("symmetric"));
        let singular = Matrix::new(2, 2, vec![1.0, 1.0, 1.0, 1.0]).unwrap();
        assert!(msg(singular, 1).contains("positive definite"));
    }
}
