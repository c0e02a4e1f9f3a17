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
//!
//! [`Cnn5Ensemble`] is the training form: M networks in one computation. Their stages' kernels
//! are stacked along the output channels and each stage is one grouped convolution (groups =
//! M: member m's input channels meet only member m's kernels); BatchNorm then normalizes each
//! of the M·c channels over the batch on its own, which is each member's own BatchNorm.

use super::classifier::{
    fresh_var, row_var, select_rows, stack_members, uniform_values, var_from, Classifier,
    ClassifierEnsemble, Forward,
};
use super::network::{width_within, Network, Reads, Rejection};
use crate::data::datasets::{Dataset, CLASSES};
use crate::data::Input;
use crate::rng::Rng;
use candle_core::{Device, ModuleT, Result, Tensor, Var};
use candle_nn::BatchNorm;
use serde::{Deserialize, Serialize};

/// Largest base width k of cnn5 (its last stage has 8k channels).
pub const MAX_CNN5_WIDTH: usize = 1024;

/// `model: {kind: cnn5, width: k}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cnn5Config {
    pub width: usize,
}

impl Network for Cnn5Config {
    fn name(&self) -> &'static str {
        "cnn5"
    }

    fn describe(&self) -> String {
        format!("cnn5 width {}", self.width)
    }

    fn reads(&self) -> Reads {
        Reads::Images
    }

    fn check(&self, input: &Input) -> std::result::Result<(), Rejection> {
        width_within(self.width, MAX_CNN5_WIDTH)?;
        if let Input::Images(dataset) = input {
            let shape = dataset.shape();
            if shape.height != INPUT_SIDE || shape.width != INPUT_SIDE {
                return Err((
                    "model.kind",
                    format!(
                        "cnn5's pools (2, 2, 2, 4) need 32×32 images (cifar10); {dataset} is {}×{}",
                        shape.height, shape.width
                    ),
                ));
            }
        }
        Ok(())
    }

    fn parameter_count(&self, input: &Input) -> usize {
        match input {
            Input::Images(dataset) => {
                Cnn5::parameter_count(dataset.shape().channels, self.width, CLASSES)
            }
            Input::Vector { .. } => unreachable!("cnn5 reads images (Model::check)"),
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
        let channels = dataset.shape().channels;
        let nets = inits
            .iter_mut()
            .map(|rng| Cnn5::new(channels, self.width, CLASSES, rng, device))
            .collect::<Result<Vec<_>>>()?;
        Ok(Box::new(Cnn5Ensemble::stack(&nets)?))
    }

    /// cnn5 has no hand-written CPU form: it trains through candle on every device.
    fn cpu_step(
        &self,
        _dataset: Dataset,
        _init: &mut Rng,
        _batch: usize,
    ) -> anyhow::Result<Option<Box<dyn super::classifier::CpuStep>>> {
        Ok(None)
    }

    /// BatchNorm takes its statistics over the batch.
    fn rows_interact(&self) -> bool {
        true
    }
}

/// Max-pool sizes of the four stages.
pub const POOLS: [usize; 4] = [2, 2, 2, 4];
/// Input side length the pools reduce to 1×1.
pub const INPUT_SIDE: usize = 32;
const BN_EPS: f64 = 1e-5;
const BN_MOMENTUM: f64 = 0.1;

/// One conv → BatchNorm → ReLU → max-pool stage of `groups` networks side by side (1 for a
/// single network): kernels (groups·c_out) × c_in × 3 × 3, the rest per output channel.
struct Stage {
    weight: Var,
    bias: Var,
    scale: Var,
    shift: Var,
    norm: BatchNorm,
    pool: usize,
    groups: usize,
}

impl Stage {
    fn new(
        weight: Var,
        bias: Var,
        scale: Var,
        shift: Var,
        stats: [Tensor; 2],
        pool: usize,
        groups: usize,
    ) -> Result<Self> {
        // Copies: BatchNorm keeps its statistics in variables made from these tensors.
        let [mean, var] = stats.map(|t| t.detach());
        let norm = BatchNorm::new_with_momentum(
            bias.dim(0)?,
            mean,
            var,
            scale.as_tensor().clone(),
            shift.as_tensor().clone(),
            BN_EPS,
            BN_MOMENTUM,
        )?;
        Ok(Stage {
            weight,
            bias,
            scale,
            shift,
            norm,
            pool,
            groups,
        })
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let c = self.bias.dim(0)?;
        let h = if self.groups == 1 {
            x.conv2d(self.weight.as_tensor(), 1, 1, 1, 1)?
        } else {
            grouped_conv3x3(x, self.weight.as_tensor(), self.groups)?
        }
        .broadcast_add(&self.bias.as_tensor().reshape((1, c, 1, 1))?)?;
        self.norm
            .forward_t(&h, train)?
            .relu()?
            .max_pool2d(self.pool)
    }

