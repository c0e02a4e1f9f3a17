//! The CPU training form of one `fcnn` (issue 27): a mini-batch SGD step and the count of
//! misclassified images, bit for bit the values of candle's autograd step of
//! [`super::FcnnEnsemble`] in [`crate::train::sgd::train_sgd`], computed in buffers allocated
//! once per member instead of one new tensor (and one autograd graph) per operation.
//!
//! Why: at the manifests' shapes (batch 32 of 64 pixels and width 8 on digits; 784 pixels on
//! MNIST) a step is a few ten thousand multiply-adds, and candle spent most of it building
//! tensors, its graph and the gradient store. Here:
//!
//! - the four matrix products are the very `gemm` calls that candle's CPU matmul makes for
//!   those tensors (same crate and version, shapes, strides, alpha 0 and beta 1), hence the
//!   same bits; the product candle also makes for the images' gradient, which nothing reads,
//!   is skipped;
//! - every element-wise operation and sum is written out in candle's order of evaluation:
//!   the log-softmax of `candle_nn::ops::log_softmax` (max, shifted exponentials summed from
//!   0 in index order, log) and its backward pass through the max (which is not detached), the
//!   gradient accumulators that start at 0 (`0 + g`, which turns −0 into +0), the bias
//!   gradients summed over the batch in sample order, the ReLU's gradient mask `a ≥ 0`, and
//!   SGD's `w − (g·lr + 0)` with lr rounded to f32;
//! - the error count is the forward pass in chunks of 1000 images with candle's arg-max (the
//!   first largest logit).
//!
//! Tests compare whole trainings with the candle form (`train::fleet`).

// `x = 0.0 + x` is candle's gradient accumulator starting at 0, in candle's operand order.
#![allow(clippy::assign_op_pattern)]

use super::Fcnn;
use crate::models::classifier::{var_from_f32, Classifier, CpuStep, CPU_CHECK_CHUNK};
use candle_core::{Device, Result};
use gemm::{gemm, Parallelism};

/// Images per forward pass of [`FcnnCpu::errors`]: `train::sgd`'s check chunk.
pub const CHECK_CHUNK: usize = CPU_CHECK_CHUNK;
/// Classes (logits per image).
const C: usize = crate::data::datasets::CLASSES;

/// One network's parameters and the scratch of its steps.
#[derive(Clone, Debug)]
pub struct FcnnCpu {
    /// Inputs per image.
    d: usize,
    /// Hidden units.
    k: usize,
    /// k × d, row-major (candle's `w1`).
    w1: Vec<f32>,
    b1: Vec<f32>,
    /// 10 × k (candle's `w2`).
    w2: Vec<f32>,
    b2: Vec<f32>,
    /// Rows × k: the pre-activations, then their gradient.
    a: Vec<f32>,
    /// Rows × k: the hidden units, then their gradient.
    h: Vec<f32>,
    /// Rows × 10: the logits, then their gradient.
    z: Vec<f32>,
    /// k × d: the gradient of W1 (candle's gradient of W1ᵀ, stored transposed).
    g_w1: Vec<f32>,
    /// 10 × k: the gradient of W2.
    g_w2: Vec<f32>,
    /// k: the gradient of b1.
    g_b1: Vec<f32>,
}

/// `dst` (m × n, row-major) = lhs · rhs, where element (i, p) of lhs is at `lhs[i·lrs + p·lcs]`
/// and element (p, j) of rhs at `rhs[p·rrs + j·rcs]`: candle's CPU matmul for one member
/// (candle-core 0.11, `cpu_backend::MatMul`: alpha 0, beta 1, no read of dst). One thread:
/// the harness runs candle's products on one (`RAYON_NUM_THREADS=1`), and gemm splits a
/// product over threads by output blocks, which does not change its values.
fn product(
    dst: &mut [f32],
    (m, n, k): (usize, usize, usize),
    lhs: &[f32],
    lhs_strides: (usize, usize),
    rhs: &[f32],
    rhs_strides: (usize, usize),
) {
    product_into(dst, (n, 1), (m, n, k), lhs, lhs_strides, rhs, rhs_strides)
}

