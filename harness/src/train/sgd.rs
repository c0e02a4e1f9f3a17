//! Training classifiers: mini-batch SGD on the cross-entropy (SPEC §3, after Gu, Zheng &
//! Aste: no momentum, no weight decay, lr 0.05, batch 128, their learning-rate schedules),
//! and the evaluation of a trained classifier (error, loss and representation) in
//! evaluation mode.
//!
//! The members of a batch are trained together as one [`ClassifierEnsemble`]: one stacked
//! computation per step, each member on its own images, labels and mini-batch order. Each
//! member draws a fresh permutation of its training set each epoch from its own [`Rng`]
//! stream; the last batch of an epoch may be smaller (as PyTorch's default loader). A member's
//! loss is its own mean cross-entropy and the ensemble's objective is their sum, so each
//! member's gradient is the one it would get alone.
//!
//! Training stops, per member, at the first of: the epoch budget (`epochs`); the optional cap
//! on optimizer steps (`max_steps`, ours); and, with `patience` set, the training error on the
//! member's own (noisy) labels, measured after every epoch in evaluation mode on its whole
//! training set, reaching 0 (`interpolated`) or not falling below its lowest value so far for
//! `patience` epochs in a row (`plateau`). A member that stops leaves the ensemble; the others
//! go on without it.

use super::StopReason;
use crate::matrix::Matrix;
use crate::models::classifier::{Classifier, ClassifierEnsemble};
use crate::rng::Rng;
use anyhow::{ensure, Result};
use candle_core::{DType, Tensor, D};
use candle_nn::{Optimizer, SGD};
use serde::{Deserialize, Serialize};

/// The learning-rate schedule, a function of the (0-based) epoch e, with every = `decay_every`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Schedule {
    /// Gu, Zheng & Aste's MNIST rule: lr/√(1 + ⌊e/every⌋), lowered every `every` epochs.
    #[default]
    Mnist,
    /// Gu, Zheng & Aste's CIFAR-10 rule: lowered every `every` epochs, to lr/√(1 + 10·s)
    /// where s = every·⌊e/every⌋ is the number of epochs done when it was lowered (lr while
    /// s = 0). With every = 50: lr for epochs 1–50, lr/√501 for 51–100, lr/√1001 for 101–150.
    Cifar,
    /// lr throughout.
    Constant,
}

/// Settings of one SGD run (`solver: sgd`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SgdSettings {
    #[serde(default = "super::default_lr")]
    pub lr: f64,
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// The budget: at most this many passes over the training set.
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    /// Always part of the canonical form (it names the recipe).
    #[serde(default)]
    pub schedule: Schedule,
    /// The step of the `mnist` and `cifar` schedules, in epochs.
    #[serde(default = "default_decay_every")]
    pub decay_every: usize,
    /// Ours: stop after this many optimizer steps even if `epochs` are not done, so a
    /// budget can be set in steps (the same for every n) rather than in passes over the
    /// data. Absent (the default) = no cap; then it is left out of the canonical form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_steps: Option<usize>,
    /// Stop a member once its training error on its noisy labels is 0, or has not fallen
    /// below its lowest value for this many epochs in a row (measured after every epoch).
    /// Absent (the default) = the fixed budget only; then it is left out of the canonical form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patience: Option<usize>,
}

fn default_batch_size() -> usize {
    128
}
fn default_epochs() -> usize {
    200
}
fn default_decay_every() -> usize {
    50
}

impl SgdSettings {
    /// The learning rate during the (0-based) epoch `epoch`.
    pub fn rate_at(&self, epoch: usize) -> f64 {
        let steps = epoch / self.decay_every;
        match self.schedule {
            Schedule::Mnist => self.lr / ((1 + steps) as f64).sqrt(),
            Schedule::Cifar => match steps * self.decay_every {
                0 => self.lr,
                lowered_at => self.lr / ((1 + 10 * lowered_at) as f64).sqrt(),
            },
            Schedule::Constant => self.lr,
        }
    }
}

