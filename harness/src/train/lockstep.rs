//! The lockstep form of the fleet (issue 27, points 1–3), for devices other than the CPU:
//! every member stacked in one [`ClassifierEnsemble`], one batched SGD step for all of them,
//! the images on the device as bytes.
//!
//! - **Data on the device.** The pool's images are uploaded once as bytes (P × C·H·W `u8`) with
//!   the 256-entry table of their input values; a step gathers its rows by index and then maps
//!   the bytes through the table (two `index_select`s), so the values are exactly the host's.
//! - **Index streams uploaded per window.** The members' clocks ([`super::fleet::Clock`]: each
//!   its own permutation per epoch from its own stream, epoch counter, rate and stop) are run
//!   ahead on the host for a window of up to [`WINDOW`] steps, and the window's rows, labels,
//!   row weights and rates go up as four tensors; each step of the window reads its slice on
//!   the device (no upload, no read-back inside the window). A window ends early only where a
//!   member's epoch ends with a `patience` check (which needs the trained weights).
//! - **One shape for all.** Every member's batch is `batch_size` rows: an epoch's last, smaller
//!   batch is padded with weight 0, and each real row weighs 1/len, so a member's loss is its
//!   own mean cross-entropy. A member that has stopped stays in the stack with weight 0 and
//!   rate 0 (it leaves by its mask; nothing is rebuilt); its network was copied out at the step
//!   it stopped. Padding is exact for networks whose rows do not interact (`fcnn`); `cnn5`'s
//!   BatchNorm takes statistics over a member's batch, so its members step in one lockstep per
//!   n (same n: same batch lengths at every step, no padding).
//! - **Per-member rates.** SGD's update `w − g·lr` with each member's own rate, over stacked
//!   variables whose first dimension is member-major ([`ClassifierEnsemble::trainable`]).
//!
//! - **Fewer launches.** A network may write its step's gradients out
//!   ([`ClassifierEnsemble::fused_sgd_step`]: `fcnn`, 47 tensors a step instead of autograd's
//!   155); others run autograd.
//!
//! On CUDA, not done yet (needs a GPU to measure): capturing the step as a CUDA graph and
//! fused CUDA kernels; `harness project` prints the tensors created per step (an upper bound on
//! the kernel launches) beside the measured step time.

use super::clock::{Clock, Recruit, Tick};
use super::sgd::{evaluate, SgdOutcome, SgdSettings};
use crate::data::datasets::{Dataset, Images8};
use crate::models::classifier::{ClassifierEnsemble, CPU_CHECK_CHUNK};
use crate::models::Model;
use anyhow::{Context, Result};
use candle_core::{DType, Device, Tensor, D};

/// Steps per uploaded window of index streams.
pub const WINDOW: usize = 64;

/// The pool on the device: its bytes and their table.
pub struct DevicePool {
    pixels: Tensor,
    table: Tensor,
    dims: Vec<usize>,
}

impl DevicePool {
    /// Uploads the pool's bytes and table once.
    pub fn new(pool: &Images8, device: &Device) -> Result<Self> {
        let s = pool.shape;
        Ok(DevicePool {
            pixels: Tensor::from_slice(&pool.pixels, (pool.len(), s.len()), device)?,
            table: Tensor::from_slice(&pool.table, pool.table.len(), device)?,
            dims: vec![s.channels, s.height, s.width],
        })
    }

    /// The images of pool rows `rows` (a u32 tensor of any shape S) as input values, shaped
    /// S × C × H × W.
    pub fn gather(&self, rows: &Tensor) -> Result<Tensor> {
        let bytes = self.pixels.index_select(&rows.flatten_all()?, 0)?;
        let values = self.table.index_select(&bytes.flatten_all()?, 0)?;
        Ok(values.reshape([rows.dims(), &self.dims].concat())?)
    }
}

/// Trains `recruits` in lockstep on `device`; `done(i, outcome)` as each stops.
pub fn train_lockstep(
    model: &Model,
    dataset: Dataset,
    pool: &Images8,
    recruits: Vec<Recruit>,
    settings: &SgdSettings,
    device: &Device,
    done: &(dyn Fn(usize, SgdOutcome) -> Result<()> + Sync),
) -> Result<()> {
    let on_device = DevicePool::new(pool, device)?;
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, r) in recruits.iter().enumerate() {
        let joins =
            |g: &Vec<usize>| !model.rows_interact() || recruits[g[0]].rows.len() == r.rows.len();
        match groups.iter_mut().find(|g| joins(g)) {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    let mut slots: Vec<Option<Recruit>> = recruits.into_iter().map(Some).collect();
    for group in groups {
        let members: Vec<(usize, Recruit)> = group
            .iter()
            .map(|&i| (i, slots[i].take().expect("each recruit in one group")))
            .collect();
        let mut fleet = Lockstep::new(model, dataset, &on_device, members, settings, device)?;
        while fleet.window(done)? {}
    }
    Ok(())
}

/// One lockstep of members (all of a fleet, or one n of a model whose rows interact).
pub struct Lockstep<'a> {
    ensemble: Box<dyn ClassifierEnsemble>,
    pool: &'a DevicePool,
    /// The recruits' own indices, their rows and labels, and their clocks.
    index: Vec<usize>,
    recruits: Vec<Recruit>,
    clocks: Vec<Clock>,
    /// Whether each member still trains.
    active: Vec<bool>,
    batch: usize,
    /// Whether a step is padded to the whole batch (rows that do not interact).
    pads: bool,
    device: Device,
}

