//! Exact nearest-neighbour queries in the maximum (Chebyshev) norm, the geometry behind the `kl`
//! and `ksg` estimators and Information Imbalance: the distance of every point to its k-th
//! nearest *other* point, the indices of the k nearest other points, and the number of other
//! points strictly within a given radius of every point in a sub-space (a subset of the columns).
//!
//! Two exact methods, chosen by [`Method::Auto`] from the dimension:
//! - a kd-tree (`kdtree.rs`: median split on the widest dimension, leaf buckets, a bounding box
//!   per node), fast in low dimension;
//! - a blocked brute force (`brute.rs`): candidates stored column-major in blocks that stay in
//!   the L1 cache while a tile of queries runs over them, distances computed a block at a time
//!   in a loop the compiler vectorizes (AVX2 when the CPU has it, chosen at run time).
//!
//! Both are generic over the coordinate type ([`Coord`]): the estimators search on integer
//! copula ranks (`u16` when N < 65 536, else `u32`), for which every distance is an exact
//! integer, so ties (equal distances) are decided exactly; `f64` serves general samples. Queries
//! run in parallel over points with rayon and are collected in point order; since every distance
//! is computed exactly as `max_j |p_j − q_j|` and the tree's box bounds are monotone in the same
//! differences, both methods give bit-identical answers to a naive scan, whatever the number of
//! threads. Memory is O(N·d); no N × N matrix is ever formed.

mod brute;
mod kdtree;

use rayon::prelude::*;
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
    /// Chosen by [`Method::resolve`] from the query kind, N and the dimension.
    Auto,
    Tree,
    Brute,
}

/// The two kinds of query, which favour the tree up to different dimensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Query {
    Nearest,
    /// Range counts with the radii of a search in a larger space: large radii, which the tree
    /// prunes poorly.
    Count,
}

impl Method {
    /// The crossovers were measured on copula ranks (2 cores; whole `harness cce` runs, whose
    /// k-NN search is in A + B's dimension and range count in B's). With the brute force's early
    /// exit and outward block order, its k-NN search beats the tree from 6 dimensions up to
    /// N = 50 000 (3 + 3 at N = 20 000: 0.05 s against 0.06 s; 4 + 4 at N = 50 000: 0.54 s
    /// against 0.71 s), ties it at N = 100 000 for 8 dims (1.81 s against 1.73 s), and ties at
    /// 4 dims, N = 20 000 (0.04 s), losing at N = 100 000 (0.30 s against 0.41 s for the whole
    /// 2 + 2 run with the tree's search). Range counts (radii from a search in a larger space,
    /// which the tree prunes poorly) were measured before the brute force's window: the tree
    /// won up to d = 2 (at d = 4: 0.46 s against 0.26 s at N = 20 000), and up to d = 4 from
    /// N = 50 000 (N = 100 000, d = 4: 1.8 s against ≈ 6.6 s).
    fn resolve(self, query: Query, n: usize, dim: usize) -> Method {
        let tree = match query {
            Query::Nearest => dim <= 4 || (dim <= 8 && n >= 100_000),
            Query::Count => dim <= 2 || (dim <= 4 && n >= 50_000),
        };
        match self {
            Method::Auto if tree => Method::Tree,
            Method::Auto => Method::Brute,
            m => m,
        }
    }
}

/// For each point: the max-norm distance to its k-th nearest other point (duplicates of the
/// point count, at distance 0). Needs 1 ≤ k < n.
pub(crate) fn kth_distances<T: Coord>(p: &Points<T>, k: usize, method: Method) -> Vec<T> {
    check_k(p, k);
    let mut out = vec![T::ZERO; p.n];
    match method.resolve(Query::Nearest, p.n, p.dim) {
        Method::Tree => {
            let tree = kdtree::KdTree::build(p);
            out.par_iter_mut().enumerate().for_each_init(
                || (Vec::new(), Vec::new()),
                |(best, stack), (i, o)| {
                    tree.nearest(p.row(i), i, k, false, best, stack);
                    *o = best[k - 1].0;
                },
            );
        }
        _ => brute::map_nearest(p, k, &mut out, |best| best[k - 1].0),
    }
    out
}

/// For each point: the indices of its k nearest other points, nearest first; among equally
/// distant points the lower index comes first (a deterministic tie-break). Needs 1 ≤ k < n.
pub(crate) fn nearest_indices<T: Coord>(
    p: &Points<T>,
    k: usize,
    method: Method,
) -> Vec<Vec<usize>> {
    check_k(p, k);
    let mut out = vec![Vec::new(); p.n];
    match method.resolve(Query::Nearest, p.n, p.dim) {
        Method::Tree => {
            let tree = kdtree::KdTree::build(p);
            out.par_iter_mut().enumerate().for_each_init(
                || (Vec::new(), Vec::new()),
                |(best, stack), (i, o)| {
                    tree.nearest(p.row(i), i, k, true, best, stack);
                    *o = best.iter().map(|b| b.1).collect();
                },
            );
        }
        _ => brute::map_nearest(p, k, &mut out, |best| best.iter().map(|b| b.1).collect()),
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
    let mut out = vec![0usize; p.n];
    match method.resolve(Query::Count, sub.n, sub.dim) {
        Method::Tree => {
            let tree = kdtree::KdTree::build(&sub);
            out.par_iter_mut()
                .enumerate()
                .for_each_init(Vec::new, |stack, (i, o)| {
                    *o = if radii[i] > T::ZERO {
                        // The point itself (distance 0) is always inside: take it off.
                        tree.count_below(sub.row(i), radii[i], stack) - 1
                    } else {
                        0
                    };
                });
        }
        _ => out = brute::count_below(&sub, radii),
    }
    out
}

/// The max-norm distance between two points.
pub(crate) fn distance<T: Coord>(p: &[T], q: &[T]) -> T {
    p.iter()
        .zip(q)
        .fold(T::ZERO, |m, (&a, &b)| T::larger(m, T::dist(a, b)))
}

/// Builds the kd-tree over the rows of `x` and returns its node count (for the criterion bench of
/// the tree build; the tree itself stays private).
#[doc(hidden)]
pub fn kd_tree_node_count(x: &crate::matrix::Matrix) -> usize {
    kdtree::KdTree::build(&Points::new(x.rows, x.cols, x.data.clone())).node_count()
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
