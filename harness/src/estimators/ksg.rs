//! The `ksg` alignment estimator (the default, SPEC §4.3): one k-nearest-neighbour search in the
//! joint copula space, whose radius is reused in each marginal space (Kraskov–Stögbauer–
//! Grassberger), so that the biases of the joint and marginal entropy estimates cancel.

use super::{canonical_mean, knn, special::digamma, PairAlignment};
use crate::matrix::Matrix;

/// From one joint search, with εᵢ the joint k-th neighbour max-norm distance and n_A,i, n_B,i the
/// numbers of other points strictly within εᵢ of uᵢ in A's and B's coordinates:
/// - CCE(A|B) ≈ −ψ(k) + ⟨ψ(n_B,i + 1)⟩ + d_A ⟨log 2εᵢ⟩, and symmetrically CCE(B|A);
/// - I(A;B) ≈ ψ(k) + ψ(N) − ⟨ψ(n_A,i + 1) + ψ(n_B,i + 1)⟩ (KSG estimator 1).
pub(crate) fn ksg_alignment(ua: &Matrix, ub: &Matrix, k: usize) -> anyhow::Result<PairAlignment> {
    let (n, da, db) = (ua.rows, ua.cols, ub.cols);
    let joint = ua.hstack(ub)?;
    let eps = knn::kth_neighbour_distances(&joint, k);
    let cols_a: Vec<usize> = (0..da).collect();
    let cols_b: Vec<usize> = (da..da + db).collect();
    let n_a = knn::count_within(&joint, &cols_a, &eps);
    let n_b = knn::count_within(&joint, &cols_b, &eps);
    let mean_log = canonical_mean(eps.iter().map(|e| (2.0 * e).ln()).collect());
    let psi_a = canonical_mean(n_a.iter().map(|&c| digamma(c as f64 + 1.0)).collect());
    let psi_b = canonical_mean(n_b.iter().map(|&c| digamma(c as f64 + 1.0)).collect());
    let psi_k = digamma(k as f64);
    Ok(PairAlignment::new(
        -psi_k + psi_b + da as f64 * mean_log,
        -psi_k + psi_a + db as f64 * mean_log,
        psi_k + digamma(n as f64) - psi_a - psi_b,
    ))
}
