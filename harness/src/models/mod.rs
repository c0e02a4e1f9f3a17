//! The networks of SPEC §3, one file each, and [`Model`], the registry a manifest's `model:`
//! section selects from: each kind's name, parameter count P, checks and constructor are one
//! exhaustive `match` each, here.
//!
//! Adding a network: its file beside these (the network and its forward pass), a variant of
//! [`Model`], and one arm in each `match` below (the compiler lists them); a classifier
//! implements [`classifier::Classifier`] and [`classifier::ClassifierEnsemble`] and is built by
//! [`Model::ensemble`]. Which solvers fit it is the train stage's registry (`Train::check_model`).
pub mod classifier;
pub mod cnn5;
pub mod fcnn;
pub mod linear2;
pub mod relu2;
pub mod theory;

use crate::data::datasets::{Dataset, CLASSES};
use crate::data::Input;
use crate::rng::Rng;
use anyhow::{bail, Result};
use classifier::{ClassifierEnsemble, CpuStep};
use cnn5::{Cnn5, Cnn5Ensemble};
use fcnn::{Fcnn, FcnnEnsemble};
use serde::{Deserialize, Serialize};

/// The network trained by every member (SPEC §3), as a manifest names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Model {
    /// f(x) = w2 · (w1ᵀx), hidden width 1; P = d + 1.
    Linear2 {},
    /// f(x) = w2ᵀ relu(W1 x + b1) + b2, hidden width `width`; P = width·(d + 2) + 1.
    Relu2 {
        width: usize,
        /// Whether the members of a replica start from one initialization (`shared`,
        /// default) or each from its own (`independent`).
        #[serde(default)]
        init: Init,
    },
    /// Pixels → `width` ReLU units → 10 logits; P = k(d_in + 1) + 10(k + 1).
    Fcnn {
        width: usize,
        /// Standard deviation of the initial weights (Gu, Zheng & Aste: 0.1).
        #[serde(default = "default_fcnn_init_std")]
        init_std: f64,
    },
    /// Four conv → BatchNorm → ReLU → max-pool stages of widths k, 2k, 4k, 8k, then 8k → 10.
    Cnn5 { width: usize },
}

/// How the members of one replica get their initial weights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Init {
    /// One initialization per replica, shared by its members.
    #[default]
    Shared,
    /// Each member draws its own.
    Independent,
}

fn default_fcnn_init_std() -> f64 {
    0.1
}

/// Largest hidden width of relu2 and fcnn.
pub const MAX_WIDTH: usize = 100_000;
/// Largest base width k of cnn5 (its last stage has 8k channels).
pub const MAX_CNN5_WIDTH: usize = 1024;

