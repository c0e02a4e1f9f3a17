//! `overlap.csv`: the training images shared by the two members of a pair, per n, counted on
//! the subsets the members actually train on, checked against a naive pairwise count; with
//! `same-inputs` every pair shares all n images; a classification run writes the file.

mod common;

use harness::data::classification::{member_subset, Pairing};
use harness::results::overlap::{overlap_rows, pair_overlaps, shared_images};

/// Shared elements by comparing every element of `a` with every element of `b`.
fn naive_shared(a: &[usize], b: &[usize]) -> usize {
    a.iter().map(|x| b.iter().filter(|y| *y == x).count()).sum()
}

#[test]
fn pair_overlaps_match_a_naive_count_of_the_drawn_subsets() {
    let (seed, pool, replicas, members) = (20260526, 1297, 2, 3);
    for n in [61, 600, 1281] {
        let got = pair_overlaps(
            seed,
            Pairing::IndependentSubsets,
            pool,
            n,
            replicas,
            members,
        );
        let mut want = Vec::new();
        for r in 0..replicas {
            for a in 0..members {
                for b in a + 1..members {
                    want.push(naive_shared(
                        &member_subset(seed, Pairing::IndependentSubsets, pool, n, r, a),
                        &member_subset(seed, Pairing::IndependentSubsets, pool, n, r, b),
                    ));
                }
            }
        }
        assert_eq!(got, want, "n = {n}");
        // Two subsets of n from 1297 share at least 2n − 1297.
        assert!(got.iter().all(|&s| s + pool >= 2 * n && s <= n), "{got:?}");
    }
    assert_eq!(shared_images(&[3, 1, 4], &[4, 0, 3, 9], 10), 2);
    assert_eq!(shared_images(&[], &[1], 2), 0);
}

#[test]
fn same_inputs_pairs_share_every_image() {
    let got = pair_overlaps(5, Pairing::SameInputs, 1297, 200, 3, 4);
    assert_eq!(got.len(), 3 * 6);
    assert!(got.iter().all(|&s| s == 200), "{got:?}");
}

#[test]
fn overlap_rows_summarize_the_pairs_per_n_once() {
    let (seed, pool) = (9, 1297);
    let points = [(61, 0.1), (650, 1.07), (61, 0.1), (1281, 2.1)];
    let rows = overlap_rows(seed, Pairing::IndependentSubsets, pool, &points, 2, 3);
    assert_eq!(
        rows.iter().map(|r| r.n).collect::<Vec<_>>(),
        [61, 650, 1281]
    );
    for r in &rows {
        let shared = pair_overlaps(seed, Pairing::IndependentSubsets, pool, r.n, 2, 3);
        let f: Vec<f64> = shared.iter().map(|&s| s as f64 / r.n as f64).collect();
        assert_eq!(r.pairs, 6);
        assert!((r.mean - f.iter().sum::<f64>() / 6.0).abs() < 1e-15);
        assert_eq!(r.min, f.iter().copied().fold(1.0, f64::min));
        assert_eq!(r.max, f.iter().copied().fold(0.0, f64::max));
        assert_eq!(r.independent_expectation, r.n as f64 / 1297.0);
    }
    // The numbers: about 5 % at n = 61, 99 % at n = 1281.
    assert!(rows[0].mean < 0.15, "{:?}", rows[0]);
    assert!(rows[2].mean > 0.97, "{:?}", rows[2]);
}

#[test]
fn a_classification_run_writes_overlap_csv() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = "name: tiny
seed: 3
task:
  kind: classification
  dataset: digits
  pairing: independent-subsets
  n_test: 300
model:
  kind: fcnn
  width: 2
train:
  solver: sgd
  lr: 0.1
  batch_size: 32
  epochs: 2
sweep:
  label_noise: [0, 0.2]
  n_over_p: [0.5, 2.0]
  replicas: 1
  members: 3
";
    let report = common::run(manifest, dir.path());
    let text = std::fs::read_to_string(report.results_dir.join("overlap.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "pairing,pool,n,n_over_p,pairs,overlap_mean,overlap_min,overlap_max,\
             independent_expectation"
        )
    );
    // P = 2·65 + 10·3 = 160; pool = 1797 − 300; one row per n, not per label-noise level.
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    for (row, n) in rows.iter().zip([80usize, 320]) {
        assert_eq!(row[0], "independent-subsets");
        assert_eq!(row[1], "1497");
        assert_eq!(row[2], n.to_string());
        let shared = pair_overlaps(3, Pairing::IndependentSubsets, 1497, n, 1, 3);
        let mean = shared.iter().sum::<usize>() as f64 / 3.0 / n as f64;
        assert_eq!(row[5].parse::<f64>().unwrap(), mean, "{text}");
    }
}
