//! The train stage: how a member is fitted, chosen by the manifest's `train.solver`.
//!
//! [`Train`] is the registry: each solver's variant holds that trainer's own settings struct
//! ([`GdSettings`], [`optim::AdamSettings`], [`sgd::SgdSettings`]), which is what the manifest's
//! `train:` section parses into and what the trainer takes; nothing respells it.
//!
//! - `solver.rs`: the registry [`Train`] and its checks;
//! - this file: the stopping rule shared by every regression trainer ([`Convergence`]) and
//!   full-batch gradient descent for `linear2`;
//! - [`ensemble`]: `relu2` ensembles batched over members (Adam or GD from [`optim`]);
//! - [`sgd`]: mini-batch SGD for classifiers, and their evaluation;
//! - [`fleet`]: every classifier member a run trains, in one call (issue 27), on the CPU each
//!   on its hand-written form; [`lockstep`]: the fleet on other devices, one batched step.

pub mod clock;
pub mod fleet;
pub mod lockstep;
pub mod optim;
pub mod sgd;
mod solver;

mod ensemble;
pub use ensemble::train_relu2_ensemble;

use crate::matrix::Matrix;
use crate::models::linear2::Linear2;
use crate::rng::Rng;
use anyhow::Result;
use candle_core::{DType, Device, Tensor, Var};
use serde::{Deserialize, Serialize};
pub use solver::{FullBatch, Train};

/// Why training stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    /// Closed-form solution, no iterations.
    ClosedForm,
    /// The loss fell by less than `tol` (relative) over the last `window` steps.
    Converged,
    /// `max_steps` reached first.
    StepCap,
    /// The fixed number of epochs of SGD ran.
    Epochs,
    /// SGD with `patience`: the training error on the member's own labels reached 0.
    Interpolated,
    /// SGD with `patience`: the training error stopped falling.
    Plateau,
}

impl StopReason {
    pub fn name(self) -> &'static str {
        match self {
            StopReason::ClosedForm => "closed-form",
            StopReason::Converged => "converged",
            StopReason::StepCap => "step-cap",
            StopReason::Epochs => "epochs",
            StopReason::Interpolated => "interpolated",
            StopReason::Plateau => "plateau",
        }
    }

    /// The reason a [`StopReason::name`] names.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            StopReason::ClosedForm,
            StopReason::Converged,
            StopReason::StepCap,
            StopReason::Epochs,
            StopReason::Interpolated,
            StopReason::Plateau,
        ]
        .into_iter()
        .find(|r| r.name() == name)
    }
}

/// "The training loss stopped falling": relative decrease below `tol` over `window` steps.
#[derive(Clone, Debug)]
pub struct Convergence {
    tol: f64,
    window: usize,
    history: std::collections::VecDeque<f64>,
}

impl Convergence {
    pub fn new(tol: f64, window: usize) -> Self {
        Convergence {
            tol,
            window,
            history: std::collections::VecDeque::with_capacity(window + 1),
        }
    }

    /// Records a loss; true once it has stopped falling (or reached exactly zero).
    pub fn update(&mut self, loss: f64) -> bool {
        self.history.push_back(loss);
        if self.history.len() > self.window + 1 {
            self.history.pop_front();
        }
        if loss == 0.0 {
            return true;
        }
        if self.history.len() <= self.window {
            return false;
        }
        let old = self.history[0];
        (old - loss) <= self.tol * old
    }
}

/// What a gradient-descent run ended with.
#[derive(Clone, Debug)]
pub struct GdOutcome<M> {
    pub model: M,
    pub train_loss: f64,
    pub steps: usize,
    pub stop: StopReason,
}

/// Settings of a full-batch gradient-descent run (`solver: gd`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GdSettings {
    #[serde(default = "default_lr")]
    pub lr: f64,
    /// Standard deviation of the small initial weights (`linear2` only: `relu2` starts
    /// from its fan-in initialization, see `models::relu2`).
    #[serde(default = "default_init_scale")]
    pub init_scale: f64,
    #[serde(default = "default_max_steps")]
    pub max_steps: usize,
    /// Converged when the loss fell by less than this fraction over `window` steps.
    #[serde(default = "default_tol")]
    pub tol: f64,
    #[serde(default = "default_window")]
    pub window: usize,
}

pub(crate) fn default_lr() -> f64 {
    0.05
}
fn default_init_scale() -> f64 {
    1e-6
}
pub(crate) fn default_max_steps() -> usize {
    200_000
}
pub(crate) fn default_tol() -> f64 {
    1e-10
}
pub(crate) fn default_window() -> usize {
    100
}

/// Trains `linear2` by full-batch gradient descent on ½-less MSE, mean((w2·Xw1 − y)²), in f64,
/// from w1, w2 ~ N(0, init_scale²) drawn from `rng`.
pub fn train_linear2_gd(
    x: &Matrix,
    y: &[f64],
    settings: &GdSettings,
    rng: &mut Rng,
    device: &Device,
) -> Result<GdOutcome<Linear2>> {
    let (n, d) = (x.rows, x.cols);
    let xt = Tensor::from_slice(&x.data, (n, d), device)?;
    let yt = Tensor::from_slice(y, (n, 1), device)?;
    let init: Vec<f64> = rng
        .normals(d + 1)
        .iter()
        .map(|z| z * settings.init_scale)
        .collect();
    let w1 = Var::from_tensor(&Tensor::from_slice(&init[..d], (d, 1), device)?)?;
    let w2 = Var::from_tensor(&Tensor::from_slice(&init[d..], (1, 1), device)?)?;
    let mut convergence = Convergence::new(settings.tol, settings.window);
    let mut stop = StopReason::StepCap;
    let mut steps = 0;
    let mut loss_value = f64::INFINITY;
    while steps < settings.max_steps {
        let pred = xt.matmul(w1.as_tensor())?.broadcast_mul(w2.as_tensor())?;
        let loss = pred.sub(&yt)?.sqr()?.mean_all()?;
        loss_value = loss.to_dtype(DType::F64)?.to_scalar::<f64>()?;
        if convergence.update(loss_value) {
            stop = StopReason::Converged;
            break;
        }
        let grads = loss.backward()?;
        for var in [&w1, &w2] {
            let g = grads.get(var).expect("every parameter has a gradient");
            var.set(&var.as_tensor().sub(&(g * settings.lr)?)?)?;
        }
        steps += 1;
    }
    let model = Linear2 {
        w1: w1.as_tensor().flatten_all()?.to_vec1::<f64>()?,
        w2: w2.as_tensor().flatten_all()?.to_vec1::<f64>()?[0],
    };
    Ok(GdOutcome {
        model,
        train_loss: loss_value,
        steps,
        stop,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convergence_waits_for_a_flat_window() {
        let mut c = Convergence::new(1e-3, 3);
        assert!(!c.update(1.0));
        assert!(!c.update(0.5));
        assert!(!c.update(0.25));
        assert!(!c.update(0.125));
        for _ in 0..2 {
            assert!(!c.update(0.1249));
        }
        assert!(c.update(0.1249));
    }
}
