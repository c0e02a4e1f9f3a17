//! The CPU training form of a `relu2` ensemble: the loss and hand-written gradients of
//! [`super::Relu2Ensemble::loss_and_gradient`], bit for bit, computed in buffers allocated
//! once per fit instead of one new tensor per operation.
//!
//! Why: at d = 50, width 8, n = 500, M = 32 every tensor of the candle form is ~1 MB, a step
//! made about ten of them, and glibc handed each one fresh pages from the kernel (a third of
//! the step was kernel time). Here the two matrix products are the very `gemm` calls that
//! candle's CPU matmul makes for those tensors (same shapes, strides and parallelism, hence
//! the same bits), the element-wise operations and sums are fused into two passes per member
//! in candle's order of evaluation, and the gradient lands in place.
//!
//! Parameters, gradients and optimizer state use the [`BlockLayout`]: each parameter block
//! of every member together, so that the first-layer weights of all members form one
//! (M·k × d) matrix for the stacked product.

use super::Relu2;
use crate::matrix::Matrix;
use anyhow::{ensure, Result};
use gemm::{gemm, Parallelism};
use std::ops::Range;

/// Where the parameters of M members of width k on d inputs sit in one flat vector:
/// [W1 of every member (M × k × d, each k × d row-major) | b1 (M × k) | w2 (M × k) | b2 (M)].
/// Gradients and Adam's moments are laid out the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockLayout {
    pub members: usize,
    pub width: usize,
    pub d: usize,
}

