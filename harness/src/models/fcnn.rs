//! `fcnn`: pixels → k ReLU units → 10 logits (SPEC §3), P = k(d_in + 1) + 10(k + 1). Its
//! representation is the k hidden units after the ReLU.
//!
//! Initialization as Gu, Zheng & Aste's code: every weight N(0, σ²) with σ = `init_std`
//! (0.1 there, `torch.nn.init.normal_` on the two weight matrices), every bias left at
//! PyTorch's default for `nn.Linear`, U(−1/√fan_in, 1/√fan_in) (fan_in = d_in for the hidden
//! layer, k for the output layer); all drawn from the project's [`Rng`] in the order W1, b1,
//! W2, b2.
//!
//! [`FcnnEnsemble`] is the training form: M networks' parameters stacked with a leading
//! member dimension, so that each layer of all M members is one batched matrix product.
//! [`cpu::FcnnCpu`] is the CPU training form of one network: the same step, bit for bit,
//! without tensors.

pub mod cpu;

use super::classifier::{
    fresh_var, normal_values, row_var, select_rows, stack_members, uniform_values, var_from,
    Classifier, ClassifierEnsemble, CpuStep, Forward,
};
use super::network::{width_within, Network, Reads, Rejection, MAX_WIDTH};
use crate::data::datasets::{Dataset, CLASSES};
use crate::data::Input;
use crate::rng::Rng;
use candle_core::{Device, Result, Tensor, Var};
use serde::{Deserialize, Serialize};

/// `model: {kind: fcnn, width: k, init_std: 0.1}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FcnnConfig {
    pub width: usize,
    /// Standard deviation of the initial weights (Gu, Zheng & Aste: 0.1).
    #[serde(default = "default_init_std")]
    pub init_std: f64,
}

pub fn default_init_std() -> f64 {
    0.1
}

impl Network for FcnnConfig {
    fn name(&self) -> &'static str {
        "fcnn"
    }

    fn describe(&self) -> String {
        format!("fcnn width {}", self.width)
    }

    fn reads(&self) -> Reads {
        Reads::Images
    }

    fn check(&self, _input: &Input) -> std::result::Result<(), Rejection> {
        width_within(self.width, MAX_WIDTH)?;
        if !(self.init_std > 0.0 && self.init_std.is_finite()) {
            return Err((
                "model.init_std",
                format!("init_std = {}: must be positive", self.init_std),
            ));
        }
        Ok(())
    }

    fn parameter_count(&self, input: &Input) -> usize {
        match input {
            Input::Images(dataset) => {
                Fcnn::parameter_count(dataset.shape().len(), self.width, CLASSES)
            }
            Input::Vector { .. } => unreachable!("fcnn reads images (Model::check)"),
        }
    }

    fn representation_width(&self) -> usize {
        self.width
    }

    fn solvers(&self) -> &'static [&'static str] {
        &["sgd"]
    }

    fn trains_members_together(&self) -> bool {
        true
    }

    fn ensemble(
        &self,
        dataset: Dataset,
        inits: &mut [&mut Rng],
        device: &Device,
    ) -> anyhow::Result<Box<dyn ClassifierEnsemble>> {
        let d_in = dataset.shape().len();
        let nets = inits
            .iter_mut()
            .map(|rng| Fcnn::new(d_in, self.width, CLASSES, self.init_std, rng, device))
            .collect::<Result<Vec<_>>>()?;
        Ok(Box::new(FcnnEnsemble::stack(&nets)?))
    }

    fn cpu_step(
        &self,
        dataset: Dataset,
        init: &mut Rng,
        batch: usize,
    ) -> anyhow::Result<Option<Box<dyn CpuStep>>> {
        let net = Fcnn::new(
            dataset.shape().len(),
            self.width,
            CLASSES,
            self.init_std,
            init,
            &Device::Cpu,
        )?;
        Ok(Some(Box::new(cpu::FcnnCpu::new(&net, batch)?)))
    }
}

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
        let b1 = uniform_values(rng, width, 1.0 / (d_in as f64).sqrt());
        let w2 = normal_values(rng, classes * width, init_std);
        let b2 = uniform_values(rng, classes, 1.0 / (width as f64).sqrt());
        Ok(Fcnn {
            w1: var_from(w1, &[width, d_in], device)?,
            b1: var_from(b1, &[width], device)?,
            w2: var_from(w2, &[classes, width], device)?,
            b2: var_from(b2, &[classes], device)?,
        })
    }
}

