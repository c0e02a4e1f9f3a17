//! The lockstep's launches per step (issue 27, point 3) do not grow with the fleet: one
//! lockstep step creates as many candle tensors for 2 members as for 8 and 14, for `fcnn` (whose
//! gradients are written out, a third of autograd's tensors) and for `cnn5` (whose grouped
//! convolution is one batched product, `models/cnn5.rs`). candle's
//! tensor counter is global, so this file holds one test and runs alone in its own process:
//! no other thread creates tensors while a step is counted.

use candle_core::{DType, Device, Tensor};
use harness::data::datasets::{Dataset, ImageShape, Images8};
use harness::models::cnn5::Cnn5Config;
use harness::models::fcnn::FcnnConfig;
use harness::models::Model;
use harness::rng::Rng;
use harness::train::clock::Recruit;
use harness::train::lockstep::{tensors_created, DevicePool, Lockstep};
use harness::train::sgd::{Schedule, SgdSettings};

/// Tensors one lockstep step of `model` creates with 2, 8 and 14 members, each with 12 images
/// of `dataset`'s shape, batch `b`.
fn tensors_per_step(model: &Model, dataset: Dataset, b: usize) -> Vec<usize> {
    let shape: ImageShape = dataset.shape();
    let n = 60;
    let mut rng = Rng::new(5);
    let pool = Images8 {
        shape,
        pixels: (0..n * shape.len()).map(|_| rng.below(17) as u8).collect(),
        labels: (0..n).map(|i| (i % 10) as u8).collect(),
        table: (0..=255u8).map(|p| p as f32 / 16.0).collect(),
    };
    let settings = SgdSettings {
        lr: 0.5,
        batch_size: b,
        epochs: 12,
        schedule: Schedule::Mnist,
        decay_every: 5,
        max_steps: None,
        patience: None,
    };
    let on_device = DevicePool::new(&pool, &Device::Cpu).unwrap();
    let mut counts = Vec::new();
    for m in [2, 8, 14] {
        let members: Vec<(usize, Recruit)> = (0..m)
            .map(|i| {
                let rows = Rng::new(40 + i as u64).permutation(n)[..12].to_vec();
                let labels = rows.iter().map(|&r| pool.labels[r]).collect();
                let recruit = Recruit {
                    rows,
                    labels,
                    init: Rng::new(7 + i as u64),
                    order: Rng::new(100 + i as u64),
                };
                (i, recruit)
            })
            .collect();
        let mut fleet =
            Lockstep::new(model, dataset, &on_device, members, &settings, &Device::Cpu).unwrap();
        let rows = Tensor::zeros((m, b), DType::U32, &Device::Cpu).unwrap();
        let weights = Tensor::ones((m, b), DType::F32, &Device::Cpu).unwrap();
        let rates = Tensor::ones(m, DType::F32, &Device::Cpu).unwrap();
        let (_, made) = tensors_created(|| fleet.step(&rows, &rows, &weights, &rates)).unwrap();
        counts.push(made);
    }
    counts
}

#[test]
fn a_lockstep_step_costs_the_same_tensors_for_any_number_of_members() {
    let fcnn = Model::Fcnn(FcnnConfig {
        width: 8,
        init_std: 0.1,
    });
    let counts = tensors_per_step(&fcnn, Dataset::Digits, 4);
    println!("fcnn lockstep: {counts:?} tensors per step at 2, 8 and 14 members");
    assert!(counts.iter().all(|&c| c == counts[0]), "{counts:?}");
    // The gradients written out (`fused_sgd_step`): 47; autograd's step made 155.
    assert!(counts[0] > 20 && counts[0] < 60, "{counts:?}");
    // With candle's grouped `conv2d` this was [969, 1533, 2097] (5293 at 48 members): one
    // convolution per member and stage, and a whole-input gradient per member.
    let cnn5 = Model::Cnn5(Cnn5Config { width: 1 });
    let counts = tensors_per_step(&cnn5, Dataset::Cifar10, 2);
    println!("cnn5 lockstep: {counts:?} tensors per step at 2, 8 and 14 members");
    assert!(counts.iter().all(|&c| c == counts[0]), "{counts:?}");
    assert!(counts[0] > 100, "{counts:?}");
}