/// [`product`] with element (i, j) of the result stored at `dst[i·drs + j·dcs]`: with
/// (1, m) the result lands transposed (n × m row-major). gemm stores the same values whatever
/// the destination's strides (tested at the manifests' shapes).
fn product_into(
    dst: &mut [f32],
    (drs, dcs): (usize, usize),
    (m, n, k): (usize, usize, usize),
    lhs: &[f32],
    (lrs, lcs): (usize, usize),
    rhs: &[f32],
    (rrs, rcs): (usize, usize),
) {
    assert!(
        m == 0 || n == 0 || dst.len() > (m - 1) * drs + (n - 1) * dcs,
        "dst too short"
    );
    assert!(
        m == 0 || k == 0 || lhs.len() > (m - 1) * lrs + (k - 1) * lcs,
        "lhs too short"
    );
    assert!(
        n == 0 || k == 0 || rhs.len() > (k - 1) * rrs + (n - 1) * rcs,
        "rhs too short"
    );
    // SAFETY: the asserts keep every index inside its slice; dst does not overlap lhs or rhs
    // (distinct borrows).
    unsafe {
        gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            dcs as isize,
            drs as isize,
            false,
            lhs.as_ptr(),
            lcs as isize,
            lrs as isize,
            rhs.as_ptr(),
            rcs as isize,
            rrs as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        )
    }
}

impl FcnnCpu {
    /// The CPU form of `net`, with scratch for batches of up to `batch` images and checks
    /// of up to [`CHECK_CHUNK`].
    pub fn new(net: &Fcnn, batch: usize) -> Result<Self> {
        let values = |v: &candle_core::Var| -> Result<Vec<f32>> {
            v.as_tensor().flatten_all()?.to_vec1::<f32>()
        };
        let (k, d) = net.w1.as_tensor().dims2()?;
        let rows = batch.max(CHECK_CHUNK);
        Ok(FcnnCpu {
            d,
            k,
            w1: values(&net.w1)?,
            b1: values(&net.b1)?,
            w2: values(&net.w2)?,
            b2: values(&net.b2)?,
            a: vec![0.0; rows * k],
            h: vec![0.0; rows * k],
            z: vec![0.0; rows * C],
            g_w1: vec![0.0; d * k],
            g_w2: vec![0.0; k * C],
            g_b1: vec![0.0; k],
        })
    }

    /// The network with the current parameters, on `device`.
    pub fn net(&self, device: &Device) -> Result<Fcnn> {
        let (k, d) = (self.k, self.d);
        Ok(Fcnn {
            w1: var_from_f32(&self.w1, &[k, d], device)?,
            b1: var_from_f32(&self.b1, &[k], device)?,
            w2: var_from_f32(&self.w2, &[C, k], device)?,
            b2: var_from_f32(&self.b2, &[C], device)?,
        })
    }

    /// The forward pass of `rows` images `x` (rows × d): pre-activations in `a`, hidden units
    /// in `h`, logits in `z`.
    fn forward(&mut self, x: &[f32], rows: usize) {
        let (d, k) = (self.d, self.k);
        // x · W1ᵀ: lhs x (rows × d, contiguous), rhs W1ᵀ (d × k) read from W1 (k × d).
        product(&mut self.a, (rows, k, d), x, (d, 1), &self.w1, (1, d));
        for i in 0..rows {
            let a = &mut self.a[i * k..(i + 1) * k];
            let h = &mut self.h[i * k..(i + 1) * k];
            for j in 0..k {
                a[j] += self.b1[j];
                h[j] = a[j].max(0.0);
            }
        }
        // h · W2ᵀ.
        product(&mut self.z, (rows, C, k), &self.h, (k, 1), &self.w2, (1, k));
        for i in 0..rows {
            let z = &mut self.z[i * C..(i + 1) * C];
            for j in 0..C {
                z[j] += self.b2[j];
            }
        }
    }

