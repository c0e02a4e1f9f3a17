//! `harness project`: the training time of a classification manifest on a device, measured and
//! projected. Member-batched SGD steps of the manifest's network are timed on **synthetic**
//! images of its data set's shape (random pixels and labels: timing only, no data is read),
//! with as many members per step as the run batches together; the per-step time is then
//! multiplied out over the plan, batch by batch: budget steps = min(epochs · ⌈n / batch⌉,
//! max_steps), and with `patience` one evaluation pass over the members' n training images
//! after every epoch. This is an upper bound: members that stop early (`patience`) take fewer
//! steps.

use super::{at_least_one, Context, ManifestArgs};
use crate::data::datasets::CLASSES;
use crate::device::DeviceKind;
use crate::manifest::{Manifest, Task};
use crate::plan::plan;
use crate::rng::Rng;
use crate::train::sgd::{train_sgd, SgdSettings};
use crate::train::Train;
use anyhow::{bail, Context as _, Result};
use candle_core::{Device, Tensor, D};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Time member-batched SGD steps of classification manifests on synthetic images of their
/// data set's shape (timing only, no data is read) on the device, and project each manifest's
/// training time from its plan (an upper bound: every member's full budget).
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(required = true)]
    pub manifests: Vec<PathBuf>,
    /// SGD steps timed per member count (after 2 of warm-up).
    #[arg(long, default_value_t = 20, value_parser = at_least_one())]
    pub steps: usize,
    #[command(flatten)]
    pub values: ManifestArgs,
}

