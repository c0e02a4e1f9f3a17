//! `relu2`: f(x) = w2ᵀ relu(W1 x + b1) + b2, a two-layer ReLU network of hidden width k
//! (P = k(d + 2) + 1). Its representation is the hidden layer after the ReLU (k dims).
//!
//! Two forms live here. [`Relu2`] is one trained network in plain `f64` (what is stored,
//! evaluated on the test set and compared). [`Relu2Ensemble`] is the training form: the
//! parameters of M networks as one candle tensor `theta` of shape [M, P], each row laid out
//! as [W1 (k × d, row-major) | b1 (k) | w2 (k) | b2], with the forward pass and the
//! hand-written gradients of the mean squared error computed for all M networks at once (a
//! leading ensemble dimension in every tensor). [`Relu2Ensemble::gradients_autograd`] gives
//! the same gradients through candle's autograd; a test checks the two agree, and the
//! `training` bench times both. [`cpu`] is the CPU trainer's form of `Relu2Ensemble`: the
//! same arithmetic in buffers allocated once (what `train_relu2_ensemble` runs on the CPU).

pub mod cpu;

use super::network::{width_within, Network, Reads, Rejection, MAX_WIDTH};
use crate::data::Input;
use crate::matrix::Matrix;
use crate::rng::Rng;
use anyhow::{ensure, Result};
use serde::{Deserialize, Serialize};

/// `model: {kind: relu2, width: k, init: shared}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relu2Config {
    pub width: usize,
    /// Whether the members of a replica start from one initialization (`shared`, default)
    /// or each from its own (`independent`).
    #[serde(default)]
    pub init: Init,
}

/// How the members of one replica get their initial weights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Init {
    /// One initialization per replica, shared by its members.
    #[default]
    Shared,
    /// Each member draws its own.
    Independent,
}

impl Network for Relu2Config {
    fn name(&self) -> &'static str {
        "relu2"
    }

    fn describe(&self) -> String {
        format!("two-layer ReLU network of width {}", self.width)
    }

    fn reads(&self) -> Reads {
        Reads::Vectors
    }

    fn check(&self, _input: &Input) -> Result<(), Rejection> {
        width_within(self.width, MAX_WIDTH)
    }

    fn parameter_count(&self, input: &Input) -> usize {
        match input {
            Input::Vector { d } => self.width * (d + 2) + 1,
            Input::Images(_) => unreachable!("relu2 reads vectors (Model::check)"),
        }
    }

    fn representation_width(&self) -> usize {
        self.width
    }

    fn solvers(&self) -> &'static [&'static str] {
        &["gd", "adam"]
    }

    fn trains_members_together(&self) -> bool {
        true
    }
}
use candle_core::{DType, Device, Tensor, Var};
use std::collections::BTreeMap;

/// One two-layer ReLU network.
#[derive(Clone, Debug, PartialEq)]
pub struct Relu2 {
    /// k × d first-layer weights.
    pub w1: Matrix,
    pub b1: Vec<f64>,
    pub w2: Vec<f64>,
    pub b2: f64,
}

impl Relu2 {
    /// Our initialization, modelled on PyTorch's default for `nn.Linear`: every weight and
    /// bias of a layer uniform on ±1/√fan_in (fan_in = d for the first layer, k for the
    /// second), drawn from `rng` in the order W1 (row by row), b1, w2, b2.
    pub fn init(d: usize, width: usize, rng: &mut Rng) -> Self {
        let mut uniform = |len: usize, fan_in: usize| -> Vec<f64> {
            let bound = 1.0 / (fan_in as f64).sqrt();
            (0..len)
                .map(|_| bound * (2.0 * rng.uniform() - 1.0))
                .collect()
        };
        let w1 = uniform(width * d, d);
        let b1 = uniform(width, d);
        let w2 = uniform(width, width);
        let b2 = uniform(1, width)[0];
        Relu2 {
            w1: Matrix {
                rows: width,
                cols: d,
                data: w1,
            },
            b1,
            w2,
            b2,
        }
    }

    pub fn width(&self) -> usize {
        self.w1.rows
    }

    pub fn input_dim(&self) -> usize {
        self.w1.cols
    }

    /// Parameter count P = k(d + 2) + 1.
    pub fn parameter_count(&self) -> usize {
        self.width() * (self.input_dim() + 2) + 1
    }