impl BlockLayout {
    /// Number of values: M · P.
    pub fn len(&self) -> usize {
        self.members * (self.width * (self.d + 2) + 1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The blocks in order, each with its length per member.
    fn blocks(&self) -> [(Range<usize>, usize); 4] {
        let (m, k, d) = (self.members, self.width, self.d);
        let (w1, b1, w2) = (m * k * d, m * k, m * k);
        [
            (0..w1, k * d),
            (w1..w1 + b1, k),
            (w1 + b1..w1 + b1 + w2, k),
            (w1 + b1 + w2..w1 + b1 + w2 + m, 1),
        ]
    }

    /// Stacks networks of one shape into a parameter vector.
    pub fn pack(nets: &[Relu2]) -> Result<(Self, Vec<f64>)> {
        ensure!(!nets.is_empty(), "an ensemble needs at least one member");
        let (width, d) = (nets[0].width(), nets[0].input_dim());
        ensure!(
            nets.iter()
                .all(|n| n.width() == width && n.input_dim() == d),
            "every member of an ensemble has the same width and input dimension"
        );
        let layout = BlockLayout {
            members: nets.len(),
            width,
            d,
        };
        let mut flat = Vec::with_capacity(layout.len());
        flat.extend(nets.iter().flat_map(|n| n.w1.data.iter().copied()));
        flat.extend(nets.iter().flat_map(|n| n.b1.iter().copied()));
        flat.extend(nets.iter().flat_map(|n| n.w2.iter().copied()));
        flat.extend(nets.iter().map(|n| n.b2));
        Ok((layout, flat))
    }

    /// Member `row`'s parameters in the layout of [`Relu2::flat`].
    pub fn member(&self, params: &[f64], row: usize) -> Vec<f64> {
        assert!(row < self.members && params.len() == self.len());
        self.blocks()
            .into_iter()
            .flat_map(|(block, per)| &params[block][row * per..(row + 1) * per])
            .copied()
            .collect()
    }

    /// Keeps the members at `rows` (strictly increasing) of `values`, in place; returns the
    /// layout of the result.
    pub fn keep(&self, values: &mut Vec<f64>, rows: &[usize]) -> Self {
        assert_eq!(values.len(), self.len());
        assert!(rows.windows(2).all(|w| w[0] < w[1]) && rows.iter().all(|&r| r < self.members));
        let kept = BlockLayout {
            members: rows.len(),
            ..*self
        };
        // Every value moves down or stays, and blocks are visited in order, so no value is
        // overwritten before it is read.
        for ((old, per), (new, _)) in self.blocks().into_iter().zip(kept.blocks()) {
            for (i, &r) in rows.iter().enumerate() {
                let from = old.start + r * per;
                values.copy_within(from..from + per, new.start + i * per);
            }
        }
        values.truncate(kept.len());
        kept
    }
}

/// M networks' training data and the scratch of a step, on the CPU.
#[derive(Clone, Debug)]
pub struct Relu2CpuEnsemble {
    layout: BlockLayout,
    n: usize,
    /// [n, d] when every member sees the same inputs, else [M, n, d].
    x: Vec<f64>,
    shared: bool,
    /// [M, n].
    y: Vec<f64>,
    /// [M, k, n]: Zᵀ = W1 Xᵀ + b1 in the forward pass, then overwritten by ∂L/∂Zᵀ.
    z: Vec<f64>,
    /// [M, n]: each member's output, then its 2r/n.
    d_out: Vec<f64>,
}

impl Relu2CpuEnsemble {
    /// The data of M members from their inputs and labels (all of n rows), for networks of
    /// `width`. Inputs equal for every member are stored once (as [`super::Relu2Ensemble::new`]).
    pub fn new(xs: &[&Matrix], ys: &[&[f64]], width: usize) -> Result<Self> {
        ensure!(
            !xs.is_empty() && xs.len() == ys.len(),
            "one label vector per input matrix"
        );
        let (n, d) = (xs[0].rows, xs[0].cols);
        ensure!(
            xs.iter().all(|x| x.rows == n && x.cols == d) && ys.iter().all(|y| y.len() == n),
            "every member needs {n} rows of {d} inputs and {n} labels"
        );
        let members = xs.len();
        let shared = xs.iter().all(|x| x.data == xs[0].data);
        let x = if shared {
            xs[0].data.clone()
        } else {
            xs.iter().flat_map(|x| x.data.iter().copied()).collect()
        };
        Ok(Relu2CpuEnsemble {
            layout: BlockLayout { members, width, d },
            n,
            x,
            shared,
            y: ys.iter().flat_map(|y| y.iter().copied()).collect(),
            z: vec![0.0; members * width * n],
            d_out: vec![0.0; members * n],
        })
    }

    /// The layout of the parameters this data expects.
    pub fn layout(&self) -> BlockLayout {
        self.layout
    }

    /// Writes each member's mean squared error into `loss` [M] and its gradient into `grad`
    /// (the [`BlockLayout`] of `theta`): the values of
    /// [`super::Relu2Ensemble::loss_and_gradient`], bit for bit.
    pub fn loss_and_gradient(&mut self, theta: &[f64], grad: &mut [f64], loss: &mut [f64]) {
        let BlockLayout {
            members,
            width: k,
            d,
        } = self.layout;
        let n = self.n;
        assert_eq!(
            theta.len(),
            self.layout.len(),
            "parameters of {members} members"
        );
        assert_eq!(grad.len(), theta.len(), "one gradient per parameter");
        assert_eq!(loss.len(), members, "one loss per member");
        let [w1, b1, w2, b2] = self.layout.blocks().map(|(block, _)| block);
        assert_eq!(w1.end, b1.start);
        let (g_b1, g_w2, g_b2) = (b1.start, w2.start, b2.start);
        let (b1, w2, b2) = (&theta[b1], &theta[w2], &theta[b2]);
        let x_skip = if self.shared { 0 } else { n * d };
        // Zᵀ = W1 Xᵀ [M, k, n]: candle's `w1.matmul(&x.t())`, whose lhs is W1 [M, k, d] and
        // rhs Xᵀ [M, d, n] with strides (x_skip, 1, d).
        batched_gemm(
            &mut self.z,
            &theta[w1.clone()],
            &self.x,
            x_skip,
            Dims {
                rows: k,
                cols: n,
                inner: d,
            },
            (1, d),
        );
        // The element-wise work, member by member (in parallel when candle would use
        // several threads: members touch disjoint rows, so the bits do not change).
        let (g_w1, rest) = grad.split_at_mut(g_b1);
        let (g_b1, rest) = rest.split_at_mut(g_w2 - g_b1);
        let (g_w2, g_b2) = rest.split_at_mut(g_b2 - g_w2);
        let y = &self.y;
        let one = |(member, ((((zm, out), loss), (g_b1, g_w2)), g_b2)): (
            usize,
            (
                (
                    ((&mut [f64], &mut [f64]), &mut f64),
                    (&mut [f64], &mut [f64]),
                ),
                &mut f64,
            ),
        )| {
            let params = MemberParams {
                b1: &b1[member * k..(member + 1) * k],
                w2: &w2[member * k..(member + 1) * k],
                b2: b2[member],
            };
            let grads = MemberGrads {
                b1: g_b1,
                w2: g_w2,
                b2: g_b2,
            };
            member_pass(
                zm,
                out,
                &y[member * n..(member + 1) * n],
                params,
                grads,
                loss,
            );
        };
        let (z, d_out) = (&mut self.z, &mut self.d_out);
        if threads() > 1 {
            use rayon::prelude::*;
            z.par_chunks_exact_mut(k * n)
                .zip(d_out.par_chunks_exact_mut(n))
                .zip(loss.par_iter_mut())
                .zip(
                    g_b1.par_chunks_exact_mut(k)
                        .zip(g_w2.par_chunks_exact_mut(k)),
                )
                .zip(g_b2.par_iter_mut())
                .enumerate()
                .for_each(one);
        } else {
            z.chunks_exact_mut(k * n)
                .zip(d_out.chunks_exact_mut(n))
                .zip(loss.iter_mut())
                .zip(g_b1.chunks_exact_mut(k).zip(g_w2.chunks_exact_mut(k)))
                .zip(g_b2.iter_mut())
                .enumerate()
                .for_each(one);
        }
        // ∂L/∂W1 = (∂L/∂Zᵀ) X [M, k, d]: candle's `d_zt.matmul(&x)`, rhs X [M, n, d] with
        // strides (x_skip, d, 1).
        batched_gemm(
            g_w1,
            &self.z,
            &self.x,
            x_skip,
            Dims {
                rows: k,
                cols: d,
                inner: n,
            },
            (d, 1),
        );
    }

    /// Keeps the members at `rows` (strictly increasing) only.
    pub fn keep(&mut self, rows: &[usize]) {
        let (n, d) = (self.n, self.layout.d);
        let keep_rows = |v: &mut Vec<f64>, per: usize| {
            for (i, &r) in rows.iter().enumerate() {
                v.copy_within(r * per..(r + 1) * per, i * per);
            }
            v.truncate(rows.len() * per);
        };
        keep_rows(&mut self.y, n);
        if !self.shared {
            keep_rows(&mut self.x, n * d);
        }
        self.layout.members = rows.len();
        self.z.truncate(rows.len() * self.layout.width * n);
        self.d_out.truncate(rows.len() * n);
    }
}

/// One member's second-layer parameters.
#[derive(Clone, Copy)]
struct MemberParams<'a> {
    b1: &'a [f64],
    w2: &'a [f64],
    b2: f64,
}

/// Where one member's gradients of b1, w2 and b2 go.
struct MemberGrads<'a> {
    b1: &'a mut [f64],
    w2: &'a mut [f64],
    b2: &'a mut f64,
}

