//! `cnn5`: the CNN of Gu, Zheng & Aste (after Nakkiran et al.'s deep double descent), SPEC §3:
//! four stages of widths k, 2k, 4k, 8k, each a 3×3 convolution (stride 1, padding 1, with
//! bias) → BatchNorm → ReLU → max-pool (2, 2, 2, 4), then a linear map 8k → 10. On 32×32
//! inputs the last pool leaves 1×1, so its representation is the 8k features after that pool.
//!
//! P counts every trainable parameter: per stage 9·c_in·c_out weights + c_out biases + 2·c_out
//! BatchNorm scales and shifts, then 8k·10 + 10 (BatchNorm running statistics are state, not
//! parameters). Initialization follows PyTorch's defaults, which Gu et al. keep (our reading
//! of their code): weights and biases U(±1/√fan_in), BatchNorm scale 1 and shift 0, running
//! mean 0 and variance 1, momentum 0.1, ε = 1e-5.

use super::classifier::{uniform_values, var_from, Classifier, Forward};
use crate::rng::Rng;
use candle_core::{Device, Module, ModuleT, Result, Tensor, Var};
use candle_nn::{BatchNorm, Conv2d, Conv2dConfig};

/// Max-pool sizes of the four stages.
pub const POOLS: [usize; 4] = [2, 2, 2, 4];
/// Input side length the pools reduce to 1×1.
pub const INPUT_SIDE: usize = 32;

struct Stage {
    weight: Var,
    bias: Var,
    conv: Conv2d,
    scale: Var,
    shift: Var,
    norm: BatchNorm,
    pool: usize,
}

pub struct Cnn5 {
    stages: Vec<Stage>,
    /// 10 × 8k.
    head_w: Var,
    head_b: Var,
}

/// Channels of the stages: [k, 2k, 4k, 8k].
fn widths(k: usize) -> [usize; 4] {
    [k, 2 * k, 4 * k, 8 * k]
}

impl Cnn5 {
    pub fn parameter_count(in_channels: usize, k: usize, classes: usize) -> usize {
        let mut c_in = in_channels;
        let mut total = 0;
        for c in widths(k) {
            total += 9 * c_in * c + c + 2 * c;
            c_in = c;
        }
        total + 8 * k * classes + classes
    }

    pub fn new(
        in_channels: usize,
        k: usize,
        classes: usize,
        rng: &mut Rng,
        device: &Device,
    ) -> Result<Self> {
        let mut stages = Vec::with_capacity(4);
        let mut c_in = in_channels;
        for (c, pool) in widths(k).into_iter().zip(POOLS) {
            let bound = 1.0 / ((9 * c_in) as f64).sqrt();
            let weight = var_from(
                uniform_values(rng, c * c_in * 9, bound),
                &[c, c_in, 3, 3],
                device,
            )?;
            let bias = var_from(uniform_values(rng, c, bound), &[c], device)?;
            let conv = Conv2d::new(
                weight.as_tensor().clone(),
                Some(bias.as_tensor().clone()),
                Conv2dConfig {
                    padding: 1,
                    ..Default::default()
                },
            );
            let scale = var_from(vec![1.0; c], &[c], device)?;
            let shift = var_from(vec![0.0; c], &[c], device)?;
            let zeros = var_from(vec![0.0; c], &[c], device)?.as_tensor().clone();
            let ones = var_from(vec![1.0; c], &[c], device)?.as_tensor().clone();
            let norm = BatchNorm::new_with_momentum(
                c,
                zeros,
                ones,
                scale.as_tensor().clone(),
                shift.as_tensor().clone(),
                1e-5,
                0.1,
            )?;
            stages.push(Stage {
                weight,
                bias,
                conv,
                scale,
                shift,
                norm,
                pool,
            });
            c_in = c;
        }
        let bound = 1.0 / ((8 * k) as f64).sqrt();
        Ok(Cnn5 {
            stages,
            head_w: var_from(
                uniform_values(rng, classes * 8 * k, bound),
                &[classes, 8 * k],
                device,
            )?,
            head_b: var_from(uniform_values(rng, classes, bound), &[classes], device)?,
        })
    }
}

impl Classifier for Cnn5 {
    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Forward> {
        let mut h = x.clone();
        for s in &self.stages {
            h = s.conv.forward(&h)?;
            h = s.norm.forward_t(&h, train)?.relu()?.max_pool2d(s.pool)?;
        }
        let features = h.flatten_from(1)?;
        let logits = features
            .matmul(&self.head_w.as_tensor().t()?)?
            .broadcast_add(self.head_b.as_tensor())?;
        Ok(Forward { features, logits })
    }

    fn trainable(&self) -> Vec<Var> {
        let mut v = Vec::new();
        for s in &self.stages {
            v.extend([
                s.weight.clone(),
                s.bias.clone(),
                s.scale.clone(),
                s.shift.clone(),
            ]);
        }
        v.extend([self.head_w.clone(), self.head_b.clone()]);
        v
    }

    fn state(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        for (i, s) in self.stages.iter().enumerate() {
            for (name, t) in [
                ("conv.weight", s.weight.as_tensor()),
                ("conv.bias", s.bias.as_tensor()),
                ("bn.weight", s.scale.as_tensor()),
                ("bn.bias", s.shift.as_tensor()),
                ("bn.running_mean", s.norm.running_mean()),
                ("bn.running_var", s.norm.running_var()),
            ] {
                out.push((format!("stage{}.{name}", i + 1), t.clone()));
            }
        }
        out.push(("head.weight".into(), self.head_w.as_tensor().clone()));
        out.push(("head.bias".into(), self.head_b.as_tensor().clone()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::DType;

    #[test]
    fn shapes_and_parameter_count() {
        let mut rng = Rng::new(2);
        let m = Cnn5::new(3, 2, 10, &mut rng, &Device::Cpu).unwrap();
        let trainable: usize = m.trainable().iter().map(|v| v.elem_count()).sum();
        assert_eq!(trainable, Cnn5::parameter_count(3, 2, 10));
        // k = 1 on RGB by hand: 30 + 24 + 84 + 312 + 90.
        assert_eq!(Cnn5::parameter_count(3, 1, 10), 540);
        let x = Tensor::zeros((4, 3, 32, 32), DType::F32, &Device::Cpu).unwrap();
        let out = m.forward_t(&x, false).unwrap();
        assert_eq!(out.features.dims(), &[4, 16]);
        assert_eq!(out.logits.dims(), &[4, 10]);
    }

    #[test]
    fn batchnorm_modes_differ_and_training_updates_running_statistics() {
        let mut rng = Rng::new(3);
        let m = Cnn5::new(3, 1, 10, &mut rng, &Device::Cpu).unwrap();
        let values: Vec<f32> = (0..2 * 3 * 32 * 32)
            .map(|i| ((i * 7919) % 255) as f32 / 255.0 + 3.0)
            .collect();
        let x = Tensor::from_vec(values, (2, 3, 32, 32), &Device::Cpu).unwrap();
        let before = m.state()[4].1.to_vec1::<f32>().unwrap();
        assert_eq!(before, vec![0.0]);
        let eval = m.forward_t(&x, false).unwrap().logits;
        let train = m.forward_t(&x, true).unwrap().logits;
        let diff = (eval - train).unwrap().abs().unwrap().sum_all().unwrap();
        assert!(diff.to_scalar::<f32>().unwrap() > 1e-3);
        let after = m.state()[4].1.to_vec1::<f32>().unwrap();
        assert_ne!(after, before, "running mean moved");
    }
}