    /// One SGD step on `labels.len()` images `x` (row-major, d values each) at learning rate
    /// `lr`: the step `train_sgd` takes on its mean cross-entropy.
    pub fn step(&mut self, x: &[f32], labels: &[u8], lr: f64) {
        let (d, k) = (self.d, self.k);
        let rows = labels.len();
        assert_eq!(x.len(), rows * d, "{rows} images of {d} values");
        assert!(rows * k <= self.a.len(), "a batch larger than the scratch");
        self.forward(x, rows);
        // The loss is sum(gather(log_softmax(z), y)) · (−1/rows): its gradient at the label,
        // 1 · (−1/rows as f32) + 0, reaches the log-softmax through the gather.
        let g0 = 1.0f32 * ((-1.0 / rows as f64) as f32) + 0.0;
        for (i, &label) in labels.iter().enumerate() {
            let z = &mut self.z[i * C..(i + 1) * C];
            let c = label as usize;
            let mut max = z[0];
            for &v in &z[1..] {
                if max < v {
                    max = v;
                }
            }
            let mut diff = [0f32; C];
            let mut e = [0f32; C];
            let mut s = 0f32;
            for j in 0..C {
                diff[j] = z[j] - max;
                e[j] = diff[j].exp();
                s += e[j];
            }
            // log_sm = diff − ln(s): its gradient t (g0 at the label) flows to diff, and
            // −t to ln(s), summed over the row: 0 + (−g0).
            let mut g_ls = 0f32;
            for j in 0..C {
                g_ls += 0.0 - if j == c { g0 } else { 0.0 };
            }
            let g_ls = 0.0 + g_ls;
            let q = 0.0 + g_ls / s;
            // diff's gradient: t from log_sm, q·e from exp(diff) through the sum.
            let mut g_diff = [0f32; C];
            let mut g_max = 0f32;
            for j in 0..C {
                let t = if j == c { g0 } else { 0.0 };
                g_diff[j] = (0.0 + t) + (0.0 + q) * e[j];
                g_max += 0.0 - g_diff[j];
            }
            let g_max = 0.0 + g_max;
            // The logits' gradient: diff's, and the max's where the logit is the maximum.
            for j in 0..C {
                let mask = if max == z[j] { 1.0f32 } else { 0.0 };
                z[j] = (0.0 + g_diff[j]) + mask * g_max;
            }
        }
        // Through `+ b2` (0 + g): z holds the gradient of h · W2ᵀ and, summed over the batch
        // in sample order, that of b2.
        for v in self.z[..rows * C].iter_mut() {
            *v = 0.0 + *v;
        }
        let mut g_b2 = [0f32; C];
        for i in 0..rows {
            for j in 0..C {
                g_b2[j] += 0.0 + self.z[i * C + j];
            }
        }
        // ∂h = ∂z · W2 (W2 is 10 × k, contiguous); ∂W2ᵀ = hᵀ · ∂z (hᵀ read from h), stored
        // as ∂W2.
        product_into(
            &mut self.g_w2,
            (1, k),
            (k, C, rows),
            &self.h,
            (1, k),
            &self.z,
            (C, 1),
        );
        product(&mut self.h, (rows, k, C), &self.z, (C, 1), &self.w2, (k, 1));
        // Through the ReLU (∂h · [a ≥ 0]) and `+ b1`: ∂a in a, and b1's gradient.
        let g_b1 = &mut self.g_b1;
        g_b1.fill(0.0);
        for i in 0..rows {
            for j in 0..k {
                let g_h = 0.0 + self.h[i * k + j];
                let mask = if self.a[i * k + j] >= 0.0 {
                    1.0f32
                } else {
                    0.0
                };
                let g_a = 0.0 + (0.0 + g_h * mask);
                self.a[i * k + j] = g_a;
                g_b1[j] += 0.0 + g_a;
            }
        }
        // ∂W1ᵀ = xᵀ · ∂a (xᵀ read from x), stored as ∂W1.
        product_into(
            &mut self.g_w1,
            (1, d),
            (d, k, rows),
            x,
            (1, d),
            &self.a,
            (k, 1),
        );
        // SGD: w − (g·lr + 0), each gradient accumulated from 0.
        let lr = lr as f32;
        let update = |w: &mut [f32], g: &[f32]| {
            for (w, &g) in w.iter_mut().zip(g) {
                *w -= (0.0 + g) * lr + 0.0;
            }
        };
        update(&mut self.w1, &self.g_w1);
        update(&mut self.w2, &self.g_w2);
        for j in 0..k {
            g_b1[j] = 0.0 + g_b1[j];
        }
        update(&mut self.b1, g_b1);
        update(&mut self.b2, &g_b2.map(|g| 0.0 + g));
    }

