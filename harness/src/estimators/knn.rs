//! Exact nearest-neighbour queries in the maximum (Chebyshev) norm, the geometry behind the `kl`
//! and `ksg` estimators and Information Imbalance: the distance of every point to its k-th
//! nearest *other* point, the indices of the k nearest other points, and the number of other
//! points strictly within a given radius of every point in a sub-space (a subset of the columns).
//!
//! Two exact methods:
//! - the blocked search (`blocked.rs`, what [`Method::Auto`] runs): a kd partition of the points
//!   into blocks with bounding boxes, each block stored column-major so that it stays in the L1
//!   cache while a tile of nearby queries runs over it; blocks are skipped by their boxes and
//!   scanned with a loop the compiler vectorizes (AVX2 when the CPU has it, chosen at run time);
//! - a classic kd-tree (`kdtree.rs`: median split on the widest dimension, small leaf buckets
//!   searched point by point), an independent implementation that the tests hold the blocked
//!   search against, selectable as [`Method::Tree`].
//!
//! Both are generic over the coordinate type ([`Coord`]): the estimators search on integer
//! copula ranks (`u16` when N < 65 536, else `u32`), for which every distance is an exact
//! integer, so ties (equal distances) are decided exactly; `f64` serves general samples. Queries
//! run in parallel with rayon and are collected in point order; since every distance is
//! computed exactly as `max_j |p_j − q_j|` and the box bounds are monotone in the same
//! differences, both methods give bit-identical answers to a naive scan, whatever the number of
//! threads. Memory is O(N·d); no N × N matrix is ever formed.

mod blocked;
#[cfg(target_arch = "x86_64")]
pub(crate) use blocked::has_avx2;
#[cfg(test)]
mod kdtree;

use std::cmp::Ordering;

/// A coordinate type: exact absolute differences, a total order, and conversion to `f64`.
pub(crate) trait Coord: Copy + PartialOrd + Default + Send + Sync + 'static {
    /// The largest value (an "infinite" distance).
    const MAX: Self;
    /// The smallest value.
    const MIN: Self;
    const ZERO: Self;
    /// |a − b|.
    fn dist(a: Self, b: Self) -> Self;
    /// max(a, b), branch-free.
    fn larger(a: Self, b: Self) -> Self;
    /// max(a − b, 0), branch-free.
    fn excess(a: Self, b: Self) -> Self;
    /// The smallest value above `self` (so that `d <= r` is `d < r.successor()`).
    fn successor(self) -> Self;
    fn total_cmp(a: Self, b: Self) -> Ordering;
    fn to_f64(self) -> f64;
}

