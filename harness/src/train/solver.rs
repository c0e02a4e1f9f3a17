//! The registry of solvers: [`Train`], what the manifest's `train:` section parses into, each
//! variant holding its trainer's own settings struct; which models each solver fits, where it
//! can run, and the checks of its settings.

use super::optim::AdamSettings;
use super::sgd::SgdSettings;
use super::GdSettings;
use crate::device::DeviceKind;
use crate::models::Model;
use serde::{Deserialize, Serialize};

/// How a member is fitted (`train:` in the manifest), chosen by `solver`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "solver", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Train {
    /// The global minimum of minimum norm, β̂ = X⁺y, split in balanced form (`linear2` only).
    /// (An empty struct variant rather than a unit one, so that stray keys are rejected.)
    MinNorm {},
    /// Full-batch gradient descent on the mean squared error, with candle, from a small
    /// initialization; stops when the loss has converged or at `max_steps`.
    Gd(GdSettings),
    /// Mini-batch SGD on the cross-entropy, no momentum (Gu, Zheng & Aste), for classifiers;
    /// the rate follows the named `schedule` (their MNIST or CIFAR-10 rule, or constant).
    Sgd(SgdSettings),
    /// Full-batch Adam (Kingma & Ba, with PyTorch's defaults for the betas and eps) on the
    /// mean squared error, with candle (`relu2`); same stopping rule as `gd`.
    Adam(AdamSettings),
}

impl Default for Train {
    fn default() -> Self {
        Train::MinNorm {}
    }
}

/// A full-batch rule for the regression trainers: the optimizer and its stopping settings.
#[derive(Clone, Copy, Debug)]
pub enum FullBatch<'a> {
    Gd(&'a GdSettings),
    Adam(&'a AdamSettings),
}

impl FullBatch<'_> {
    /// The stopping rule: (max_steps, tol, window).
    pub fn stopping(&self) -> (usize, f64, usize) {
        match self {
            FullBatch::Gd(s) => (s.max_steps, s.tol, s.window),
            FullBatch::Adam(s) => (s.max_steps, s.tol, s.window),
        }
    }
}

