//! The harness API the hot-path workloads use, at its post-regroup paths (`harness/src/` in
//! stage folders, commit 8583940 onward): one place, so that a moved module is one edit.
//!
//! Where a call changed its form in the regroup, it is wrapped here in the form
//! `api_pre_regroup.rs` also provides, so that `workloads.rs` is the same for both layouts.
//! `benches/record-past.sh` puts `api_pre_regroup.rs` in this file's place when it builds a
//! commit of the old layout (one that still has `harness/src/experiment.rs`).

pub use harness::device::DeviceKind;
pub use harness::estimators::{cce, copula, kl_entropy, Estimator};
pub use harness::manifest::{Manifest, Task};
pub use harness::matrix::Matrix;
pub use harness::models::{cnn5::Cnn5, fcnn::Fcnn, relu2::Relu2, Model};
// The candle form of the relu2 step: used by `relu2_form_tensor.rs`, which `record-past.sh`
// swaps in for a commit before the in-place form (this tree's `relu2_form.rs` does not).
#[allow(unused_imports)]
pub use harness::models::relu2::{stack, Relu2Ensemble};
pub use harness::plan::units::MemberSpec;
pub use harness::plan::{manifest_hash, plan, Level};
pub use harness::representations::regression::{run_member, ExperimentData};
pub use harness::rng::Rng;
pub use harness::train::optim::{AdamSettings, Optimizer};
pub use harness::train::sgd::SgdSettings;
pub use harness::train::{FullBatch, Train};

use anyhow::Result;
use candle_core::{Device, Tensor};
use harness::models::classifier::ClassifierEnsemble;
use harness::models::{cnn5::Cnn5Ensemble, fcnn::FcnnEnsemble};

/// The Adam optimizer of `settings` for parameters shaped like `theta` (for
/// `relu2_form_tensor.rs`, see above).
#[allow(dead_code)]
pub fn adam_optimizer(settings: &AdamSettings, theta: &Tensor) -> Result<Optimizer> {
    Optimizer::new(FullBatch::Adam(settings), theta)
}

/// A network the SGD trainer can take as an ensemble of one (since member-batched training).
pub trait Alone {
    fn alone(&self) -> Result<Box<dyn ClassifierEnsemble>>;
}

impl Alone for Fcnn {
    fn alone(&self) -> Result<Box<dyn ClassifierEnsemble>> {
        Ok(Box::new(FcnnEnsemble::stack(std::slice::from_ref(self))?))
    }
}

impl Alone for Cnn5 {
    fn alone(&self) -> Result<Box<dyn ClassifierEnsemble>> {
        Ok(Box::new(Cnn5Ensemble::stack(std::slice::from_ref(self))?))
    }
}

/// `train_sgd` of the harness on one network (since member-batched training it trains an
/// ensemble, here of one: a copy of `model`, which is left as it is); returns the steps.
pub fn train_sgd<M: Alone>(
    model: &M,
    x: &Tensor,
    y: &Tensor,
    settings: SgdSettings,
    rng: &mut Rng,
) -> Result<usize> {
    let labels: Vec<u8> = y.to_vec1::<u32>()?.into_iter().map(|l| l as u8).collect();
    let out = harness::train::sgd::train_sgd(
        model.alone()?,
        &x.unsqueeze(0)?,
        &[labels],
        &settings,
        std::slice::from_mut(rng),
    )?;
    Ok(out[0].steps)
}

/// SGD settings of exactly one step on a batch of `batch` images.
pub fn one_sgd_step(batch: usize) -> SgdSettings {
    SgdSettings {
        lr: 0.05,
        batch_size: batch,
        epochs: 1,
        schedule: Default::default(),
        decay_every: 50,
        max_steps: Some(1),
        patience: None,
    }
}

/// The shared data of a linear-teacher experiment, on the CPU.
pub fn regression_data(seed: u64, task: &Task) -> ExperimentData {
    match task {
        Task::LinearTeacher { d, n_test, .. } => {
            ExperimentData::new(seed, *d, *n_test, Device::Cpu)
        }
        Task::Classification { .. } => panic!("regression_data serves linear-teacher tasks"),
    }
}
