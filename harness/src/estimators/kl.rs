//! The Kozachenko–Leonenko entropy of a copula sample (max norm, k neighbours) and the `kl`
//! alignment estimator built from it: plain differences of separately estimated entropies, as
//! the `copent` package computes them. Kept for comparison; it is badly biased (SPEC §4).

use super::knn::{self, Coord, Method, Points};
use super::{canonical_mean, ksg::mean_log_two_eps, special::digamma, KnnEstimator, PairAlignment};
use crate::matrix::Matrix;

/// Ĥ(U) = ψ(N) − ψ(k) + (d/N) Σᵢ log(2 εᵢ), εᵢ the max-norm distance from uᵢ to its k-th nearest
/// other point; `u` is an already copula-transformed N × d sample. This is minus the value of
/// `copent.copent(x, k)` (which uses ranks/N, as here; it gives ties average ranks where this
/// module breaks them at random). A duplicated row gives εᵢ = 0 and −∞.
///
/// # Panics
/// If k = 0 or N ≤ k (`align` validates its inputs before calling this).
pub fn kl_entropy(u: &Matrix, k: usize) -> f64 {
    assert!(k >= 1, "kl_entropy: k must be at least 1");
    assert!(
        u.rows > k,
        "kl_entropy: need more than k = {k} rows, got {}",
        u.rows
    );
    let p = Points::new(u.rows, u.cols, u.data.clone());
    let eps = knn::kth_distances(&p, k, Method::Auto);
    let mean_log = canonical_mean(eps.iter().map(|e| (2.0 * e).ln()).collect());
    entropy_from_mean_log(mean_log, u.rows, u.cols, k)
}

/// ψ(N) − ψ(k) + d ⟨log 2εᵢ⟩.
fn entropy_from_mean_log(mean_log: f64, n: usize, d: usize, k: usize) -> f64 {
    digamma(n as f64) - digamma(k as f64) + d as f64 * mean_log
}

/// [`kl_entropy`] of the copula of integer ranks `r` (N × d): εᵢ = Dᵢ / N from the exact rank
/// distances Dᵢ.
pub(crate) fn kl_entropy_of_ranks<T: Coord>(r: &Points<T>, k: usize) -> f64 {
    let eps = knn::kth_distances(r, k, Method::Auto);
    entropy_from_mean_log(mean_log_two_eps(&eps, r.n), r.n, r.dim, k)
}

/// The registry's handle on this estimator.
pub(super) struct Kl;

impl KnnEstimator for Kl {
    const ABOUT: &'static str =
        "difference of two Kozachenko–Leonenko entropies (the `copent` estimator)";
    const NAME: &'static str = "kl";

    fn alignment<T: Coord>(pa: &Points<T>, pb: &Points<T>, k: usize) -> PairAlignment {
        kl_alignment(pa, pb, k)
    }

    fn cce<T: Coord>(pa: &Points<T>, pb: &Points<T>, k: usize) -> f64 {
        kl_cce(pa, pb, k)
    }
}

/// CCE(A|B) = Ĥ(A, B) − Ĥ(B) alone (no entropy of A), as in [`kl_alignment`].
pub(crate) fn kl_cce<T: Coord>(ra: &Points<T>, rb: &Points<T>, k: usize) -> f64 {
    kl_entropy_of_ranks(&ra.hstack(rb), k) - kl_entropy_of_ranks(rb, k)
}

/// The `kl` estimator on integer ranks `ra`, `rb` (same rows).
pub(crate) fn kl_alignment<T: Coord>(ra: &Points<T>, rb: &Points<T>, k: usize) -> PairAlignment {
    let h_ab = kl_entropy_of_ranks(&ra.hstack(rb), k);
    let h_a = kl_entropy_of_ranks(ra, k);
    let h_b = kl_entropy_of_ranks(rb, k);
    PairAlignment::new(h_ab - h_b, h_ab - h_a, h_a + h_b - h_ab)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed 12 × 3 sample without ties.
    fn reference_x() -> Matrix {
        #[rustfmt::skip]
        let data = vec![
            0.31, -1.20, 2.05,
            1.74, 0.42, -0.33,
            -0.58, 1.91, 0.77,
            2.26, -0.07, 1.12,
            0.05, 0.88, -1.46,
            -1.37, -0.61, 0.29,
            0.93, 1.33, -0.95,
            -0.22, -1.78, 1.58,
            1.19, 0.15, 0.04,
            -0.84, 2.47, -0.12,
            0.66, -0.95, -2.01,
            -1.91, 0.63, 0.51,
        ];
        Matrix::new(12, 3, data).unwrap()
    }

    /// Reference values from Python 3 with copent 0.5.7, numpy and scipy:
    /// ```text
    /// import numpy as np, copent
    /// from scipy.spatial import cKDTree
    /// from scipy.special import digamma
    /// x = np.array(<the 12 × 3 matrix above>)
    /// -copent.copent(x, k)             # copent returns −Ĥ of the copula (ranks/N)
    /// u = np.argsort(np.argsort(x, 0), 0).astype(float) + 1; u /= len(u)
    /// eps = cKDTree(u).query(u, k + 1, p=np.inf)[0][:, k]
    /// digamma(len(u)) - digamma(k) + u.shape[1] * np.mean(np.log(2 * eps))
    /// ```
    /// evaluated for k = 3 and k = 1 on all three columns and k = 3 on `x[:, :2]`; the two Python
    /// computations agree to 5e-16, the constants below are copent's values.
    #[test]
    fn kl_entropy_matches_copent() {
        let x = reference_x();
        let u = super::super::copula(&x, &mut crate::rng::Rng::new(0));
        let two = Matrix::from_fn(12, 2, |i, j| u.get(i, j));
        let cases = [
            (&u, 3, REF_3COL_K3),
            (&u, 1, REF_3COL_K1),
            (&two, 3, REF_2COL_K3),
        ];
        for (m, k, want) in cases {
            let got = kl_entropy(m, k);
            assert!(
                (got - want).abs() < 1e-9,
                "k={k} d={}: {got} vs {want}",
                m.cols
            );
        }
    }

    // -copent.copent(x, 3) = 0.7749385151196327, direct = 0.7749385151196329
    const REF_3COL_K3: f64 = 0.774_938_515_119_632_7;
    // -copent.copent(x, 1) = 0.750732249428181, direct = 0.7507322494281805
    const REF_3COL_K1: f64 = 0.750_732_249_428_181;
    // -copent.copent(x[:, :2], 3) = 0.4584556480949371, direct = 0.4584556480949369
    const REF_2COL_K3: f64 = 0.458_455_648_094_937_1;
}