macro_rules! unsigned_coord {
    ($t:ty) => {
        impl Coord for $t {
            const MAX: Self = <$t>::MAX;
            const MIN: Self = 0;
            const ZERO: Self = 0;
            #[inline(always)]
            fn dist(a: Self, b: Self) -> Self {
                a.abs_diff(b)
            }
            #[inline(always)]
            fn larger(a: Self, b: Self) -> Self {
                a.max(b)
            }
            #[inline(always)]
            fn excess(a: Self, b: Self) -> Self {
                a.saturating_sub(b)
            }
            #[inline(always)]
            fn successor(self) -> Self {
                self + 1
            }
            #[inline(always)]
            fn total_cmp(a: Self, b: Self) -> Ordering {
                a.cmp(&b)
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    };
}
unsigned_coord!(u16);
unsigned_coord!(u32);

impl Coord for f64 {
    const MAX: Self = f64::INFINITY;
    const MIN: Self = f64::NEG_INFINITY;
    const ZERO: Self = 0.0;
    #[inline(always)]
    fn dist(a: Self, b: Self) -> Self {
        (a - b).abs()
    }
    #[inline(always)]
    fn larger(a: Self, b: Self) -> Self {
        if a > b {
            a
        } else {
            b
        }
    }
    #[inline(always)]
    fn excess(a: Self, b: Self) -> Self {
        (a - b).max(0.0)
    }
    #[inline(always)]
    fn successor(self) -> Self {
        // For the non-negative distances this serves (f64::next_up needs Rust 1.86).
        debug_assert!(self >= 0.0);
        if self.is_infinite() {
            self
        } else {
            f64::from_bits(self.to_bits() + 1)
        }
    }
    #[inline(always)]
    fn total_cmp(a: Self, b: Self) -> Ordering {
        a.total_cmp(&b)
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
}

/// N points of dimension `dim`, row-major.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Points<T> {
    pub n: usize,
    pub dim: usize,
    pub data: Vec<T>,
}

impl<T: Coord> Points<T> {
    pub fn new(n: usize, dim: usize, data: Vec<T>) -> Self {
        assert_eq!(
            data.len(),
            n * dim,
            "points: {n} x {dim} needs {} values",
            n * dim
        );
        Points { n, dim, data }
    }

    #[inline]
    pub fn row(&self, i: usize) -> &[T] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// The sub-space of the columns `cols`.
    pub fn columns(&self, cols: &[usize]) -> Points<T> {
        let mut data = Vec::with_capacity(self.n * cols.len());
        for i in 0..self.n {
            let row = self.row(i);
            data.extend(cols.iter().map(|&j| row[j]));
        }
        Points::new(self.n, cols.len(), data)
    }

    /// The columns of `self` followed by those of `other` (same n).
    pub fn hstack(&self, other: &Points<T>) -> Points<T> {
        assert_eq!(self.n, other.n, "hstack: row counts differ");
        let mut data = Vec::with_capacity(self.n * (self.dim + other.dim));
        for i in 0..self.n {
            data.extend_from_slice(self.row(i));
            data.extend_from_slice(other.row(i));
        }
        Points::new(self.n, self.dim + other.dim, data)
    }
}

/// How to search. Every method gives the same answers; they differ only in speed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    /// The fastest measured: the blocked search, at every size and dimension (see
    /// [`Method::resolve`]).
    Auto,
    /// The kd-tree: the tests' independent cross-check.
    #[cfg(test)]
    Tree,
    Blocked,
}

impl Method {
    /// Auto is the blocked search. Measured in-process on copula ranks (2 cores, the ignored
    /// test `time_methods`: ksg's k-NN search in d + d dimensions and its range count in d),
    /// it beats the kd-tree at every N and d tried but one: N = 2000 to 100 000, 1 + 1 to
    /// 4 + 4 dims (k-NN 0.43 against 0.46 ms at N = 2000, 1 + 1; 14 against 82 ms at
    /// N = 20 000, 4 + 4; 173 against 587 ms at N = 100 000, 4 + 4; range counts 2 to 13 times
    /// faster), and by far more above (the tree needs seconds from 8 + 8 dims at N = 20 000).
    /// The exception, the 1-dim range count at N = 100 000 (24.2 against 21.6 ms), is outweighed
    /// in the same estimate by the 2-dim k-NN search (25.3 against 29.5 ms).
    fn resolve(self) -> Method {
        match self {
            Method::Auto => Method::Blocked,
            m => m,
        }
    }
}

/// For each point: the max-norm distance to its k-th nearest other point (duplicates of the
/// point count, at distance 0). Needs 1 ≤ k < n.
pub(crate) fn kth_distances<T: Coord>(p: &Points<T>, k: usize, method: Method) -> Vec<T> {
    map_nearest(p, k, method, |best| best[k - 1].0)
}

/// For each point: the indices of its k nearest other points, nearest first; among equally
/// distant points the lower index comes first (a deterministic tie-break). Needs 1 ≤ k < n.
pub(crate) fn nearest_indices<T: Coord>(
    p: &Points<T>,
    k: usize,
    method: Method,
) -> Vec<Vec<usize>> {
    map_nearest(p, k, method, |best| best.iter().map(|b| b.1).collect())
}

/// For each point: its k nearest other points as (distance, index), mapped by `f`.
fn map_nearest<T: Coord, R: Send + Clone + Default>(
    p: &Points<T>,
    k: usize,
    method: Method,
    f: impl Fn(&[(T, usize)]) -> R + Sync,
) -> Vec<R> {
    check_k(p, k);
    let mut out = vec![R::default(); p.n];
    match method.resolve() {
        #[cfg(test)]
        Method::Tree => kdtree::map_nearest(p, k, &mut out, f),
        _ => blocked::map_nearest(p, k, &mut out, f),
    }
    out
}

/// For each point i: the number of other points j ≠ i at max-norm distance strictly below
/// `radii[i]`, distances taken over the columns `cols` only.
pub(crate) fn count_within<T: Coord>(
    p: &Points<T>,
    cols: &[usize],
    radii: &[T],
    method: Method,
) -> Vec<usize> {
    assert_eq!(radii.len(), p.n, "one radius per point");
    let sub = p.columns(cols);
    match method.resolve() {
        #[cfg(test)]
        Method::Tree => kdtree::count_below(&sub, radii),
        _ => blocked::count_below(&sub, radii),
    }
}

/// The max-norm distance between two points.
pub(crate) fn distance<T: Coord>(p: &[T], q: &[T]) -> T {
    p.iter()
        .zip(q)
        .fold(T::ZERO, |m, (&a, &b)| T::larger(m, T::dist(a, b)))
}

/// Builds the blocked search's kd partition of the rows of `x` (reordering, blocks, bounding
/// boxes) and returns its number of blocks (for the criterion bench of the tree build; the
/// structure itself stays private).
#[doc(hidden)]
pub fn kd_partition_block_count(x: &crate::matrix::Matrix) -> usize {
    blocked::partition_block_count(&Points::new(x.rows, x.cols, x.data.clone()))
}

fn check_k<T>(p: &Points<T>, k: usize) {
    assert!(k >= 1 && k < p.n, "need 1 <= k < N (k = {k}, N = {})", p.n);
}

/// Inserts (d, j) into `best` (sorted by distance, then index; length k), dropping the last, if
/// it comes before the last. Shared by both methods so that they order ties the same way.
#[inline]
fn insert_best<T: Coord>(best: &mut [(T, usize)], d: T, j: usize) {
    let k = best.len();
    let before = |a: (T, usize), b: (T, usize)| a.0 < b.0 || (a.0 == b.0 && a.1 < b.1);
    if !before((d, j), best[k - 1]) {
        return;
    }
    let mut pos = k - 1;
    while pos > 0 && before((d, j), best[pos - 1]) {
        best[pos] = best[pos - 1];
        pos -= 1;
    }
    best[pos] = (d, j);
}

#[cfg(test)]
mod tests;
