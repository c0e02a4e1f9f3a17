//! `fcnn`: pixels → k ReLU units → 10 logits (SPEC §3), P = k(d_in + 1) + 10(k + 1). Its
//! representation is the k hidden units after the ReLU.
//!
//! Initialization after Gu, Zheng & Aste: every weight N(0, σ²) with σ = `init_std`
//! (0.1 in their code). Biases start at zero: that is our choice, their text is silent.

use super::classifier::{normal_values, var_from, Classifier, Forward};
use crate::rng::Rng;
use candle_core::{Device, Result, Tensor, Var};

pub struct Fcnn {
    /// k × d_in.
    w1: Var,
    b1: Var,
    /// 10 × k.
    w2: Var,
    b2: Var,
}

impl Fcnn {
    pub fn parameter_count(d_in: usize, width: usize, classes: usize) -> usize {
        width * (d_in + 1) + classes * (width + 1)
    }

    pub fn new(
        d_in: usize,
        width: usize,
        classes: usize,
        init_std: f64,
        rng: &mut Rng,
        device: &Device,
    ) -> Result<Self> {
        let w1 = normal_values(rng, width * d_in, init_std);
        let w2 = normal_values(rng, classes * width, init_std);
        Ok(Fcnn {
            w1: var_from(w1, &[width, d_in], device)?,
            b1: var_from(vec![0.0; width], &[width], device)?,
            w2: var_from(w2, &[classes, width], device)?,
            b2: var_from(vec![0.0; classes], &[classes], device)?,
        })
    }
}

impl Classifier for Fcnn {
    fn forward_t(&self, x: &Tensor, _train: bool) -> Result<Forward> {
        let x = x.flatten_from(1)?;
        let features = x
            .matmul(&self.w1.as_tensor().t()?)?
            .broadcast_add(self.b1.as_tensor())?
            .relu()?;
        let logits = features
            .matmul(&self.w2.as_tensor().t()?)?
            .broadcast_add(self.b2.as_tensor())?;
        Ok(Forward { features, logits })
    }

    fn trainable(&self) -> Vec<Var> {
        vec![
            self.w1.clone(),
            self.b1.clone(),
            self.w2.clone(),
            self.b2.clone(),
        ]
    }

    fn state(&self) -> Vec<(String, Tensor)> {
        [
            ("w1", &self.w1),
            ("b1", &self.b1),
            ("w2", &self.w2),
            ("b2", &self.b2),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_string(), v.as_tensor().clone()))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_count_matches_the_tensors() {
        let mut rng = Rng::new(1);
        let m = Fcnn::new(64, 5, 10, 0.1, &mut rng, &Device::Cpu).unwrap();
        let total: usize = m.state().iter().map(|(_, t)| t.elem_count()).sum();
        assert_eq!(total, Fcnn::parameter_count(64, 5, 10));
        assert_eq!(total, 5 * 65 + 10 * 6);
        let x = Tensor::ones((3, 1, 8, 8), candle_core::DType::F32, &Device::Cpu).unwrap();
        let out = m.forward_t(&x, true).unwrap();
        assert_eq!(out.features.dims(), &[3, 5]);
        assert_eq!(out.logits.dims(), &[3, 10]);
    }
}