    /// Every per-channel tensor, in the order [bias, scale, shift, running mean, running var].
    fn channel_tensors(&self) -> [Tensor; 5] {
        [
            self.bias.as_tensor().clone(),
            self.scale.as_tensor().clone(),
            self.shift.as_tensor().clone(),
            self.norm.running_mean().clone(),
            self.norm.running_var().clone(),
        ]
    }

    /// The stage of the members at `keep` (`pick` takes the rows of a tensor whose leading
    /// dimension has been split into [groups, rest]).
    fn regroup(&self, groups: usize, pick: impl Fn(&Tensor) -> Result<Tensor>) -> Result<Self> {
        let split = |t: &Tensor| -> Result<Tensor> {
            let mut dims = t.dims().to_vec();
            let rows = dims[0] / self.groups;
            let picked = pick(&t.reshape([&[self.groups, rows][..], &dims[1..]].concat())?)?;
            dims[0] = rows * groups;
            picked.reshape(dims)
        };
        let [bias, scale, shift, mean, var] = self.channel_tensors().map(|t| split(&t));
        Stage::new(
            fresh_var(&split(self.weight.as_tensor())?)?,
            fresh_var(&bias?)?,
            fresh_var(&scale?)?,
            fresh_var(&shift?)?,
            [mean?, var?],
            self.pool,
            groups,
        )
    }
}