    /// The flat parameter vector, laid out as a row of [`Relu2Ensemble::theta`].
    pub fn flat(&self) -> Vec<f64> {
        let mut v = self.w1.data.clone();
        v.extend(&self.b1);
        v.extend(&self.w2);
        v.push(self.b2);
        v
    }

    /// The inverse of [`Relu2::flat`].
    pub fn from_flat(d: usize, width: usize, flat: &[f64]) -> Result<Self> {
        ensure!(
            flat.len() == width * (d + 2) + 1,
            "relu2 with d = {d}, width = {width} has {} parameters, got {}",
            width * (d + 2) + 1,
            flat.len()
        );
        let (w1, rest) = flat.split_at(width * d);
        let (b1, rest) = rest.split_at(width);
        let (w2, rest) = rest.split_at(width);
        Ok(Relu2 {
            w1: Matrix::new(width, d, w1.to_vec())?,
            b1: b1.to_vec(),
            w2: w2.to_vec(),
            b2: rest[0],
        })
    }

    /// The hidden layer after the ReLU on each input: an N × k matrix.
    pub fn hidden(&self, x: &Matrix) -> Matrix {
        let k = self.width();
        Matrix::from_fn(x.rows, k, |i, j| {
            let z = crate::data::teacher::dot(x.row(i), self.w1.row(j)) + self.b1[j];
            z.max(0.0)
        })
    }

    pub fn predict(&self, x: &Matrix) -> Vec<f64> {
        let h = self.hidden(x);
        (0..h.rows)
            .map(|i| crate::data::teacher::dot(h.row(i), &self.w2) + self.b2)
            .collect()
    }

    /// Named parameter tensors with their shapes, as stored in a member artifact.
    pub fn params(&self) -> BTreeMap<String, (Vec<usize>, Vec<f64>)> {
        let k = self.width();
        BTreeMap::from([
            (
                "w1".to_string(),
                (vec![k, self.input_dim()], self.w1.data.clone()),
            ),
            ("b1".to_string(), (vec![k], self.b1.clone())),
            ("w2".to_string(), (vec![k], self.w2.clone())),
            ("b2".to_string(), (vec![1], vec![self.b2])),
        ])
    }
}

/// M networks of one shape, and their training data, as candle tensors with a leading
/// ensemble dimension: the inputs `x`, [n, d] when every member sees the same inputs (shared
/// inputs) or [M, n, d] (member m's own rows), and the labels `y` [M, 1, n].
///
/// The hidden layer is computed transposed, Zᵀ = W1 Xᵀ + b1 of shape [M, k, n], so that with
/// shared inputs the two matrix products of a step (Zᵀ, and ∂L/∂W1 = (∂L/∂Zᵀ) X) are each
/// one product over all members stacked, (M·k × d)(d × n) and (M·k × n)(n × d); the output
/// layer is element-wise. With per-member inputs the same code runs M products.
#[derive(Clone, Debug)]
pub struct Relu2Ensemble {
    pub d: usize,
    pub width: usize,
    pub x: Tensor,
    pub y: Tensor,
}

/// The training loss of each member and its gradient with respect to `theta`.
pub struct LossAndGradient {
    /// [M] mean squared errors.
    pub loss: Vec<f64>,
    /// [M, P].
    pub grad: Tensor,
}

impl Relu2Ensemble {
    /// Builds the ensemble's data tensors from per-member inputs and labels (all of n rows).
    /// Inputs equal for every member are stored once.
    pub fn new(xs: &[&Matrix], ys: &[&[f64]], width: usize, device: &Device) -> Result<Self> {
        ensure!(
            !xs.is_empty() && xs.len() == ys.len(),
            "one label vector per input matrix"
        );
        let (n, d) = (xs[0].rows, xs[0].cols);
        ensure!(
            xs.iter().all(|x| x.rows == n && x.cols == d) && ys.iter().all(|y| y.len() == n),
            "every member needs {n} rows of {d} inputs and {n} labels"
        );
        let m = xs.len();
        let x = if xs.iter().all(|x| x.data == xs[0].data) {
            Tensor::from_slice(&xs[0].data, (n, d), device)?
        } else {
            let x: Vec<f64> = xs.iter().flat_map(|x| x.data.iter().copied()).collect();
            Tensor::from_vec(x, (m, n, d), device)?
        };
        let y: Vec<f64> = ys.iter().flat_map(|y| y.iter().copied()).collect();
        Ok(Relu2Ensemble {
            d,
            width,
            x,
            y: Tensor::from_vec(y, (m, 1, n), device)?,
        })
    }

