//! A fleet member's schedule (issue 27): who it is ([`Recruit`]: its images, labels and
//! streams) and its clock ([`Clock`]: the epochs, batches, rate and stop of
//! [`super::sgd::train_sgd`], step by step, as [`Tick`]s). Both fleet forms
//! ([`super::fleet`] on the CPU, [`super::lockstep`] on a device) run members by it.

use super::sgd::SgdSettings;
use super::StopReason;
use crate::rng::Rng;
use std::ops::Range;

/// One member to train: its images (rows of the pool), its labels, and its two streams.
pub struct Recruit {
    /// Pool rows of its n training images.
    pub rows: Vec<usize>,
    /// Its (noisy) label of each of those images.
    pub labels: Vec<u8>,
    /// The stream its initial weights are drawn from.
    pub init: Rng,
    /// The stream of its per-epoch batch orders.
    pub order: Rng,
}

/// What a member does next.
#[derive(Clone, Debug, PartialEq)]
pub enum Tick {
    /// One SGD step on the images at these positions of [`Clock::order`], at this rate.
    Step(Range<usize>, f64),
    /// The epoch is over: call [`Clock::end_epoch`] (with the training errors when
    /// [`Clock::checks`]).
    EpochEnd,
}

/// Per-member stopping state of the `patience` rule (as in `train_sgd`).
#[derive(Clone, Copy, Debug)]
struct Plateau {
    best: usize,
    since: usize,
}

/// One member's schedule: epochs, batches, rate and stop, exactly as `train_sgd` runs them.
#[derive(Clone, Debug)]
pub struct Clock {
    n: usize,
    settings: SgdSettings,
    stream: Rng,
    order: Vec<usize>,
    /// Position in the epoch's order; `None` between epochs.
    at: Option<usize>,
    rate: f64,
    steps: usize,
    epochs: usize,
    steps_this_epoch: usize,
    plateau: Plateau,
    stop: Option<StopReason>,
}

impl Clock {
    pub fn new(n: usize, settings: &SgdSettings, stream: Rng) -> Self {
        Clock {
            n,
            settings: *settings,
            stream,
            order: Vec::new(),
            at: None,
            rate: settings.lr,
            steps: 0,
            epochs: 0,
            steps_this_epoch: 0,
            plateau: Plateau {
                best: usize::MAX,
                since: 0,
            },
            stop: None,
        }
    }

    fn cap(&self) -> usize {
        self.settings.max_steps.unwrap_or(usize::MAX)
    }

    /// What comes next; `None` once the member has stopped.
    pub fn tick(&mut self) -> Option<Tick> {
        if self.stop.is_some() {
            return None;
        }
        let at = match self.at {
            Some(at) => at,
            None => {
                // A new epoch (the budget's stop, at the end of the previous one, covers the
                // case where none is left).
                self.rate = self.settings.rate_at(self.epochs);
                self.order = self.stream.permutation(self.n);
                self.epochs += 1;
                self.steps_this_epoch = 0;
                0
            }
        };
        if at >= self.n || self.steps >= self.cap() {
            self.at = Some(self.n);
            return Some(Tick::EpochEnd);
        }
        let end = (at + self.settings.batch_size).min(self.n);
        self.at = Some(end);
        self.steps += 1;
        self.steps_this_epoch += 1;
        Some(Tick::Step(at..end, self.rate))
    }

    /// Whether the next tick is [`Tick::EpochEnd`].
    pub fn at_epoch_end(&self) -> bool {
        self.stop.is_none()
            && matches!(self.at, Some(at) if at >= self.n || self.steps >= self.cap())
    }

    /// Whether the end of an epoch needs the member's training errors (`patience`).
    pub fn checks(&self) -> bool {
        self.settings.patience.is_some()
    }

    /// Closes the epoch: `errors` is the number of the member's training images it now
    /// misclassifies (`Some` exactly when [`Clock::checks`]). Returns why it stops, if it does.
    pub fn end_epoch(&mut self, errors: Option<usize>) -> Option<StopReason> {
        let cut_short = self.steps_this_epoch < self.n.div_ceil(self.settings.batch_size);
        let budget = if self.epochs == self.settings.epochs && !cut_short {
            Some(StopReason::Epochs)
        } else if self.steps >= self.cap() {
            Some(StopReason::StepCap)
        } else {
            None
        };
        let fitted = match (errors, self.settings.patience) {
            (Some(0), Some(_)) => Some(StopReason::Interpolated),
            (Some(errors), Some(patience)) => {
                if errors < self.plateau.best {
                    self.plateau = Plateau {
                        best: errors,
                        since: 0,
                    };
                } else {
                    self.plateau.since += 1;
                }
                (self.plateau.since >= patience).then_some(StopReason::Plateau)
            }
            _ => None,
        };
        self.at = None;
        self.stop = fitted.or(budget);
        self.stop
    }

    /// The epoch's order of the member's images (positions 0..n).
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// Steps taken, epochs begun and why it stopped (once it has).
    pub fn outcome(&self) -> (usize, usize, Option<StopReason>) {
        (self.steps, self.epochs, self.stop)
    }
}