/// `harness project`: each manifest measured and projected.
pub fn main(ctx: &Context, args: Args) -> Result<ExitCode> {
    for path in &args.manifests {
        let m = ctx.network(path, |e| {
            format!(
                "`{}` is an {} experiment: `project` times classification manifests",
                e.name(),
                e.kind()
            )
        })?;
        project(&m, args.steps).with_context(|| format!("projecting {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Images per evaluation pass (as the trainer's check).
const CHECK_CHUNK: usize = 1000;

/// One group of batches of the plan with the same member count, n and settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    /// Members trained together in one batch.
    pub members: usize,
    pub n: usize,
    /// How many such batches the plan has.
    pub batches: usize,
    /// Budget SGD steps of one batch.
    pub steps: usize,
    /// Evaluation passes over the training set of one batch (0 without `patience`).
    pub checks: usize,
}

/// The plan's SGD work, grouped: what [`project`] multiplies out.
pub fn workloads(manifest: &Manifest) -> Result<Vec<Workload>> {
    let Train::Sgd(s) = &manifest.train else {
        bail!(
            "`harness project` times SGD: the manifest trains with `{}`",
            manifest.train.name()
        );
    };
    let plan = plan(manifest);
    let mut batches: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for m in &plan.members {
        let entry = batches.entry(m.spec.batch_key()).or_insert((0, m.spec.n));
        entry.0 += 1;
    }
    let mut groups: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for (members, n) in batches.into_values() {
        *groups.entry((members, n)).or_default() += 1;
    }
    Ok(groups
        .into_iter()
        .map(|((members, n), batches)| {
            let steps =
                (s.epochs * n.div_ceil(s.batch_size)).min(s.max_steps.unwrap_or(usize::MAX));
            let epochs = steps.div_ceil(n.div_ceil(s.batch_size));
            Workload {
                members,
                n,
                batches,
                steps,
                checks: if s.patience.is_some() { epochs } else { 0 },
            }
        })
        .collect())
}

/// Measured times of one member count.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Seconds per batched SGD step.
    pub step: f64,
    /// Seconds per evaluation pass over one chunk of images per member.
    pub check_chunk: f64,
}

/// Times `steps` batched SGD steps (after a warm-up of 2) and 3 evaluation passes of M
/// members of the manifest's network on synthetic images.
pub fn time_steps(
    manifest: &Manifest,
    members: usize,
    steps: usize,
    device: &Device,
) -> Result<Timing> {
    let (Task::Classification { dataset, .. }, Train::Sgd(s)) = (&manifest.task, &manifest.train)
    else {
        bail!("`harness project` times classification manifests trained with sgd");
    };
    let shape = dataset.shape();
    let mut rng = Rng::new(1);
    let images = |count: usize, rng: &mut Rng| -> Result<Tensor> {
        let pixels: Vec<f32> = (0..members * count * shape.len())
            .map(|_| rng.uniform() as f32 * 2.0 - 1.0)
            .collect();
        Ok(Tensor::from_vec(
            pixels,
            (members, count, shape.channels, shape.height, shape.width),
            device,
        )?)
    };
    let run = |count_steps: usize, rng: &mut Rng| -> Result<f64> {
        let n = s.batch_size * count_steps;
        let x = images(n, rng)?;
        let labels: Vec<Vec<u8>> = (0..members)
            .map(|_| (0..n).map(|_| rng.below(CLASSES as u64) as u8).collect())
            .collect();
        let mut inits: Vec<Rng> = (0..members).map(|i| Rng::new(2 + i as u64)).collect();
        let mut init_refs: Vec<&mut Rng> = inits.iter_mut().collect();
        let ensemble = manifest.model.ensemble(*dataset, &mut init_refs, device)?;
        let settings = SgdSettings {
            epochs: 1,
            max_steps: None,
            patience: None,
            ..*s
        };
        let mut orders: Vec<Rng> = (0..members).map(|i| Rng::new(100 + i as u64)).collect();
        device.synchronize()?;
        let start = Instant::now();
        let out = train_sgd(ensemble, &x, &labels, &settings, &mut orders)?;
        device.synchronize()?;
        anyhow::ensure!(out[0].steps == count_steps, "took {} steps", out[0].steps);
        Ok(start.elapsed().as_secs_f64())
    };
    run(2, &mut rng)?;
    let step = run(steps, &mut rng)? / steps as f64;
    let mut inits: Vec<Rng> = (0..members).map(|i| Rng::new(2 + i as u64)).collect();
    let mut init_refs: Vec<&mut Rng> = inits.iter_mut().collect();
    let ensemble = manifest.model.ensemble(*dataset, &mut init_refs, device)?;
    let x = images(CHECK_CHUNK, &mut rng)?;
    let check = |_: ()| -> Result<f64> {
        let start = Instant::now();
        let logits = ensemble.forward_t(&x, false)?.logits;
        logits.argmax(D::Minus1)?.flatten_all()?.to_vec1::<u32>()?;
        Ok(start.elapsed().as_secs_f64())
    };
    check(())?;
    let check_chunk = (0..3)
        .map(|_| check(()))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .fold(f64::INFINITY, f64::min);
    Ok(Timing { step, check_chunk })
}

/// The projected training seconds of `work` at these timings (one member count each).
pub fn projected_seconds(work: &[Workload], timing: &BTreeMap<usize, Timing>) -> f64 {
    work.iter()
        .map(|w| {
            let t = timing[&w.members];
            let per_batch = w.steps as f64 * t.step
                + (w.checks * w.n.div_ceil(CHECK_CHUNK)) as f64 * t.check_chunk;
            per_batch * w.batches as f64
        })
        .sum()
}

/// Measures and prints the projection of one manifest on `device`.
pub fn project(manifest: &Manifest, steps: usize) -> Result<()> {
    let device = manifest.device.candle()?;
    let work = workloads(manifest)?;
    let mut timing = BTreeMap::new();
    for w in &work {
        if !timing.contains_key(&w.members) {
            let t = time_steps(manifest, w.members, steps, &device)?;
            println!(
                "{}: {} on {}: {:.3} ms per SGD step of {} members together (batch {}), {:.3} ms per check of {} images each (synthetic {} images, timing only)",
                manifest.name,
                manifest.model.name(),
                device_name(manifest.device),
                t.step * 1e3,
                w.members,
                batch_size(manifest),
                t.check_chunk * 1e3,
                CHECK_CHUNK,
                match &manifest.task { Task::Classification { dataset, .. } => dataset.name(), _ => "?" },
            );
            if w.members > 1 {
                // The same members one at a time, for comparison (not used in the projection).
                let alone = time_steps(manifest, 1, steps, &device)?;
                println!(
                    "{}: the same {} members one at a time: {:.3} ms per step each, {:.3} ms for all {} ({:.2}× the batched step)",
                    manifest.name,
                    w.members,
                    alone.step * 1e3,
                    alone.step * 1e3 * w.members as f64,
                    w.members,
                    alone.step * w.members as f64 / t.step,
                );
            }
            timing.insert(w.members, t);
        }
    }
    let batches: usize = work.iter().map(|w| w.batches).sum();
    let member_steps: usize = work.iter().map(|w| w.batches * w.members * w.steps).sum();
    let batch_steps: usize = work.iter().map(|w| w.batches * w.steps).sum();
    let seconds = projected_seconds(&work, &timing);
    println!(
        "{}: {batches} batches, {batch_steps} batched steps ({member_steps} member steps) at most: projected {:.1} min ({:.2} h) of training, an upper bound (early stops shorten it; alignment not included)",
        manifest.name,
        seconds / 60.0,
        seconds / 3600.0
    );
    Ok(())
}

fn batch_size(manifest: &Manifest) -> usize {
    match &manifest.train {
        Train::Sgd(s) => s.batch_size,
        _ => 0,
    }
}

fn device_name(device: DeviceKind) -> &'static str {
    if device.is_cpu() {
        "cpu"
    } else {
        "cuda"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const DIGITS: &str = "name: projected
seed: 1
task:
  kind: classification
  dataset: digits
  n_test: 100
model:
  kind: fcnn
  width: 8
train:
  solver: sgd
  batch_size: 32
  epochs: 10
  max_steps: 60
  patience: 5
sweep:
  label_noise: [0, 0.2]
  n_over_p: [0.2, 0.5]
  replicas: 3
  members: 4
";

    #[test]
    fn workloads_are_the_plans_batches_with_their_budgets() {
        let m = Manifest::parse(DIGITS, Path::new("projected.yaml")).unwrap();
        // P = 610: n = 122 (4 steps an epoch, 40 in 10 epochs) and n = 305 (10 steps an
        // epoch, capped at 60 = 6 epochs); 2 noise levels × 3 replicas of 4 members each.
        assert_eq!(
            workloads(&m).unwrap(),
            vec![
                Workload {
                    members: 4,
                    n: 122,
                    batches: 6,
                    steps: 40,
                    checks: 10
                },
                Workload {
                    members: 4,
                    n: 305,
                    batches: 6,
                    steps: 60,
                    checks: 6
                },
            ]
        );
        let timing = BTreeMap::from([(
            4,
            Timing {
                step: 0.5,
                check_chunk: 2.0,
            },
        )]);
        // Per batch: 40·0.5 + 10·1·2 = 40 s and 60·0.5 + 6·1·2 = 42 s; 6 batches each.
        assert_eq!(
            projected_seconds(&workloads(&m).unwrap(), &timing),
            6.0 * 40.0 + 6.0 * 42.0
        );
        let fixed =
            Manifest::parse(&DIGITS.replace("  patience: 5\n", ""), Path::new("p.yaml")).unwrap();
        assert!(workloads(&fixed).unwrap().iter().all(|w| w.checks == 0));
    }

    #[test]
    fn timing_runs_the_manifests_network_on_synthetic_images() {
        let m = Manifest::parse(DIGITS, Path::new("projected.yaml")).unwrap();
        let t = time_steps(&m, 3, 2, &Device::Cpu).unwrap();
        assert!(t.step > 0.0 && t.check_chunk > 0.0, "{t:?}");
    }
}
