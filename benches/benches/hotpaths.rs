//! The instruction-count gate's benches (Gungraun on Callgrind): every hot path of training
//! and entropy estimation, single-threaded, seeded, each run once under Valgrind, near or
//! under 50 M instructions (the three larger cases are named in `README.md`), so that the
//! whole gate runs in about a minute on 2 cores.
//!
//! The gate itself is `benches/gate.sh check` (`make bench-check`): it runs these benches and
//! compares their counts with the committed baseline of this machine (`benches/baselines/`).
//! `README.md` in this folder says how to add a bench.
//!
//! The workloads live in `hotpaths/workloads.rs`, shared with the criterion twin
//! `hotpaths_wall.rs`; each bench function below is one hot path of the history plots.

use gungraun::{
    library_benchmark, library_benchmark_group, main, Callgrind, LibraryBenchmarkConfig,
};
use std::hint::black_box;

#[path = "hotpaths/workloads.rs"]
mod workloads;
use workloads::*;

// ---- entropy ----

// CCE(A|B) of a dims + dims pair of N samples, ranks included.
#[library_benchmark]
#[bench::n500_1p1(correlated(500, 1))]
#[bench::n2000_1p1(correlated(2000, 1))]
#[bench::n2000_4p4(correlated(2000, 4))]
#[bench::n2000_8p8(correlated(2000, 8))]
#[bench::n20000_1p1(correlated(20_000, 1))]
fn ksg_cce(input: (Matrix, Matrix)) -> f64 {
    black_box(run_cce(black_box(&input), Estimator::Ksg))
}

#[library_benchmark]
#[bench::n500_1p1(correlated(500, 1))]
#[bench::n2000_4p4(correlated(2000, 4))]
#[bench::n2000_8p8(correlated(2000, 8))]
fn kl_cce(input: (Matrix, Matrix)) -> f64 {
    black_box(run_cce(black_box(&input), Estimator::Kl))
}

#[library_benchmark]
#[bench::n2000_1p1(correlated(2000, 1))]
#[bench::n2000_8p8(correlated(2000, 8))]
fn gaussian_cce(input: (Matrix, Matrix)) -> f64 {
    black_box(run_cce(black_box(&input), Estimator::Gaussian))
}

// The estimators that read levels (issue 26): the t-copula fit and closed form, and ksg
// referenced to a surrogate of that fit (two ksg runs and the fit).
#[library_benchmark]
#[bench::n500_1p1(correlated(500, 1))]
#[bench::n2000_4p4(correlated(2000, 4))]
fn tcopula_cce(input: (Matrix, Matrix)) -> f64 {
    black_box(run_cce(black_box(&input), Estimator::TCopula))
}

#[library_benchmark]
#[bench::n500_1p1(correlated(500, 1))]
#[bench::n2000_4p4(correlated(2000, 4))]
fn ksg_tref_cce(input: (Matrix, Matrix)) -> f64 {
    black_box(run_cce(black_box(&input), Estimator::KsgTRef))
}

// tcopula plus the tested 2-D departures of every pair of coordinates (two 2-D searches a pair).
#[library_benchmark]
#[bench::n500_1p1(correlated(500, 1))]
#[bench::n2000_4p4(correlated(2000, 4))]
fn tcopula_pairs_cce(input: (Matrix, Matrix)) -> f64 {
    black_box(run_cce(black_box(&input), Estimator::TCopulaPairs))
}

// The k-NN search alone (on a copula sample already ranked), through the KL entropy.
#[library_benchmark]
#[bench::n2000_d2(copula_sample(2000, 1))]
#[bench::n2000_d8(copula_sample(2000, 4))]
#[bench::n1000_d16(copula_sample(1000, 8))]
fn knn_search(u: Matrix) -> f64 {
    black_box(run_knn_entropy(black_box(&u)))
}

