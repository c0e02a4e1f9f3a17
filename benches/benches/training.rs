//! Training, the first hot path. At the fig2 quick size (d = 30, relu2 of width 4, so
//! P = 129, and n = P = 129 samples, where training is slowest):
//! - `relu2_step/hand/M`: one full-batch Adam step (forward, hand-written gradients, update)
//!   for an ensemble of M ∈ {1, 8, 32} members batched in one computation;
//! - `relu2_step/autograd/M`: the same step with candle's autograd for the gradients;
//! - `relu2_fit/M4`: a whole fit of the 4 members of one replica with the fig2 settings;
//! - `linear2_fit/min_norm_d100_n100`: one fig1 member (min-norm, d = 100, n = 100, with its
//!   2000-input test evaluation), the unit fig1 runs 2400 times.
//!
//! Run by hand, briefly: `cargo bench -p harness-benches --bench training --
//! --measurement-time 3 --warm-up-time 1`. Compare with `benches/torch_training.py`.

use candle_core::Device;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use harness::matrix::Matrix;
use harness::models::relu2::{stack, Relu2, Relu2Ensemble};
use harness::rng::Rng;
use harness::train::optim::{AdamSettings, Optimizer};
use harness::train::train_relu2_ensemble;
use harness::train::FullBatch;
use std::hint::black_box;

const D: usize = 30;
const WIDTH: usize = 4;
const N: usize = 129;

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
fn problem(m: usize) -> (Vec<Matrix>, Vec<Vec<f64>>, Vec<Relu2>) {
    let mut rng = Rng::new(7);
    let x = Matrix::new(N, D, rng.normals(N * D)).unwrap();
    let ys = (0..m)
        .map(|_| (0..N).map(|i| x.row(i)[0] + 0.45 * rng.normal()).collect())
        .collect();
    let init = Relu2::init(D, WIDTH, &mut rng);
    (vec![x; m], ys, vec![init; m])
}

fn steps(c: &mut Criterion) {
    let mut group = c.benchmark_group("relu2_step");
    for m in [1usize, 8, 32] {
        let (xs, ys, inits) = problem(m);
        let xr: Vec<&Matrix> = xs.iter().collect();
        let yr: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
        let data = Relu2Ensemble::new(&xr, &yr, WIDTH, &Device::Cpu).unwrap();
        let theta0 = stack(&inits, &Device::Cpu).unwrap();
        for (name, autograd) in [("hand", false), ("autograd", true)] {
            let mut theta = theta0.clone();
            let mut opt = Optimizer::new(FullBatch::Adam(&adam(1)), &theta).unwrap();
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

fn fits(c: &mut Criterion) {
    let mut group = c.benchmark_group("fits");
    group.sample_size(10);
    let (xs, ys, inits) = problem(4);
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
