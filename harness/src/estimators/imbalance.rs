//! Information Imbalance (Glielmo, Zeni, Cheng, Csányi & Laio, PNAS Nexus 2022):
//! Δ(A→B) = (2/N) Σᵢ r^B_{i, n_A(i)} / N, where n_A(i) is the nearest neighbour of point i in
//! space A and r^B_{ij} the rank of j among the neighbours of i in space B (1 = nearest). About 0
//! when A's neighbourhoods predict B's (A "contains" B's information), about 1 when they say
//! nothing about them.
//!
//! Our choices, where the paper uses Euclidean distances on (standardized) features: distances
//! are max-norm distances between the integer copula ranks, the geometry of the other measures
//! here, so Δ is exactly invariant to strictly monotone transforms of each unit and needs no
//! scaling; rank ties, frequent with integer distances, get the mid-rank
//! r = 1 + #{strictly closer} + ½ #{as close, other than j}; the nearest neighbour in A is the
//! lowest-index one among equally near points. Both searches use the fast exact `knn` module.

use super::canonical_mean;
use super::knn::{self, Coord, Method, Points};

/// Δ(A→B) on integer rank points of the same N samples.
pub(crate) fn imbalance<T: Coord>(pa: &Points<T>, pb: &Points<T>) -> f64 {
    let n = pa.n;
    let nearest_a = knn::nearest_indices(pa, 1, Method::Auto);
    let radii: Vec<T> = (0..n)
        .map(|i| knn::distance(pb.row(i), pb.row(nearest_a[i][0])))
        .collect();
    let all: Vec<usize> = (0..pb.dim).collect();
    let closer = knn::count_within(pb, &all, &radii, Method::Auto);
    let upto: Vec<T> = radii.iter().map(|r| r.successor()).collect();
    let as_close = knn::count_within(pb, &all, &upto, Method::Auto);
    let ranks: Vec<f64> = closer
        .iter()
        .zip(&as_close)
        .map(|(&c, &e)| 1.0 + c as f64 + 0.5 * (e - c - 1) as f64)
        .collect();
    2.0 * canonical_mean(ranks) / n as f64
}