    /// Parameter count P of one member.
    pub fn parameter_count(&self) -> usize {
        self.width * (self.d + 2) + 1
    }

    /// The inputs as [M, n, d] (a broadcast view when shared).
    fn inputs(&self, m: usize) -> Result<Tensor> {
        Ok(match self.x.rank() {
            2 => self
                .x
                .unsqueeze(0)?
                .broadcast_as((m, self.x.dim(0)?, self.d))?,
            _ => self.x.clone(),
        })
    }

    /// The four parameter blocks of `theta` [M, P] as W1 [M, k, d], b1 [M, k, 1],
    /// w2 [M, k, 1], b2 [M, 1, 1].
    fn split(&self, theta: &Tensor) -> Result<[Tensor; 4]> {
        let (k, d) = (self.width, self.d);
        let m = theta.dim(0)?;
        Ok([
            theta.narrow(1, 0, k * d)?.reshape((m, k, d))?,
            theta.narrow(1, k * d, k)?.reshape((m, k, 1))?,
            theta.narrow(1, k * d + k, k)?.reshape((m, k, 1))?,
            theta.narrow(1, k * d + 2 * k, 1)?.reshape((m, 1, 1))?,
        ])
    }

    /// Hand-written reverse pass of L_m = mean_i (f_m(x_i) − y_i)² for every member m:
    /// with r = f − y, ∂L/∂b2 = Σ_i 2r_i/n, ∂L/∂w2 = Σ_i h_i 2r_i/n,
    /// ∂L/∂Zᵀ = w2 (2r/n)ᵀ ⊙ [Zᵀ > 0], ∂L/∂b1 = Σ_i ∂L/∂Zᵀ, ∂L/∂W1 = (∂L/∂Zᵀ) X. The
    /// ReLU's derivative at 0 is taken as 0 (PyTorch's and candle's convention).
    pub fn loss_and_gradient(&self, theta: &Tensor) -> Result<LossAndGradient> {
        let [w1, b1, w2, b2] = self.split(theta)?;
        let m = theta.dim(0)?;
        let n = self.y.dim(2)?;
        let x = self.inputs(m)?;
        let zt = w1.matmul(&x.t()?)?.broadcast_add(&b1)?; // [M, k, n]
        let ht = zt.relu()?;
        let residual = ht
            .broadcast_mul(&w2)?
            .sum_keepdim(1)?
            .broadcast_add(&b2)?
            .sub(&self.y)?; // [M, 1, n]
        let loss = residual.sqr()?.mean(2)?.flatten_all()?.to_vec1::<f64>()?;
        let d_out = residual.affine(2.0 / n as f64, 0.0)?;
        let d_b2 = d_out.sum(2)?; // [M, 1]
        let d_w2 = ht.broadcast_mul(&d_out)?.sum(2)?; // [M, k]
        let d_zt = w2
            .broadcast_mul(&d_out)?
            .mul(&zt.gt(0.0)?.to_dtype(zt.dtype())?)?; // [M, k, n]
        let d_b1 = d_zt.sum(2)?; // [M, k]
        let d_w1 = d_zt.matmul(&x)?.reshape((m, self.width * self.d))?;
        let grad = Tensor::cat(&[d_w1, d_b1, d_w2, d_b2], 1)?;
        Ok(LossAndGradient { loss, grad })
    }

    /// The same loss and gradient through candle's autograd (for tests and the bench).
    pub fn gradients_autograd(&self, theta: &Tensor) -> Result<LossAndGradient> {
        let theta = Var::from_tensor(theta)?;
        let [w1, b1, w2, b2] = self.split(theta.as_tensor())?;
        let x = self.inputs(theta.dim(0)?)?;
        let ht = w1.matmul(&x.t()?)?.broadcast_add(&b1)?.relu()?;
        let out = ht.broadcast_mul(&w2)?.sum_keepdim(1)?.broadcast_add(&b2)?;
        let per_member = out.sub(&self.y)?.sqr()?.mean(2)?.flatten_all()?;
        let loss = per_member.to_vec1::<f64>()?;
        // The members are independent, so the gradient of the sum is each member's own.
        let grads = per_member.sum_all()?.backward()?;
        let grad = grads
            .get(&theta)
            .cloned()
            .unwrap_or(theta.as_tensor().zeros_like()?);
        Ok(LossAndGradient { loss, grad })
    }

