//! Batched training of a `relu2` ensemble: all members advance together in one computation
//! (see [`crate::models::relu2::Relu2Ensemble`]), each stopping on its own.
//!
//! A member that has converged (or reached the step cap) leaves the batch, and the others go
//! on without it. Every operation acts on each member's rows separately (per-member matrix
//! products, element-wise updates, sums over that member's samples), so a member's result
//! does not depend on which other members share its batch: the batched fit equals fitting
//! each member alone (a test checks it).
//!
//! The loop runs on one of two forms of the computation ([`Batch`]): on the CPU the in-place
//! form of [`crate::models::relu2::cpu`] with [`CpuOptimizer`] (no allocation per step), on
//! other devices the candle tensors of `Relu2Ensemble` with [`Optimizer`]. On the CPU both give
//! the same bits (a test fits with each).

use super::{Convergence, FullBatch, GdOutcome, StopReason};
use crate::matrix::Matrix;
use crate::models::relu2::cpu::{BlockLayout, Relu2CpuEnsemble};
use crate::models::relu2::{stack, Relu2, Relu2Ensemble};
use crate::train::optim::{CpuOptimizer, Optimizer};
use anyhow::{bail, Result};
use candle_core::{Device, Tensor};

/// Trains M `relu2` networks from `inits` on their own data (`xs[m]`, `ys[m]`, all with the
/// same n) by the full-batch `rule` on the mean squared error. Each member stops when its loss
/// has converged ([`Convergence`]) or after `max_steps` updates; the reported loss is that
/// of the returned parameters.
pub fn train_relu2_ensemble(
    xs: &[&Matrix],
    ys: &[&[f64]],
    inits: &[Relu2],
    rule: FullBatch<'_>,
    device: &Device,
) -> Result<Vec<GdOutcome<Relu2>>> {
    if device.is_cpu() {
        train(CpuBatch::new(xs, ys, inits, rule)?, inits, rule)
    } else {
        train(TensorBatch::new(xs, ys, inits, rule, device)?, inits, rule)
    }
}

/// The state of one batched fit: the active members' parameters, optimizer state and data.
trait Batch {
    /// Each active member's loss at the current parameters; computes their gradients.
    fn loss_and_gradient(&mut self) -> Result<Vec<f64>>;
    /// The parameters of active member `row`, in the layout of [`Relu2::flat`].
    fn member(&self, row: usize) -> Result<Vec<f64>>;
    /// Keeps the active members at `rows` (strictly increasing), with their gradients.
    fn keep(&mut self, rows: &[usize]) -> Result<()>;
    /// One optimizer update of every active member by its gradient.
    fn step(&mut self) -> Result<()>;
}

fn train(
    mut batch: impl Batch,
    inits: &[Relu2],
    rule: FullBatch<'_>,
) -> Result<Vec<GdOutcome<Relu2>>> {
    let (max_steps, tol, window) = rule.stopping();
    let (d, width) = (inits[0].input_dim(), inits[0].width());
    let mut convergence: Vec<Convergence> = inits
        .iter()
        .map(|_| Convergence::new(tol, window))
        .collect();
    // `active[i]` is the member index of row i of the batch.
    let mut active: Vec<usize> = (0..inits.len()).collect();
    let mut done: Vec<Option<GdOutcome<Relu2>>> = vec![None; inits.len()];
    let mut steps = 0;
    while !active.is_empty() {
        let losses = batch.loss_and_gradient()?;
        let mut keep = Vec::with_capacity(active.len());
        let mut finished = Vec::new();
        for (row, &member) in active.iter().enumerate() {
            let loss = losses[row];
            let stop = if !loss.is_finite() {
                bail!("member {member}: the training loss became {loss} at step {steps}; lower the learning rate")
            } else if convergence[member].update(loss) {
                Some(StopReason::Converged)
            } else if steps == max_steps {
                Some(StopReason::StepCap)
            } else {
                None
            };
            match stop {
                Some(stop) => finished.push((row, member, loss, stop)),
                None => keep.push(row),
            }
        }
        for (row, member, loss, stop) in finished {
            done[member] = Some(GdOutcome {
                model: Relu2::from_flat(d, width, &batch.member(row)?)?,
                train_loss: loss,
                steps,
                stop,
            });
        }
        if keep.is_empty() {
            break;
        }
        if keep.len() < active.len() {
            batch.keep(&keep)?;
            active = keep.iter().map(|&r| active[r]).collect();
        }
        batch.step()?;
        steps += 1;
    }
    Ok(done
        .into_iter()
        .map(|o| o.expect("every member finishes"))
        .collect())
}

