//! The fleet's SGD step (issue 27) as the gate measures it: the CPU form of one member (the
//! fcnn's hand-written step, `models::fcnn::cpu`) and the lockstep form of M members (one
//! stacked step, the device form, run here on the CPU), on synthetic data of the manifests'
//! shapes. Its harness names are imported here rather than through `api.rs`, and
//! `benches/record-past.sh` swaps in `fleet_form_absent.rs` (the same steps through the
//! trainer before the fleet) for a commit without `harness/src/train/fleet.rs`.

use super::Rng;
use candle_core::{DType, Device, Tensor};
use harness::data::datasets::{Dataset, Images8};
use harness::models::classifier::CpuStep;
use harness::models::{fcnn::FcnnConfig, Model};
use harness::train::fleet::Recruit;
use harness::train::lockstep::{DevicePool, Lockstep};
use harness::train::sgd::SgdSettings;

const CLASSES: u64 = 10;

/// One member's hand-written CPU step, its batch and labels.
pub struct FleetCpu {
    form: Box<dyn CpuStep>,
    x: Vec<f32>,
    y: Vec<u8>,
}

/// A width-8 fcnn member on `dataset`'s images, a batch of `batch`.
pub fn fleet_cpu_member(dataset: Dataset, batch: usize) -> FleetCpu {
    super::one_thread();
    let model = Model::Fcnn(FcnnConfig {
        width: 8,
        init_std: 0.1,
    });
    let form = model
        .cpu_step(dataset, &mut Rng::new(1), batch)
        .unwrap()
        .expect("fcnn has a CPU form");
    let mut rng = Rng::new(2);
    let d = dataset.shape().len();
    FleetCpu {
        form,
        x: (0..batch * d).map(|_| rng.uniform() as f32).collect(),
        y: (0..batch).map(|_| rng.below(CLASSES) as u8).collect(),
    }
}

/// One SGD step of the member.
pub fn run_fleet_cpu(s: &mut FleetCpu) -> usize {
    s.form.step(&s.x, &s.y, 0.05);
    1
}

/// A lockstep of M members and one step's rows, labels, weights and rates.
pub struct FleetLock {
    fleet: Lockstep<'static>,
    tensors: [Tensor; 4],
    members: usize,
}

/// M members of `model` on `dataset`'s shape, batches of `batch` (a pool of 256 synthetic
/// images, leaked for the process: the lockstep borrows it).
pub fn fleet_lockstep(model: Model, dataset: Dataset, members: usize, batch: usize) -> FleetLock {
    super::one_thread();
    let mut rng = Rng::new(3);
    let shape = dataset.shape();
    let len = 256;
    let pool = Images8 {
        shape,
        pixels: (0..len * shape.len())
            .map(|_| rng.below(256) as u8)
            .collect(),
        labels: (0..len).map(|_| rng.below(CLASSES) as u8).collect(),
        table: (0..=255u8).map(|p| p as f32 / 255.0).collect(),
    };
    let pool: &'static DevicePool =
        Box::leak(Box::new(DevicePool::new(&pool, &Device::Cpu).unwrap()));
    let recruits = (0..members)
        .map(|i| {
            let recruit = Recruit {
                rows: (0..len).collect(),
                labels: vec![0; len],
                init: Rng::new(10 + i as u64),
                order: Rng::new(20 + i as u64),
            };
            (i, recruit)
        })
        .collect();
    let settings = SgdSettings {
        lr: 0.05,
        batch_size: batch,
        epochs: 1,
        schedule: Default::default(),
        decay_every: 50,
        max_steps: None,
        patience: None,
    };
    let fleet = Lockstep::new(&model, dataset, pool, recruits, &settings, &Device::Cpu).unwrap();
    let rows: Vec<u32> = (0..members * batch)
        .map(|_| rng.below(len as u64) as u32)
        .collect();
    let labels: Vec<u32> = (0..members * batch)
        .map(|_| rng.below(CLASSES) as u32)
        .collect();
    let d = &Device::Cpu;
    let tensors = [
        Tensor::from_vec(rows, (members, batch), d).unwrap(),
        Tensor::from_vec(labels, (members, batch), d).unwrap(),
        (Tensor::ones((members, batch), DType::F32, d).unwrap() / batch as f64).unwrap(),
        (Tensor::ones(members, DType::F32, d).unwrap() * 0.05).unwrap(),
    ];
    FleetLock {
        fleet,
        tensors,
        members,
    }
}

/// One lockstep step of every member; returns the members.
pub fn run_fleet_lockstep(s: &mut FleetLock) -> usize {
    let [rows, labels, weights, rates] = &s.tensors;
    s.fleet.step(rows, labels, weights, rates).unwrap();
    s.members
}
