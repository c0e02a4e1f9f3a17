//! The classification training hot path on the CPU: one SGD epoch of `fcnn` (width 4) on the
//! digits training pool (1297 images, 11 mini-batches of 128); one forward + backward + update
//! step of `cnn5` at width 4 on a CIFAR-shaped batch of 128 (3 × 32 × 32); and member-batched
//! training against one member at a time: one SGD step of M = 16 members, as one ensemble
//! (`batched`) and as 16 ensembles of one (`one_by_one`), for `fcnn` width 8 on digits-shaped
//! batches of 128 and `cnn5` width 1 on CIFAR-shaped batches of 32.
//!
//! And the fleet's step (issue 27) at the digits, fig4 MNIST and fig5 CIFAR-10 shapes: its CPU
//! form against one member at a time, the member-batched ensemble and the lockstep
//! (`fleet_step_*`, synthetic images).
//!
//! Small sample sizes by design (shared 2-core machine):
//! `cargo bench -p harness-benches --bench classification -- --measurement-time 5`.

use candle_core::{DType, Device, Tensor};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use harness::data::datasets::{hub::HubCache, Dataset, Images8, Split, CLASSES};
use harness::models::classifier::ClassifierEnsemble;
use harness::models::{
    cnn5::{Cnn5, Cnn5Config, Cnn5Ensemble},
    fcnn::{Fcnn, FcnnConfig, FcnnEnsemble},
    Model,
};
use harness::rng::Rng;
use harness::train::fleet::Recruit;
use harness::train::lockstep::{DevicePool, Lockstep};
use harness::train::sgd::{train_sgd, Schedule, SgdSettings};
use std::hint::black_box;

fn one_epoch(max_steps: Option<usize>) -> SgdSettings {
    SgdSettings {
        lr: 0.05,
        batch_size: 128,
        epochs: 1,
        schedule: Schedule::Mnist,
        decay_every: 50,
        max_steps,
        patience: None,
    }
}

/// Trains `ensemble` on `x` (M × n × C × H × W) for `settings`; returns the steps.
fn train(
    ensemble: Box<dyn ClassifierEnsemble>,
    x: &Tensor,
    labels: &[Vec<u8>],
    settings: &SgdSettings,
    rng: &mut [Rng],
) -> usize {
    train_sgd(ensemble, x, labels, settings, rng).unwrap()[0].steps
}

fn fcnn_epoch_on_digits(c: &mut Criterion) {
    let hub = HubCache::new("/nonexistent".into(), true);
    let split = Split::new(Dataset::Digits, 1, 500, &hub).unwrap();
    let n = split.pool.len();
    let pixels = split.pool.select(&(0..n).collect::<Vec<_>>()).pixels;
    let x = Tensor::from_slice(&pixels, (1, n, 1, 8, 8), &Device::Cpu).unwrap();
    let labels = vec![split.pool.labels.clone()];
    let model = Fcnn::new(64, 4, CLASSES, 0.1, &mut Rng::new(1), &Device::Cpu).unwrap();
    let mut rng = [Rng::new(2)];
    let stack = || Box::new(FcnnEnsemble::stack(std::slice::from_ref(&model)).unwrap()) as _;
    c.bench_function("sgd_epoch_fcnn_w4_digits_1297", |b| {
        b.iter_batched(
            stack,
            |e| black_box(train(e, &x, &labels, &one_epoch(None), &mut rng)),
            BatchSize::SmallInput,
        )
    });
}

/// M members' random images (each its own) and labels.
fn images(
    m: usize,
    n: usize,
    channels: usize,
    side: usize,
    rng: &mut Rng,
) -> (Tensor, Vec<Vec<u8>>) {
    let pixels: Vec<f32> = (0..m * n * channels * side * side)
        .map(|_| rng.uniform() as f32 * 2.0 - 1.0)
        .collect();
    let x = Tensor::from_vec(pixels, (m, n, channels, side, side), &Device::Cpu).unwrap();
    let labels = (0..m)
        .map(|_| (0..n).map(|_| rng.below(10) as u8).collect())
        .collect();
    (x, labels)
}

