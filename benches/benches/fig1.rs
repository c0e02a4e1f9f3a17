//! Issue 2's benches: the `ksg` CCE at the sizes Fig. 1 uses, and one Fig. 1 member fit.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use harness::device::DeviceKind;
use harness::estimators::{cce, Estimator};
use harness::manifest::Task;
use harness::matrix::Matrix;
use harness::models::Model;
use harness::plan::units::MemberSpec;
use harness::plan::Level;
use harness::representations::regression::{run_member, ExperimentData};
use harness::rng::Rng;
use harness::train::Train;
use std::hint::black_box;

/// N samples of A (d dims) and B (d dims), each B_i correlated with A_i (ρ = 0.6).
fn correlated(n: usize, d: usize, seed: u64) -> (Matrix, Matrix) {
    let mut rng = Rng::new(seed);
    let rho: f64 = 0.6;
    let a = Matrix::new(n, d, rng.normals(n * d)).unwrap();
    let noise = rng.normals(n * d);
    let b = Matrix::new(
        n,
        d,
        a.data
            .iter()
            .zip(&noise)
            .map(|(x, z)| rho * x + (1.0 - rho * rho).sqrt() * z)
            .collect(),
    )
    .unwrap();
    (a, b)
}

fn ksg_cce(c: &mut Criterion) {
    let mut group = c.benchmark_group("ksg_cce");
    group.sample_size(20);
    for n in [2000, 5000] {
        for d in [1, 4] {
            let (a, b) = correlated(n, d, 1);
            group.bench_with_input(
                BenchmarkId::new(format!("{d}+{d}"), n),
                &(a, b),
                |bench, (a, b)| {
                    bench.iter(|| cce(black_box(a), black_box(b), Estimator::Ksg, 3, 0).unwrap())
                },
            );
        }
    }
    group.finish();
}

fn fig1_member_fit(c: &mut Criterion) {
    let task = Task::LinearTeacher {
        d: 100,
        inputs: Default::default(),
        n_test: 2000,
    };
    let data = ExperimentData::new(20260526, 100, 2000, candle_core::Device::Cpu);
    let mut group = c.benchmark_group("fig1_member_fit");
    for n in [50, 96, 300] {
        let spec = MemberSpec::new(
            20260526,
            &task,
            &Model::Linear2(harness::models::linear2::Linear2Config {}),
            &Train::MinNorm {},
            Level::Snr(1.0),
            n,
            0,
            0,
            DeviceKind::Cpu,
        );
        group.bench_with_input(
            BenchmarkId::new("min-norm d=100", n),
            &spec,
            |bench, spec| bench.iter(|| run_member(black_box(spec), &data).unwrap()),
        );
    }
    group.finish();
}

criterion_group!(benches, ksg_cce, fig1_member_fit);
criterion_main!(benches);
