//! The fleet (issue 27): every classifier member that a run must train (every label-noise
//! level, n and replica of a figure; with `--shard`, every member of the shard) trained in one
//! call, each member with its own images, labels, batch-order stream, epoch counter,
//! learning-rate schedule and stop, and handed back (through `done`) the moment it stops.
//!
//! A member's training is [`Clock`]'s sequence, the one of [`super::sgd::train_sgd`]: a fresh
//! permutation of its n images from its own stream at each epoch, batches of `batch_size` (the
//! last one smaller), the rate of its epoch, and at each epoch's end the budget, the step cap
//! and, with `patience`, the training-error check. Nothing in it depends on the other members,
//! so a member's result does not depend on which members share its fleet (tests train members
//! in a fleet and one at a time and compare every bit).
//!
//! Which form computes the steps is chosen per model and device:
//! - **CPU, a model with a hand-written CPU form** (`fcnn`: [`crate::models::fcnn::cpu`]): each
//!   member's steps run back to back on one of rayon's threads, in buffers allocated once, its
//!   images gathered from the pool's bytes through the normalization table once; bit for bit
//!   the values of candle's step. The members are independent computations, so running each to its
//!   end is the lockstep loop with the loop order exchanged (same values; its weights stay in
//!   cache): 5.5× slower batched steps, and the rebuilt ensembles, are gone.
//! - **CPU, no hand-written form** (`cnn5`): each member alone through candle (`train_sgd` on an
//!   ensemble of one), in parallel over members: a grouped convolution of M members costs more
//!   than M convolutions on the CPU (docs/classification.md, "Speed").
//! - **other devices**: the lockstep fleet of [`super::lockstep`]: all members stacked in one
//!   ensemble, one batched step for all, the images on the device as bytes.

use super::sgd::{SgdOutcome, SgdSettings};
use crate::data::datasets::{Dataset, Images8};
use crate::models::classifier::{CpuStep, CPU_CHECK_CHUNK};
use crate::models::Model;
use anyhow::{ensure, Context, Result};
use candle_core::{Device, Tensor};
use rayon::prelude::*;

pub use super::clock::{Clock, Recruit, Tick};

/// Trains every recruit by SGD with `settings` and calls `done(i, outcome)` for recruit i as
/// soon as it stops (from whichever thread trained it). The recruits' images are rows of
/// `pool`; `model` builds each network from its `init` stream on `device`.
pub fn train_fleet(
    model: &Model,
    dataset: Dataset,
    pool: &Images8,
    recruits: Vec<Recruit>,
    settings: &SgdSettings,
    device: &Device,
    done: &(dyn Fn(usize, SgdOutcome) -> Result<()> + Sync),
) -> Result<()> {
    for (i, r) in recruits.iter().enumerate() {
        ensure!(
            !r.rows.is_empty() && r.rows.len() == r.labels.len(),
            "member {i} of the fleet needs images and one label each"
        );
        ensure!(
            r.rows.iter().all(|&row| row < pool.len()),
            "member {i} of the fleet names an image outside the pool"
        );
    }
    if !device.is_cpu() {
        return super::lockstep::train_lockstep(
            model, dataset, pool, recruits, settings, device, done,
        );
    }
    recruits
        .into_par_iter()
        .enumerate()
        .try_for_each(|(i, mut r)| {
            let outcome = match model.cpu_step(dataset, &mut r.init, settings.batch_size)? {
                Some(form) => train_cpu(form, pool, &r, settings, device)?,
                None => train_alone(model, dataset, pool, r, settings, device)?,
            };
            done(i, outcome).with_context(|| format!("member {i} of the fleet"))
        })
}