/// The element-wise part of one member's step: from its Zᵀ = W1 Xᵀ (`z`, k × n, without b1)
/// to its loss, the gradients of b1, w2, b2, and ∂L/∂Zᵀ written over `z`. `out` is scratch of
/// n values. Built for AVX2 when the CPU has it (the same IEEE operations in the same order,
/// in wider registers; no FMA, so no product is fused into a sum).
fn member_pass(
    z: &mut [f64],
    out: &mut [f64],
    y: &[f64],
    params: MemberParams,
    grads: MemberGrads,
    loss: &mut f64,
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked above), all this function enables.
        return unsafe { member_pass_avx2(z, out, y, params, grads, loss) };
    }
    member_pass_generic(z, out, y, params, grads, loss)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn member_pass_avx2(
    z: &mut [f64],
    out: &mut [f64],
    y: &[f64],
    params: MemberParams,
    grads: MemberGrads,
    loss: &mut f64,
) {
    member_pass_generic(z, out, y, params, grads, loss)
}

#[inline(always)]
fn member_pass_generic(
    zm: &mut [f64],
    out: &mut [f64],
    y: &[f64],
    params: MemberParams,
    grads: MemberGrads,
    loss: &mut f64,
) {
    let n = out.len();
    let k = params.b1.len();
    let MemberParams { b1, w2, b2 } = params;
    // Forward, as candle evaluates `zt = .. + b1`, `ht = zt.relu()` and
    // `ht.broadcast_mul(&w2).sum_keepdim(1)`: the sum over j runs in order from 0.
    out.fill(0.0);
    for (zj, (&bj, &wj)) in zm.chunks_exact_mut(n).zip(b1.iter().zip(w2)) {
        for (zv, o) in zj.iter_mut().zip(out.iter_mut()) {
            *zv += bj;
            *o += zv.max(0.0) * wj;
        }
    }
    // r = out + b2 − y; loss = mean(r²) (`sum * (1/n) + 0`); ∂L/∂out = r · 2/n + 0;
    // ∂L/∂b2 = Σ_i ∂L/∂out_i, every sum in order from 0.
    let (scale, d_scale) = (1.0 / n as f64, 2.0 / n as f64);
    let (mut squares, mut d_b2) = (0.0, 0.0);
    for (o, &yi) in out.iter_mut().zip(y) {
        let r = (*o + b2) - yi;
        squares += r * r;
        *o = r * d_scale + 0.0;
        d_b2 += *o;
    }
    *loss = squares * scale + 0.0;
    *grads.b2 = d_b2;
    // ∂L/∂w2 = Σ_i h ∂L/∂out, ∂L/∂Zᵀ = (w2 ∂L/∂out) · [Zᵀ > 0] (written over Zᵀ),
    // ∂L/∂b1 = Σ_i ∂L/∂Zᵀ. Hidden units go four at a time: each sum still runs over i in
    // order, but four of them interleave instead of waiting on one another.
    let mut j = 0;
    while j < k {
        let units = if k - j >= 4 { 4 } else { 1 };
        let rows = &mut zm[j * n..(j + units) * n];
        let sums = match units {
            4 => hidden_backward::<4>(rows, &w2[j..j + 4], out),
            _ => {
                let [sum] = hidden_backward::<1>(rows, &w2[j..j + 1], out);
                [sum, (0.0, 0.0), (0.0, 0.0), (0.0, 0.0)]
            }
        };
        for (q, (w2_sum, b1_sum)) in sums.into_iter().take(units).enumerate() {
            grads.w2[j + q] = w2_sum;
            grads.b1[j + q] = b1_sum;
        }
        j += units;
    }
}