/// A 3×3 convolution (stride 1, padding 1) of `groups` networks side by side, x (B, G·c_in,
/// H, W) with kernels (G·c_out) × c_in × 3 × 3, as one batched matrix product over the groups:
/// the nine shifted views of the padded input stacked into columns (im2col), then
/// (G, c_out, 9·c_in) × (G, 9·c_in, B·H·(W + 2)). A shift is one `narrow` of the flattened
/// padded image, so each output row carries two extra columns, dropped at the end. candle's
/// `conv2d` with `groups` runs one convolution per group, and the backward pass of each
/// group's slice of the input builds a gradient of the whole input: launches grow with G and
/// memory traffic with G². Here the tensors made do not depend on G (tests/lockstep_launches.rs
/// counts them). Each group's output is its own network's convolution up to the order of the
/// sums (within 1e-5).
fn grouped_conv3x3(x: &Tensor, weight: &Tensor, groups: usize) -> Result<Tensor> {
    let (b, channels, height, width) = x.dims4()?;
    let (out_channels, c_in, _, _) = weight.dims4()?;
    let (c_out, k) = (out_channels / groups, 9 * c_in);
    debug_assert_eq!(channels, groups * c_in);
    let row = width + 2;
    // One extra zero row below: the last shift of the last row reads two places past the
    // padded image.
    let flat = x
        .pad_with_zeros(2, 1, 2)?
        .pad_with_zeros(3, 1, 1)?
        .reshape((b, channels, (height + 3) * row))?;
    let mut shifted = Vec::with_capacity(9);
    for dy in 0..3 {
        for dx in 0..3 {
            shifted.push(flat.narrow(2, dy * row + dx, height * row)?);
        }
    }
    // (B, G·c_in, 9, H·(W + 2)): column c·9 + 3·dy + dx of a group, the kernel's own order.
    let columns = Tensor::stack(&shifted, 2)?
        .reshape((b, groups, k, height * row))?
        .permute((1, 2, 0, 3))?
        .contiguous()?
        .reshape((groups, k, b * height * row))?;
    weight
        .reshape((groups, c_out, k))?
        .matmul(&columns)?
        .reshape((groups, c_out, b, height * row))?
        .permute((2, 0, 1, 3))?
        .contiguous()?
        .reshape((b, groups * c_out, height, row))?
        .narrow(3, 0, width)
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
            let filled = |v: f64| var_from(vec![v; c], &[c], device);
            let stats = [
                filled(0.0)?.as_tensor().clone(),
                filled(1.0)?.as_tensor().clone(),
            ];
            stages.push(Stage::new(
                weight,
                bias,
                filled(1.0)?,
                filled(0.0)?,
                stats,
                pool,
                1,
            )?);
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
            h = s.forward_t(&h, train)?;
        }
        let features = h.flatten_from(1)?;
        let logits = features
            .matmul(&self.head_w.as_tensor().t()?)?
            .broadcast_add(self.head_b.as_tensor())?;
        Ok(Forward { features, logits })
    }

    fn trainable(&self) -> Vec<Var> {
        trainable(&self.stages, &self.head_w, &self.head_b)
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

fn trainable(stages: &[Stage], head_w: &Var, head_b: &Var) -> Vec<Var> {
    let mut v = Vec::new();
    for s in stages {
        v.extend([
            s.weight.clone(),
            s.bias.clone(),
            s.scale.clone(),
            s.shift.clone(),
        ]);
    }
    v.extend([head_w.clone(), head_b.clone()]);
    v
}

/// M `cnn5`s of one shape: each stage's tensors hold the M members' channels one member after
/// the other (member m's are rows m·c … (m+1)·c − 1), the head is M × 10 × 8k and M × 1 × 10.
pub struct Cnn5Ensemble {
    members: usize,
    stages: Vec<Stage>,
    head_w: Var,
    head_b: Var,
}

impl Cnn5Ensemble {
    /// Stacks networks (their current parameters and statistics, copied).
    pub fn stack(nets: &[Cnn5]) -> Result<Self> {
        let m = nets.len();
        let cat = |f: &dyn Fn(&Cnn5) -> Tensor| -> Result<Tensor> {
            Tensor::cat(&nets.iter().map(f).collect::<Vec<_>>(), 0)
        };
        let mut stages = Vec::with_capacity(4);
        for (i, pool) in POOLS.into_iter().enumerate() {
            let part = |j: usize| cat(&|n: &Cnn5| n.stages[i].channel_tensors()[j].clone());
            stages.push(Stage::new(
                fresh_var(&cat(&|n: &Cnn5| n.stages[i].weight.as_tensor().clone())?)?,
                fresh_var(&part(0)?)?,
                fresh_var(&part(1)?)?,
                fresh_var(&part(2)?)?,
                [part(3)?, part(4)?],
                pool,
                m,
            )?);
        }
        Ok(Cnn5Ensemble {
            members: m,
            stages,
            head_w: stack_members(nets, |n| &n.head_w, false)?,
            head_b: stack_members(nets, |n| &n.head_b, true)?,
        })
    }
}

impl ClassifierEnsemble for Cnn5Ensemble {
    fn members(&self) -> usize {
        self.members
    }

    fn forward_t(&self, x: &Tensor, train: bool) -> Result<Forward> {
        let (m, b, c, height, width) = x.dims5()?;
        // Member m's images become channels m·c … (m+1)·c − 1 of one batch of b.
        let mut h = x.transpose(0, 1)?.reshape((b, m * c, height, width))?;
        for s in &self.stages {
            h = s.forward_t(&h, train)?;
        }
        let features = h.reshape((b, m, ()))?.transpose(0, 1)?.contiguous()?;
        let logits = features
            .matmul(&self.head_w.as_tensor().t()?)?
            .broadcast_add(self.head_b.as_tensor())?;
        Ok(Forward { features, logits })
    }

    fn trainable(&self) -> Vec<Var> {
        trainable(&self.stages, &self.head_w, &self.head_b)
    }

    fn select(&self, keep: &[usize]) -> Result<Box<dyn ClassifierEnsemble>> {
        let rows = Tensor::from_vec(
            keep.iter().map(|&i| i as u32).collect::<Vec<_>>(),
            keep.len(),
            self.head_w.device(),
        )?;
        let stages = self
            .stages
            .iter()
            .map(|s| s.regroup(keep.len(), |t| t.index_select(&rows, 0)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Box::new(Cnn5Ensemble {
            members: keep.len(),
            stages,
            head_w: select_rows(self.head_w.as_tensor(), keep)?,
            head_b: select_rows(self.head_b.as_tensor(), keep)?,
        }))
    }

    fn member(&self, i: usize) -> Result<Box<dyn Classifier>> {
        let stages = self
            .stages
            .iter()
            .map(|s| s.regroup(1, |t| t.narrow(0, i, 1)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Box::new(Cnn5 {
            stages,
            head_w: row_var(self.head_w.as_tensor(), i)?,
            head_b: fresh_var(&self.head_b.as_tensor().get(i)?.flatten_all()?)?,
        }))
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

    /// The batched grouped convolution is candle's `conv2d` with `groups`, values and
    /// gradients (of the input and the kernels), on a non-square image with c_in ≠ c_out.
    #[test]
    fn the_grouped_convolution_is_candles() {
        let (b, groups, c_in, c_out, h, w) = (2, 3, 2, 4, 5, 7);
        let mut rng = Rng::new(11);
        let mut values = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.normal() as f32).collect() };
        let x = Var::from_vec(
            values(b * groups * c_in * h * w),
            (b, groups * c_in, h, w),
            &Device::Cpu,
        )
        .unwrap();
        let k = Var::from_vec(
            values(groups * c_out * c_in * 9),
            (groups * c_out, c_in, 3, 3),
            &Device::Cpu,
        )
        .unwrap();
        let probe = Tensor::from_vec(
            values(b * groups * c_out * h * w),
            (b, groups * c_out, h, w),
            &Device::Cpu,
        )
        .unwrap();
        let flat = |t: &Tensor| -> Vec<f32> { t.flatten_all().unwrap().to_vec1().unwrap() };
        let mut sides = Vec::new();
        for ours in [true, false] {
            let y = if ours {
                grouped_conv3x3(&x, &k, groups).unwrap()
            } else {
                x.conv2d(&k, 1, 1, 1, groups).unwrap()
            };
            assert_eq!(y.dims(), &[b, groups * c_out, h, w]);
            let grads = (&y * &probe)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            let (gx, gk) = (grads.get(&x).unwrap(), grads.get(&k).unwrap());
            sides.push([flat(&y), flat(gx), flat(gk)]);
        }
        for (what, (a, b)) in ["values", "input gradient", "kernel gradient"]
            .iter()
            .zip(sides[0].iter().zip(&sides[1]))
        {
            assert_eq!(a.len(), b.len());
            for (a, b) in a.iter().zip(b) {
                assert!(
                    (a - b).abs() <= 1e-5 * b.abs().max(1.0),
                    "{what}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn the_ensemble_is_its_members_side_by_side() {
        let nets: Vec<Cnn5> = (0..3)
            .map(|i| Cnn5::new(3, 1, 10, &mut Rng::new(i), &Device::Cpu).unwrap())
            .collect();
        let mut rng = Rng::new(8);
        let x: Vec<f32> = (0..3 * 4 * 3 * 32 * 32)
            .map(|_| rng.uniform() as f32)
            .collect();
        let x = Tensor::from_vec(x, (3, 4, 3, 32, 32), &Device::Cpu).unwrap();
        let state = |c: &dyn Classifier| -> Vec<Vec<f32>> {
            c.state()
                .iter()
                .map(|(_, t)| t.flatten_all().unwrap().to_vec1().unwrap())
                .collect()
        };
        for train in [true, false] {
            let e = Cnn5Ensemble::stack(&nets).unwrap();
            let out = e.forward_t(&x, train).unwrap();
            assert_eq!(out.features.dims(), &[3, 4, 8]);
            let picked = e.select(&[2, 0]).unwrap();
            for (i, net) in nets.iter().enumerate() {
                let single = Cnn5Ensemble::stack(std::slice::from_ref(net))
                    .unwrap()
                    .member(0)
                    .unwrap();
                let alone = single.forward_t(&x.get(i).unwrap(), train).unwrap();
                let together: Vec<Vec<f32>> = out.logits.get(i).unwrap().to_vec2().unwrap();
                let alone_logits = alone.logits.to_vec2::<f32>().unwrap();
                for (a, b) in together.iter().flatten().zip(alone_logits.iter().flatten()) {
                    assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{a} vs {b}");
                }
                // Training mode moved each member's own running statistics as alone.
                let (s_together, s_alone) =
                    (state(e.member(i).unwrap().as_ref()), state(single.as_ref()));
                for (a, b) in s_together.iter().flatten().zip(s_alone.iter().flatten()) {
                    assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "{a} vs {b}");
                }
                if i != 1 {
                    let row = if i == 2 { 0 } else { 1 };
                    assert_eq!(
                        state(picked.member(row).unwrap().as_ref()),
                        state(e.member(i).unwrap().as_ref())
                    );
                }
            }
        }
    }
}
