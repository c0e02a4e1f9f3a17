//! The classification training hot path: one SGD epoch of `fcnn` (width 4) on the digits
//! training pool (1297 images, 11 mini-batches of 128), and one forward + backward + update
//! step of `cnn5` at width 4 on a CIFAR-shaped batch of 128 (3 × 32 × 32), on the CPU.
//!
//! Small sample sizes by design (shared 2-core machine):
//! `cargo bench -p harness-benches --bench classification -- --measurement-time 5`.

use candle_core::{Device, Tensor};
use criterion::{criterion_group, criterion_main, Criterion};
use harness::data::datasets::{hub::HubCache, Dataset, Split, CLASSES};
use harness::models::{cnn5::Cnn5, fcnn::Fcnn};
use harness::rng::Rng;
use harness::train::sgd::{train_sgd, SgdSettings};
use std::hint::black_box;

fn one_epoch() -> SgdSettings {
    SgdSettings {
        lr: 0.05,
        batch_size: 128,
        epochs: 1,
        decay_every: 50,
        max_steps: None,
    }
}

fn labels(values: impl Iterator<Item = u32>, n: usize) -> Tensor {
    Tensor::from_vec(values.collect::<Vec<u32>>(), n, &Device::Cpu).unwrap()
}

fn fcnn_epoch_on_digits(c: &mut Criterion) {
    let hub = HubCache::new("/nonexistent".into(), true);
    let split = Split::new(Dataset::Digits, 1, 500, &hub).unwrap();
    let n = split.pool.len();
    let x = Tensor::from_slice(&split.pool.pixels, (n, 1, 8, 8), &Device::Cpu).unwrap();
    let y = labels(split.pool.labels.iter().map(|&l| l as u32), n);
    let model = Fcnn::new(64, 4, CLASSES, 0.1, &mut Rng::new(1), &Device::Cpu).unwrap();
    let mut rng = Rng::new(2);
    c.bench_function("sgd_epoch_fcnn_w4_digits_1297", |b| {
        b.iter(|| black_box(train_sgd(&model, &x, &y, &one_epoch(), &mut rng).unwrap()))
    });
}

fn cnn5_step_on_cifar_batch(c: &mut Criterion) {
    let mut rng = Rng::new(3);
    let n = 128;
    let pixels: Vec<f32> = (0..n * 3 * 32 * 32)
        .map(|_| rng.uniform() as f32 * 2.0 - 1.0)
        .collect();
    let x = Tensor::from_vec(pixels, (n, 3, 32, 32), &Device::Cpu).unwrap();
    let y = labels((0..n).map(|_| rng.below(10) as u32), n);
    let model = Cnn5::new(3, 4, CLASSES, &mut Rng::new(4), &Device::Cpu).unwrap();
    c.bench_function("sgd_step_cnn5_w4_batch128_32x32x3", |b| {
        b.iter(|| black_box(train_sgd(&model, &x, &y, &one_epoch(), &mut rng).unwrap()))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = fcnn_epoch_on_digits, cnn5_step_on_cifar_batch
}
criterion_main!(benches);