/// A member's stop found while a window was planned: after window step `after`, copy it out.
struct Leaving {
    after: usize,
    member: usize,
}

impl<'a> Lockstep<'a> {
    pub fn new(
        model: &Model,
        dataset: Dataset,
        pool: &'a DevicePool,
        members: Vec<(usize, Recruit)>,
        settings: &SgdSettings,
        device: &Device,
    ) -> Result<Self> {
        let (index, mut recruits): (Vec<usize>, Vec<Recruit>) = members.into_iter().unzip();
        let mut inits: Vec<&mut crate::rng::Rng> =
            recruits.iter_mut().map(|r| &mut r.init).collect();
        let ensemble = model.ensemble(dataset, &mut inits, device)?;
        let clocks = recruits
            .iter()
            .map(|r| Clock::new(r.rows.len(), settings, r.order.clone()))
            .collect();
        Ok(Lockstep {
            ensemble,
            pool,
            index,
            active: vec![true; recruits.len()],
            recruits,
            clocks,
            batch: settings.batch_size,
            pads: !model.rows_interact(),
            device: device.clone(),
        })
    }

    /// Members still training.
    pub fn active(&self) -> usize {
        self.active.iter().filter(|&&a| a).count()
    }

    /// Plans, uploads and runs one window of steps; false once every member has stopped.
    pub fn window(
        &mut self,
        done: &(dyn Fn(usize, SgdOutcome) -> Result<()> + Sync),
    ) -> Result<bool> {
        // Members whose epoch ended with a check: check them now, with their trained weights.
        for m in 0..self.recruits.len() {
            if self.active[m] && self.clocks[m].checks() && self.at_epoch_end(m) {
                self.clocks[m].tick();
                let errors = self.errors(m)?;
                if self.clocks[m].end_epoch(Some(errors)).is_some() {
                    self.leave(m, done)?;
                }
            }
        }
        if self.active() == 0 {
            return Ok(false);
        }
        let (m, b) = (self.recruits.len(), self.batch);
        let mut rows = Vec::with_capacity(WINDOW * m * b);
        let mut labels = Vec::with_capacity(WINDOW * m * b);
        let mut weights = Vec::with_capacity(WINDOW * m * b);
        let mut rates = Vec::with_capacity(WINDOW * m);
        let mut lens = Vec::with_capacity(WINDOW);
        let mut leaving = Vec::new();
        let mut steps = 0;
        while steps < WINDOW {
            // A window ends before a step where some member must first be checked.
            if (0..m).any(|i| self.active[i] && self.clocks[i].checks() && self.at_epoch_end(i)) {
                break;
            }
            let mut len_of_step = 0;
            let mut any = false;
            for i in 0..m {
                let mut taken = 0;
                let mut rate = 0.0;
                while self.active[i] {
                    match self.clocks[i].tick() {
                        Some(Tick::Step(range, r)) => {
                            let r_ = &self.recruits[i];
                            for &j in &self.clocks[i].order()[range.clone()] {
                                rows.push(r_.rows[j] as u32);
                                labels.push(r_.labels[j] as u32);
                            }
                            taken = range.len();
                            rate = r;
                            break;
                        }
                        Some(Tick::EpochEnd) => {
                            if self.clocks[i].end_epoch(None).is_some() {
                                self.active[i] = false;
                                leaving.push(Leaving {
                                    after: steps,
                                    member: i,
                                });
                            }
                        }
                        None => unreachable!("an active member's clock has not stopped"),
                    }
                }
                any |= taken > 0;
                len_of_step = len_of_step.max(taken);
                let w = if taken > 0 {
                    (1.0 / taken as f64) as f32
                } else {
                    0.0
                };
                weights.extend(std::iter::repeat_n(w, taken));
                weights.extend(std::iter::repeat_n(0f32, b - taken));
                rows.extend(std::iter::repeat_n(0u32, b - taken));
                labels.extend(std::iter::repeat_n(0u32, b - taken));
                rates.push(rate as f32);
            }
            if !any {
                // Every member stopped while this step was planned: drop its padding.
                rows.truncate(rows.len() - m * b);
                labels.truncate(labels.len() - m * b);
                weights.truncate(weights.len() - m * b);
                rates.truncate(rates.len() - m);
                break;
            }
            lens.push(len_of_step);
            steps += 1;
        }
        if steps > 0 {
            let dev = &self.device;
            let rows = Tensor::from_vec(rows, (steps, m, b), dev)?;
            let labels = Tensor::from_vec(labels, (steps, m, b), dev)?;
            let weights = Tensor::from_vec(weights, (steps, m, b), dev)?;
            let rates = Tensor::from_vec(rates, (steps, m), dev)?;
            // A member that stopped before the window leaves before its first step (cnn5's
            // running statistics would move on).
            for l in leaving.iter().filter(|l| l.after == 0) {
                self.copy_out(l.member, done)?;
            }
            for (w, &len) in lens.iter().enumerate() {
                // Without interacting rows every step is padded to the whole batch; with
                // them (one n per lockstep) every member's batch has the same length.
                let len = if self.pads { b } else { len };
                self.step(
                    &rows.get(w)?.narrow(1, 0, len)?,
                    &labels.get(w)?.narrow(1, 0, len)?,
                    &weights.get(w)?.narrow(1, 0, len)?,
                    &rates.get(w)?,
                )?;
                for l in leaving.iter().filter(|l| l.after == w + 1) {
                    self.copy_out(l.member, done)?;
                }
            }
        }
        if steps == 0 {
            for l in &leaving {
                self.copy_out(l.member, done)?;
            }
        }
        Ok(self.active() > 0)
    }