    /// Keeps only the members at `rows` (in that order).
    pub fn select(&self, rows: &Tensor) -> Result<Self> {
        Ok(Relu2Ensemble {
            d: self.d,
            width: self.width,
            x: match self.x.rank() {
                2 => self.x.clone(),
                _ => self.x.index_select(rows, 0)?,
            },
            y: self.y.index_select(rows, 0)?,
        })
    }
}

/// Stacks networks into `theta` [M, P].
pub fn stack(nets: &[Relu2], device: &Device) -> Result<Tensor> {
    let p = nets[0].parameter_count();
    let flat: Vec<f64> = nets.iter().flat_map(|n| n.flat()).collect();
    Ok(Tensor::from_vec(flat, (nets.len(), p), device)?.to_dtype(DType::F64)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// M members on their own inputs, or on one shared input matrix.
    fn ensemble(
        m: usize,
        n: usize,
        d: usize,
        width: usize,
        shared: bool,
    ) -> (Relu2Ensemble, Tensor) {
        let mut rng = Rng::new(11);
        let first = Matrix::new(n, d, rng.normals(n * d)).unwrap();
        let xs: Vec<Matrix> = (0..m)
            .map(|i| match (shared, i) {
                (true, _) | (false, 0) => first.clone(),
                _ => Matrix::new(n, d, rng.normals(n * d)).unwrap(),
            })
            .collect();
        let ys: Vec<Vec<f64>> = (0..m).map(|_| rng.normals(n)).collect();
        let nets: Vec<Relu2> = (0..m).map(|_| Relu2::init(d, width, &mut rng)).collect();
        let xr: Vec<&Matrix> = xs.iter().collect();
        let yr: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
        let e = Relu2Ensemble::new(&xr, &yr, width, &Device::Cpu).unwrap();
        (e, stack(&nets, &Device::Cpu).unwrap())
    }

    #[test]
    fn hand_written_gradients_match_autograd() {
        for shared in [false, true] {
            check_gradients(shared);
        }
    }

    fn check_gradients(shared: bool) {
        let (e, theta) = ensemble(3, 17, 5, 4, shared);
        assert_eq!(e.x.rank(), if shared { 2 } else { 3 });
        let hand = e.loss_and_gradient(&theta).unwrap();
        let auto = e.gradients_autograd(&theta).unwrap();
        let (h, a) = (
            hand.grad.to_vec2::<f64>().unwrap(),
            auto.grad.to_vec2::<f64>().unwrap(),
        );
        assert_eq!(h.len(), 3);
        assert_eq!(h[0].len(), e.parameter_count());
        for (hr, ar) in h.iter().zip(&a) {
            let scale = ar.iter().map(|v| v.abs()).fold(0.0, f64::max);
            assert!(scale > 0.0);
            for (x, y) in hr.iter().zip(ar) {
                assert!((x - y).abs() <= 1e-12 * scale, "{x} vs {y}");
            }
        }
        for (x, y) in hand.loss.iter().zip(&auto.loss) {
            assert!((x - y).abs() <= 1e-14 * y.abs());
        }
    }

    #[test]
    fn ensemble_loss_matches_the_plain_network() {
        let (e, theta) = ensemble(2, 9, 3, 2, false);
        let rows = theta.to_vec2::<f64>().unwrap();
        let x = e.x.get(1).unwrap().to_vec2::<f64>().unwrap();
        assert_eq!(e.x.rank(), 3, "members with their own inputs");
        let y: Vec<f64> =
            e.y.get(1)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap();
        let net = Relu2::from_flat(3, 2, &rows[1]).unwrap();
        let x = Matrix::new(9, 3, x.concat()).unwrap();
        let mse: f64 = net
            .predict(&x)
            .iter()
            .zip(&y)
            .map(|(p, t)| (p - t) * (p - t))
            .sum::<f64>()
            / 9.0;
        let loss = e.loss_and_gradient(&theta).unwrap().loss[1];
        assert!((loss - mse).abs() <= 1e-12 * mse, "{loss} vs {mse}");
        assert_eq!(net.flat(), rows[1]);
    }

    #[test]
    fn init_is_uniform_within_the_fan_in_bound() {
        let net = Relu2::init(16, 8, &mut Rng::new(3));
        assert!(net.w1.data.iter().all(|w| w.abs() <= 0.25));
        assert!(net.w2.iter().all(|w| w.abs() <= 1.0 / 8f64.sqrt()));
        let spread = net.w1.data.iter().map(|w| w.abs()).fold(0.0, f64::max);
        assert!(
            spread > 0.2,
            "draws should fill the range, max |w| = {spread}"
        );
    }
}
