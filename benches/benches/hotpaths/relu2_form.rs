//! The relu2 Adam step the gate measures, in the form `train_relu2_ensemble` runs on the CPU
//! (`models::relu2::cpu` and `CpuOptimizer`, in place, since issue 15's allocation work).
//! Its harness names are imported here rather than through `api.rs`, and
//! `benches/record-past.sh` swaps in `relu2_form_tensor.rs` (the candle-tensor form, which is
//! what the CPU trainer ran before) for a commit without `harness/src/models/relu2/cpu.rs`.

use super::{AdamSettings, FullBatch, Matrix, Relu2};
use harness::models::relu2::cpu::{BlockLayout, Relu2CpuEnsemble};
use harness::train::optim::CpuOptimizer;

/// An ensemble's data, its parameters, gradient and losses, and Adam's state.
pub struct Relu2Step {
    data: Relu2CpuEnsemble,
    theta: Vec<f64>,
    grad: Vec<f64>,
    loss: Vec<f64>,
    opt: CpuOptimizer,
}

pub fn relu2_step(
    xs: &[&Matrix],
    ys: &[&[f64]],
    inits: &[Relu2],
    adam: &AdamSettings,
) -> Relu2Step {
    let data = Relu2CpuEnsemble::new(xs, ys, inits[0].width()).unwrap();
    let (layout, theta) = BlockLayout::pack(inits).unwrap();
    Relu2Step {
        data,
        grad: vec![0.0; layout.len()],
        loss: vec![0.0; inits.len()],
        opt: CpuOptimizer::new(FullBatch::Adam(adam), theta.len()),
        theta,
    }
}

/// One full-batch Adam step: forward, hand-written gradients, update. Returns the loss.
pub fn run_relu2_step(s: &mut Relu2Step) -> f64 {
    s.data.loss_and_gradient(&s.theta, &mut s.grad, &mut s.loss);
    s.opt.step(&mut s.theta, &s.grad);
    s.loss[0]
}
