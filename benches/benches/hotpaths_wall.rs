//! Wall-clock twin of `hotpaths.rs`: the same workloads (`hotpaths/workloads.rs`) under
//! criterion, named `<hot path>/<bench>/<case>` like the gate's benches so that
//! `make bench-record WALL=1` can put each criterion median beside its instruction count in
//! `benches/history.csv`. Wall time is never gated (see `README.md`); short measurements:
//! `cargo bench -p harness-benches --bench hotpaths_wall`.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use std::hint::black_box;
use std::time::Duration;

#[path = "hotpaths/workloads.rs"]
mod workloads;
use workloads::*;

fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    g
}

/// Cases of one CCE estimator: (case name, N, dims of each side).
type Cases = &'static [(&'static str, usize, usize)];

fn entropy(c: &mut Criterion) {
    let mut g = group(c, "entropy");
    let cces: [(Estimator, &str, Cases); 6] = [
        (
            Estimator::Ksg,
            "ksg_cce",
            &[
                ("n500_1p1", 500, 1),
                ("n2000_1p1", 2000, 1),
                ("n2000_4p4", 2000, 4),
                ("n2000_8p8", 2000, 8),
                ("n20000_1p1", 20_000, 1),
            ],
        ),
        (
            Estimator::Kl,
            "kl_cce",
            &[
                ("n500_1p1", 500, 1),
                ("n2000_4p4", 2000, 4),
                ("n2000_8p8", 2000, 8),
            ],
        ),
        (
            Estimator::Gaussian,
            "gaussian_cce",
            &[("n2000_1p1", 2000, 1), ("n2000_8p8", 2000, 8)],
        ),
        (
            Estimator::TCopula,
            "tcopula_cce",
            &[("n500_1p1", 500, 1), ("n2000_4p4", 2000, 4)],
        ),
        (
            Estimator::KsgTRef,
            "ksg_tref_cce",
            &[("n500_1p1", 500, 1), ("n2000_4p4", 2000, 4)],
        ),
        (
            Estimator::TCopulaPairs,
            "tcopula_pairs_cce",
            &[("n500_1p1", 500, 1), ("n2000_4p4", 2000, 4)],
        ),
    ];
    for (estimator, name, cases) in cces {
        for &(case, n, dims) in cases {
            let input = correlated(n, dims);
            g.bench_function(format!("{name}/{case}"), |b| {
                b.iter(|| run_cce(black_box(&input), estimator))
            });
        }
    }
    for (case, n, dims) in [
        ("n2000_d2", 2000, 1),
        ("n2000_d8", 2000, 4),
        ("n1000_d16", 1000, 8),
    ] {
        let u = copula_sample(n, dims);
        g.bench_function(format!("knn_search/{case}"), |b| {
            b.iter(|| run_knn_entropy(black_box(&u)))
        });
    }
    for (case, dims) in [("n2000_d8", 4), ("n2000_d16", 8)] {
        let x = raw_pair(2000, dims);
        g.bench_function(format!("copula_transform/{case}"), |b| {
            b.iter(|| run_copula(black_box(&x)))
        });
    }
    g.finish();
}

fn training(c: &mut Criterion) {
    let mut g = group(c, "training");
    for (case, mut s) in [
        ("m4", relu2_ensemble(4)),
        ("m32", relu2_ensemble(32)),
        ("d50_w8_n500_m32", relu2_wide_ensemble(32)),
    ] {
        g.bench_function(format!("relu2_adam_step/{case}"), |b| {
            b.iter(|| run_relu2_step(black_box(&mut s)))
        });
    }
    let mut s = fcnn_batch();
    g.bench_function("fcnn_sgd_step/w4_batch128", |b| {
        b.iter(|| run_fcnn_step(black_box(&mut s)))
    });
    let mut s = cnn5_batch();
    g.bench_function("cnn5_sgd_step/w4_batch4", |b| {
        b.iter(|| run_cnn5_step(black_box(&mut s)))
    });
    let input = min_norm_member();
    g.bench_function("min_norm_fit/d100_n96", |b| {
        b.iter(|| run_min_norm_member(black_box(&input)))
    });
    for (case, dataset, batch) in [
        ("fcnn_digits_w8_b32", Dataset::Digits, 32),
        ("fcnn_mnist_w8_b128", Dataset::Mnist, 128),
    ] {
        let mut s = fleet_cpu_member(dataset, batch);
        g.bench_function(format!("fleet_cpu_step/{case}"), |b| {
            b.iter(|| run_fleet_cpu(black_box(&mut s)))
        });
    }
    for (case, model, dataset, members, batch) in [
        (
            "fcnn_mnist_w8_m4_b128",
            model(r#"{"kind": "fcnn", "width": 8, "init_std": 0.1}"#),
            Dataset::Mnist,
            4,
            128,
        ),
        (
            "cnn5_cifar_w4_m2_b2",
            model(r#"{"kind": "cnn5", "width": 4}"#),
            Dataset::Cifar10,
            2,
            2,
        ),
    ] {
        let mut s = fleet_lockstep(model, dataset, members, batch);
        g.bench_function(format!("fleet_lockstep_step/{case}"), |b| {
            b.iter(|| run_fleet_lockstep(black_box(&mut s)))
        });
    }
    g.finish();
}

fn manifest(c: &mut Criterion) {
    let mut g = group(c, "manifest");
    let text = fig1_manifest_text();
    g.bench_function("manifest_parse_hash_plan/fig1_linear", |b| {
        b.iter(|| run_manifest_plan(black_box(&text)))
    });
    g.finish();
}

criterion_group!(benches, entropy, training, manifest);
criterion_main!(benches);