/// One member on its hand-written CPU form.
fn train_cpu(
    mut form: Box<dyn CpuStep>,
    pool: &Images8,
    r: &Recruit,
    settings: &SgdSettings,
    device: &Device,
) -> Result<SgdOutcome> {
    let d = form.inputs();
    ensure!(
        d == pool.shape.len(),
        "the network reads {d} values per image"
    );
    let mut clock = Clock::new(r.rows.len(), settings, r.order.clone());
    // The member's images, gathered from the pool's bytes once (a thread trains one member at
    // a time, so this is one training set per thread).
    let images = pool.select(&r.rows).pixels;
    let mut x = Vec::with_capacity(settings.batch_size * d);
    let mut y = Vec::with_capacity(settings.batch_size);
    while let Some(tick) = clock.tick() {
        match tick {
            Tick::Step(range, rate) => {
                x.clear();
                y.clear();
                for &j in &clock.order()[range] {
                    x.extend_from_slice(&images[j * d..(j + 1) * d]);
                    y.push(r.labels[j]);
                }
                form.step(&x, &y, rate);
            }
            Tick::EpochEnd => {
                let errors = clock
                    .checks()
                    .then(|| training_errors(form.as_mut(), &images, &r.labels, d));
                clock.end_epoch(errors);
            }
        }
    }
    let (steps, epochs, stop) = clock.outcome();
    Ok(SgdOutcome {
        model: form.classifier(device)?,
        steps,
        epochs,
        stop: stop.expect("a member's clock ends with its stop"),
    })
}

/// The member's misclassified training images (`images`, d values each), in chunks of
/// [`CPU_CHECK_CHUNK`] in the order of its images (as `train_sgd` checks them).
fn training_errors(form: &mut dyn CpuStep, images: &[f32], labels: &[u8], d: usize) -> usize {
    let n = labels.len();
    (0..n)
        .step_by(CPU_CHECK_CHUNK)
        .map(|start| {
            let end = (start + CPU_CHECK_CHUNK).min(n);
            form.errors(&images[start * d..end * d], &labels[start..end])
        })
        .sum()
}

/// One member through candle, alone (`train_sgd` on an ensemble of one).
fn train_alone(
    model: &Model,
    dataset: Dataset,
    pool: &Images8,
    mut r: Recruit,
    settings: &SgdSettings,
    device: &Device,
) -> Result<SgdOutcome> {
    let ensemble = model.ensemble(dataset, &mut [&mut r.init], device)?;
    let x = member_images(pool, &r.rows, device)?.unsqueeze(0)?;
    let mut out = super::sgd::train_sgd(
        ensemble,
        &x,
        std::slice::from_ref(&r.labels),
        settings,
        std::slice::from_mut(&mut r.order),
    )?;
    Ok(out.remove(0))
}