/// One member's training: the network it ended with and why it stopped.
pub struct SgdOutcome {
    pub model: Box<dyn Classifier>,
    /// Optimizer steps taken.
    pub steps: usize,
    /// Epochs begun (the last may be cut short by `max_steps`).
    pub epochs: usize,
    pub stop: StopReason,
}

/// Per-member stopping state of the `patience` rule.
#[derive(Clone, Copy, Debug)]
struct Plateau {
    /// The fewest training errors seen so far.
    best: usize,
    /// Epochs since `best` last fell.
    since: usize,
}

impl Plateau {
    /// Records the training errors after an epoch; why to stop, if it is time.
    fn update(&mut self, errors: usize, patience: usize) -> Option<StopReason> {
        if errors == 0 {
            return Some(StopReason::Interpolated);
        }
        if errors < self.best {
            *self = Plateau {
                best: errors,
                since: 0,
            };
        } else {
            self.since += 1;
        }
        (self.since >= patience).then_some(StopReason::Plateau)
    }
}

/// Trains the M members of `ensemble` by SGD, member m on its images `x[m]` (x is M × n × C ×
/// H × W) with labels `labels[m]` (n each), its mini-batch order drawn from `orders[m]`.
/// Returns one outcome per member, in order.
pub fn train_sgd(
    mut ensemble: Box<dyn ClassifierEnsemble>,
    x: &Tensor,
    labels: &[Vec<u8>],
    settings: &SgdSettings,
    orders: &mut [Rng],
) -> Result<Vec<SgdOutcome>> {
    let m = ensemble.members();
    let n = x.dim(1)?;
    ensure!(
        x.dim(0)? == m && labels.len() == m && orders.len() == m,
        "{m} members need {m} image sets, label sets and batch orders"
    );
    ensure!(
        labels.iter().all(|l| l.len() == n),
        "every member needs {n} labels"
    );
    ensure!(n > 0, "a member needs training images");
    let device = x.device();
    let image_dims = x.dims()[2..].to_vec();
    let mut x_rows = x.flatten_to(1)?; // (M·n) × C × H × W
    let y: Vec<u32> = labels.iter().flatten().map(|&l| l as u32).collect();
    let mut y_rows = Tensor::from_vec(y, m * n, device)?;
    let cap = settings.max_steps.unwrap_or(usize::MAX);
    // `active[r]` is the member trained in row r of the ensemble.
    let mut active: Vec<usize> = (0..m).collect();
    let mut plateau = vec![
        Plateau {
            best: usize::MAX,
            since: 0
        };
        m
    ];
    let mut done: Vec<Option<SgdOutcome>> = (0..m).map(|_| None).collect();
    let mut steps = 0;
    let mut epochs = 0;
    let mut opt = SGD::new(ensemble.trainable(), settings.lr)?;
    while epochs < settings.epochs && steps < cap {
        opt.set_learning_rate(settings.rate_at(epochs));
        let rows = active.len();
        let order: Vec<Vec<usize>> = active.iter().map(|&i| orders[i].permutation(n)).collect();
        epochs += 1;
        let mut steps_this_epoch = 0;
        for start in (0..n).step_by(settings.batch_size) {
            if steps >= cap {
                break;
            }
            let len = settings.batch_size.min(n - start);
            let idx: Vec<u32> = (0..rows)
                .flat_map(|r| {
                    order[r][start..start + len]
                        .iter()
                        .map(move |&j| (r * n + j) as u32)
                })
                .collect();
            let idx = Tensor::from_vec(idx, rows * len, device)?;
            let xb = x_rows
                .index_select(&idx, 0)?
                .reshape([&[rows, len][..], &image_dims].concat())?;
            let yb = y_rows.index_select(&idx, 0)?.reshape((rows, len))?;
            let out = ensemble.forward_t(&xb, true)?;
            opt.backward_step(&summed_cross_entropy(&out.logits, &yb)?)?;
            steps += 1;
            steps_this_epoch += 1;
        }
        // The budget ends every member at once: `max_steps` (inside an epoch or at its end,
        // before the epochs are done) or the last epoch completed.
        let cut_short = steps_this_epoch < n.div_ceil(settings.batch_size);
        let budget = if epochs == settings.epochs && !cut_short {
            Some(StopReason::Epochs)
        } else if steps >= cap {
            Some(StopReason::StepCap)
        } else {
            None
        };
        let errors = match settings.patience {
            Some(_) => Some(training_errors(ensemble.as_ref(), &x_rows, &y_rows, n)?),
            None => None,
        };
        let mut keep = Vec::with_capacity(rows);
        for (r, &member) in active.iter().enumerate() {
            let fitted = match (&errors, settings.patience) {
                (Some(errors), Some(patience)) => plateau[member].update(errors[r], patience),
                _ => None,
            };
            let stop = fitted.or(budget);
            match stop {
                Some(stop) => {
                    done[member] = Some(SgdOutcome {
                        model: ensemble.member(r)?,
                        steps,
                        epochs,
                        stop,
                    })
                }
                None => keep.push(r),
            }
        }
        if keep.is_empty() {
            break;
        }
        if keep.len() < rows {
            ensemble = ensemble.select(&keep)?;
            let kept_rows: Vec<u32> = keep
                .iter()
                .flat_map(|&r| (r * n..(r + 1) * n).map(|i| i as u32))
                .collect();
            let kept_rows = Tensor::from_vec(kept_rows, keep.len() * n, device)?;
            x_rows = x_rows.index_select(&kept_rows, 0)?;
            y_rows = y_rows.index_select(&kept_rows, 0)?;
            active = keep.iter().map(|&r| active[r]).collect();
            opt = SGD::new(ensemble.trainable(), settings.lr)?;
        }
    }
    Ok(done
        .into_iter()
        .map(|o| o.expect("every member stops by the end of its budget"))
        .collect())
}

