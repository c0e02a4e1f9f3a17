//! The relu2 Adam step in candle tensors (`Relu2Ensemble` and `Optimizer`): what the CPU
//! trainer ran before the in-place form of `relu2_form.rs`. Not compiled in this tree:
//! `benches/record-past.sh` copies it over `relu2_form.rs` for a commit without
//! `harness/src/models/relu2/cpu.rs`. It uses only names that both `api.rs` files provide.

use super::{adam_optimizer, stack, AdamSettings, Matrix, Optimizer, Relu2, Relu2Ensemble};
use candle_core::{Device, Tensor};

/// An ensemble's data, its stacked parameters and an Adam optimizer on them.
pub struct Relu2Step {
    data: Relu2Ensemble,
    theta: Tensor,
    opt: Optimizer,
}

pub fn relu2_step(
    xs: &[&Matrix],
    ys: &[&[f64]],
    inits: &[Relu2],
    adam: &AdamSettings,
) -> Relu2Step {
    let data = Relu2Ensemble::new(xs, ys, inits[0].width(), &Device::Cpu).unwrap();
    let theta = stack(inits, &Device::Cpu).unwrap();
    let opt = adam_optimizer(adam, &theta).unwrap();
    Relu2Step { data, theta, opt }
}

/// One full-batch Adam step: forward, hand-written gradients, update. Returns the loss.
pub fn run_relu2_step(s: &mut Relu2Step) -> f64 {
    let lg = s.data.loss_and_gradient(&s.theta).unwrap();
    s.theta = s.opt.step(&s.theta, &lg.grad).unwrap();
    lg.loss[0]
}
