//! Tests of the public API across estimators: invariances, determinism, validation, and accuracy
//! against the Gaussian closed form on data with known CCE.

use super::*;
use crate::{matrix::Matrix, rng::Rng};

/// N samples of d + d variables, (A_i, B_i) standard normal pairs with correlation ρ, independent
/// across i. True CCE(A|B) = d · ½ log(1 − ρ²).
fn correlated_pairs(n: usize, d: usize, rho: f64, seed: u64) -> (Matrix, Matrix) {
    let mut r = Rng::derive(seed, "test-gaussian-pairs");
    let mut a = Matrix::zeros(n, d);
    let mut b = Matrix::zeros(n, d);
    let s = (1.0 - rho * rho).sqrt();
    for i in 0..n {
        for j in 0..d {
            let (x, y) = (r.normal(), r.normal());
            a.data[i * d + j] = x;
            b.data[i * d + j] = rho * x + s * y;
        }
    }
    (a, b)
}

fn truth(d: usize, rho: f64) -> f64 {
    d as f64 * 0.5 * (1.0 - rho * rho).ln()
}

/// Prints estimator errors (estimate − truth) over seeds; used to set the tolerances below.
#[test]
#[ignore]
fn measure_gaussian_errors() {
    for &(n, d) in &[(1000, 1), (2000, 1), (5000, 1), (2000, 4), (5000, 4)] {
        for est in Estimator::ALL {
            let errs: Vec<f64> = (0..5)
                .map(|s| {
                    let (a, b) = correlated_pairs(n, d, 0.6, s);
                    cce(&a, &b, est, 3, s).unwrap() - truth(d, 0.6)
                })
                .collect();
            let mean = errs.iter().sum::<f64>() / 5.0;
            let sd = (errs.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / 4.0).sqrt();
            println!("N={n} d={d}+{d} {est}: mean err {mean:+.4} sd {sd:.4} errs {errs:+.4?}");
        }
    }
}

/// Mean error (estimate − truth) of CCE(A|B) over seeds 0..3 at ρ = 0.6, k = 3.
fn mean_error(est: Estimator, n: usize, d: usize) -> f64 {
    let errs: Vec<f64> = (0..3)
        .map(|s| {
            let (a, b) = correlated_pairs(n, d, 0.6, s);
            cce(&a, &b, est, 3, s).unwrap() - truth(d, 0.6)
        })
        .collect();
    errs.iter().sum::<f64>() / errs.len() as f64
}

// Measured with `measure_gaussian_errors` (5 seeds, k = 3, ρ = 0.6, error = estimate − truth,
// truth −0.2231 for 1+1 and −0.8926 for 4+4; mean ± per-seed sd):
//   N=1000 1+1: ksg +0.035±0.017  kl −0.390±0.018  gaussian +0.003±0.013
//   N=2000 1+1: ksg +0.029±0.015  kl −0.408±0.015  gaussian +0.004±0.013
//   N=5000 1+1: ksg +0.011±0.019  kl −0.435±0.020  gaussian −0.001±0.008
//   N=2000 4+4: ksg +0.744±0.035  kl +1.043±0.036  gaussian +0.008±0.030
//   N=5000 4+4: ksg +0.618±0.020  kl +0.899±0.023  gaussian −0.004±0.009
// in line with SPEC §4 (kl scalar reads −0.61 at N = 1000, SPEC −0.60; ksg +0.6 at 4+4).
// The tests average 3 seeds (sd of the mean ≈ per-seed sd / 1.7) and allow ≈ 4–5 of those.

#[test]
fn ksg_scalar_is_nearly_unbiased() {
    let e = mean_error(Estimator::Ksg, 5000, 1);
    assert!(e.abs() < 0.05, "ksg 1+1 error {e}");
}

#[test]
fn ksg_four_dims_has_the_documented_upward_bias() {
    let e = mean_error(Estimator::Ksg, 5000, 4);
    assert!(
        (e - 0.62).abs() < 0.08,
        "ksg 4+4 error {e} (documented ≈ +0.6)"
    );
}

