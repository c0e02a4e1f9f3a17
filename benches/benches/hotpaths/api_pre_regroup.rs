//! The harness API the hot-path workloads use, at its pre-regroup paths (commits up to
//! 3972758, flat `harness/src/`). Not compiled in this tree: `benches/record-past.sh` copies
//! it over `api.rs` when the commit it builds has the old layout. It offers exactly the names
//! and call forms of `api.rs`, so `workloads.rs` does the same work on either layout.

pub use harness::device::DeviceKind;
pub use harness::estimators::{cce, copula, kl_entropy, Estimator};
pub use harness::experiment::{manifest_hash, plan};
pub use harness::manifest::{Level, Manifest, Model, Task, Train};
pub use harness::matrix::Matrix;
pub use harness::models::{
    cnn5::Cnn5,
    fcnn::Fcnn,
    relu2::{stack, Relu2, Relu2Ensemble},
};
pub use harness::optim::Optimizer;
pub use harness::rng::Rng;
pub use harness::sgd::{train_sgd, SgdSettings};
pub use harness::units::{run_member, ExperimentData, MemberSpec};

use anyhow::Result;
use candle_core::Tensor;

/// The fields of `Train::Adam`, under the name the regroup gave them.
pub struct AdamSettings {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub max_steps: usize,
    pub tol: f64,
    pub window: usize,
}

/// The Adam optimizer of `settings` for parameters shaped like `theta`.
pub fn adam_optimizer(s: &AdamSettings, theta: &Tensor) -> Result<Optimizer> {
    let adam = Train::Adam {
        lr: s.lr,
        beta1: s.beta1,
        beta2: s.beta2,
        eps: s.eps,
        max_steps: s.max_steps,
        tol: s.tol,
        window: s.window,
    };
    Optimizer::new(&adam, theta)
}

/// SGD settings of exactly one step on a batch of `batch` images.
pub fn one_sgd_step(batch: usize) -> SgdSettings {
    SgdSettings {
        lr: 0.05,
        batch_size: batch,
        epochs: 1,
        decay_every: 50,
        max_steps: Some(1),
    }
}

/// The shared data of a linear-teacher experiment.
pub fn regression_data(seed: u64, task: &Task) -> ExperimentData {
    ExperimentData::new(seed, task)
}