/// M `fcnn`s of one shape: W1 M × k × d, b1 M × 1 × k, W2 M × 10 × k, b2 M × 1 × 10.
pub struct FcnnEnsemble {
    w1: Var,
    b1: Var,
    w2: Var,
    b2: Var,
}

impl FcnnEnsemble {
    /// Stacks networks (their current parameters, copied).
    pub fn stack(nets: &[Fcnn]) -> Result<Self> {
        Ok(FcnnEnsemble {
            w1: stack_members(nets, |n| &n.w1, false)?,
            b1: stack_members(nets, |n| &n.b1, true)?,
            w2: stack_members(nets, |n| &n.w2, false)?,
            b2: stack_members(nets, |n| &n.b2, true)?,
        })
    }
}

/// Both layers on flattened inputs, one sample per row: for one network (x n × d_in,
/// W1 k × d_in) or for M stacked ones (x M × n × d_in, W1 M × k × d_in; `t` transposes the
/// last two dimensions either way).
fn forward(x: &Tensor, [w1, b1, w2, b2]: [&Var; 4]) -> Result<Forward> {
    let features = x
        .matmul(&w1.as_tensor().t()?)?
        .broadcast_add(b1.as_tensor())?
        .relu()?;
    let logits = features
        .matmul(&w2.as_tensor().t()?)?
        .broadcast_add(b2.as_tensor())?;
    Ok(Forward { features, logits })
}

impl ClassifierEnsemble for FcnnEnsemble {
    fn members(&self) -> usize {
        self.w1
            .dim(0)
            .expect("stacked weights have a member dimension")
    }

    fn forward_t(&self, x: &Tensor, _train: bool) -> Result<Forward> {
        forward(
            &x.flatten_from(2)?,
            [&self.w1, &self.b1, &self.w2, &self.b2],
        )
    }

    fn trainable(&self) -> Vec<Var> {
        [&self.w1, &self.b1, &self.w2, &self.b2]
            .map(Var::clone)
            .to_vec()
    }

    fn select(&self, keep: &[usize]) -> Result<Box<dyn ClassifierEnsemble>> {
        Ok(Box::new(FcnnEnsemble {
            w1: select_rows(self.w1.as_tensor(), keep)?,
            b1: select_rows(self.b1.as_tensor(), keep)?,
            w2: select_rows(self.w2.as_tensor(), keep)?,
            b2: select_rows(self.b2.as_tensor(), keep)?,
        }))
    }

    fn member(&self, i: usize) -> Result<Box<dyn Classifier>> {
        let flat = |v: &Var| fresh_var(&v.as_tensor().get(i)?.flatten_all()?);
        Ok(Box::new(Fcnn {
            w1: row_var(self.w1.as_tensor(), i)?,
            b1: flat(&self.b1)?,
            w2: row_var(self.w2.as_tensor(), i)?,
            b2: flat(&self.b2)?,
        }))
    }