#[library_benchmark]
#[bench::n2000_d8(raw_pair(2000, 4))]
#[bench::n2000_d16(raw_pair(2000, 8))]
fn copula_transform(x: Matrix) -> Matrix {
    black_box(run_copula(black_box(&x)))
}

library_benchmark_group!(
    name = entropy;
    benchmarks = ksg_cce, kl_cce, gaussian_cce, tcopula_cce, ksg_tref_cce, tcopula_pairs_cce,
        knn_search, copula_transform
);

// ---- training ----

#[library_benchmark]
#[bench::m4(relu2_ensemble(4))]
#[bench::m32(relu2_ensemble(32))]
#[bench::d50_w8_n500_m32(relu2_wide_ensemble(32))]
fn relu2_adam_step(mut s: Relu2Step) -> f64 {
    black_box(run_relu2_step(black_box(&mut s)))
}

#[library_benchmark]
#[bench::w4_batch128(fcnn_batch())]
fn fcnn_sgd_step(mut s: SgdStep<Fcnn>) -> usize {
    black_box(run_fcnn_step(black_box(&mut s)))
}

#[library_benchmark]
#[bench::w4_batch4(cnn5_batch())]
fn cnn5_sgd_step(mut s: SgdStep<Cnn5>) -> usize {
    black_box(run_cnn5_step(black_box(&mut s)))
}

#[library_benchmark]
#[bench::d100_n96(min_norm_member())]
fn min_norm_fit(input: (MemberSpec, ExperimentData)) -> f64 {
    black_box(run_min_norm_member(black_box(&input)))
}

// The fleet (issue 27): one member's step in the CPU form (fcnn's hand-written step) at the
// digits and fig4 MNIST shapes, and one lockstep step (the device form, here on the CPU) of
// 4 fcnn members at the MNIST shape and of 2 cnn5 members at the fig5 CIFAR-10 shape (batch
// 2: the manifest's 128 would take some 2 G instructions).
#[library_benchmark]
#[bench::fcnn_digits_w8_b32(fleet_cpu_member(Dataset::Digits, 32))]
#[bench::fcnn_mnist_w8_b128(fleet_cpu_member(Dataset::Mnist, 128))]
fn fleet_cpu_step(mut s: FleetCpu) -> usize {
    black_box(run_fleet_cpu(black_box(&mut s)))
}

#[library_benchmark]
#[bench::fcnn_mnist_w8_m4_b128(fleet_lockstep(
    model(r#"{"kind": "fcnn", "width": 8, "init_std": 0.1}"#),
    Dataset::Mnist,
    4,
    128
))]
#[bench::cnn5_cifar_w4_m2_b2(fleet_lockstep(
    model(r#"{"kind": "cnn5", "width": 4}"#),
    Dataset::Cifar10,
    2,
    2
))]
fn fleet_lockstep_step(mut s: FleetLock) -> usize {
    black_box(run_fleet_lockstep(black_box(&mut s)))
}

library_benchmark_group!(
    name = training;
    benchmarks = relu2_adam_step, fcnn_sgd_step, cnn5_sgd_step, min_norm_fit, fleet_cpu_step,
        fleet_lockstep_step
);

// ---- manifest ----

#[library_benchmark]
#[bench::fig1_linear(fig1_manifest_text())]
fn manifest_parse_hash_plan(text: String) -> (usize, u8) {
    black_box(run_manifest_plan(black_box(&text)))
}

library_benchmark_group!(
    name = manifest;
    benchmarks = manifest_parse_hash_plan
);

main!(
    // Gungraun clears the environment; these are the pins the machine key records. Only Ir
    // is gated, so Callgrind's cache simulation (half the run time) is off.
    config = LibraryBenchmarkConfig::default()
        .envs(harness_benches::machine::BENCH_ENV.iter().copied())
        .tool(Callgrind::with_args(["--cache-sim=no"]));
    library_benchmark_groups = entropy, training, manifest
);
