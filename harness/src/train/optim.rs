//! Full-batch optimizers on the flat parameters of an ensemble (one row per member): plain
//! gradient descent and Adam, in two forms with the same arithmetic. [`Optimizer`] updates a
//! candle tensor `theta` [M, P] on any device; [`CpuOptimizer`] updates parameters in host
//! memory in place, one fused pass and no allocation per step (the CPU trainer's form: the
//! tensor form allocates a new tensor per operation, and at n = 500, M = 32 that churn cost
//! about a third of a step). Both evaluate every element with the same operations in the
//! same order, so their results are bit-identical (tested). Each element is updated exactly
//! as if its member were trained alone, so an ensemble trains M independent networks in one
//! computation.

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
                let c = AdamCoefficients::new(*lr, *beta1, *beta2, *eps, *t);
                *m = m
                    .affine(c.beta1, 0.0)?
                    .add(&grad.affine(c.one_minus_beta1, 0.0)?)?;
                *v = v
                    .affine(c.beta2, 0.0)?
                    .add(&grad.sqr()?.affine(c.one_minus_beta2, 0.0)?)?;
                let denom = v.sqrt()?.affine(c.inv_bias2_sqrt, c.eps)?;
                Ok(theta.sub(&m.div(&denom)?.affine(c.step_size, 0.0)?)?)
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

/// The scalars of Adam's step `t`, computed once for both forms (candle's `affine(a, b)` is
/// `x * a + b` per element, which [`CpuOptimizer`] spells out, `+ 0.0` included: it turns a
/// −0.0 into +0.0, as the tensor form does).
struct AdamCoefficients {
    beta1: f64,
    one_minus_beta1: f64,
    beta2: f64,
    one_minus_beta2: f64,
    inv_bias2_sqrt: f64,
    eps: f64,
    step_size: f64,
}

impl AdamCoefficients {
    fn new(lr: f64, beta1: f64, beta2: f64, eps: f64, t: i32) -> Self {
        AdamCoefficients {
            beta1,
            one_minus_beta1: 1.0 - beta1,
            beta2,
            one_minus_beta2: 1.0 - beta2,
            inv_bias2_sqrt: 1.0 / (1.0 - beta2.powi(t)).sqrt(),
            eps,
            step_size: lr / (1.0 - beta1.powi(t)),
        }
    }
}

/// [`Optimizer`] on parameters in host memory, updated in place. The state (Adam's moments)
/// is laid out like the parameters, element for element; [`CpuOptimizer::state_mut`] lets
/// the caller rearrange it together with them (when members leave the batch).
#[derive(Clone, Debug)]
pub enum CpuOptimizer {
    Gd {
        lr: f64,
    },
    Adam {
        lr: f64,
        beta1: f64,
        beta2: f64,
        eps: f64,
        m: Vec<f64>,
        v: Vec<f64>,
        /// Steps taken so far.
        t: i32,
    },
}

impl CpuOptimizer {
    /// The optimizer of a full-batch rule, for `len` parameters.
    pub fn new(rule: FullBatch<'_>, len: usize) -> Self {
        match rule {
            FullBatch::Gd(s) => CpuOptimizer::Gd { lr: s.lr },
            FullBatch::Adam(s) => CpuOptimizer::Adam {
                lr: s.lr,
                beta1: s.beta1,
                beta2: s.beta2,
                eps: s.eps,
                m: vec![0.0; len],
                v: vec![0.0; len],
                t: 0,
            },
        }
    }

    /// One update of `theta` in place, element for element as [`Optimizer::step`].
    pub fn step(&mut self, theta: &mut [f64], grad: &[f64]) {
        assert_eq!(theta.len(), grad.len(), "one gradient per parameter");
        match self {
            CpuOptimizer::Gd { lr } => {
                for (th, &g) in theta.iter_mut().zip(grad) {
                    *th -= g * *lr + 0.0;
                }
            }
            CpuOptimizer::Adam {
                lr,
                beta1,
                beta2,
                eps,
                m,
                v,
                t,
            } => {
                assert_eq!(
                    m.len(),
                    theta.len(),
                    "Adam's state has one entry per parameter"
                );
                *t += 1;
                let c = AdamCoefficients::new(*lr, *beta1, *beta2, *eps, *t);
                for (((th, &g), m), v) in theta.iter_mut().zip(grad).zip(m).zip(v) {
                    *m = (*m * c.beta1 + 0.0) + (g * c.one_minus_beta1 + 0.0);
                    *v = (*v * c.beta2 + 0.0) + ((g * g) * c.one_minus_beta2 + 0.0);
                    let denom = v.sqrt() * c.inv_bias2_sqrt + c.eps;
                    *th -= (*m / denom) * c.step_size + 0.0;
                }
            }
        }
    }

    /// The state vectors (none for GD), to be rearranged like the parameters.
    pub fn state_mut(&mut self) -> Vec<&mut Vec<f64>> {
        match self {
            CpuOptimizer::Gd { .. } => Vec::new(),
            CpuOptimizer::Adam { m, v, .. } => vec![m, v],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::train::GdSettings;
    use candle_core::Device;

    /// The in-place form against the tensor form: equal bits after every step, for both
    /// rules, on gradients of mixed signs and sizes (and exact zeros).
    #[test]
    fn cpu_optimizer_is_bit_identical_to_the_tensor_form() {
        let adam = AdamSettings {
            lr: 0.03,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            max_steps: 10,
            tol: 0.0,
            window: 1,
        };
        let gd = GdSettings {
            lr: 0.07,
            init_scale: 1.0,
            max_steps: 10,
            tol: 0.0,
            window: 1,
        };
        let mut rng = Rng::new(9);
        let (rows, cols) = (3, 7);
        let start = rng.normals(rows * cols);
        for rule in [FullBatch::Adam(&adam), FullBatch::Gd(&gd)] {
            let mut theta = Tensor::from_vec(start.clone(), (rows, cols), &Device::Cpu).unwrap();
            let mut tensor_form = Optimizer::new(rule, &theta).unwrap();
            let mut flat = start.clone();
            let mut cpu_form = CpuOptimizer::new(rule, flat.len());
            for step in 0..6 {
                let mut g: Vec<f64> = rng
                    .normals(rows * cols)
                    .iter()
                    .map(|x| x * 1e3f64.powi(step - 3))
                    .collect();
                g[step as usize] = 0.0;
                let gt = Tensor::from_vec(g.clone(), (rows, cols), &Device::Cpu).unwrap();
                theta = tensor_form.step(&theta, &gt).unwrap();
                cpu_form.step(&mut flat, &g);
                let want = theta.flatten_all().unwrap().to_vec1::<f64>().unwrap();
                let (a, b): (Vec<u64>, Vec<u64>) = (
                    flat.iter().map(|x| x.to_bits()).collect(),
                    want.iter().map(|x| x.to_bits()).collect(),
                );
                assert_eq!(a, b, "step {step}");
            }
            assert_ne!(flat, start, "the steps moved the parameters");
        }
    }

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
