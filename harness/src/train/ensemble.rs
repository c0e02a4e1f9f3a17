//! Batched training of a `relu2` ensemble: all members advance together in one candle
//! computation (see [`crate::models::relu2::Relu2Ensemble`]), each stopping on its own.
//!
//! A member that has converged (or reached the step cap) leaves the batch, and the others go
//! on without it. Every operation acts on each member's rows separately (per-member matrix
//! products, element-wise updates, sums over that member's samples), so a member's result
//! does not depend on which other members share its batch: the batched fit equals fitting
//! each member alone (a test checks it).

use super::{Convergence, FullBatch, GdOutcome, StopReason};
use crate::matrix::Matrix;
use crate::models::relu2::{stack, Relu2, Relu2Ensemble};
use crate::train::optim::Optimizer;
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
    let (max_steps, tol, window) = rule.stopping();
    let (d, width) = (inits[0].input_dim(), inits[0].width());
    let mut data = Relu2Ensemble::new(xs, ys, width, device)?;
    let mut theta = stack(inits, device)?;
    let mut optimizer = Optimizer::new(rule, &theta)?;
    let mut convergence: Vec<Convergence> = inits
        .iter()
        .map(|_| Convergence::new(tol, window))
        .collect();
    // `active[i]` is the member index of row i of `theta`.
    let mut active: Vec<usize> = (0..inits.len()).collect();
    let mut done: Vec<Option<GdOutcome<Relu2>>> = vec![None; inits.len()];
    let mut steps = 0;
    while !active.is_empty() {
        let lg = data.loss_and_gradient(&theta)?;
        let mut keep = Vec::with_capacity(active.len());
        let mut finished = Vec::new();
        for (row, &member) in active.iter().enumerate() {
            let loss = lg.loss[row];
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
            let flat = theta.get(row)?.to_vec1::<f64>()?;
            done[member] = Some(GdOutcome {
                model: Relu2::from_flat(d, width, &flat)?,
                train_loss: loss,
                steps,
                stop,
            });
        }
        if keep.is_empty() {
            break;
        }
        let (mut theta_now, mut grad) = (theta, lg.grad);
        if keep.len() < active.len() {
            let rows = Tensor::from_vec(
                keep.iter().map(|&r| r as u32).collect::<Vec<_>>(),
                keep.len(),
                device,
            )?;
            theta_now = theta_now.index_select(&rows, 0)?;
            grad = grad.index_select(&rows, 0)?;
            optimizer.select(&rows)?;
            data = data.select(&rows)?;
            active = keep.iter().map(|&r| active[r]).collect();
        }
        theta = optimizer.step(&theta_now, &grad)?;
        steps += 1;
    }
    Ok(done
        .into_iter()
        .map(|o| o.expect("every member finishes"))
        .collect())
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
