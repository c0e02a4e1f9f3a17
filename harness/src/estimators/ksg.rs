//! The `ksg` alignment estimator (the default, SPEC §4.3): one k-nearest-neighbour search in the
//! joint copula space, whose radius is reused in each marginal space (Kraskov–Stögbauer–
//! Grassberger), so that the biases of the joint and marginal entropy estimates cancel.

use super::knn::{self, Coord, Method, Points};
use super::{canonical_mean, special::digamma, KnnEstimator, PairAlignment};

/// The registry's handle on this estimator.
pub(super) struct Ksg;

impl KnnEstimator for Ksg {
    const ABOUT: &'static str =
        "one joint neighbour search, radius reused in each marginal (the default)";
    const NAME: &'static str = "ksg";

    fn alignment<T: Coord>(pa: &Points<T>, pb: &Points<T>, k: usize) -> PairAlignment {
        ksg_alignment(pa, pb, k)
    }

    fn cce<T: Coord>(pa: &Points<T>, pb: &Points<T>, k: usize) -> f64 {
        ksg_cce(pa, pb, k)
    }
}

/// From one joint search on integer ranks `ra`, `rb` (N × d_A, N × d_B), with εᵢ the joint k-th
/// neighbour max-norm distance in the copula (rank distance / N) and n_A,i, n_B,i the numbers of
/// other points strictly within εᵢ of uᵢ in A's and B's coordinates:
/// - CCE(A|B) ≈ −ψ(k) + ⟨ψ(n_B,i + 1)⟩ + d_A ⟨log 2εᵢ⟩, and symmetrically CCE(B|A);
/// - I(A;B) ≈ ψ(k) + ψ(N) − ⟨ψ(n_A,i + 1) + ψ(n_B,i + 1)⟩ (KSG estimator 1).
pub(crate) fn ksg_alignment<T: Coord>(ra: &Points<T>, rb: &Points<T>, k: usize) -> PairAlignment {
    let (n, da, db) = (ra.n, ra.dim, rb.dim);
    let (joint, eps, mean_log) = joint_search(ra, rb, k);
    let psi_a = mean_psi_counts(&joint, &(0..da).collect::<Vec<_>>(), &eps);
    let psi_b = mean_psi_counts(&joint, &(da..da + db).collect::<Vec<_>>(), &eps);
    let psi_k = digamma(k as f64);
    PairAlignment::new(
        -psi_k + psi_b + da as f64 * mean_log,
        -psi_k + psi_a + db as f64 * mean_log,
        psi_k + digamma(n as f64) - psi_a - psi_b,
    )
}

/// CCE(A|B) alone, bit-identical to `ksg_alignment(..).cce_a_given_b` but with one range count
/// (in B's coordinates) instead of two.
pub(crate) fn ksg_cce<T: Coord>(ra: &Points<T>, rb: &Points<T>, k: usize) -> f64 {
    let (da, db) = (ra.dim, rb.dim);
    let (joint, eps, mean_log) = joint_search(ra, rb, k);
    let psi_b = mean_psi_counts(&joint, &(da..da + db).collect::<Vec<_>>(), &eps);
    -digamma(k as f64) + psi_b + da as f64 * mean_log
}

/// The joint sample [A, B], its k-th neighbour rank distances and ⟨log 2εᵢ⟩.
fn joint_search<T: Coord>(ra: &Points<T>, rb: &Points<T>, k: usize) -> (Points<T>, Vec<T>, f64) {
    let joint = ra.hstack(rb);
    let eps = knn::kth_distances(&joint, k, Method::Auto);
    let mean_log = mean_log_two_eps(&eps, ra.n);
    (joint, eps, mean_log)
}

/// ⟨ψ(nᵢ + 1)⟩, nᵢ the other points strictly within εᵢ of point i in the columns `cols`.
fn mean_psi_counts<T: Coord>(joint: &Points<T>, cols: &[usize], eps: &[T]) -> f64 {
    let counts = knn::count_within(joint, cols, eps, Method::Auto);
    canonical_mean(counts.iter().map(|&c| digamma(c as f64 + 1.0)).collect())
}

/// ⟨log 2εᵢ⟩ for copula distances εᵢ = Dᵢ / N given as integer rank distances Dᵢ.
pub(crate) fn mean_log_two_eps<T: Coord>(rank_dist: &[T], n: usize) -> f64 {
    let n = n as f64;
    canonical_mean(
        rank_dist
            .iter()
            .map(|d| (2.0 * d.to_f64() / n).ln())
            .collect(),
    )
}
