//! Criterion benches of the entropy hot path: the Kozachenko–Leonenko entropy of a copula
//! sample, the default `ksg` CCE of a d/2 + d/2 pair (ranks included), the other measures, and
//! the kd partition of the neighbour search (`tree_build`), at N ∈ {2000, 20 000} and d ∈ {2, 8, 32}. Sample sizes are kept small so
//! that `cargo bench -p harness-benches --bench entropy` finishes in a few minutes on 2 cores.
//! The `levels` group times `ksg` against `tcopula`, `ksg-tref`, `tcopula-pairs`,
//! `tcopula-matched` and `tcopula-pooled` at N = 20 000.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use harness::estimators::{self, Estimator, Family, Measure};
use harness::matrix::Matrix;
use harness::rng::Rng;
use std::hint::black_box;
use std::time::Duration;

/// N × d Gaussian sample whose halves are correlated pairs (ρ = 0.6).
fn pairs(n: usize, d: usize) -> (Matrix, Matrix) {
    let h = (d / 2).max(1);
    let mut r = Rng::derive(1, "bench-entropy");
    let a = Matrix::from_fn(n, h, |_, _| r.normal());
    let b = Matrix::from_fn(n, h, |i, j| 0.6 * a.get(i, j) + 0.8 * r.normal());
    (a, b)
}

fn copula_of(a: &Matrix, b: &Matrix) -> Matrix {
    estimators::copula(&a.hstack(b).expect("same rows"), &mut Rng::new(0))
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("entropy");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for &n in &[2000usize, 20_000] {
        for &d in &[2usize, 8, 32] {
            let (a, b) = pairs(n, d);
            let u = copula_of(&a, &b);
            let id = format!("N={n}/d={d}");
            g.bench_function(BenchmarkId::new("kl_entropy", &id), |bch| {
                bch.iter(|| estimators::kl_entropy(black_box(&u), 3))
            });
            g.bench_function(BenchmarkId::new("ksg_cce", &id), |bch| {
                bch.iter(|| estimators::cce(black_box(&a), &b, Estimator::Ksg, 3, 0).unwrap())
            });
            g.bench_function(BenchmarkId::new("tree_build", &id), |bch| {
                bch.iter(|| estimators::kd_partition_block_count(black_box(&u)))
            });
            if n == 2000 {
                for m in [Measure::Ii, Measure::CkaDebiased] {
                    g.bench_function(BenchmarkId::new(m.name(), &id), |bch| {
                        bch.iter(|| {
                            estimators::measure(black_box(&a), &b, m, Estimator::Ksg, 3, 0).unwrap()
                        })
                    });
                }
            }
        }
    }
    g.finish();
}

/// ksg against the estimators that correct its level (issue 26: within 3x ksg's time at
/// N = 20 000), on a Student-t(4) copula (the t fit's full path: ν finite) at 1 + 1, 8 + 8 and
/// 16 + 16 dims, CCE(A|B) with ranks included: `cargo bench -p harness-benches --bench entropy
/// -- levels`.
fn levels(c: &mut Criterion) {
    let mut g = c.benchmark_group("levels");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for dims in [1usize, 8, 16] {
        let (a, b) = Family::StudentT { nu: 4 }.sample(1, 20_000, dims, 0.6, 0);
        for e in [
            Estimator::Ksg,
            Estimator::TCopula,
            Estimator::KsgTRef,
            Estimator::TCopulaPairs,
            Estimator::TCopulaMatched,
            Estimator::TCopulaPooled,
        ] {
            let id = format!("N=20000/{dims}+{dims}");
            g.bench_function(BenchmarkId::new(e.name(), &id), |bch| {
                bch.iter(|| estimators::cce(black_box(&a), &b, e, 3, 0).unwrap())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench, levels);
criterion_main!(benches);