/// The sum over members of each member's mean cross-entropy: logits M × B × 10, labels M × B.
fn summed_cross_entropy(logits: &Tensor, labels: &Tensor) -> candle_core::Result<Tensor> {
    let b = logits.dim(1)?;
    let log_p = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    log_p
        .gather(&labels.unsqueeze(2)?, 2)?
        .sum_all()?
        .affine(-1.0 / b as f64, 0.0)
}

/// Images per forward pass when the ensemble is evaluated on its training sets.
const CHECK_CHUNK: usize = 1000;

/// Each member's number of misclassified training images (on its own labels), in
/// evaluation mode; `x_rows` holds the members' n images one member after the other.
fn training_errors(
    ensemble: &dyn ClassifierEnsemble,
    x_rows: &Tensor,
    y_rows: &Tensor,
    n: usize,
) -> Result<Vec<usize>> {
    let rows = ensemble.members();
    let x = x_rows.reshape([&[rows, n][..], &x_rows.dims()[1..]].concat())?;
    let y = y_rows.reshape((rows, n))?;
    let mut wrong = vec![0usize; rows];
    for start in (0..n).step_by(CHECK_CHUNK) {
        let len = CHECK_CHUNK.min(n - start);
        let logits = ensemble.forward_t(&x.narrow(1, start, len)?, false)?.logits;
        let miss = logits
            .argmax(D::Minus1)?
            .ne(&y.narrow(1, start, len)?)?
            .to_dtype(DType::U32)?
            .sum(1)?
            .to_vec1::<u32>()?;
        for (w, m) in wrong.iter_mut().zip(miss) {
            *w += m as usize;
        }
    }
    Ok(wrong)
}

/// A classifier measured on a labelled set, in evaluation mode.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Fraction of images whose arg-max logit is not the label.
    pub error: f64,
    /// Mean cross-entropy.
    pub loss: f64,
    /// N × width representation.
    pub features: Matrix,
}