    fn at_epoch_end(&self, m: usize) -> bool {
        self.clocks[m].at_epoch_end()
    }

    /// One lockstep step: rows, labels and weights M × len, rates M.
    pub fn step(
        &mut self,
        rows: &Tensor,
        labels: &Tensor,
        weights: &Tensor,
        rates: &Tensor,
    ) -> Result<()> {
        let x = self.pool.gather(rows)?;
        if self.ensemble.fused_sgd_step(&x, labels, weights, rates)? {
            return Ok(());
        }
        let logits = self.ensemble.forward_t(&x, true)?.logits;
        let log_p = candle_nn::ops::log_softmax(&logits, D::Minus1)?;
        let picked = log_p
            .gather(&labels.contiguous()?.unsqueeze(2)?, 2)?
            .squeeze(2)?;
        let loss = (picked * weights)?.sum_all()?.neg()?;
        let grads = loss.backward()?;
        let m = self.recruits.len();
        for var in self.ensemble.trainable() {
            let Some(g) = grads.get(&var) else { continue };
            let dims = var.dims();
            let per = dims[0] / m;
            let mut shape = vec![dims[0]];
            shape.extend(std::iter::repeat_n(1, dims.len() - 1));
            let rate = rates
                .reshape((m, 1))?
                .broadcast_as((m, per))?
                .reshape(shape)?;
            var.set(&var.broadcast_sub(&g.broadcast_mul(&rate)?)?)?;
        }
        Ok(())
    }

    /// Member `m`'s misclassified training images (evaluation mode, its own labels).
    fn errors(&self, m: usize) -> Result<usize> {
        let member = self.ensemble.member(m)?;
        let r = &self.recruits[m];
        let rows: Vec<u32> = r.rows.iter().map(|&i| i as u32).collect();
        let x = self
            .pool
            .gather(&Tensor::from_vec(rows, r.rows.len(), &self.device)?)?;
        let e = evaluate(member.as_ref(), &x, &r.labels, CPU_CHECK_CHUNK)?;
        Ok((e.error * r.rows.len() as f64).round() as usize)
    }

    fn leave(
        &mut self,
        m: usize,
        done: &(dyn Fn(usize, SgdOutcome) -> Result<()> + Sync),
    ) -> Result<()> {
        self.active[m] = false;
        self.copy_out(m, done)
    }

    /// Hands member `m`'s network as it is now, with its clock's outcome, to `done`.
    fn copy_out(
        &self,
        m: usize,
        done: &(dyn Fn(usize, SgdOutcome) -> Result<()> + Sync),
    ) -> Result<()> {
        let (steps, epochs, stop) = self.clocks[m].outcome();
        let outcome = SgdOutcome {
            model: self.ensemble.member(m)?,
            steps,
            epochs,
            stop: stop.context("a member leaves with its stop")?,
        };
        done(self.index[m], outcome)
    }
}

