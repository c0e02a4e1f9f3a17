//! Training, the first hot path. At the fig2 quick size (d = 30, relu2 of width 4, so
//! P = 129, and n = P = 129 samples, where training is slowest), group `relu2_step`, and at
//! d = 50, width 8, n = 500 (the size of issue 15's allocation report), group
//! `relu2_step_d50_w8_n500`:
//! - `cpu/M`: one full-batch Adam step (forward, hand-written gradients, update) for an
//!   ensemble of M members batched in one computation, in the in-place CPU form that
//!   `train_relu2_ensemble` runs on the CPU (`models::relu2::cpu`, `CpuOptimizer`);
//! - `tensor/M`: the same step in candle tensors (`Relu2Ensemble::loss_and_gradient`,
//!   `Optimizer`: the form used on other devices, and on the CPU before the in-place form);
//! - `autograd/M`: the tensor step with candle's autograd for the gradients;
//! - `relu2_fit/M4`: a whole fit of the 4 members of one replica with the fig2 settings;
//! - `linear2_fit/min_norm_d100_n100`: one fig1 member (min-norm, d = 100, n = 100, with its
//!   2000-input test evaluation), the unit fig1 runs 2400 times.
//!
//! Run by hand, briefly: `cargo bench -p harness-benches --bench training --
//! --measurement-time 3 --warm-up-time 1`. Compare with `benches/torch_training.py` (the same
//! workloads in PyTorch).

use candle_core::Device;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use harness::matrix::Matrix;
use harness::models::relu2::cpu::{BlockLayout, Relu2CpuEnsemble};
use harness::models::relu2::{stack, Relu2, Relu2Ensemble};
use harness::rng::Rng;
use harness::train::optim::{AdamSettings, CpuOptimizer, Optimizer};
use harness::train::train_relu2_ensemble;
use harness::train::FullBatch;
use std::hint::black_box;

/// A relu2 training workload: input dimension, width, samples.
#[derive(Clone, Copy)]
struct Size {
    d: usize,
    width: usize,
    n: usize,
}

/// The fig2 quick size: d = 30, width 4 (P = 129), n = P.
const FIG2: Size = Size {
    d: 30,
    width: 4,
    n: 129,
};
/// The size of issue 15's allocation report (P = 417).
const WIDE: Size = Size {
    d: 50,
    width: 8,
    n: 500,
};

fn adam(max_steps: usize) -> AdamSettings {
    AdamSettings {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        max_steps,
        tol: 1e-4,
        window: 200,
    }
}

/// M members on shared inputs with their own noisy labels, one shared initialization.
fn problem(size: Size, m: usize) -> (Vec<Matrix>, Vec<Vec<f64>>, Vec<Relu2>) {
    let Size { d, width, n } = size;
    let mut rng = Rng::new(7);
    let x = Matrix::new(n, d, rng.normals(n * d)).unwrap();
    let ys = (0..m)
        .map(|_| (0..n).map(|i| x.row(i)[0] + 0.45 * rng.normal()).collect())
        .collect();
    let init = Relu2::init(d, width, &mut rng);
    (vec![x; m], ys, vec![init; m])
}

fn step_group(c: &mut Criterion, group: &str, size: Size, members: &[usize]) {
    let mut group = c.benchmark_group(group);
    for &m in members {
        let (xs, ys, inits) = problem(size, m);
        let xr: Vec<&Matrix> = xs.iter().collect();
        let yr: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
        let adam = adam(1);

        let mut data = Relu2CpuEnsemble::new(&xr, &yr, size.width).unwrap();
        let (layout, mut theta) = BlockLayout::pack(&inits).unwrap();
        let (mut grad, mut loss) = (vec![0.0; layout.len()], vec![0.0; m]);
        let mut opt = CpuOptimizer::new(FullBatch::Adam(&adam), theta.len());
        group.bench_function(BenchmarkId::new("cpu", m), |b| {
            b.iter(|| {
                data.loss_and_gradient(&theta, &mut grad, &mut loss);
                opt.step(&mut theta, &grad);
                black_box(loss[0])
            })
        });

        let data = Relu2Ensemble::new(&xr, &yr, size.width, &Device::Cpu).unwrap();
        let theta0 = stack(&inits, &Device::Cpu).unwrap();
        for (name, autograd) in [("tensor", false), ("autograd", true)] {
            let mut theta = theta0.clone();
            let mut opt = Optimizer::new(FullBatch::Adam(&adam), &theta).unwrap();
            group.bench_function(BenchmarkId::new(name, m), |b| {
                b.iter(|| {
                    let lg = if autograd {
                        data.gradients_autograd(&theta).unwrap()
                    } else {
                        data.loss_and_gradient(&theta).unwrap()
                    };
                    theta = opt.step(&theta, &lg.grad).unwrap();
                    black_box(lg.loss[0])
                })
            });
        }
    }
    group.finish();
}

fn steps(c: &mut Criterion) {
    step_group(c, "relu2_step", FIG2, &[1, 8, 32]);
    step_group(c, "relu2_step_d50_w8_n500", WIDE, &[32]);
}

fn fits(c: &mut Criterion) {
    let mut group = c.benchmark_group("fits");
    group.sample_size(10);
    let (xs, ys, inits) = problem(FIG2, 4);
    let xr: Vec<&Matrix> = xs.iter().collect();
    let yr: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
    group.bench_function("relu2_fit/M4", |b| {
        b.iter(|| {
            let out = train_relu2_ensemble(
                &xr,
                &yr,
                &inits,
                FullBatch::Adam(&adam(20_000)),
                &Device::Cpu,
            )
            .unwrap();
            black_box(out[0].steps)
        })
    });
    group.finish();
}

criterion_group!(benches, steps, fits);
criterion_main!(benches);