/// A check that failed: (the key under `model` or `train`, e.g. `model.width`; what is allowed).
pub type Rejection = (&'static str, String);

impl Model {
    /// The name used in tables and legends: the manifest's `kind`.
    pub fn name(&self) -> &'static str {
        match self {
            Model::Linear2 {} => "linear2",
            Model::Relu2 { .. } => "relu2",
            Model::Fcnn { .. } => "fcnn",
            Model::Cnn5 { .. } => "cnn5",
        }
    }

    /// The network's own checks on data of this shape.
    pub fn check(&self, input: &Input) -> Result<(), Rejection> {
        let width_within = |width: usize, max: usize| match width {
            w if (1..=max).contains(&w) => Ok(()),
            _ => Err((
                "model.width",
                format!("width = {width}: allowed are 1 to {max}"),
            )),
        };
        match (self, input) {
            (Model::Linear2 {}, Input::Vector { .. }) => Ok(()),
            (Model::Relu2 { width, .. }, Input::Vector { .. }) => width_within(*width, MAX_WIDTH),
            (Model::Fcnn { width, init_std }, Input::Images(_)) => {
                width_within(*width, MAX_WIDTH)?;
                if !(*init_std > 0.0 && init_std.is_finite()) {
                    return Err((
                        "model.init_std",
                        format!("init_std = {init_std}: must be positive"),
                    ));
                }
                Ok(())
            }
            (Model::Cnn5 { width }, Input::Images(dataset)) => {
                width_within(*width, MAX_CNN5_WIDTH)?;
                let shape = dataset.shape();
                if shape.height != cnn5::INPUT_SIDE || shape.width != cnn5::INPUT_SIDE {
                    return Err((
                        "model.kind",
                        format!(
                            "cnn5's pools (2, 2, 2, 4) need 32×32 images (cifar10); {dataset} is {}×{}",
                            shape.height, shape.width
                        ),
                    ));
                }
                Ok(())
            }
            (Model::Fcnn { .. } | Model::Cnn5 { .. }, Input::Vector { .. }) => Err((
                "model.kind",
                "fcnn and cnn5 are image classifiers: use `task: {kind: classification}`".into(),
            )),
            (Model::Linear2 {} | Model::Relu2 { .. }, Input::Images(_)) => Err((
                "model.kind",
                "a classification task needs an image classifier: fcnn or cnn5".into(),
            )),
        }
    }

    /// The number of trainable parameters P on data of this shape (SPEC §3). The pair must
    /// have passed [`Model::check`].
    pub fn parameter_count(&self, input: &Input) -> usize {
        match (self, input) {
            (Model::Linear2 {}, Input::Vector { d }) => d + 1,
            (Model::Relu2 { width, .. }, Input::Vector { d }) => width * (d + 2) + 1,
            (Model::Fcnn { width, .. }, Input::Images(dataset)) => {
                Fcnn::parameter_count(dataset.shape().len(), *width, CLASSES)
            }
            (Model::Cnn5 { width }, Input::Images(dataset)) => {
                Cnn5::parameter_count(dataset.shape().channels, *width, CLASSES)
            }
            (model, input) => {
                panic!("{model:?} cannot read {input:?}: `Model::check` rejects the pair")
            }
        }
    }

    /// Whether the members of one replica are fitted together in one batched computation
    /// (`relu2`, see [`crate::train::train_relu2_ensemble`]; `fcnn` and `cnn5`, see
    /// [`crate::train::sgd::train_sgd`]). Batching changes a member's result by floating-point
    /// rounding at most.
    pub fn trains_members_together(&self) -> bool {
        match self {
            Model::Relu2 { .. } | Model::Fcnn { .. } | Model::Cnn5 { .. } => true,
            Model::Linear2 {} => false,
        }
    }

    /// The hand-written CPU training form of an image classifier for `dataset` drawn from
    /// `init` (the draws of [`Model::ensemble`]), with scratch for batches of `batch` images;
    /// `None` for a model that has none (`cnn5`: it trains through candle on every device).
    pub fn cpu_step(
        &self,
        dataset: Dataset,
        init: &mut Rng,
        batch: usize,
    ) -> Result<Option<Box<dyn CpuStep>>> {
        let shape = dataset.shape();
        Ok(match self {
            Model::Fcnn { width, init_std } => {
                let device = candle_core::Device::Cpu;
                let net = Fcnn::new(shape.len(), *width, CLASSES, *init_std, init, &device)?;
                Some(Box::new(fcnn::cpu::FcnnCpu::new(&net, batch)?))
            }
            Model::Cnn5 { .. } => None,
            Model::Linear2 {} | Model::Relu2 { .. } => {
                bail!("{} is not an image classifier", self.name())
            }
        })
    }

    /// Whether the images of one training batch interact in the forward pass (`cnn5`'s
    /// BatchNorm takes statistics over the batch): such a batch cannot be padded.
    pub fn rows_interact(&self) -> bool {
        match self {
            Model::Cnn5 { .. } => true,
            Model::Fcnn { .. } | Model::Linear2 {} | Model::Relu2 { .. } => false,
        }
    }

    /// Builds M image classifiers for `dataset`, member m from the initialization stream
    /// `inits[m]`, stacked into one ensemble for training.
    pub fn ensemble(
        &self,
        dataset: Dataset,
        inits: &mut [&mut Rng],
        device: &candle_core::Device,
    ) -> Result<Box<dyn ClassifierEnsemble>> {
        let shape = dataset.shape();
        Ok(match self {
            Model::Fcnn { width, init_std } => {
                let nets = inits
                    .iter_mut()
                    .map(|rng| Fcnn::new(shape.len(), *width, CLASSES, *init_std, rng, device))
                    .collect::<candle_core::Result<Vec<_>>>()?;
                Box::new(FcnnEnsemble::stack(&nets)?)
            }
            Model::Cnn5 { width } => {
                let nets = inits
                    .iter_mut()
                    .map(|rng| Cnn5::new(shape.channels, *width, CLASSES, rng, device))
                    .collect::<candle_core::Result<Vec<_>>>()?;
                Box::new(Cnn5Ensemble::stack(&nets)?)
            }
            Model::Linear2 {} | Model::Relu2 { .. } => {
                bail!("{} is not an image classifier", self.name())
            }
        })
    }
}
