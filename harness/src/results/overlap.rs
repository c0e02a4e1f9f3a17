//! `overlap.csv` of a classification experiment: per n, how many training images the two
//! members of a pair share, counted on the subsets actually drawn (the same draws the members
//! train on, [`member_subset`]). With `independent-subsets` and a small pool the subsets
//! overlap more and more as n grows (digits, pool 1297: about n/1297 of them, 5 % at n = 61,
//! 99 % at n = 1281), so alignment at large n is partly shared data; with `same-inputs` every
//! pair shares all n images. The subsets do not depend on the label noise, so one row per n.

use crate::data::classification::{member_subset, Pairing};
use anyhow::Result;

/// How many pool indices two subsets share (each subset without repeats).
pub fn shared_images(a: &[usize], b: &[usize], pool: usize) -> usize {
    let mut in_a = vec![false; pool];
    for &i in a {
        in_a[i] = true;
    }
    b.iter().filter(|&&i| in_a[i]).count()
}

/// The images shared by each unordered pair of members (m < m') of every replica at one n,
/// in the order (replica, m, m').
pub fn pair_overlaps(
    seed: u64,
    pairing: Pairing,
    pool: usize,
    n: usize,
    replicas: usize,
    members: usize,
) -> Vec<usize> {
    let mut out = Vec::new();
    for replica in 0..replicas {
        let subsets: Vec<Vec<usize>> = (0..members)
            .map(|m| member_subset(seed, pairing, pool, n, replica, m))
            .collect();
        for a in 0..members {
            for b in a + 1..members {
                out.push(shared_images(&subsets[a], &subsets[b], pool));
            }
        }
    }
    out
}

/// One row of `overlap.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct OverlapRow {
    pub n: usize,
    pub n_over_p: f64,
    pub pairs: usize,
    /// Shared images / n: mean, smallest and largest over the pairs.
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    /// What two independent uniform subsets share on average: n / pool.
    pub independent_expectation: f64,
}

/// The rows for the grid `points` ((n, n/P) in sweep order; repeated n are written once).
pub fn overlap_rows(
    seed: u64,
    pairing: Pairing,
    pool: usize,
    points: &[(usize, f64)],
    replicas: usize,
    members: usize,
) -> Vec<OverlapRow> {
    let mut rows: Vec<OverlapRow> = Vec::new();
    for &(n, n_over_p) in points {
        if rows.iter().any(|r| r.n == n) {
            continue;
        }
        let shared = pair_overlaps(seed, pairing, pool, n, replicas, members);
        let fractions: Vec<f64> = shared.iter().map(|&s| s as f64 / n as f64).collect();
        rows.push(OverlapRow {
            n,
            n_over_p,
            pairs: fractions.len(),
            mean: fractions.iter().sum::<f64>() / fractions.len() as f64,
            min: fractions.iter().copied().fold(f64::INFINITY, f64::min),
            max: fractions.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            independent_expectation: n as f64 / pool as f64,
        });
    }
    rows
}

/// `overlap.csv`: `pairing,pool,n,n_over_p,pairs,overlap_mean,overlap_min,overlap_max,
/// independent_expectation` (fractions of n).
pub fn overlap_csv(pairing: Pairing, pool: usize, rows: &[OverlapRow]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "pairing",
        "pool",
        "n",
        "n_over_p",
        "pairs",
        "overlap_mean",
        "overlap_min",
        "overlap_max",
        "independent_expectation",
    ])?;
    for r in rows {
        w.write_record([
            pairing.name().to_string(),
            pool.to_string(),
            r.n.to_string(),
            r.n_over_p.to_string(),
            r.pairs.to_string(),
            r.mean.to_string(),
            r.min.to_string(),
            r.max.to_string(),
            r.independent_expectation.to_string(),
        ])?;
    }
    Ok(w.into_inner()?)
}
