//! The fleet's steps (`fleet_form.rs`) for a commit before the fleet (issue 27), which
//! `benches/record-past.sh` puts in `fleet_form.rs`'s place: the same work through the
//! trainer those commits ran, `train_sgd` (candle autograd): one member's step as an ensemble
//! of one, and M members' step as one member-batched ensemble. The same names and inputs.

use super::{train_sgd, Fcnn, Rng, SgdSettings};
use candle_core::{Device, Tensor};
use harness::data::datasets::Dataset;
use harness::models::classifier::ClassifierEnsemble;
use harness::models::Model;

const CLASSES: u64 = 10;

fn one_step(batch: usize) -> SgdSettings {
    super::one_sgd_step(batch)
}

/// A member's network and one batch.
pub struct FleetCpu {
    model: Fcnn,
    x: Tensor,
    y: Tensor,
    rng: Rng,
}

pub fn fleet_cpu_member(dataset: Dataset, batch: usize) -> FleetCpu {
    super::one_thread();
    let d = dataset.shape().len();
    let model = Fcnn::new(d, 8, 10, 0.1, &mut Rng::new(1), &Device::Cpu).unwrap();
    let mut rng = Rng::new(2);
    let s = dataset.shape();
    let x: Vec<f32> = (0..batch * d).map(|_| rng.uniform() as f32).collect();
    let y: Vec<u32> = (0..batch).map(|_| rng.below(CLASSES) as u32).collect();
    FleetCpu {
        model,
        x: Tensor::from_vec(x, (batch, s.channels, s.height, s.width), &Device::Cpu).unwrap(),
        y: Tensor::from_vec(y, batch, &Device::Cpu).unwrap(),
        rng,
    }
}

pub fn run_fleet_cpu(s: &mut FleetCpu) -> usize {
    let n = s.x.dim(0).unwrap();
    train_sgd(&s.model, &s.x, &s.y, one_step(n), &mut s.rng).unwrap()
}

/// M members stacked in one ensemble and one batch each.
pub struct FleetLock {
    ensemble: Box<dyn ClassifierEnsemble>,
    x: Tensor,
    labels: Vec<Vec<u8>>,
    members: usize,
}

pub fn fleet_lockstep(model: Model, dataset: Dataset, members: usize, batch: usize) -> FleetLock {
    super::one_thread();
    let mut inits: Vec<Rng> = (0..members).map(|i| Rng::new(10 + i as u64)).collect();
    let mut refs: Vec<&mut Rng> = inits.iter_mut().collect();
    let ensemble = model.ensemble(dataset, &mut refs, &Device::Cpu).unwrap();
    let s = dataset.shape();
    let mut rng = Rng::new(3);
    let x: Vec<f32> = (0..members * batch * s.len())
        .map(|_| rng.uniform() as f32)
        .collect();
    FleetLock {
        ensemble,
        x: Tensor::from_vec(
            x,
            (members, batch, s.channels, s.height, s.width),
            &Device::Cpu,
        )
        .unwrap(),
        labels: (0..members)
            .map(|_| (0..batch).map(|_| rng.below(CLASSES) as u8).collect())
            .collect(),
        members,
    }
}

pub fn run_fleet_lockstep(s: &mut FleetLock) -> usize {
    let batch = s.x.dim(1).unwrap();
    let mut orders: Vec<Rng> = (0..s.members).map(|i| Rng::new(20 + i as u64)).collect();
    // train_sgd takes the ensemble: a copy of it (select makes fresh variables) each time.
    let all: Vec<usize> = (0..s.members).collect();
    let ensemble = s.ensemble.select(&all).unwrap();
    harness::train::sgd::train_sgd(ensemble, &s.x, &s.labels, &one_step(batch), &mut orders)
        .unwrap();
    s.members
}