impl Train {
    /// The solver's name in the manifest.
    pub fn name(&self) -> &'static str {
        match self {
            Train::MinNorm {} => "min-norm",
            Train::Gd(_) => "gd",
            Train::Sgd(_) => "sgd",
            Train::Adam(_) => "adam",
        }
    }

    /// The full-batch rule, for the solvers that have one.
    pub fn full_batch(&self) -> Option<FullBatch<'_>> {
        match self {
            Train::Gd(s) => Some(FullBatch::Gd(s)),
            Train::Adam(s) => Some(FullBatch::Adam(s)),
            Train::MinNorm {} | Train::Sgd(_) => None,
        }
    }

    /// Whether this solver can fit `model`; the error says which solvers can.
    pub fn check_model(&self, model: &Model) -> Result<(), String> {
        let takes = model.network().solvers();
        if takes.contains(&self.name()) {
            return Ok(());
        }
        let listed: Vec<String> = takes.iter().map(|s| format!("`{s}`")).collect();
        Err(format!(
            "`{}` ({}) does not fit {}; {} takes {}",
            self.name(),
            self.about(),
            model.name(),
            model.name(),
            listed.join(" or ")
        ))
    }

    /// How a figure's title says a network was fitted.
    pub fn describe(&self) -> &'static str {
        match self {
            Train::MinNorm {} => "at the global minimum",
            Train::Gd(_) => "trained by gradient descent",
            Train::Adam(_) => "trained by Adam",
            Train::Sgd(_) => "trained by SGD",
        }
    }

    /// The training samples one member on n samples with P parameters sees at most (the
    /// shard cost model, `plan::work`): `max_steps` × n for `gd` and `adam` (an upper bound:
    /// training stops early when the loss converges), min(epochs × n, max_steps ×
    /// batch_size) for `sgd`, and n × min(n, P) for `min-norm` (the least-squares solve).
    pub fn samples_seen(&self, n: u128, p: u128) -> u128 {
        match self {
            Train::MinNorm {} => n * n.min(p),
            Train::Gd(s) => s.max_steps as u128 * n,
            Train::Adam(s) => s.max_steps as u128 * n,
            Train::Sgd(s) => {
                let all = s.epochs as u128 * n;
                s.max_steps
                    .map_or(all, |steps| all.min(steps as u128 * s.batch_size as u128))
            }
        }
    }

    /// What the solver does, in a few words.
    pub fn about(&self) -> &'static str {
        match self {
            Train::MinNorm {} => "the minimum-norm least-squares closed form",
            Train::Gd(_) => "full-batch gradient descent on the squared error",
            Train::Adam(_) => "full-batch Adam on the squared error",
            Train::Sgd(_) => "minibatch SGD on the cross-entropy of a classifier",
        }
    }

    /// Why this solver cannot run on `device`, if it cannot (checked when the manifest is
    /// loaded, before any work).
    pub fn refuses(&self, device: DeviceKind) -> Option<&'static str> {
        match (self, device) {
            (_, DeviceKind::Cpu) | (Train::Gd(_) | Train::Adam(_) | Train::Sgd(_), _) => None,
            (Train::MinNorm {}, DeviceKind::Cuda) => Some(
                "with `solver: min-norm` is a closed form computed on the CPU (f64 linear \
                 algebra, no GPU path): use device cpu, or `solver: gd` to train on the GPU",
            ),
        }
    }

    /// Values that parse but cannot be used: (key under `train`, what is allowed).
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let positive = |key: &'static str, name: &str, v: f64| {
            if v > 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err((key, format!("{name} = {v}: must be a positive number")))
            }
        };
        let at_least_1 = |key: &'static str, v: usize| match v {
            0 => {
                let name = key.trim_start_matches("train.");
                Err((key, format!("{name} = {v}: must be at least 1")))
            }
            _ => Ok(()),
        };
        let stopping = |lr: f64, max_steps: usize, tol: f64, window: usize| {
            positive("train.lr", "lr", lr)?;
            if max_steps == 0 {
                return Err(("train.max_steps", "max_steps must be at least 1".into()));
            }
            if !(tol >= 0.0 && tol.is_finite()) {
                return Err((
                    "train.tol",
                    format!("tol = {tol}: must be zero or positive"),
                ));
            }
            if window == 0 {
                return Err(("train.window", "window must be at least 1".into()));
            }
            Ok(())
        };
        match self {
            Train::MinNorm {} => Ok(()),
            Train::Gd(s) => {
                if !(s.init_scale > 0.0 && s.init_scale.is_finite()) {
                    return Err((
                        "train.init_scale",
                        format!("init_scale = {}: must be positive", s.init_scale),
                    ));
                }
                stopping(s.lr, s.max_steps, s.tol, s.window)
            }
            Train::Adam(s) => {
                for (key, beta) in [("train.beta1", s.beta1), ("train.beta2", s.beta2)] {
                    if !(0.0..1.0).contains(&beta) {
                        let name = key.trim_start_matches("train.");
                        return Err((key, format!("{name} = {beta}: must lie in [0, 1)")));
                    }
                }
                if !(s.eps > 0.0 && s.eps.is_finite()) {
                    return Err(("train.eps", format!("eps = {}: must be positive", s.eps)));
                }
                stopping(s.lr, s.max_steps, s.tol, s.window)
            }
            Train::Sgd(s) => {
                positive("train.lr", "lr", s.lr)?;
                at_least_1("train.batch_size", s.batch_size)?;
                at_least_1("train.epochs", s.epochs)?;
                at_least_1("train.decay_every", s.decay_every)?;
                at_least_1("train.patience", s.patience.unwrap_or(1))?;
                at_least_1("train.max_steps", s.max_steps.unwrap_or(1))
            }
        }
    }
}