/// The CPU form: parameters, gradients and Adam's moments in [`BlockLayout`] vectors,
/// updated in place.
struct CpuBatch {
    data: Relu2CpuEnsemble,
    layout: BlockLayout,
    theta: Vec<f64>,
    grad: Vec<f64>,
    loss: Vec<f64>,
    optimizer: CpuOptimizer,
}

impl CpuBatch {
    fn new(xs: &[&Matrix], ys: &[&[f64]], inits: &[Relu2], rule: FullBatch<'_>) -> Result<Self> {
        let data = Relu2CpuEnsemble::new(xs, ys, inits[0].width())?;
        let (layout, theta) = BlockLayout::pack(inits)?;
        anyhow::ensure!(
            layout == data.layout(),
            "the networks do not fit the data's shape"
        );
        Ok(CpuBatch {
            data,
            layout,
            grad: vec![0.0; theta.len()],
            loss: vec![0.0; layout.members],
            optimizer: CpuOptimizer::new(rule, theta.len()),
            theta,
        })
    }
}

impl Batch for CpuBatch {
    fn loss_and_gradient(&mut self) -> Result<Vec<f64>> {
        self.data
            .loss_and_gradient(&self.theta, &mut self.grad, &mut self.loss);
        Ok(self.loss.clone())
    }

    fn member(&self, row: usize) -> Result<Vec<f64>> {
        Ok(self.layout.member(&self.theta, row))
    }

    fn keep(&mut self, rows: &[usize]) -> Result<()> {
        let layout = self.layout;
        self.layout = layout.keep(&mut self.theta, rows);
        layout.keep(&mut self.grad, rows);
        for state in self.optimizer.state_mut() {
            layout.keep(state, rows);
        }
        self.data.keep(rows);
        self.loss.truncate(rows.len());
        Ok(())
    }

    fn step(&mut self) -> Result<()> {
        self.optimizer.step(&mut self.theta, &self.grad);
        Ok(())
    }
}

/// The candle form, on any device: `theta` [M, P] and the optimizer's tensors.
struct TensorBatch {
    data: Relu2Ensemble,
    theta: Tensor,
    grad: Option<Tensor>,
    optimizer: Optimizer,
}

impl TensorBatch {
    fn new(
        xs: &[&Matrix],
        ys: &[&[f64]],
        inits: &[Relu2],
        rule: FullBatch<'_>,
        device: &Device,
    ) -> Result<Self> {
        let theta = stack(inits, device)?;
        Ok(TensorBatch {
            data: Relu2Ensemble::new(xs, ys, inits[0].width(), device)?,
            optimizer: Optimizer::new(rule, &theta)?,
            theta,
            grad: None,
        })
    }

    fn grad(&self) -> Result<Tensor> {
        self.grad
            .clone()
            .ok_or_else(|| anyhow::anyhow!("no gradient computed before the step"))
    }
}

impl Batch for TensorBatch {
    fn loss_and_gradient(&mut self) -> Result<Vec<f64>> {
        let lg = self.data.loss_and_gradient(&self.theta)?;
        self.grad = Some(lg.grad);
        Ok(lg.loss)
    }

    fn member(&self, row: usize) -> Result<Vec<f64>> {
        Ok(self.theta.get(row)?.to_vec1::<f64>()?)
    }

    fn keep(&mut self, rows: &[usize]) -> Result<()> {
        let index = Tensor::from_vec(
            rows.iter().map(|&r| r as u32).collect::<Vec<_>>(),
            rows.len(),
            self.theta.device(),
        )?;
        self.theta = self.theta.index_select(&index, 0)?;
        self.grad = Some(self.grad()?.index_select(&index, 0)?);
        self.optimizer.select(&index)?;
        self.data = self.data.select(&index)?;
        Ok(())
    }

