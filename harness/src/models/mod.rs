//! The networks of SPEC §3, one file each, and [`Model`], the registry a manifest's `model:`
//! section selects from.
//!
//! Each network's file holds the network, its forward pass and its manifest settings (a
//! `…Config` struct) implementing [`Network`] (`network.rs`): name, checks, P, solvers, and
//! for an image classifier its training ensemble. Adding a network is its file, its variant of
//! [`Model`], and its arm in [`Model::network`]: three places (`tests/extending.rs` keeps this
//! count true). Which solvers fit it it says itself ([`Network::solvers`]); the train stage
//! reads that.
pub mod classifier;
pub mod cnn5;
pub mod fcnn;
pub mod linear2;
pub mod network;
pub mod relu2;
pub mod theory;

pub use network::{Network, Reads, Rejection, MAX_WIDTH};

use crate::data::datasets::Dataset;
use crate::data::Input;
use crate::rng::Rng;
use anyhow::Result;
use classifier::{ClassifierEnsemble, CpuStep};
use serde::{Deserialize, Serialize};

/// The network trained by every member (SPEC §3), as a manifest names it (`model: {kind: …}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Model {
    /// f(x) = w2 · (w1ᵀx), hidden width 1; P = d + 1.
    Linear2(linear2::Linear2Config),
    /// f(x) = w2ᵀ relu(W1 x + b1) + b2, hidden width `width`; P = width·(d + 2) + 1.
    Relu2(relu2::Relu2Config),
    /// Pixels → `width` ReLU units → 10 logits; P = k(d_in + 1) + 10(k + 1).
    Fcnn(fcnn::FcnnConfig),
    /// Four conv → BatchNorm → ReLU → max-pool stages of widths k, 2k, 4k, 8k, then 8k → 10.
    Cnn5(cnn5::Cnn5Config),
}

impl Model {
    /// The registry: each network's own code. The one `match` a new network needs.
    pub fn network(&self) -> &dyn Network {
        match self {
            Model::Linear2(c) => c,
            Model::Relu2(c) => c,
            Model::Fcnn(c) => c,
            Model::Cnn5(c) => c,
        }
    }

    /// The name used in tables and legends: the manifest's `kind`.
    pub fn name(&self) -> &'static str {
        self.network().name()
    }

    /// The network's checks on data of this shape: the kind of data it reads, then its own.
    pub fn check(&self, input: &Input) -> Result<(), Rejection> {
        let network = self.network();
        match (network.reads(), input) {
            (Reads::Vectors, Input::Vector { .. }) | (Reads::Images, Input::Images(_)) => {
                network.check(input)
            }
            (Reads::Images, Input::Vector { .. }) => Err((
                "model.kind",
                format!(
                    "{} is an image classifier: use `task: {{kind: classification}}`",
                    network.name()
                ),
            )),
            (Reads::Vectors, Input::Images(_)) => Err((
                "model.kind",
                format!(
                    "{} is a regression network: a classification task needs an image \
                     classifier",
                    network.name()
                ),
            )),
        }
    }

    /// The number of trainable parameters P on data of this shape (SPEC §3). The pair must
    /// have passed [`Model::check`].
    pub fn parameter_count(&self, input: &Input) -> usize {
        self.network().parameter_count(input)
    }

    /// See [`Network::representation_width`].
    pub fn representation_width(&self) -> usize {
        self.network().representation_width()
    }

    /// See [`Network::trains_members_together`].
    pub fn trains_members_together(&self) -> bool {
        self.network().trains_members_together()
    }

    /// See [`Network::cpu_step`].
    pub fn cpu_step(
        &self,
        dataset: Dataset,
        init: &mut Rng,
        batch: usize,
    ) -> Result<Option<Box<dyn CpuStep>>> {
        self.network().cpu_step(dataset, init, batch)
    }

    /// See [`Network::rows_interact`].
    pub fn rows_interact(&self) -> bool {
        self.network().rows_interact()
    }

    /// See [`Network::ensemble`].
    pub fn ensemble(
        &self,
        dataset: Dataset,
        inits: &mut [&mut Rng],
        device: &candle_core::Device,
    ) -> Result<Box<dyn ClassifierEnsemble>> {
        self.network().ensemble(dataset, inits, device)
    }
}
