//! Full-batch optimizers on a flat parameter tensor `theta` [M, P] (one row per ensemble
//! member): plain gradient descent and Adam. Each row is updated exactly as if its member
//! were trained alone, so an ensemble trains M independent networks in one computation.

use super::{default_max_steps, default_tol, default_window, FullBatch};
use anyhow::Result;
use candle_core::Tensor;
use serde::{Deserialize, Serialize};

/// Settings of a full-batch Adam run (`solver: adam`): PyTorch's defaults for the betas and
/// eps, and the stopping rule of `gd`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdamSettings {
    #[serde(default = "default_adam_lr")]
    pub lr: f64,
    #[serde(default = "default_beta1")]
    pub beta1: f64,
    #[serde(default = "default_beta2")]
    pub beta2: f64,
    #[serde(default = "default_eps")]
    pub eps: f64,
    #[serde(default = "default_max_steps")]
    pub max_steps: usize,
    #[serde(default = "default_tol")]
    pub tol: f64,
    #[serde(default = "default_window")]
    pub window: usize,
}

fn default_adam_lr() -> f64 {
    1e-3
}
fn default_beta1() -> f64 {
    0.9
}
fn default_beta2() -> f64 {
    0.999
}
fn default_eps() -> f64 {
    1e-8
}

/// The optimizer of one ensemble, with its state.
#[derive(Clone, Debug)]
pub enum Optimizer {
    Gd {
        lr: f64,
    },
    /// Adam as PyTorch writes it: m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g²,
    /// θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps).
    Adam {
        lr: f64,
        beta1: f64,
        beta2: f64,
        eps: f64,
        m: Tensor,
        v: Tensor,
        /// Steps taken so far.
        t: i32,
    },
}

impl Optimizer {
    /// The optimizer of a full-batch rule, for parameters shaped like `theta`.
    pub fn new(rule: FullBatch<'_>, theta: &Tensor) -> Result<Self> {
        Ok(match rule {
            FullBatch::Gd(s) => Optimizer::Gd { lr: s.lr },
            FullBatch::Adam(s) => Optimizer::Adam {
                lr: s.lr,
                beta1: s.beta1,
                beta2: s.beta2,
                eps: s.eps,
                m: theta.zeros_like()?,
                v: theta.zeros_like()?,
                t: 0,
            },
        })
    }

    /// One update: returns the new `theta`.
    pub fn step(&mut self, theta: &Tensor, grad: &Tensor) -> Result<Tensor> {
        match self {
            Optimizer::Gd { lr } => Ok(theta.sub(&grad.affine(*lr, 0.0)?)?),
            Optimizer::Adam {
                lr,
                beta1,
                beta2,
                eps,
                m,
                v,
                t,
            } => {
                *t += 1;
                *m = m
                    .affine(*beta1, 0.0)?
                    .add(&grad.affine(1.0 - *beta1, 0.0)?)?;
                *v = v
                    .affine(*beta2, 0.0)?
                    .add(&grad.sqr()?.affine(1.0 - *beta2, 0.0)?)?;
                let step_size = *lr / (1.0 - beta1.powi(*t));
                let bias2_sqrt = (1.0 - beta2.powi(*t)).sqrt();
                let denom = v.sqrt()?.affine(1.0 / bias2_sqrt, *eps)?;
                Ok(theta.sub(&m.div(&denom)?.affine(step_size, 0.0)?)?)
            }
        }
    }

    /// Keeps the state of the members at `rows` only (when others have stopped).
    pub fn select(&mut self, rows: &Tensor) -> Result<()> {
        if let Optimizer::Adam { m, v, .. } = self {
            *m = m.index_select(rows, 0)?;
            *v = v.index_select(rows, 0)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn adam_follows_the_pytorch_formula() {
        let adam = AdamSettings {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            max_steps: 10,
            tol: 0.0,
            window: 1,
        };
        let theta = Tensor::new(&[[1.0f64, -2.0]], &Device::Cpu).unwrap();
        let mut opt = Optimizer::new(FullBatch::Adam(&adam), &theta).unwrap();
        let mut th = theta.clone();
        let grads = [[0.5, -1.0], [0.25, 2.0]];
        let (mut m, mut v, mut want) = ([0.0; 2], [0.0; 2], [1.0, -2.0]);
        for (t, g) in grads.iter().enumerate() {
            let gt = Tensor::new(&[*g], &Device::Cpu).unwrap();
            th = opt.step(&th, &gt).unwrap();
            for i in 0..2 {
                m[i] = 0.9 * m[i] + 0.1 * g[i];
                v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
                let t = t as i32 + 1;
                let mhat = m[i] / (1.0 - 0.9f64.powi(t));
                let vhat = v[i] / (1.0 - 0.999f64.powi(t));
                want[i] -= 0.1 * mhat / (vhat.sqrt() + 1e-8);
            }
        }
        let got = th.to_vec2::<f64>().unwrap()[0].clone();
        for (g, w) in got.iter().zip(&want) {
            // eps enters after the bias correction of v in both forms only up to ~1e-9.
            assert!((g - w).abs() < 1e-8, "{got:?} vs {want:?}");
        }
        assert!((got[0] - 1.0).abs() > 0.1, "two steps moved the parameter");
    }
}
