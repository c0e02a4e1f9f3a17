//! What the SGD trainer ([`crate::train::sgd`]) needs from an image classifier: a forward pass in
//! training or evaluation mode that returns the compared representation beside the logits,
//! the trainable variables, and every tensor of its state (for the member artifact).
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
