//! What every network of the registry ([`super::Model`]) says about itself: its name, its
//! checks on the data it reads, its parameter count P, how its members train, and, for an
//! image classifier, its training ensemble. Each network implements [`Network`] for its
//! manifest settings (`Linear2Config`, `Relu2Config`, `FcnnConfig`, `Cnn5Config`), in its
//! own file.

use super::classifier::{ClassifierEnsemble, CpuStep};
use crate::data::datasets::Dataset;
use crate::data::Input;
use crate::rng::Rng;
use anyhow::{bail, Result};

/// Largest hidden width of relu2 and fcnn.
pub const MAX_WIDTH: usize = 100_000;

/// A check that failed: (the key under `model` or `train`, e.g. `model.width`; what is allowed).
pub type Rejection = (&'static str, String);

/// What data a network reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    /// Vectors of a regression task (`task: {kind: linear-teacher}`).
    Vectors,
    /// Images of a classification task.
    Images,
}

/// A network of the registry, as its manifest settings describe it.
pub trait Network: Sync + std::fmt::Debug {
    /// The manifest's `kind`, the name in tables and legends.
    fn name(&self) -> &'static str;
    /// How figures name it, e.g. `two-layer ReLU network of width 8`, `fcnn width 8`.
    fn describe(&self) -> String;
    /// What data it reads.
    fn reads(&self) -> Reads;
    /// Its own checks on data of this shape, beyond [`Network::reads`].
    fn check(&self, input: &Input) -> Result<(), Rejection>;
    /// The number of trainable parameters P on data of this shape (SPEC §3); the input has
    /// passed [`Network::check`].
    fn parameter_count(&self, input: &Input) -> usize;
    /// The width of its representation as the shard cost model charges it (1 for `linear2`,
    /// the hidden or base width otherwise).
    fn representation_width(&self) -> usize;
    /// The solvers (`train.solver`) that fit it.
    fn solvers(&self) -> &'static [&'static str];
    /// Whether the members of one replica are fitted together in one batched computation.
    /// Batching changes a member's result by floating-point rounding at most.
    fn trains_members_together(&self) -> bool;
    /// Builds M image classifiers for `dataset`, member m from the initialization stream
    /// `inits[m]`, stacked into one ensemble for training.
    fn ensemble(
        &self,
        _dataset: Dataset,
        _inits: &mut [&mut Rng],
        _device: &candle_core::Device,
    ) -> Result<Box<dyn ClassifierEnsemble>> {
        bail!("{} is not an image classifier", self.name())
    }
    /// The hand-written CPU training form of an image classifier for `dataset` drawn from
    /// `init` (the draws of [`Network::ensemble`]), with scratch for batches of `batch` images;
    /// `None` for a classifier that has none (it trains through candle on every device).
    fn cpu_step(
        &self,
        _dataset: Dataset,
        _init: &mut Rng,
        _batch: usize,
    ) -> Result<Option<Box<dyn CpuStep>>> {
        bail!("{} is not an image classifier", self.name())
    }
    /// Whether the images of one training batch interact in the forward pass (`cnn5`'s
    /// BatchNorm takes statistics over the batch): such a batch cannot be padded.
    fn rows_interact(&self) -> bool {
        false
    }
}

/// `width` within 1 ..= `max`, or the rejection of `model.width`.
pub fn width_within(width: usize, max: usize) -> Result<(), Rejection> {
    match width {
        w if (1..=max).contains(&w) => Ok(()),
        _ => Err((
            "model.width",
            format!("width = {width}: allowed are 1 to {max}"),
        )),
    }
}