    /// The gradients of the two layers written out: with p = softmax(logits) and y one-hot,
    /// ∂loss/∂logits = (p − y)·weight (the softmax cross-entropy gradient, fused softmax and one
    /// scatter), then the two batched products per layer and the ReLU mask; the gradient of the
    /// images is not formed. About a third of autograd's tensors (tests/lockstep_launches.rs).
    fn fused_sgd_step(
        &self,
        x: &Tensor,
        labels: &Tensor,
        weights: &Tensor,
        rates: &Tensor,
    ) -> Result<bool> {
        let x = x.flatten_from(2)?;
        let (w1, w2) = (self.w1.as_tensor(), self.w2.as_tensor());
        let hidden = x
            .matmul(&w1.t()?)?
            .broadcast_add(self.b1.as_tensor())?
            .relu()?;
        let logits = hidden
            .matmul(&w2.t()?)?
            .broadcast_add(self.b2.as_tensor())?;
        // (p − y)·weight: p·weight, less the weight at each row's label.
        let weights = weights.unsqueeze(2)?;
        let d_logits = candle_nn::ops::softmax_last_dim(&logits)?
            .broadcast_mul(&weights)?
            .scatter_add(&labels.unsqueeze(2)?.contiguous()?, &weights.neg()?, 2)?;
        let d_hidden = d_logits
            .matmul(w2)?
            .mul(&hidden.gt(0f32)?.to_dtype(hidden.dtype())?)?;
        let rate = rates.reshape((rates.dim(0)?, 1, 1))?;
        for (var, grad) in [
            (&self.w1, d_hidden.t()?.matmul(&x)?),
            (&self.b1, d_hidden.sum_keepdim(1)?),
            (&self.w2, d_logits.t()?.matmul(&hidden)?),
            (&self.b2, d_logits.sum_keepdim(1)?),
        ] {
            var.set(&(var.as_tensor() - grad.broadcast_mul(&rate)?)?)?;
        }
        Ok(true)
    }
}

impl Classifier for Fcnn {
    fn forward_t(&self, x: &Tensor, _train: bool) -> Result<Forward> {
        forward(
            &x.flatten_from(1)?,
            [&self.w1, &self.b1, &self.w2, &self.b2],
        )
    }

    fn trainable(&self) -> Vec<Var> {
        [&self.w1, &self.b1, &self.w2, &self.b2]
            .map(Var::clone)
            .to_vec()
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

    #[test]
    fn biases_start_at_pytorchs_default_and_weights_at_init_std() {
        let m = Fcnn::new(64, 50, 10, 0.1, &mut Rng::new(4), &Device::Cpu).unwrap();
        let values =
            |i: usize| -> Vec<f32> { m.state()[i].1.flatten_all().unwrap().to_vec1().unwrap() };
        let max_abs = |v: &[f32]| v.iter().fold(0f32, |a, x| a.max(x.abs()));
        let (b1, b2) = (values(1), values(3));
        // U(±1/√64) and U(±1/√50), filling their ranges.
        assert!(max_abs(&b1) <= 0.125 && max_abs(&b1) > 0.1, "{b1:?}");
        assert!(
            max_abs(&b2) <= 1.0 / 50f32.sqrt() && max_abs(&b2) > 0.05,
            "{b2:?}"
        );
        let w1 = values(0);
        let sd = (w1.iter().map(|w| w * w).sum::<f32>() / w1.len() as f32).sqrt();
        assert!((sd - 0.1).abs() < 0.005, "{sd}");
    }

    #[test]
    fn the_ensemble_is_its_members_side_by_side() {
        let nets: Vec<Fcnn> = (0..3)
            .map(|i| Fcnn::new(64, 4, 10, 0.1, &mut Rng::new(i), &Device::Cpu).unwrap())
            .collect();
        let e = FcnnEnsemble::stack(&nets).unwrap();
        let mut rng = Rng::new(8);
        let x: Vec<f32> = (0..3 * 5 * 64).map(|_| rng.uniform() as f32).collect();
        let x = Tensor::from_vec(x, (3, 5, 1, 8, 8), &Device::Cpu).unwrap();
        let out = e.forward_t(&x, true).unwrap();
        assert_eq!(out.features.dims(), &[3, 5, 4]);
        let picked = e.select(&[2, 0]).unwrap();
        for (i, net) in nets.iter().enumerate() {
            let alone = net.forward_t(&x.get(i).unwrap(), true).unwrap();
            let together: Vec<Vec<f32>> = out.logits.get(i).unwrap().to_vec2().unwrap();
            assert_eq!(together, alone.logits.to_vec2::<f32>().unwrap());
            let state = |c: &dyn Classifier| -> Vec<Vec<f32>> {
                c.state()
                    .iter()
                    .map(|(_, t)| t.flatten_all().unwrap().to_vec1().unwrap())
                    .collect()
            };
            assert_eq!(state(e.member(i).unwrap().as_ref()), state(net));
            if i != 1 {
                let row = if i == 2 { 0 } else { 1 };
                assert_eq!(state(picked.member(row).unwrap().as_ref()), state(net));
            }
        }
    }
}
