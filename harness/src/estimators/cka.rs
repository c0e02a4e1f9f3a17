//! Linear centered kernel alignment (CKA; Kornblith, Norouzi, Lee & Hinton, ICML 2019) and its
//! debiased form (Nguyen, Raghu & Kornblith, ICLR 2021, after the unbiased HSIC estimator of
//! Song et al. 2012), computed in feature space in O(N·d_A·d_B): no N × N Gram matrix.
//!
//! Unlike the copula measures, CKA works on the raw representations (columns centered): it is
//! invariant to orthogonal transforms and isotropic scaling of each representation, not to
//! monotone transforms of single units. 1 for identical representations, near 0 for
//! independent ones (linear CKA is biased upward by about √(d_A·d_B)/N there; the debiased form
//! is not). For Gaussian pairs (Aᵢ, Bᵢ) with correlation ρ, independent across i and of equal
//! variance, linear CKA → ρ².

use crate::matrix::Matrix;

/// Columns minus their means.
fn centered(x: &Matrix) -> Matrix {
    let n = x.rows as f64;
    let means: Vec<f64> = (0..x.cols)
        .map(|j| (0..x.rows).map(|i| x.get(i, j)).sum::<f64>() / n)
        .collect();
    Matrix::from_fn(x.rows, x.cols, |i, j| x.get(i, j) - means[j])
}

/// XᵀY (d_X × d_Y, row-major).
fn cross(x: &Matrix, y: &Matrix) -> Vec<f64> {
    let mut out = vec![0.0; x.cols * y.cols];
    for i in 0..x.rows {
        let (xr, yr) = (x.row(i), y.row(i));
        for (a, &xa) in xr.iter().enumerate() {
            for (o, &yb) in out[a * y.cols..(a + 1) * y.cols].iter_mut().zip(yr) {
                *o += xa * yb;
            }
        }
    }
    out
}

fn frobenius_squared(m: &[f64]) -> f64 {
    m.iter().map(|v| v * v).sum()
}

/// Linear CKA = ‖XᵀY‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F) on centered X, Y.
pub(crate) fn linear_cka(a: &Matrix, b: &Matrix) -> f64 {
    let (x, y) = (centered(a), centered(b));
    frobenius_squared(&cross(&x, &y))
        / (frobenius_squared(&cross(&x, &x)) * frobenius_squared(&cross(&y, &y))).sqrt()
}

/// The unbiased HSIC of the linear kernels K = XXᵀ, L = YYᵀ (Song et al. 2012):
/// [tr(K̃L̃) + 1ᵀK̃1·1ᵀL̃1 / ((N−1)(N−2)) − 2/(N−2) · 1ᵀK̃L̃1] / (N(N−3)), K̃ = K with a zero
/// diagonal, each term expanded in feature space. Needs N ≥ 4.
fn unbiased_hsic(x: &Matrix, y: &Matrix) -> f64 {
    let n = x.rows as f64;
    let sq = |m: &Matrix, i: usize| m.row(i).iter().map(|v| v * v).sum::<f64>();
    let sum_rows = |m: &Matrix| -> Vec<f64> {
        (0..m.cols)
            .map(|j| (0..m.rows).map(|i| m.get(i, j)).sum())
            .collect()
    };
    let (sx, sy) = (sum_rows(x), sum_rows(y));
    let dot = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(a, b)| a * b).sum::<f64>();
    let (mut diag_kl, mut sum_k_diag, mut sum_l_diag, mut k1_l1) = (0.0, 0.0, 0.0, 0.0);
    for i in 0..x.rows {
        let (kd, ld) = (sq(x, i), sq(y, i));
        diag_kl += kd * ld;
        sum_k_diag += kd;
        sum_l_diag += ld;
        k1_l1 += (dot(x.row(i), &sx) - kd) * (dot(y.row(i), &sy) - ld);
    }
    let trace = frobenius_squared(&cross(x, y)) - diag_kl;
    let k_sum = dot(&sx, &sx) - sum_k_diag;
    let l_sum = dot(&sy, &sy) - sum_l_diag;
    (trace + k_sum * l_sum / ((n - 1.0) * (n - 2.0)) - 2.0 / (n - 2.0) * k1_l1) / (n * (n - 3.0))
}

/// Debiased linear CKA: unbiased HSIC(X, Y) / √(HSIC(X, X) · HSIC(Y, Y)), on centered X, Y.
pub(crate) fn debiased_cka(a: &Matrix, b: &Matrix) -> f64 {
    let (x, y) = (centered(a), centered(b));
    unbiased_hsic(&x, &y) / (unbiased_hsic(&x, &x) * unbiased_hsic(&y, &y)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// The textbook computation with N × N Gram matrices, for small N only.
    fn naive_debiased_cka(a: &Matrix, b: &Matrix) -> f64 {
        let gram = |m: &Matrix| -> Vec<Vec<f64>> {
            let m = centered(m);
            (0..m.rows)
                .map(|i| {
                    (0..m.rows)
                        .map(|j| {
                            if i == j {
                                0.0
                            } else {
                                m.row(i).iter().zip(m.row(j)).map(|(p, q)| p * q).sum()
                            }
                        })
                        .collect()
                })
                .collect()
        };
        let hsic = |k: &Vec<Vec<f64>>, l: &Vec<Vec<f64>>| {
            let n = k.len() as f64;
            let tr: f64 = (0..k.len())
                .map(|i| (0..k.len()).map(|j| k[i][j] * l[j][i]).sum::<f64>())
                .sum();
            let ks: f64 = k.iter().flatten().sum();
            let ls: f64 = l.iter().flatten().sum();
            let k1: Vec<f64> = k.iter().map(|r| r.iter().sum()).collect();
            let l1: Vec<f64> = l.iter().map(|r| r.iter().sum()).collect();
            let kl: f64 = k1.iter().zip(&l1).map(|(p, q)| p * q).sum();
            (tr + ks * ls / ((n - 1.0) * (n - 2.0)) - 2.0 / (n - 2.0) * kl) / (n * (n - 3.0))
        };
        let (k, l) = (gram(a), gram(b));
        hsic(&k, &l) / (hsic(&k, &k) * hsic(&l, &l)).sqrt()
    }

    #[test]
    fn feature_space_matches_the_gram_matrix_formula() {
        let mut r = Rng::new(3);
        let a = Matrix::from_fn(40, 3, |_, _| r.normal() + 2.0);
        let b = Matrix::from_fn(40, 5, |i, j| a.get(i, j % 3) * 0.5 + r.normal());
        let (fast, slow) = (debiased_cka(&a, &b), naive_debiased_cka(&a, &b));
        assert!((fast - slow).abs() < 1e-12, "{fast} vs {slow}");
    }
}