fn cnn5_step_on_cifar_batch(c: &mut Criterion) {
    let mut rng = Rng::new(3);
    let (x, labels) = images(1, 128, 3, 32, &mut rng);
    let model = Cnn5::new(3, 4, CLASSES, &mut Rng::new(4), &Device::Cpu).unwrap();
    let mut order = [rng];
    let stack = || Box::new(Cnn5Ensemble::stack(std::slice::from_ref(&model)).unwrap()) as _;
    c.bench_function("sgd_step_cnn5_w4_batch128_32x32x3", |b| {
        b.iter_batched(
            stack,
            |e| black_box(train(e, &x, &labels, &one_epoch(None), &mut order)),
            BatchSize::SmallInput,
        )
    });
}

/// One step of M members together and of the same M members one at a time.
fn batched_against_one_by_one<N>(
    c: &mut Criterion,
    name: &str,
    nets: &[N],
    stack: impl Fn(&[N]) -> Box<dyn ClassifierEnsemble>,
    (x, labels): (Tensor, Vec<Vec<u8>>),
) {
    let m = nets.len();
    let step = one_epoch(Some(1));
    let settings = SgdSettings {
        batch_size: x.dim(1).unwrap(),
        ..step
    };
    let mut g = c.benchmark_group(name);
    let mut orders: Vec<Rng> = (0..m).map(|i| Rng::new(10 + i as u64)).collect();
    g.bench_function(format!("batched_m{m}"), |b| {
        b.iter_batched(
            || stack(nets),
            |e| black_box(train(e, &x, &labels, &settings, &mut orders)),
            BatchSize::SmallInput,
        )
    });
    let alone: Vec<Tensor> = (0..m).map(|i| x.narrow(0, i, 1).unwrap()).collect();
    g.bench_function(format!("one_by_one_m{m}"), |b| {
        b.iter_batched(
            || (0..m).map(|i| stack(&nets[i..=i])).collect::<Vec<_>>(),
            |ensembles| {
                let mut steps = 0;
                for (i, e) in ensembles.into_iter().enumerate() {
                    steps += train(e, &alone[i], &labels[i..=i], &settings, &mut orders[i..=i]);
                }
                black_box(steps)
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

const M: usize = 16;

fn fcnn_members(c: &mut Criterion) {
    let nets: Vec<Fcnn> = (0..M)
        .map(|i| Fcnn::new(64, 8, CLASSES, 0.1, &mut Rng::new(i as u64), &Device::Cpu).unwrap())
        .collect();
    let data = images(M, 128, 1, 8, &mut Rng::new(5));
    batched_against_one_by_one(
        c,
        "sgd_step_fcnn_w8_digits_batch128",
        &nets,
        |n| Box::new(FcnnEnsemble::stack(n).unwrap()),
        data,
    );
}

fn cnn5_members(c: &mut Criterion) {
    let nets: Vec<Cnn5> = (0..M)
        .map(|i| Cnn5::new(3, 1, CLASSES, &mut Rng::new(i as u64), &Device::Cpu).unwrap())
        .collect();
    let data = images(M, 32, 3, 32, &mut Rng::new(6));
    batched_against_one_by_one(
        c,
        "sgd_step_cnn5_w1_batch32_32x32x3",
        &nets,
        |n| Box::new(Cnn5Ensemble::stack(n).unwrap()),
        data,
    );
}

/// The fleet's step (issue 27) at the manifests' shapes, per `m` members: the CPU form the
/// fleet runs there (`fleet_cpu`: fcnn's hand-written step for each member; cnn5 has none, its
/// fleet form on the CPU is `one_at_a_time`), one member at a time through candle
/// (`one_at_a_time`: `train_sgd` on ensembles of one), today's member-batched ensemble
/// (`batched`) and the lockstep (the device form, here on the CPU).
fn fleet_step(
    c: &mut Criterion,
    name: &str,
    model: Model,
    dataset: Dataset,
    m: usize,
    batch: usize,
) {
    let shape = dataset.shape();
    let mut rng = Rng::new(7);
    let (x, labels) = images(m, batch, shape.channels, shape.height, &mut rng);
    let settings = SgdSettings {
        batch_size: batch,
        ..one_epoch(Some(1))
    };
    let mut g = c.benchmark_group(name);
    let stack = |range: std::ops::Range<usize>| {
        let mut inits: Vec<Rng> = range.map(|i| Rng::new(10 + i as u64)).collect();
        let mut refs: Vec<&mut Rng> = inits.iter_mut().collect();
        model.ensemble(dataset, &mut refs, &Device::Cpu).unwrap()
    };
    let mut orders: Vec<Rng> = (0..m).map(|i| Rng::new(20 + i as u64)).collect();
    if model
        .cpu_step(dataset, &mut Rng::new(1), batch)
        .unwrap()
        .is_some()
    {
        let mut forms: Vec<_> = (0..m)
            .map(|i| {
                model
                    .cpu_step(dataset, &mut Rng::new(10 + i as u64), batch)
                    .unwrap()
                    .unwrap()
            })
            .collect();
        let xs: Vec<Vec<f32>> = (0..m)
            .map(|i| x.get(i).unwrap().flatten_all().unwrap().to_vec1().unwrap())
            .collect();
        g.bench_function(format!("fleet_cpu_m{m}"), |b| {
            b.iter(|| {
                for (i, f) in forms.iter_mut().enumerate() {
                    f.step(&xs[i], &labels[i], 0.05);
                }
            })
        });
    }
    let alone: Vec<Tensor> = (0..m).map(|i| x.narrow(0, i, 1).unwrap()).collect();
    g.bench_function(format!("one_at_a_time_m{m}"), |b| {
        b.iter_batched(
            || (0..m).map(|i| stack(i..i + 1)).collect::<Vec<_>>(),
            |ensembles| {
                for (i, e) in ensembles.into_iter().enumerate() {
                    train(e, &alone[i], &labels[i..=i], &settings, &mut orders[i..=i]);
                }
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function(format!("batched_m{m}"), |b| {
        b.iter_batched(
            || stack(0..m),
            |e| black_box(train(e, &x, &labels, &settings, &mut orders)),
            BatchSize::SmallInput,
        )
    });
    // The lockstep gathers its rows from a pool of bytes on the device.
    let len = m * batch;
    let pool = Images8 {
        shape,
        pixels: (0..len * shape.len())
            .map(|_| rng.below(256) as u8)
            .collect(),
        labels: (0..len).map(|_| rng.below(10) as u8).collect(),
        table: (0..=255u8).map(|p| p as f32 / 255.0).collect(),
    };
    let on_device = DevicePool::new(&pool, &Device::Cpu).unwrap();
    let recruits = (0..m)
        .map(|i| {
            let r = Recruit {
                rows: (0..len).collect(),
                labels: pool.labels.clone(),
                init: Rng::new(10 + i as u64),
                order: Rng::new(20 + i as u64),
            };
            (i, r)
        })
        .collect();
    let mut fleet = Lockstep::new(
        &model,
        dataset,
        &on_device,
        recruits,
        &settings,
        &Device::Cpu,
    )
    .unwrap();
    let rows = Tensor::from_vec(
        (0..len as u32).collect::<Vec<_>>(),
        (m, batch),
        &Device::Cpu,
    )
    .unwrap();
    let ys: Vec<u32> = labels.iter().flatten().map(|&l| l as u32).collect();
    let ys = Tensor::from_vec(ys, (m, batch), &Device::Cpu).unwrap();
    let weights =
        (Tensor::ones((m, batch), DType::F32, &Device::Cpu).unwrap() / batch as f64).unwrap();
    let rates = (Tensor::ones(m, DType::F32, &Device::Cpu).unwrap() * 0.05).unwrap();
    g.bench_function(format!("lockstep_m{m}"), |b| {
        b.iter(|| fleet.step(&rows, &ys, &weights, &rates).unwrap())
    });
    g.finish();
}

fn fleet_steps(c: &mut Criterion) {
    let fcnn = Model::Fcnn(FcnnConfig {
        width: 8,
        init_std: 0.1,
    });
    fleet_step(
        c,
        "fleet_step_fcnn_w8_digits_b32",
        fcnn.clone(),
        Dataset::Digits,
        4,
        32,
    );
    fleet_step(
        c,
        "fleet_step_fcnn_w8_mnist_b128",
        fcnn,
        Dataset::Mnist,
        4,
        128,
    );
    fleet_step(
        c,
        "fleet_step_cnn5_w4_cifar_b128",
        Model::Cnn5(Cnn5Config { width: 4 }),
        Dataset::Cifar10,
        3,
        128,
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = fcnn_epoch_on_digits, cnn5_step_on_cifar_batch, fcnn_members, cnn5_members, fleet_steps
}
criterion_main!(benches);
