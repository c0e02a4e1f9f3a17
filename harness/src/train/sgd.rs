//! Training classifiers: mini-batch SGD on the cross-entropy (SPEC §3, after Gu, Zheng &
//! Aste: no momentum, no weight decay, lr 0.05, batch 128, lr0/√(1 + ⌊epoch/50⌋)), and the
//! evaluation of a trained classifier (error, loss and representation) in evaluation mode.
//!
//! Mini-batches come from a fresh permutation of the training set each epoch, drawn with the
//! member's own [`Rng`] stream; the last batch of an epoch may be smaller (as PyTorch's
//! default loader). Training runs a fixed number of epochs, or stops earlier at an optional
//! cap on the optimizer steps (ours: a budget that is the same for every n).

use crate::matrix::Matrix;
use crate::models::classifier::Classifier;
use crate::rng::Rng;
use anyhow::Result;
use candle_core::{DType, Tensor, D};
use candle_nn::{loss::cross_entropy, Optimizer, SGD};
use serde::{Deserialize, Serialize};

/// Settings of one SGD run (`solver: sgd`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SgdSettings {
    #[serde(default = "super::default_lr")]
    pub lr: f64,
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    /// The rate at epoch e is lr/√(1 + ⌊e / decay_every⌋).
    #[serde(default = "default_decay_every")]
    pub decay_every: usize,
    /// Ours: stop after this many optimizer steps even if `epochs` are not done, so a
    /// budget can be set in steps (the same for every n) rather than in passes over the
    /// data. Absent (the default) = no cap; then it is left out of the canonical form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_steps: Option<usize>,
}

fn default_batch_size() -> usize {
    128
}
fn default_epochs() -> usize {
    200
}
fn default_decay_every() -> usize {
    50
}

impl SgdSettings {
    pub fn rate_at(&self, epoch: usize) -> f64 {
        self.lr / ((1 + epoch / self.decay_every) as f64).sqrt()
    }
}

/// Trains `model` on images `x` (N × C × H × W) with labels `y` (N, u32); returns the number
/// of SGD steps taken.
pub fn train_sgd(
    model: &dyn Classifier,
    x: &Tensor,
    y: &Tensor,
    settings: &SgdSettings,
    rng: &mut Rng,
) -> Result<usize> {
    let n = x.dim(0)?;
    let device = x.device();
    let mut opt = SGD::new(model.trainable(), settings.lr)?;
    let cap = settings.max_steps.unwrap_or(usize::MAX);
    let mut steps = 0;
    for epoch in 0..settings.epochs {
        if steps >= cap {
            break;
        }
        opt.set_learning_rate(settings.rate_at(epoch));
        let order: Vec<u32> = rng.permutation(n).into_iter().map(|i| i as u32).collect();
        for batch in order.chunks(settings.batch_size) {
            if steps >= cap {
                break;
            }
            let idx = Tensor::from_slice(batch, batch.len(), device)?;
            let xb = x.index_select(&idx, 0)?;
            let yb = y.index_select(&idx, 0)?;
            let out = model.forward_t(&xb, true)?;
            let loss = cross_entropy(&out.logits, &yb)?;
            opt.backward_step(&loss)?;
            steps += 1;
        }
    }
    Ok(steps)
}

/// A classifier measured on a labelled set, in evaluation mode.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Fraction of images whose arg-max logit is not the label.
    pub error: f64,
    /// Mean cross-entropy.
    pub loss: f64,
    /// N × width representation.
    pub features: Matrix,
}