/// Tensors created by candle while `f` runs (candle numbers each new tensor: every op, and
/// every view, makes one; the counter is global, so run it where no other thread makes
/// tensors): an upper bound on the kernels a step launches (views launch none).
pub fn tensors_created<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, usize)> {
    let id = || -> Result<usize> {
        let t = Tensor::zeros(1, DType::U8, &Device::Cpu)?;
        let text = format!("{:?}", t.id());
        text.trim_start_matches("TensorId(")
            .trim_end_matches(')')
            .parse()
            .with_context(|| format!("candle's tensor id `{text}`"))
    };
    let before = id()?;
    let out = f()?;
    let after = id()?;
    // The second probe made one tensor itself.
    Ok((out, after - before - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{cnn5::Cnn5Config, fcnn::FcnnConfig};
    use crate::train::fleet::tests::{bits, fleet, pool, recruits};
    use crate::train::sgd::Schedule;

    fn settings() -> SgdSettings {
        SgdSettings {
            lr: 0.5,
            batch_size: 16,
            epochs: 12,
            schedule: Schedule::Mnist,
            decay_every: 5,
            max_steps: None,
            patience: None,
        }
    }

    fn lockstep(
        model: &Model,
        dataset: Dataset,
        pool: &Images8,
        sizes: &[usize],
        s: &SgdSettings,
    ) -> Vec<SgdOutcome> {
        let out: Vec<std::sync::Mutex<Option<SgdOutcome>>> =
            sizes.iter().map(|_| std::sync::Mutex::new(None)).collect();
        train_lockstep(
            model,
            dataset,
            pool,
            recruits(pool, sizes),
            s,
            &Device::Cpu,
            &|i, o| {
                let mut slot = out[i].lock().unwrap();
                assert!(slot.is_none(), "member {i} handed on twice");
                *slot = Some(o);
                Ok(())
            },
        )
        .unwrap();
        out.into_iter()
            .map(|o| o.into_inner().unwrap().unwrap())
            .collect()
    }

    /// Largest difference between two members' state values.
    fn distance(a: &SgdOutcome, b: &SgdOutcome) -> f32 {
        bits(a.model.as_ref())
            .iter()
            .zip(bits(b.model.as_ref()))
            .flat_map(|((_, x), (_, y))| {
                x.iter()
                    .zip(y.iter())
                    .map(|(&x, &y)| (f32::from_bits(x) - f32::from_bits(y)).abs())
                    .collect::<Vec<_>>()
            })
            .fold(0.0, f32::max)
    }

    /// The lockstep form (padded batches, row weights, per-member rates, the pool's bytes
    /// gathered on the device) trains each member as the CPU fleet does: the same steps,
    /// epochs and stop, and the same weights up to rounding.
    #[test]
    fn the_lockstep_fleet_trains_fcnn_members_as_the_cpu_fleet() {
        let model = Model::Fcnn(FcnnConfig {
            width: 8,
            init_std: 0.1,
        });
        let pool = pool(300, 1, 8);
        let sizes = [40, 57, 16, 90, 33];
        for s in [
            settings(),
            SgdSettings {
                max_steps: Some(23),
                ..settings()
            },
            SgdSettings {
                patience: Some(3),
                epochs: 40,
                ..settings()
            },
        ] {
            let step = lockstep(&model, Dataset::Digits, &pool, &sizes, &s);
            let cpu = fleet(
                &model,
                Dataset::Digits,
                &pool,
                recruits(&pool, &sizes),
                &s,
                &Device::Cpu,
            );
            for (i, (a, b)) in step.iter().zip(&cpu).enumerate() {
                assert_eq!(
                    (a.steps, a.epochs, a.stop),
                    (b.steps, b.epochs, b.stop),
                    "member {i}, {s:?}"
                );
                assert!(distance(a, b) < 1e-5, "member {i}: {}", distance(a, b));
            }
        }
    }

    /// cnn5 (BatchNorm: rows interact) steps in one lockstep per n: the members of one n
    /// together, no padding; each as when trained alone, up to rounding.
    #[test]
    fn the_lockstep_fleet_trains_cnn5_members_one_n_at_a_time() {
        let model = Model::Cnn5(Cnn5Config { width: 1 });
        let pool = pool(40, 3, 32);
        let sizes = [12, 12, 9];
        let s = SgdSettings {
            epochs: 2,
            batch_size: 8,
            ..settings()
        };
        let step = lockstep(&model, Dataset::Cifar10, &pool, &sizes, &s);
        let alone = fleet(
            &model,
            Dataset::Cifar10,
            &pool,
            recruits(&pool, &sizes),
            &s,
            &Device::Cpu,
        );
        for (i, (a, b)) in step.iter().zip(&alone).enumerate() {
            assert_eq!(
                (a.steps, a.epochs, a.stop),
                (b.steps, b.epochs, b.stop),
                "member {i}"
            );
            assert!(distance(a, b) < 1e-5, "member {i}: {}", distance(a, b));
        }
    }
}