/// Evaluates in chunks of `chunk` images (bounded memory on large test sets).
pub fn evaluate(
    model: &dyn Classifier,
    x: &Tensor,
    labels: &[u8],
    chunk: usize,
) -> Result<Evaluation> {
    let n = x.dim(0)?;
    let mut wrong = 0usize;
    let mut loss_sum = 0.0f64;
    let mut features = Vec::new();
    let mut width = 0;
    let mut start = 0;
    while start < n {
        let len = chunk.min(n - start);
        let out = model.forward_t(&x.narrow(0, start, len)?, false)?;
        let y: Vec<u32> = labels[start..start + len]
            .iter()
            .map(|&l| l as u32)
            .collect();
        let yt = Tensor::from_vec(y.clone(), len, x.device())?;
        let logp = candle_nn::ops::log_softmax(&out.logits, D::Minus1)?;
        let picked = logp.gather(&yt.unsqueeze(1)?, 1)?.squeeze(1)?;
        let picked: Vec<f64> = picked.to_dtype(DType::F64)?.to_vec1()?;
        loss_sum -= picked.iter().sum::<f64>();
        let pred: Vec<u32> = out.logits.argmax(D::Minus1)?.to_vec1()?;
        wrong += pred.iter().zip(&y).filter(|(p, t)| p != t).count();
        width = out.features.dim(1)?;
        features.extend(
            out.features
                .to_dtype(DType::F64)?
                .flatten_all()?
                .to_vec1::<f64>()?,
        );
        start += len;
    }
    Ok(Evaluation {
        error: wrong as f64 / n as f64,
        loss: loss_sum / n as f64,
        features: Matrix::new(n, width, features)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::cnn5::{Cnn5, Cnn5Ensemble};
    use crate::models::fcnn::{Fcnn, FcnnEnsemble};
    use candle_core::Device;

    fn settings(schedule: Schedule) -> SgdSettings {
        SgdSettings {
            lr: 0.05,
            batch_size: 16,
            epochs: 4,
            schedule,
            decay_every: 50,
            max_steps: None,
            patience: None,
        }
    }

    #[test]
    fn schedules_follow_gu_et_al() {
        let mnist = settings(Schedule::Mnist);
        assert_eq!(mnist.rate_at(0), 0.05);
        assert_eq!(mnist.rate_at(49), 0.05);
        assert_eq!(mnist.rate_at(50), 0.05 / 2f64.sqrt());
        assert_eq!(mnist.rate_at(150), 0.05 / 2.0);
        let cifar = settings(Schedule::Cifar);
        assert_eq!(cifar.rate_at(49), 0.05);
        assert_eq!(cifar.rate_at(50), 0.05 / 501f64.sqrt());
        assert_eq!(cifar.rate_at(99), 0.05 / 501f64.sqrt());
        assert_eq!(cifar.rate_at(100), 0.05 / 1001f64.sqrt());
        assert_eq!(cifar.rate_at(199), 0.05 / 1501f64.sqrt());
        let constant = settings(Schedule::Constant);
        assert_eq!(constant.rate_at(10_000), 0.05);
    }

    /// Gu et al.'s fixed budget (no `patience`) and the early stop are different recipes in
    /// the member's identity; the fixed one adds nothing to the canonical form, so a manifest
    /// without `patience` hashes as it always did.
    #[test]
    fn the_stopping_recipe_is_in_the_identity() {
        use crate::identity::canonical_json;
        let fixed = settings(Schedule::Mnist);
        let early = SgdSettings {
            patience: Some(200),
            ..fixed
        };
        let (a, b) = (canonical_json(&fixed), canonical_json(&early));
        assert_ne!(a, b);
        assert!(
            !a.contains("patience") && b.contains("\"patience\":200"),
            "{a} {b}"
        );
        let parsed: SgdSettings = serde_json::from_str(&a).unwrap();
        assert_eq!(parsed, fixed);
    }

    #[test]
    fn plateau_counts_epochs_without_a_new_low() {
        let mut p = Plateau {
            best: usize::MAX,
            since: 0,
        };
        assert_eq!(p.update(5, 2), None);
        assert_eq!(p.update(5, 2), None);
        assert_eq!(p.update(4, 2), None, "a new low resets the count");
        assert_eq!(p.update(6, 2), None);
        assert_eq!(
            p.update(4, 2),
            Some(StopReason::Plateau),
            "equal is no new low"
        );
        let mut q = Plateau {
            best: usize::MAX,
            since: 0,
        };
        assert_eq!(q.update(0, 100), Some(StopReason::Interpolated));
    }

    /// M members' training sets of n images (channels × side × side) whose class shifts their
    /// brightness, labels of each member partly its own.
    fn task(m: usize, n: usize, channels: usize, side: usize) -> (Tensor, Vec<Vec<u8>>) {
        let mut rng = Rng::new(9);
        let mut pixels = Vec::with_capacity(m * n * channels * side * side);
        let mut labels = Vec::new();
        for member in 0..m {
            let l: Vec<u8> = (0..n)
                .map(|i| ((i + member * (i % 3)) % 10) as u8)
                .collect();
            for &c in &l {
                for _ in 0..channels * side * side {
                    pixels.push(c as f32 / 5.0 - 1.0 + 0.6 * (rng.uniform() as f32 - 0.5));
                }
            }
            labels.push(l);
        }
        let x = Tensor::from_vec(pixels, (m, n, channels, side, side), &Device::Cpu).unwrap();
        (x, labels)
    }

    fn fcnns(m: usize, width: usize) -> Vec<Fcnn> {
        (0..m)
            .map(|i| {
                Fcnn::new(
                    64,
                    width,
                    10,
                    0.1,
                    &mut Rng::new(1 + i as u64),
                    &Device::Cpu,
                )
                .unwrap()
            })
            .collect()
    }

    fn orders(m: usize) -> Vec<Rng> {
        (0..m).map(|i| Rng::new(100 + i as u64)).collect()
    }

    /// Every state tensor of a trained member, flattened.
    fn state(o: &SgdOutcome) -> Vec<(String, Vec<f32>)> {
        o.model
            .state()
            .into_iter()
            .map(|(name, t)| (name, t.flatten_all().unwrap().to_vec1().unwrap()))
            .collect()
    }

    /// Trains the members together and each alone; they must agree: the same steps, epochs
    /// and stop, and every state value within `tolerance` relative (0: every bit, where the
    /// stacked arithmetic is the per-member one).
    fn batched_equals_alone(
        x: &Tensor,
        labels: &[Vec<u8>],
        s: &SgdSettings,
        stack: &dyn Fn(std::ops::Range<usize>) -> Box<dyn ClassifierEnsemble>,
        tolerance: f32,
    ) -> Vec<SgdOutcome> {
        let m = labels.len();
        let together = train_sgd(stack(0..m), x, labels, s, &mut orders(m)).unwrap();
        for (i, t) in together.iter().enumerate() {
            let alone = train_sgd(
                stack(i..i + 1),
                &x.narrow(0, i, 1).unwrap(),
                &labels[i..=i],
                s,
                &mut orders(m)[i..=i],
            )
            .unwrap()
            .remove(0);
            assert_eq!(
                (t.steps, t.epochs, t.stop),
                (alone.steps, alone.epochs, alone.stop),
                "member {i}"
            );
            if tolerance == 0.0 {
                assert_eq!(state(t), state(&alone), "member {i}");
            }
            for ((name, a), (_, b)) in state(t).iter().zip(&state(&alone)) {
                for (a, b) in a.iter().zip(b) {
                    let bound = tolerance * b.abs().max(1.0);
                    assert!((a - b).abs() <= bound, "member {i} {name}: {a} vs {b}");
                }
            }
        }
        together
    }

    #[test]
    fn fcnn_members_trained_together_equal_members_trained_alone() {
        let (m, n) = (4, 40);
        let (x, labels) = task(m, n, 1, 8);
        let nets = fcnns(m, 3);
        let stack = |r: std::ops::Range<usize>| -> Box<dyn ClassifierEnsemble> {
            Box::new(FcnnEnsemble::stack(&nets[r]).unwrap())
        };
        // With `patience` the members stop at different epochs: the ensemble shrinks on the way.
        let s = SgdSettings {
            epochs: 60,
            patience: Some(3),
            lr: 0.2,
            ..settings(Schedule::Mnist)
        };
        let out = batched_equals_alone(&x, &labels, &s, &stack, 0.0);
        let epochs: Vec<usize> = out.iter().map(|o| o.epochs).collect();
        assert!(epochs.iter().any(|&e| e != epochs[0]), "{epochs:?}");
    }

    #[test]
    fn cnn5_members_trained_together_equal_members_trained_alone() {
        let (m, n) = (3, 12);
        let (x, labels) = task(m, n, 3, 32);
        let nets: Vec<Cnn5> = (0..m)
            .map(|i| Cnn5::new(3, 1, 10, &mut Rng::new(7 + i as u64), &Device::Cpu).unwrap())
            .collect();
        let stack = |r: std::ops::Range<usize>| -> Box<dyn ClassifierEnsemble> {
            Box::new(Cnn5Ensemble::stack(&nets[r]).unwrap())
        };
        // 2 epochs of 3 steps (the last batch of 4): BatchNorm's running statistics are
        // part of the compared state.
        let s = SgdSettings {
            epochs: 2,
            batch_size: 4 + 4,
            ..settings(Schedule::Mnist)
        };
        // The stack's convolution is one batched product over the members (`models/cnn5.rs`),
        // alone it is candle's: the same sums in another order.
        let out = batched_equals_alone(&x, &labels, &s, &stack, 1e-5);
        assert!(out
            .iter()
            .all(|o| (o.steps, o.stop) == (4, StopReason::Epochs)));
        // Training moved the kernels, the head and the running statistics away from the start
        // (stacking copied them: the networks stacked are left as they were). (Not the conv
        // biases and BatchNorm scales: the batch mean removes the one, and a conv → BatchNorm
        // next stage makes the loss nearly invariant to the other, so they hardly move.)
        let start = Cnn5Ensemble::stack(&nets[0..1])
            .unwrap()
            .member(0)
            .unwrap()
            .state();
        for ((name, before), (_, after)) in start.iter().zip(state(&out[0])) {
            if name.ends_with("conv.bias") || name.ends_with("bn.weight") {
                continue;
            }
            let before: Vec<f32> = before.flatten_all().unwrap().to_vec1().unwrap();
            assert_ne!(before, after, "{name}");
        }
    }

    #[test]
    fn step_cap_and_budget_end_training_with_their_reasons() {
        let (x, labels) = task(2, 40, 1, 8);
        let nets = fcnns(2, 3);
        let run = |s: SgdSettings| {
            let out = train_sgd(
                Box::new(FcnnEnsemble::stack(&nets).unwrap()),
                &x,
                &labels,
                &s,
                &mut orders(2),
            )
            .unwrap();
            (out[0].steps, out[0].epochs, out[0].stop, state(&out[0]))
        };
        // 40 images in batches of 16: 3 steps per epoch, 4 epochs.
        let full = run(settings(Schedule::Mnist));
        assert_eq!((full.0, full.1, full.2), (12, 4, StopReason::Epochs));
        let capped = run(SgdSettings {
            max_steps: Some(7),
            ..settings(Schedule::Mnist)
        });
        assert_eq!((capped.0, capped.1, capped.2), (7, 3, StopReason::StepCap));
        assert_ne!(capped.3, full.3);
        let at_epoch_end = run(SgdSettings {
            max_steps: Some(6),
            ..settings(Schedule::Mnist)
        });
        assert_eq!(
            (at_epoch_end.0, at_epoch_end.1, at_epoch_end.2),
            (6, 2, StopReason::StepCap)
        );
        for loose in [12, 100] {
            let same = run(SgdSettings {
                max_steps: Some(loose),
                ..settings(Schedule::Mnist)
            });
            assert_eq!(same, full, "a cap of {loose} changes nothing");
        }
        // The schedule reaches the updates: a constant rate ends elsewhere than the CIFAR
        // rule, which is lowered after 1 epoch here.
        let every_1 = |schedule| SgdSettings {
            decay_every: 1,
            ..settings(schedule)
        };
        assert_ne!(
            run(every_1(Schedule::Cifar)).3,
            run(every_1(Schedule::Constant)).3
        );
        assert_eq!(
            run(SgdSettings {
                decay_every: 1000,
                ..settings(Schedule::Mnist)
            })
            .3,
            run(settings(Schedule::Constant)).3
        );
    }

    #[test]
    fn patience_stops_at_interpolation_or_at_a_plateau() {
        // Member 0 can fit its labels; member 1's labels are random over images that carry
        // no signal, which 1 hidden unit cannot fit.
        let n = 30;
        let mut rng = Rng::new(3);
        let mut labels = vec![(0..n).map(|i| (i % 10) as u8).collect::<Vec<_>>()];
        labels.push((0..n).map(|_| rng.below(10) as u8).collect());
        // Member 0's image of class c lights pixel 6c; member 1's images are all dark.
        let mut pixels = vec![0f32; 2 * n * 64];
        for (i, &c) in labels[0].iter().enumerate() {
            pixels[i * 64 + 6 * c as usize] = 1.0;
        }
        let x = Tensor::from_vec(pixels, (2, n, 1, 8, 8), &Device::Cpu).unwrap();
        let nets: Vec<Fcnn> = vec![fcnns(1, 16).remove(0), fcnns(1, 1).remove(0)];
        let s = SgdSettings {
            lr: 0.5,
            epochs: 2000,
            patience: Some(20),
            ..settings(Schedule::Constant)
        };
        let mut out = Vec::new();
        for (i, net) in nets.iter().enumerate() {
            let ensemble = Box::new(FcnnEnsemble::stack(std::slice::from_ref(net)).unwrap());
            out.extend(
                train_sgd(
                    ensemble,
                    &x.narrow(0, i, 1).unwrap(),
                    &labels[i..=i],
                    &s,
                    &mut orders(1),
                )
                .unwrap(),
            );
        }
        assert_eq!(
            out[0].stop,
            StopReason::Interpolated,
            "after {} epochs",
            out[0].epochs
        );
        let fitted = evaluate(out[0].model.as_ref(), &x.get(0).unwrap(), &labels[0], 100).unwrap();
        assert_eq!(fitted.error, 0.0);
        assert_eq!(
            out[1].stop,
            StopReason::Plateau,
            "after {} epochs",
            out[1].epochs
        );
        assert!(
            out[1].epochs < 2000 && out[1].epochs > 20,
            "{}",
            out[1].epochs
        );
        // Without patience the budget runs out.
        let s = SgdSettings {
            patience: None,
            epochs: 30,
            ..s
        };
        let ensemble = Box::new(FcnnEnsemble::stack(&nets[1..]).unwrap());
        let out = train_sgd(
            ensemble,
            &x.narrow(0, 1, 1).unwrap(),
            &labels[1..],
            &s,
            &mut orders(1),
        )
        .unwrap();
        assert_eq!((out[0].epochs, out[0].stop), (30, StopReason::Epochs));
    }

    #[test]
    fn sgd_trains_cnn5_through_batchnorm() {
        let (x, labels) = task(1, 64, 3, 32);
        let net = Cnn5::new(3, 2, 10, &mut Rng::new(1), &Device::Cpu).unwrap();
        let before = evaluate(&net, &x.get(0).unwrap(), &labels[0], 1000).unwrap();
        let ensemble = Box::new(Cnn5Ensemble::stack(std::slice::from_ref(&net)).unwrap());
        let s = SgdSettings {
            epochs: 15,
            ..settings(Schedule::Mnist)
        };
        let out = train_sgd(ensemble, &x, &labels, &s, &mut orders(1)).unwrap();
        assert_eq!(out[0].steps, 15 * 4);
        let after = evaluate(out[0].model.as_ref(), &x.get(0).unwrap(), &labels[0], 1000).unwrap();
        assert!(
            after.loss < 0.7 * before.loss && after.error < before.error,
            "loss {} -> {}, error {} -> {}",
            before.loss,
            after.loss,
            before.error,
            after.error
        );
        assert_eq!((after.features.rows, after.features.cols), (64, 16));
    }
}
