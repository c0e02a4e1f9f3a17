//! What the SGD trainer ([`crate::train::sgd`]) needs from an image classifier: a forward pass in
//! training or evaluation mode that returns the compared representation beside the logits,
//! the trainable variables, and every tensor of its state (for the member artifact).
//!
//! Training runs on a [`ClassifierEnsemble`]: M networks of one shape with their parameters
//! stacked along a leading member dimension, advanced together in one computation (one batched
//! matrix product per layer for `fcnn`, one grouped convolution per stage for `cnn5`). Every
//! operation acts on each member's slice alone, so a member's trajectory does not depend on
//! which others share its ensemble (tests check it). A single network ([`Classifier`]) is
//! what is evaluated and stored; [`ClassifierEnsemble::member`] takes one out.
//!
//! Initial weights are drawn with the project's [`Rng`] and turned into candle variables here
//! ([`var_from`]), never with candle's own random generator.

use crate::rng::Rng;
use candle_core::{DType, Device, Result, Tensor, Var};

/// One forward pass: the representation compared between members and the class logits.
pub struct Forward {
    /// N × width: the penultimate features (fcnn: hidden post-ReLU; cnn5: after the last pool).
    pub features: Tensor,
    /// N × 10.
    pub logits: Tensor,
}

pub trait Classifier: Send + Sync {
    /// `x` is N × C × H × W; `train` selects BatchNorm's batch statistics (and updates its
    /// running statistics) instead of the running ones.
    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Forward>;
    /// The parameters SGD updates.
    fn trainable(&self) -> Vec<Var>;
    /// Every tensor of the state by name (parameters and BatchNorm running statistics).
    fn state(&self) -> Vec<(String, Tensor)>;
}

/// M classifiers of one shape trained together.
pub trait ClassifierEnsemble: Send + Sync {
    /// The number of members M.
    fn members(&self) -> usize;
    /// `x` is M × B × C × H × W (member m's own B images); returns features M × B × width and
    /// logits M × B × 10. `train` as in [`Classifier::forward_t`], per member.
    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Forward>;
    /// The stacked parameters SGD updates; each one's first dimension is member-major (M · r
    /// rows, member m's r rows together), so that a per-member rate can be spread over it.
    fn trainable(&self) -> Vec<Var>;
    /// The ensemble of the members at `keep`, in that order (fresh variables: the original
    /// is left as it is).
    fn select(&self, keep: &[usize]) -> Result<Box<dyn ClassifierEnsemble>>;
    /// Member `i` as a network of its own (its current parameters and statistics, copied).
    fn member(&self, i: usize) -> Result<Box<dyn Classifier>>;
    /// One SGD step of the lockstep with the gradients written out instead of built by
    /// autograd (fewer, larger kernels): `x` M × B × C × H × W, `labels` (u32) and `weights`
    /// M × B, each member's loss −Σ_b weight·log p(label), updated at its own rate (`rates`,
    /// M). `Ok(false)` where a network has no such form (the lockstep then runs autograd).
    fn fused_sgd_step(
        &self,
        _x: &Tensor,
        _labels: &Tensor,
        _weights: &Tensor,
        _rates: &Tensor,
    ) -> Result<bool> {
        Ok(false)
    }
}

/// A new variable holding a copy of `t` (never `t`'s own storage, even when `t` is a variable).
pub fn fresh_var(t: &Tensor) -> Result<Var> {
    Var::from_tensor(&t.detach())
}

/// Member rows `keep` of a stacked tensor (leading member dimension), as a fresh variable.
pub fn select_rows(t: &Tensor, keep: &[usize]) -> Result<Var> {
    let rows: Vec<u32> = keep.iter().map(|&i| i as u32).collect();
    let rows = Tensor::from_vec(rows, keep.len(), t.device())?;
    fresh_var(&t.index_select(&rows, 0)?)
}

/// A classifier's hand-written CPU training form (e.g. [`super::fcnn::cpu::FcnnCpu`]): the
/// SGD step and the error count that `train::sgd` computes with candle on the CPU, bit for bit,
/// without building tensors. A model that has none is trained with candle.
pub trait CpuStep: Send {
    /// Values per image.
    fn inputs(&self) -> usize;
    /// One SGD step of the mean cross-entropy on `labels.len()` images `x` (row-major) at
    /// learning rate `lr`.
    fn step(&mut self, x: &[f32], labels: &[u8], lr: f64);
    /// How many of the images `x` (at most [`CPU_CHECK_CHUNK`]) have a first largest logit
    /// other than their label, in evaluation mode: one chunk of `train::sgd`'s check.
    fn errors(&mut self, x: &[f32], labels: &[u8]) -> usize;
    /// The network with the current parameters, on `device`.
    fn classifier(&self, device: &Device) -> Result<Box<dyn Classifier>>;
}

/// Images per forward pass of the training-error check (`train::sgd`).
pub const CPU_CHECK_CHUNK: usize = 1000;

/// A trainable f32 variable holding a copy of `values`.
pub fn var_from_f32(values: &[f32], shape: &[usize], device: &Device) -> Result<Var> {
    Var::from_tensor(&Tensor::from_slice(values, shape, &Device::Cpu)?.to_device(device)?)
}

/// One parameter of every network, stacked along a new leading member dimension, as a fresh
/// variable. `as_row`: each network's tensor gains a leading 1 first (a bias of length k
/// becomes 1 × k per member, broadcasting over that member's samples).
pub fn stack_members<N>(nets: &[N], param: impl Fn(&N) -> &Var, as_row: bool) -> Result<Var> {
    let parts = nets
        .iter()
        .map(|n| match as_row {
            true => param(n).as_tensor().unsqueeze(0),
            false => Ok(param(n).as_tensor().clone()),
        })
        .collect::<Result<Vec<_>>>()?;
    fresh_var(&Tensor::stack(&parts, 0)?)
}

/// Member `i`'s slice of a stacked tensor as a fresh variable of the single network's shape.
pub fn row_var(t: &Tensor, i: usize) -> Result<Var> {
    fresh_var(&t.get(i)?)
}

/// A trainable f32 variable holding `values`.
pub fn var_from(values: Vec<f64>, shape: &[usize], device: &Device) -> Result<Var> {
    let t = Tensor::from_vec(values, shape, &Device::Cpu)?
        .to_dtype(DType::F32)?
        .to_device(device)?;
    Var::from_tensor(&t)
}

/// `len` draws from N(0, std²).
pub fn normal_values(rng: &mut Rng, len: usize, std: f64) -> Vec<f64> {
    rng.normals(len).into_iter().map(|z| z * std).collect()
}

/// `len` draws from U(−bound, bound).
pub fn uniform_values(rng: &mut Rng, len: usize, bound: f64) -> Vec<f64> {
    (0..len)
        .map(|_| (2.0 * rng.uniform() - 1.0) * bound)
        .collect()
}