/// A member's training images (n × C × H × W) on `device`.
pub fn member_images(pool: &Images8, rows: &[usize], device: &Device) -> Result<Tensor> {
    let s = pool.shape;
    let pixels = pool.select(rows).pixels;
    Ok(Tensor::from_vec(
        pixels,
        (rows.len(), s.channels, s.height, s.width),
        device,
    )?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::data::datasets::ImageShape;
    use crate::models::classifier::Classifier;
    use crate::models::fcnn::FcnnConfig;
    use crate::rng::Rng;
    use crate::train::sgd::Schedule;
    use crate::train::StopReason;

    /// A pool of `n` 8×8 (or 3×32×32) byte images whose class lights one pixel, digits-scaled.
    pub(crate) fn pool(n: usize, channels: usize, side: usize) -> Images8 {
        let shape = ImageShape {
            channels,
            height: side,
            width: side,
        };
        let d = shape.len();
        let mut rng = Rng::new(5);
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        let mut pixels = Vec::with_capacity(n * d);
        for &c in &labels {
            for p in 0..d {
                pixels.push(if p % 60 == 6 * c as usize {
                    16
                } else {
                    rng.below(5) as u8
                });
            }
        }
        Images8 {
            shape,
            pixels,
            labels,
            table: (0..=255u8).map(|p| p as f32 / 16.0).collect(),
        }
    }

    /// Recruits of the given sizes: subsets of the pool, the odd members' labels partly noisy
    /// (every third image relabelled at random).
    pub(crate) fn recruits(pool: &Images8, sizes: &[usize]) -> Vec<Recruit> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let rows = Rng::new(40 + i as u64).permutation(pool.len())[..n].to_vec();
                let mut noise = Rng::new(60 + i as u64);
                let labels = rows
                    .iter()
                    .enumerate()
                    .map(|(j, &r)| match (i % 2, j % 3) {
                        (1, 0) => noise.below(10) as u8,
                        _ => pool.labels[r],
                    })
                    .collect();
                Recruit {
                    rows,
                    labels,
                    init: Rng::new(7 + (i / 2) as u64),
                    order: Rng::new(100 + i as u64),
                }
            })
            .collect()
    }

    fn copy(r: &Recruit) -> Recruit {
        Recruit {
            rows: r.rows.clone(),
            labels: r.labels.clone(),
            init: r.init.clone(),
            order: r.order.clone(),
        }
    }

    /// Every state tensor's bits.
    pub(crate) fn bits(model: &dyn Classifier) -> Vec<(String, Vec<u32>)> {
        model
            .state()
            .into_iter()
            .map(|(name, t)| {
                let v: Vec<f32> = t.flatten_all().unwrap().to_vec1().unwrap();
                (name, v.into_iter().map(f32::to_bits).collect())
            })
            .collect()
    }

    /// The fleet's outcomes, in recruit order.
    pub(crate) fn fleet(
        model: &Model,
        dataset: Dataset,
        pool: &Images8,
        recruits: Vec<Recruit>,
        s: &SgdSettings,
        device: &Device,
    ) -> Vec<SgdOutcome> {
        let out: Vec<std::sync::Mutex<Option<SgdOutcome>>> = recruits
            .iter()
            .map(|_| std::sync::Mutex::new(None))
            .collect();
        train_fleet(model, dataset, pool, recruits, s, device, &|i, o| {
            *out[i].lock().unwrap() = Some(o);
            Ok(())
        })
        .unwrap();
        out.into_iter()
            .map(|o| o.into_inner().unwrap().expect("every member is done"))
            .collect()
    }

    /// What `train_sgd` (candle, today's trainer) makes of one recruit.
    pub(crate) fn candle_alone(
        model: &Model,
        dataset: Dataset,
        pool: &Images8,
        r: Recruit,
        s: &SgdSettings,
    ) -> SgdOutcome {
        train_alone(model, dataset, pool, r, s, &Device::Cpu).unwrap()
    }

    fn settings() -> SgdSettings {
        SgdSettings {
            lr: 0.5,
            batch_size: 16,
            epochs: 150,
            schedule: Schedule::Mnist,
            decay_every: 40,
            max_steps: None,
            patience: Some(10),
        }
    }

    const FCNN: Model = Model::Fcnn(FcnnConfig {
        width: 8,
        init_std: 0.1,
    });

    /// The CPU fleet gives every member candle's trajectory bit for bit: members of several n
    /// (full and partial last batches), stopping at different epochs by interpolation, plateau
    /// or budget, with a rate that changes every 40 epochs; with a step cap; with fixed epochs
    /// and a rate lowered after every epoch.
    #[test]
    fn the_cpu_fleet_trains_each_member_as_candle_does_bit_for_bit() {
        let pool = pool(1200, 1, 8);
        let sizes = [40, 57, 16, 90, 33, 1030];
        for s in [
            settings(),
            SgdSettings {
                max_steps: Some(70),
                patience: None,
                ..settings()
            },
            SgdSettings {
                epochs: 3,
                patience: None,
                schedule: Schedule::Cifar,
                decay_every: 1,
                ..settings()
            },
        ] {
            let out = fleet(
                &FCNN,
                Dataset::Digits,
                &pool,
                recruits(&pool, &sizes),
                &s,
                &Device::Cpu,
            );
            let mut stops = Vec::new();
            for (i, r) in recruits(&pool, &sizes).into_iter().enumerate() {
                let alone = candle_alone(&FCNN, Dataset::Digits, &pool, r, &s);
                assert_eq!(
                    (out[i].steps, out[i].epochs, out[i].stop),
                    (alone.steps, alone.epochs, alone.stop),
                    "member {i}, {s:?}"
                );
                assert_eq!(
                    bits(out[i].model.as_ref()),
                    bits(alone.model.as_ref()),
                    "member {i}, {s:?}"
                );
                stops.push((out[i].epochs, out[i].stop));
            }
            if s.patience.is_some() {
                // The members did stop apart, for different reasons.
                assert!(
                    stops.iter().any(|s| s.1 == StopReason::Interpolated),
                    "{stops:?}"
                );
                assert!(
                    stops.iter().any(|s| s.1 != StopReason::Interpolated),
                    "{stops:?}"
                );
                assert!(stops.iter().any(|s| s.0 != stops[0].0), "{stops:?}");
            }
        }
    }

    /// The same at the MNIST manifests' shape: 784 pixels, batch 128, width 8.
    #[test]
    fn the_cpu_fleet_matches_candle_at_the_mnist_shape() {
        let pool = pool(400, 1, 28);
        let sizes = [400, 150, 260];
        let s = SgdSettings {
            lr: 0.05,
            batch_size: 128,
            epochs: 4,
            patience: Some(2),
            ..settings()
        };
        let out = fleet(
            &FCNN,
            Dataset::Mnist,
            &pool,
            recruits(&pool, &sizes),
            &s,
            &Device::Cpu,
        );
        for (i, r) in recruits(&pool, &sizes).into_iter().enumerate() {
            let alone = candle_alone(&FCNN, Dataset::Mnist, &pool, r, &s);
            assert_eq!(
                (out[i].steps, out[i].stop),
                (alone.steps, alone.stop),
                "member {i}"
            );
            assert_eq!(
                bits(out[i].model.as_ref()),
                bits(alone.model.as_ref()),
                "member {i}"
            );
        }
    }

    /// A member's result does not depend on the fleet it trains in.
    #[test]
    fn a_member_is_the_same_in_any_fleet() {
        let pool = pool(300, 1, 8);
        let all = recruits(&pool, &[40, 57, 16, 90]);
        let s = settings();
        let together = fleet(
            &FCNN,
            Dataset::Digits,
            &pool,
            all.iter().map(copy).collect(),
            &s,
            &Device::Cpu,
        );
        for (i, r) in all.iter().enumerate() {
            let alone = fleet(
                &FCNN,
                Dataset::Digits,
                &pool,
                vec![copy(r)],
                &s,
                &Device::Cpu,
            )
            .remove(0);
            assert_eq!(
                bits(together[i].model.as_ref()),
                bits(alone.model.as_ref()),
                "member {i}"
            );
            assert_eq!(together[i].steps, alone.steps);
        }
    }

    /// The clock runs `train_sgd`'s sequence: fresh order per epoch, batches of 16 with a
    /// smaller last one, the schedule's rate, the cap inside an epoch.
    #[test]
    fn the_clock_steps_through_epochs_and_stops_at_the_cap() {
        let s = SgdSettings {
            max_steps: Some(5),
            patience: None,
            decay_every: 1,
            schedule: Schedule::Mnist,
            ..settings()
        };
        let mut clock = Clock::new(40, &s, Rng::new(1));
        let mut seen = Vec::new();
        while let Some(t) = clock.tick() {
            match t {
                Tick::Step(r, rate) => seen.push((r.start, r.end, rate)),
                Tick::EpochEnd => {
                    assert!(clock.at_epoch_end() || clock.outcome().2.is_some());
                    seen.push((usize::MAX, 0, 0.0));
                    clock.end_epoch(None);
                }
            }
        }
        let lr = 0.5;
        assert_eq!(
            seen,
            vec![
                (0, 16, lr),
                (16, 32, lr),
                (32, 40, lr),
                (usize::MAX, 0, 0.0),
                (0, 16, lr / 2f64.sqrt()),
                (16, 32, lr / 2f64.sqrt()),
                (usize::MAX, 0, 0.0),
            ]
        );
        assert_eq!(clock.outcome(), (5, 2, Some(StopReason::StepCap)));
        let mut first = Rng::new(1);
        let mut again = Clock::new(40, &s, Rng::new(1));
        again.tick();
        assert_eq!(again.order(), first.permutation(40).as_slice());
    }
}