    fn step(&mut self) -> Result<()> {
        let grad = self.grad()?;
        self.theta = self.optimizer.step(&self.theta, &grad)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::train::optim::AdamSettings;
    use crate::train::{GdSettings, Train};

    fn problem(m: usize) -> (Vec<Matrix>, Vec<Vec<f64>>, Vec<Relu2>) {
        let (n, d, width) = (24, 6, 3);
        let mut rng = Rng::new(5);
        let x = Matrix::new(n, d, rng.normals(n * d)).unwrap();
        let xs = vec![x.clone(); m];
        let ys = (0..m)
            .map(|_| {
                (0..n)
                    .map(|i| x.row(i)[0] - 0.5 * x.row(i)[1] + 0.3 * rng.normal())
                    .collect()
            })
            .collect();
        let init = Relu2::init(d, width, &mut rng);
        let mut inits = vec![init; m];
        inits[m - 1] = Relu2::init(d, width, &mut rng);
        (xs, ys, inits)
    }

    fn fit(
        xs: &[Matrix],
        ys: &[Vec<f64>],
        inits: &[Relu2],
        train: &Train,
    ) -> Vec<GdOutcome<Relu2>> {
        let rule = train.full_batch().expect("a full-batch solver");
        let xr: Vec<&Matrix> = xs.iter().collect();
        let yr: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
        train_relu2_ensemble(&xr, &yr, inits, rule, &Device::Cpu).unwrap()
    }

    fn adam() -> Train {
        Train::Adam(AdamSettings {
            lr: 0.02,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            max_steps: 1500,
            tol: 1e-3,
            window: 50,
        })
    }

    #[test]
    fn batched_fit_equals_members_fitted_alone() {
        for train in [
            adam(),
            Train::Gd(GdSettings {
                lr: 0.1,
                init_scale: 1e-6,
                max_steps: 3000,
                tol: 1e-3,
                window: 20,
            }),
        ] {
            let (xs, ys, inits) = problem(4);
            let batched = fit(&xs, &ys, &inits, &train);
            let steps: Vec<usize> = batched.iter().map(|o| o.steps).collect();
            for (i, together) in batched.iter().enumerate() {
                let alone = &fit(&xs[i..=i], &ys[i..=i], &inits[i..=i], &train)[0];
                assert_eq!(together.steps, alone.steps);
                assert_eq!(together.stop, alone.stop);
                let (a, b) = (together.model.flat(), alone.model.flat());
                for (x, y) in a.iter().zip(&b) {
                    assert!((x - y).abs() <= 1e-5 * y.abs().max(1e-12), "{x} vs {y}");
                }
                assert!((together.train_loss - alone.train_loss).abs() <= 1e-5 * alone.train_loss);
            }
            // The members stop at different steps, so the batch really shrank on the way.
            assert!(steps.iter().any(|&s| s != steps[0]), "{steps:?}");
            assert!(batched[0].train_loss < 0.5, "training reduced the loss");
        }
    }

    /// The CPU form and the candle form of the same fits: equal steps, stops, losses and
    /// parameters, bit for bit (members leave the batch on the way).
    #[test]
    fn cpu_form_equals_the_tensor_form_bit_for_bit() {
        for train in [
            adam(),
            Train::Gd(GdSettings {
                lr: 0.1,
                init_scale: 1e-6,
                max_steps: 3000,
                tol: 1e-3,
                window: 20,
            }),
        ] {
            let (xs, ys, inits) = problem(4);
            let rule = train.full_batch().unwrap();
            let xr: Vec<&Matrix> = xs.iter().collect();
            let yr: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
            let cpu =
                super::train(CpuBatch::new(&xr, &yr, &inits, rule).unwrap(), &inits, rule).unwrap();
            let tensor = super::train(
                TensorBatch::new(&xr, &yr, &inits, rule, &Device::Cpu).unwrap(),
                &inits,
                rule,
            )
            .unwrap();
            let steps: Vec<usize> = cpu.iter().map(|o| o.steps).collect();
            assert!(
                steps.iter().any(|&s| s != steps[0]),
                "members left the batch: {steps:?}"
            );
            for (a, b) in cpu.iter().zip(&tensor) {
                assert_eq!((a.steps, a.stop), (b.steps, b.stop));
                assert_eq!(a.train_loss.to_bits(), b.train_loss.to_bits());
                let bits = |o: &GdOutcome<Relu2>| {
                    o.model
                        .flat()
                        .iter()
                        .map(|x| x.to_bits())
                        .collect::<Vec<_>>()
                };
                assert_eq!(bits(a), bits(b));
            }
        }
    }

    #[test]
    fn step_cap_is_reported() {
        let (xs, ys, inits) = problem(2);
        let capped = Train::Adam(AdamSettings {
            lr: 0.02,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            max_steps: 7,
            tol: 0.0,
            window: 50,
        });
        for o in fit(&xs, &ys, &inits, &capped) {
            assert_eq!((o.steps, o.stop), (7, StopReason::StepCap));
        }
    }
}
