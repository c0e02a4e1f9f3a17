//! The copula transform (SPEC §4.1): each column replaced by its ranks 1..N (divided by N for the
//! copula, or mapped to normal scores by the Gaussian estimator). Ties — ReLU zeros — are broken
//! by a seeded random order, so the result is a deterministic function of the data and the seed.

use crate::{matrix::Matrix, rng::Rng};
use rayon::prelude::*;

/// The ranks 1..N (as `f64`) of each column of `x`, in the layout of `x`.
///
/// For every column (in order) one random permutation of `0..N` is drawn from `rng` and used as a
/// priority: rows are sorted by (value, priority), so tied values are ordered at random but
/// reproducibly. A permutation is drawn for every column, tied or not, so the use of the stream
/// does not depend on the data. `-0.0` and `0.0` count as equal (a tie).
///
/// The permutations are drawn in column order, then the columns are sorted in parallel (in
/// groups of [`COLUMNS_AT_ONCE`], to bound the memory of the drawn permutations); (value,
/// priority) keys are all distinct, so the order, and the result, is unique.
pub(crate) fn ranks(x: &Matrix, rng: &mut Rng) -> Matrix {
    let n = x.rows;
    assert!(n <= u32::MAX as usize, "ranks: more than 2^32 rows");
    let mut out = Matrix::zeros(n, x.cols);
    for first in (0..x.cols).step_by(COLUMNS_AT_ONCE) {
        let cols: Vec<usize> = (first..x.cols.min(first + COLUMNS_AT_ONCE)).collect();
        let priorities: Vec<Vec<usize>> = cols.iter().map(|_| rng.permutation(n)).collect();
        let orders: Vec<Vec<usize>> = cols
            .par_iter()
            .zip(&priorities)
            .map(|(&j, priority)| {
                // One u128 per row: the value's order-preserving bits, then the priority, then
                // the row; all distinct, so a plain sort of the integers orders by (value,
                // priority).
                let mut keyed: Vec<u128> = (0..n)
                    .map(|i| {
                        let bits = (ordered_bits(x.get(i, j)) as u128) << 64;
                        bits | ((priority[i] as u128) << 32) | i as u128
                    })
                    .collect();
                keyed.sort_unstable();
                keyed
                    .iter()
                    .map(|&key| (key & u32::MAX as u128) as usize)
                    .collect::<Vec<usize>>()
            })
            .collect();
        for (&j, order) in cols.iter().zip(&orders) {
            for (r, &i) in order.iter().enumerate() {
                out.data[i * x.cols + j] = (r + 1) as f64;
            }
        }
    }
    out
}

/// An integer whose order is that of the values under `f64::total_cmp`, except that `-0.0` and
/// `0.0` map to the same integer (they tie). NaNs, which `align` rejects, go to the ends.
fn ordered_bits(v: f64) -> u64 {
    let bits = if v == 0.0 { 0.0f64 } else { v }.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// Columns whose tie-break permutations are held at once by [`ranks`].
const COLUMNS_AT_ONCE: usize = 64;

/// The empirical copula of `x`: each column replaced by its ranks 1..N divided by N, ties broken
/// by a random order drawn from `rng` (see the module docs). Same shape as `x`.
pub fn copula(x: &Matrix, rng: &mut Rng) -> Matrix {
    ranks_to_copula(ranks(x, rng))
}

/// Ranks 1..N (from [`ranks`]) divided by N.
pub(crate) fn ranks_to_copula(mut r: Matrix) -> Matrix {
    let n = r.rows as f64;
    r.data.iter_mut().for_each(|v| *v /= n);
    r
}

/// A coordinate type that can hold a rank 1..N.
pub(crate) trait FromRank {
    fn from_rank(r: f64) -> Self;
}

impl FromRank for u16 {
    fn from_rank(r: f64) -> Self {
        debug_assert!(r >= 1.0 && r <= u16::MAX as f64 && r.fract() == 0.0);
        r as u16
    }
}

impl FromRank for u32 {
    fn from_rank(r: f64) -> Self {
        debug_assert!(r >= 1.0 && r <= u32::MAX as f64 && r.fract() == 0.0);
        r as u32
    }
}

/// The ranks (from [`ranks`]) as integer points for the neighbour searches.
pub(crate) fn rank_points<T: super::knn::Coord + FromRank>(r: &Matrix) -> super::knn::Points<T> {
    super::knn::Points::new(
        r.rows,
        r.cols,
        r.data.iter().map(|&v| T::from_rank(v)).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tied_matrix(n: usize, d: usize, seed: u64) -> Matrix {
        let mut r = Rng::new(seed);
        // Integer values in 0..4, and ReLU-like zeros of both signs: many ties.
        Matrix::from_fn(n, d, |_, j| {
            let v = r.below(4) as f64;
            if j == 0 && v == 0.0 {
                -0.0
            } else {
                v
            }
        })
    }

    #[test]
    fn ranks_are_a_permutation_per_column() {
        for &(n, d) in &[(1, 1), (7, 3), (200, 4)] {
            let x = tied_matrix(n, d, 11);
            let u = copula(&x, &mut Rng::new(3));
            assert_eq!((u.rows, u.cols), (n, d));
            for j in 0..d {
                let mut r: Vec<usize> = u
                    .column(j)
                    .iter()
                    .map(|v| (v * n as f64).round() as usize)
                    .collect();
                for (i, &ri) in r.iter().enumerate() {
                    assert_eq!(u.get(i, j), ri as f64 / n as f64);
                }
                r.sort_unstable();
                assert_eq!(r, (1..=n).collect::<Vec<_>>());
                // Ranks respect the order of the values.
                for a in 0..n {
                    for b in 0..n {
                        if x.get(a, j) < x.get(b, j) {
                            assert!(u.get(a, j) < u.get(b, j));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn ties_are_deterministic_per_seed() {
        let x = tied_matrix(100, 3, 5);
        let a1 = copula(&x, &mut Rng::new(1));
        let a2 = copula(&x, &mut Rng::new(1));
        let b = copula(&x, &mut Rng::new(2));
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        // Without ties the seed does not matter.
        let mut r = Rng::new(9);
        let y = Matrix::from_fn(50, 2, |_, _| r.normal());
        assert_eq!(copula(&y, &mut Rng::new(1)), copula(&y, &mut Rng::new(2)));
    }
}