/// The thread count candle's CPU matmul uses (`RAYON_NUM_THREADS`, else the cores).
fn threads() -> usize {
    candle_core::utils::get_num_threads()
}

/// The backward pass of `R` hidden units of one member: `rows` holds their Zᵀ (R × n), and
/// gets ∂L/∂Zᵀ = (w2_j ∂L/∂out_i) · [Zᵀ > 0]; returns (∂L/∂w2_j, ∂L/∂b1_j) for each unit, as
/// candle's `ht.broadcast_mul(&d_out).sum(2)` and `d_zt.sum(2)`: Σ_i in order from 0.
#[inline(always)]
fn hidden_backward<const R: usize>(rows: &mut [f64], w2: &[f64], d_out: &[f64]) -> [(f64, f64); R] {
    let n = d_out.len();
    assert!(rows.len() == R * n && w2.len() == R);
    let (mut d_w2, mut d_b1) = ([0.0; R], [0.0; R]);
    for (i, &o) in d_out.iter().enumerate() {
        for q in 0..R {
            let zv = rows[q * n + i];
            d_w2[q] += zv.max(0.0) * o;
            let dz = (w2[q] * o) * if zv > 0.0 { 1.0 } else { 0.0 };
            rows[q * n + i] = dz;
            d_b1[q] += dz;
        }
    }
    std::array::from_fn(|q| (d_w2[q], d_b1[q]))
}