/// Evaluates in chunks of `chunk` images (bounded memory on large test sets).
pub fn evaluate(
    model: &dyn Classifier,
    x: &Tensor,
    labels: &[u8],
    chunk: usize,
) -> Result<Evaluation> {
    let n = x.dim(0)?;
    let mut wrong = 0usize;
    let mut loss_sum = 0.0f64;
    let mut features = Vec::new();
    let mut width = 0;
    let mut start = 0;
    while start < n {
        let len = chunk.min(n - start);
        let out = model.forward_t(&x.narrow(0, start, len)?, false)?;
        let y: Vec<u32> = labels[start..start + len]
            .iter()
            .map(|&l| l as u32)
            .collect();
        let yt = Tensor::from_vec(y.clone(), len, x.device())?;
        let logp = candle_nn::ops::log_softmax(&out.logits, D::Minus1)?;
        let picked = logp.gather(&yt.unsqueeze(1)?, 1)?.squeeze(1)?;
        let picked: Vec<f64> = picked.to_dtype(DType::F64)?.to_vec1()?;
        loss_sum -= picked.iter().sum::<f64>();
        let pred: Vec<u32> = out.logits.argmax(D::Minus1)?.to_vec1()?;
        wrong += pred.iter().zip(&y).filter(|(p, t)| p != t).count();
        width = out.features.dim(1)?;
        features.extend(
            out.features
                .to_dtype(DType::F64)?
                .flatten_all()?
                .to_vec1::<f64>()?,
        );
        start += len;
    }
    Ok(Evaluation {
        error: wrong as f64 / n as f64,
        loss: loss_sum / n as f64,
        features: Matrix::new(n, width, features)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_divides_by_sqrt_every_50_epochs() {
        let s = SgdSettings {
            lr: 0.05,
            batch_size: 128,
            epochs: 200,
            decay_every: 50,
            max_steps: None,
        };
        assert_eq!(s.rate_at(0), 0.05);
        assert_eq!(s.rate_at(49), 0.05);
        assert_eq!(s.rate_at(50), 0.05 / 2f64.sqrt());
        assert_eq!(s.rate_at(150), 0.05 / 2.0);
    }

    #[test]
    fn max_steps_stops_within_an_epoch_and_a_loose_cap_changes_nothing() {
        use crate::models::fcnn::Fcnn;
        let mut rng = Rng::new(5);
        let n = 40;
        let x: Vec<f32> = (0..n * 64).map(|_| rng.uniform() as f32).collect();
        let x = Tensor::from_vec(x, (n, 1, 8, 8), &candle_core::Device::Cpu).unwrap();
        let y: Vec<u32> = (0..n).map(|i| (i % 10) as u32).collect();
        let y = Tensor::from_vec(y, n, x.device()).unwrap();
        let run = |max_steps| {
            let model = Fcnn::new(64, 3, 10, 0.1, &mut Rng::new(1), x.device()).unwrap();
            let settings = SgdSettings {
                lr: 0.05,
                batch_size: 16,
                epochs: 4,
                decay_every: 50,
                max_steps,
            };
            // 40 images in batches of 16: 3 steps per epoch.
            let steps = train_sgd(&model, &x, &y, &settings, &mut Rng::new(2)).unwrap();
            let w: Vec<f32> = model.state()[0].1.flatten_all().unwrap().to_vec1().unwrap();
            (steps, w)
        };
        let (full, w_full) = run(None);
        assert_eq!(full, 12);
        let (capped, w_capped) = run(Some(7));
        assert_eq!(capped, 7);
        assert_ne!(w_capped, w_full);
        assert_eq!(run(Some(12)), (12, w_full.clone()));
        assert_eq!(run(Some(100)), (12, w_full));
    }

    /// 64 CIFAR-shaped images whose class sets their brightness: learnable in a few epochs.
    fn brightness_task() -> (Tensor, Vec<u8>) {
        let mut rng = Rng::new(9);
        let n = 64;
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        let mut pixels = Vec::with_capacity(n * 3 * 32 * 32);
        for &l in &labels {
            for _ in 0..3 * 32 * 32 {
                pixels.push(l as f32 / 5.0 - 1.0 + 0.3 * (rng.uniform() as f32 - 0.5));
            }
        }
        let x = Tensor::from_vec(pixels, (n, 3, 32, 32), &candle_core::Device::Cpu).unwrap();
        (x, labels)
    }

    #[test]
    fn sgd_trains_cnn5_through_batchnorm() {
        use crate::models::cnn5::Cnn5;
        let (x, labels) = brightness_task();
        let y = Tensor::from_vec(
            labels.iter().map(|&l| l as u32).collect::<Vec<u32>>(),
            labels.len(),
            x.device(),
        )
        .unwrap();
        let model = Cnn5::new(3, 2, 10, &mut Rng::new(1), x.device()).unwrap();
        let before = evaluate(&model, &x, &labels, 1000).unwrap();
        let settings = SgdSettings {
            lr: 0.05,
            batch_size: 16,
            epochs: 15,
            decay_every: 50,
            max_steps: None,
        };
        let steps = train_sgd(&model, &x, &y, &settings, &mut Rng::new(2)).unwrap();
        assert_eq!(steps, 15 * 4);
        let after = evaluate(&model, &x, &labels, 1000).unwrap();
        assert!(
            after.loss < 0.7 * before.loss && after.error < before.error,
            "loss {} -> {}, error {} -> {}",
            before.loss,
            after.loss,
            before.error,
            after.error
        );
        assert_eq!((after.features.rows, after.features.cols), (64, 16));
    }
}