#[test]
fn kl_scalar_has_the_documented_grid_bias() {
    // SPEC: reads −0.60 (error −0.38) at N = 1000; measured −0.39 at N = 1000, −0.435 at 5000.
    let e = mean_error(Estimator::Kl, 1000, 1);
    assert!((e + 0.39).abs() < 0.05, "kl 1+1 N=1000 error {e}");
    let e = mean_error(Estimator::Kl, 5000, 1);
    assert!((e + 0.435).abs() < 0.05, "kl 1+1 N=5000 error {e}");
}

#[test]
fn kl_four_dims_is_biased_upward() {
    let e = mean_error(Estimator::Kl, 5000, 4);
    assert!((e - 0.90).abs() < 0.08, "kl 4+4 error {e}");
}

#[test]
fn gaussian_is_accurate_on_gaussian_data() {
    let e = mean_error(Estimator::Gaussian, 5000, 1);
    assert!(e.abs() < 0.03, "gaussian 1+1 error {e}");
    let e = mean_error(Estimator::Gaussian, 5000, 4);
    assert!(e.abs() < 0.04, "gaussian 4+4 error {e}");
}

#[test]
fn kl_entropy_of_a_rank_grid_is_off_by_log4_minus_psi3() {
    // A 1-D copula sample is the grid {1/N, …, 1}: interior points have ε = 2/N (k = 3), so
    // Ĥ ≈ log 4 − ψ(3) ≈ 0.4635 where the true entropy of U(0, 1) is 0 (SPEC §4).
    let n = 10_000;
    let u = Matrix::from_fn(n, 1, |i, _| (i + 1) as f64 / n as f64);
    let bias = 4f64.ln() - digamma(3.0);
    let h = kl_entropy(&u, 3);
    assert!((bias - 0.463_51).abs() < 1e-5);
    assert!((h - bias).abs() < 1e-3, "{h} vs {bias}");
}

/// ReLU-like data with many exact zeros (ties) and an informative relation between A and B.
fn relu_pairs(n: usize, da: usize, db: usize, seed: u64) -> (Matrix, Matrix) {
    let mut r = Rng::derive(seed, "test-relu");
    let z: Vec<f64> = r.normals(n * da);
    let a = Matrix::from_fn(n, da, |i, j| z[i * da + j].max(0.0));
    let b = Matrix::from_fn(n, db, |i, j| (z[i * da + j % da] + r.normal()).max(0.0));
    (a, b)
}

#[test]
fn invariant_to_strictly_monotone_transforms() {
    let (a, b) = relu_pairs(1500, 3, 2, 4);
    let fa = Matrix::from_fn(a.rows, a.cols, |i, j| match j {
        0 => a.get(i, j).exp(),
        1 => 3.0 * a.get(i, j) - 7.0,
        _ => a.get(i, j).powi(3) + a.get(i, j),
    });
    let fb = Matrix::from_fn(b.rows, b.cols, |i, j| match j {
        0 => (1.0 + b.get(i, j)).ln(),
        _ => 5.0 - 1.0 / (1.0 + b.get(i, j)),
    });
    for est in Estimator::ALL {
        assert_eq!(
            align(&a, &b, est, 3, 9).unwrap(),
            align(&fa, &fb, est, 3, 9).unwrap(),
            "{est}"
        );
    }
}

#[test]
fn invariant_to_permuting_samples() {
    let (a, b) = correlated_pairs(1500, 2, 0.6, 8);
    let perm = Rng::new(1).permutation(a.rows);
    let pa = Matrix::from_fn(a.rows, a.cols, |i, j| a.get(perm[i], j));
    let pb = Matrix::from_fn(b.rows, b.cols, |i, j| b.get(perm[i], j));
    for est in Estimator::ALL {
        let (x, y) = (
            align(&a, &b, est, 3, 2).unwrap(),
            align(&pa, &pb, est, 3, 2).unwrap(),
        );
        if est == Estimator::Gaussian {
            // Correlation sums run in row order: equal up to rounding.
            for (p, q) in [
                (x.cce_a_given_b, y.cce_a_given_b),
                (x.cce_b_given_a, y.cce_b_given_a),
                (x.mutual_information, y.mutual_information),
            ] {
                assert!((p - q).abs() < 1e-12, "{est}: {p} vs {q}");
            }
        } else {
            // kNN sums run in sorted order: bit-identical.
            assert_eq!(x, y, "{est}");
        }
    }
}