/// The shape of one member's product: (rows × inner) · (inner × cols).
#[derive(Clone, Copy)]
struct Dims {
    rows: usize,
    cols: usize,
    inner: usize,
}

/// dst[b] = lhs[b] · rhs[b] for every member b, lhs and dst contiguous row-major, rhs member
/// b starting at b · `rhs_skip` with element (p, j) at p · rs + j · cs (`rhs_strides` =
/// (rs, cs)). These are the `gemm` calls of candle's CPU matmul (candle-core 0.11,
/// `cpu_backend::MatMul`) for the same tensors: with a shared rhs (`rhs_skip` 0) the members
/// stack into one (M·rows × inner) product, otherwise one product per member; alpha 0, beta 1,
/// and the parallelism of `candle_core::utils::get_num_threads`, read at each call like there.
fn batched_gemm(
    dst: &mut [f64],
    lhs: &[f64],
    rhs: &[f64],
    rhs_skip: usize,
    dims: Dims,
    rhs_strides: (usize, usize),
) {
    let Dims { rows, cols, inner } = dims;
    let members = dst.len() / (rows * cols);
    assert_eq!(dst.len(), members * rows * cols);
    assert_eq!(lhs.len(), members * rows * inner);
    let (rs, cs) = rhs_strides;
    let rhs_span = (inner - 1) * rs + (cols - 1) * cs + 1;
    assert!(
        rhs.len() >= (members - 1) * rhs_skip + rhs_span,
        "rhs too short"
    );
    let threads = threads();
    let parallelism = if threads > 1 {
        Parallelism::Rayon(threads)
    } else {
        Parallelism::None
    };
    let (batches, m) = if rhs_skip == 0 {
        (1, members * rows)
    } else {
        (members, rows)
    };
    for b in 0..batches {
        // SAFETY: the asserts above keep every index of the product inside its slice
        // (dst: m × cols at row stride cols; lhs: m × inner at row stride inner; rhs: the
        // span of one member from b · rhs_skip), and dst does not overlap lhs or rhs.
        unsafe {
            gemm(
                m,
                cols,
                inner,
                dst[b * m * cols..].as_mut_ptr(),
                1,
                cols as isize,
                false,
                lhs[b * m * inner..].as_ptr(),
                1,
                inner as isize,
                rhs[b * rhs_skip..].as_ptr(),
                cs as isize,
                rs as isize,
                0.0,
                1.0,
                false,
                false,
                false,
                parallelism,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::relu2::{stack, Relu2Ensemble};
    use crate::rng::Rng;
    use candle_core::{Device, Tensor};

    /// M members (shared inputs or each its own), labels and initializations.
    fn problem(
        m: usize,
        n: usize,
        d: usize,
        width: usize,
        shared: bool,
    ) -> (Vec<Matrix>, Vec<Vec<f64>>, Vec<Relu2>) {
        let mut rng = Rng::new(23);
        let first = Matrix::new(n, d, rng.normals(n * d)).unwrap();
        let xs = (0..m)
            .map(|i| match (shared, i) {
                (true, _) | (false, 0) => first.clone(),
                _ => Matrix::new(n, d, rng.normals(n * d)).unwrap(),
            })
            .collect();
        let ys = (0..m).map(|_| rng.normals(n)).collect();
        let nets = (0..m).map(|_| Relu2::init(d, width, &mut rng)).collect();
        (xs, ys, nets)
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// The tensor form's loss and gradient, the gradient rearranged into the block layout.
    fn tensor_form(
        data: &Relu2Ensemble,
        theta: &Tensor,
        layout: BlockLayout,
    ) -> (Vec<f64>, Vec<f64>) {
        let lg = data.loss_and_gradient(theta).unwrap();
        let rows = lg.grad.to_vec2::<f64>().unwrap();
        let (_, packed) = BlockLayout::pack(
            &rows
                .iter()
                .map(|r| Relu2::from_flat(layout.d, layout.width, r).unwrap())
                .collect::<Vec<_>>(),
        )
        .unwrap();
        (lg.loss, packed)
    }

    /// Equal bits to the candle form, for shared and per-member inputs, at a small size and
    /// at the size of the training bench (products large enough for gemm's blocking and
    /// threads), and again after members left.
    #[test]
    fn loss_and_gradient_equal_the_tensor_form_bit_for_bit() {
        for (m, n, d, width) in [(3, 17, 5, 4), (32, 500, 50, 8)] {
            for shared in [true, false] {
                let (xs, ys, nets) = problem(m, n, d, width, shared);
                let xr: Vec<&Matrix> = xs.iter().collect();
                let yr: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
                let tensors = Relu2Ensemble::new(&xr, &yr, width, &Device::Cpu).unwrap();
                let theta_t = stack(&nets, &Device::Cpu).unwrap();
                let mut cpu = Relu2CpuEnsemble::new(&xr, &yr, width).unwrap();
                let (layout, theta) = BlockLayout::pack(&nets).unwrap();
                assert_eq!(layout, cpu.layout());
                let (mut grad, mut loss) = (vec![f64::NAN; layout.len()], vec![f64::NAN; m]);
                cpu.loss_and_gradient(&theta, &mut grad, &mut loss);
                let (want_loss, want_grad) = tensor_form(&tensors, &theta_t, layout);
                assert_eq!(
                    bits(&loss),
                    bits(&want_loss),
                    "loss, {m} members, shared {shared}"
                );
                assert_eq!(
                    bits(&grad),
                    bits(&want_grad),
                    "gradient, {m} members, shared {shared}"
                );
                assert!(grad.iter().any(|&g| g != 0.0));

                let rows = [0, m - 1];
                let index = Tensor::from_vec(vec![0u32, m as u32 - 1], 2, &Device::Cpu).unwrap();
                let tensors = tensors.select(&index).unwrap();
                let theta_t = theta_t.index_select(&index, 0).unwrap();
                let mut theta = theta;
                let kept = layout.keep(&mut theta, &rows);
                cpu.keep(&rows);
                let (mut grad, mut loss) = (vec![f64::NAN; kept.len()], vec![f64::NAN; 2]);
                cpu.loss_and_gradient(&theta, &mut grad, &mut loss);
                let (want_loss, want_grad) = tensor_form(&tensors, &theta_t, kept);
                assert_eq!(bits(&loss), bits(&want_loss));
                assert_eq!(bits(&grad), bits(&want_grad));
            }
        }
    }

    #[test]
    fn block_layout_round_trips_and_keeps_members() {
        let (_, _, nets) = problem(5, 4, 3, 2, true);
        let (layout, mut flat) = BlockLayout::pack(&nets).unwrap();
        assert_eq!(flat.len(), 5 * (2 * 5 + 1));
        for (row, net) in nets.iter().enumerate() {
            assert_eq!(layout.member(&flat, row), net.flat());
        }
        let kept = layout.keep(&mut flat, &[1, 2, 4]);
        assert_eq!(kept.members, 3);
        assert_eq!(flat.len(), kept.len());
        for (row, net) in [1, 2, 4].iter().map(|&r| &nets[r]).enumerate() {
            assert_eq!(kept.member(&flat, row), net.flat());
        }
    }
}