    /// The number of images of `x` (row-major, d values each) whose first largest logit is not
    /// their label, in evaluation mode, `chunk` images per forward pass (at most
    /// [`CHECK_CHUNK`]): `train_sgd`'s training-error check.
    pub fn errors(&mut self, x: &[f32], labels: &[u8]) -> usize {
        let rows = labels.len();
        assert_eq!(x.len(), rows * self.d);
        assert!(rows <= CHECK_CHUNK, "at most {CHECK_CHUNK} images per pass");
        self.forward(x, rows);
        (0..rows)
            .filter(|&i| {
                let z = &self.z[i * C..(i + 1) * C];
                let mut best = 0;
                for j in 1..C {
                    if z[best] < z[j] {
                        best = j;
                    }
                }
                best != labels[i] as usize
            })
            .count()
    }
}

impl CpuStep for FcnnCpu {
    fn inputs(&self) -> usize {
        self.d
    }
    fn step(&mut self, x: &[f32], labels: &[u8], lr: f64) {
        FcnnCpu::step(self, x, labels, lr)
    }
    fn errors(&mut self, x: &[f32], labels: &[u8]) -> usize {
        FcnnCpu::errors(self, x, labels)
    }
    fn classifier(&self, device: &Device) -> Result<Box<dyn Classifier>> {
        Ok(Box::new(self.net(device)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// gemm stores the same values into a transposed destination, at the products of the
    /// manifests' shapes (digits: d 64, batch 32; MNIST: d 784, batch 128; partial batches;
    /// width 8 and a wide hidden layer).
    #[test]
    fn a_transposed_destination_holds_the_same_bits() {
        let mut rng = Rng::new(3);
        for (m, n, k) in [
            (64, 8, 32),
            (64, 8, 17),
            (784, 8, 128),
            (784, 8, 5),
            (8, 10, 32),
            (8, 10, 128),
            (8, 10, 3),
            (784, 100, 128),
            (100, 10, 77),
        ] {
            let lhs: Vec<f32> = (0..m * k).map(|_| rng.normal() as f32).collect();
            let rhs: Vec<f32> = (0..k * n).map(|_| rng.normal() as f32).collect();
            let mut rows = vec![0f32; m * n];
            let mut cols = vec![0f32; m * n];
            // xᵀ · ∂a as the step reads them: lhs transposed, rhs row-major.
            product(&mut rows, (m, n, k), &lhs, (1, m), &rhs, (n, 1));
            product_into(&mut cols, (1, m), (m, n, k), &lhs, (1, m), &rhs, (n, 1));
            for i in 0..m {
                for j in 0..n {
                    assert_eq!(
                        rows[i * n + j].to_bits(),
                        cols[j * m + i].to_bits(),
                        "({m}, {n}, {k}) at ({i}, {j})"
                    );
                }
            }
        }
    }
}