#[test]
fn deterministic_per_seed_and_thread_count() {
    let (a, b) = relu_pairs(3000, 3, 2, 5);
    let run = |threads: usize| -> Vec<PairAlignment> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                Estimator::ALL
                    .iter()
                    .map(|&e| align(&a, &b, e, 3, 11).unwrap())
                    .collect()
            })
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
    // Ties are broken by the seed: another seed moves the estimate a little.
    assert_ne!(one[0], align(&a, &b, Estimator::Ksg, 3, 12).unwrap());
}

#[test]
fn pair_alignment_fields_are_consistent() {
    let (a, b) = correlated_pairs(2000, 2, 0.6, 3);
    for est in Estimator::ALL {
        let p = align(&a, &b, est, 3, 0).unwrap();
        let q = align(&b, &a, est, 3, 0).unwrap();
        assert_eq!(p.symmetric_cce, 0.5 * (p.cce_a_given_b + p.cce_b_given_a));
        assert_eq!(cce(&a, &b, est, 3, 0).unwrap(), p.cce_a_given_b);
        // Swapping A and B swaps the conditionals (tie-break streams swap too; no ties here).
        assert!((p.cce_a_given_b - q.cce_b_given_a).abs() < 1e-12, "{est}");
        assert!(
            (p.mutual_information - q.mutual_information).abs() < 1e-12,
            "{est}"
        );
        assert!(
            p.mutual_information > 0.2,
            "{est}: MI {}",
            p.mutual_information
        );
    }
}

#[test]
fn estimator_names_round_trip() {
    for e in Estimator::ALL {
        assert_eq!(e.name().parse::<Estimator>().unwrap(), e);
        assert_eq!(e.to_string(), e.name());
    }
    let err = "knn".parse::<Estimator>().unwrap_err().to_string();
    assert!(
        err.contains("knn") && err.contains("ksg, kl, gaussian"),
        "{err}"
    );
}

#[test]
fn bad_inputs_are_rejected_with_a_message() {
    let (a, b) = correlated_pairs(50, 2, 0.6, 1);
    let msg = |a: &Matrix, b: &Matrix, k: usize| {
        align(a, b, Estimator::Ksg, k, 0).unwrap_err().to_string()
    };
    assert!(msg(&Matrix::zeros(0, 2), &b, 3).contains("A is empty"));
    assert!(msg(&a, &Matrix::zeros(50, 0), 3).contains("B is empty"));
    let short = Matrix::from_fn(40, 2, |i, j| a.get(i, j));
    assert!(msg(&a, &short, 3).contains("50 rows and B has 40"));
    assert!(msg(&a, &b, 0).contains("at least 1"));
    assert!(msg(&a, &b, 50).contains("N = 50 rows but k = 50"));
    let mut nan = b.clone();
    nan.data[7 * 2 + 1] = f64::NAN;
    let m = msg(&a, &nan, 3);
    assert!(
        m.contains("B has a non-finite value (NaN) at row 7, column 1"),
        "{m}"
    );
    let mut inf = a.clone();
    inf.data[3 * 2] = f64::NEG_INFINITY;
    assert!(msg(&inf, &b, 3).contains("A has a non-finite value (-inf) at row 3, column 0"));
    let constant = Matrix::from_fn(50, 3, |i, j| if j == 1 { 0.0 } else { a.get(i, j % 2) });
    let m = msg(&constant, &b, 3);
    assert!(m.contains("A has a constant column 1"), "{m}");
    // The Gaussian estimator reports a singular correlation matrix of normal scores.
    let m = align(&a, &a, Estimator::Gaussian, 3, 0)
        .unwrap_err()
        .to_string();
    assert!(m.contains("positive definite"), "{m}");
}

/// Timing of `align` with ksg (run with `--ignored --nocapture`, release mode).
#[test]
#[ignore]
fn time_ksg() {
    for &n in &[2000, 20_000] {
        for &d in &[1, 4, 16] {
            let (a, b) = correlated_pairs(n, d, 0.6, 0);
            let t = std::time::Instant::now();
            let p = align(&a, &b, Estimator::Ksg, 3, 0).unwrap();
            println!(
                "N={n} {d}+{d}: {:.3} s (cce {:+.3}, truth {:+.3}, threads {})",
                t.elapsed().as_secs_f64(),
                p.cce_a_given_b,
                truth(d, 0.6),
                rayon::current_num_threads()
            );
        }
    }
}
