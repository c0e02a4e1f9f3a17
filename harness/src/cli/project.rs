//! `harness project`: how long a classification manifest takes on a device, its training and
//! its alignment, measured on **synthetic** data of the manifest's shapes (random pixels,
//! labels and representations: timing only, no data set is read) and multiplied out over its
//! plan as the fleet runs it (issue 27, point 5).
//!
//! - **Training as the fleet runs it** ([`crate::train::fleet`]). On the CPU each member runs
//!   its own steps on one of the threads (fcnn on its hand-written form, cnn5 alone through
//!   candle): member steps × the measured member step ÷ threads. On another device the
//!   lockstep ([`crate::train::lockstep`]): all members in one stacked step (cnn5: one lockstep
//!   per n), so the sequential steps are the longest member's (per n for cnn5), each at the
//!   measured time of a step of the whole stack, stopped members included (they leave by mask).
//! - **Budgets and early stops.** A member's budget is min(epochs · ⌈n / batch⌉, max_steps).
//!   With `patience` a member may stop earlier: where the cache holds replica 0's members (a
//!   one-replica pilot, `harness run --set sweep.replicas=1 MANIFEST`, whose members are the
//!   full run's replica 0, reused by it), every replica of a (level, n, member) is charged its
//!   pilot's measured steps and epochs instead of the budget, and each epoch's training-error
//!   check (one pass over the member's n images) is charged too. Without a pilot the budget
//!   is charged: an upper bound.
//! - **Alignment.** Each pair unit and each tie-breaking draw runs the manifest's estimators on
//!   two N_test × width representations: one is timed on synthetic representations and
//!   multiplied out over the threads.
//! - **Launches.** Beside each step time: the tensors candle creates in one step (an upper bound
//!   on its kernel launches, views launch none; device-independent, so measurable on the CPU).
//!   The CPU's hand-written form creates none.

use super::{at_least_one, Context, ManifestArgs};
use crate::alignment::{run_pair, PairSettings};
use crate::cache::Store;
use crate::data::datasets::{Dataset, ImageShape, Images8, CLASSES};
use crate::manifest::{Manifest, Task};
use crate::matrix::Matrix;
use crate::models::classifier::CPU_CHECK_CHUNK;
use crate::plan::{plan, Plan, MEMBER_EXT};
use crate::representations::MemberResult;
use crate::rng::Rng;
use crate::train::fleet::Recruit;
use crate::train::lockstep::{tensors_created, DevicePool, Lockstep};
use crate::train::sgd::{train_sgd, SgdSettings};
use crate::train::{StopReason, Train};
use anyhow::{bail, Context as _, Result};
use candle_core::{DType, Device, Tensor, D};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Time the fleet's SGD step of classification manifests on synthetic images of their data
/// set's shape (timing only, no data is read) on the device, with the tensors it creates per
/// step, and project each manifest's training and alignment time from its plan: on the CPU
/// every member's steps over the threads; elsewhere the lockstep's sequential steps (the
/// longest member's). With `patience`, members are charged the stops of a one-replica pilot
/// found in the cache (`run --set sweep.replicas=1`), else their whole budget.
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
        project(&m, args.steps, Some(&ctx.store))
            .with_context(|| format!("projecting {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One member of the plan as the projection charges it.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberWork {
    pub n: usize,
    /// SGD steps charged: the pilot's measured steps, or the budget.
    pub steps: usize,
    /// Epochs charged (each with a check when the recipe has `patience`).
    pub epochs: usize,
    /// Whether `steps` was measured by the pilot.
    pub piloted: bool,
}

/// The plan's members with their budgets, and the pilot's measured steps where the cache
/// holds replica 0's members (`patience` only: a fixed recipe trains every budget).
pub fn members(manifest: &Manifest, plan: &Plan, store: Option<&Store>) -> Result<Vec<MemberWork>> {
    let s = sgd(manifest)?;
    let mut pilot: BTreeMap<(u64, usize, usize), (usize, usize)> = BTreeMap::new();
    if let (Some(store), Some(_)) = (store, s.patience) {
        for m in plan.members.iter().filter(|m| m.spec.replica == 0) {
            let (result, _) = store.load(&m.hash, MEMBER_EXT, MemberResult::decode);
            if let Some(r) = result {
                let epochs = r.extra.get("epochs").copied().unwrap_or(0.0) as usize;
                let level = m.spec.label_noise.unwrap_or(0.0).to_bits();
                pilot.insert((level, m.spec.n, m.spec.member), (r.steps, epochs));
            }
        }
    }
    Ok(plan
        .members
        .iter()
        .map(|m| {
            let n = m.spec.n;
            let per_epoch = n.div_ceil(s.batch_size);
            let budget = (s.epochs * per_epoch).min(s.max_steps.unwrap_or(usize::MAX));
            let level = m.spec.label_noise.unwrap_or(0.0).to_bits();
            match pilot.get(&(level, n, m.spec.member)) {
                Some(&(steps, epochs)) => MemberWork {
                    n,
                    steps,
                    epochs,
                    piloted: true,
                },
                None => MemberWork {
                    n,
                    steps: budget,
                    epochs: budget.div_ceil(per_epoch),
                    piloted: false,
                },
            }
        })
        .collect())
}

fn sgd(manifest: &Manifest) -> Result<&SgdSettings> {
    match &manifest.train {
        Train::Sgd(s) => Ok(s),
        other => bail!(
            "`harness project` times SGD: the manifest trains with `{}`",
            other.name()
        ),
    }
}

fn dataset(manifest: &Manifest) -> Result<Dataset> {
    match &manifest.task {
        Task::Classification { dataset, .. } => Ok(*dataset),
        _ => bail!("`harness project` times classification manifests"),
    }
}

/// The lockstep groups of the device form: all members, or one group per n when the
/// network's rows interact (cnn5). Each group: (members, sequential steps = its longest
/// member's charged steps).
pub fn lockstep_groups(manifest: &Manifest, work: &[MemberWork]) -> Vec<(usize, usize)> {
    let mut groups: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for w in work {
        let key = if manifest.model.rows_interact() {
            w.n
        } else {
            0
        };
        let g = groups.entry(key).or_default();
        g.0 += 1;
        g.1 = g.1.max(w.steps);
    }
    groups.into_values().collect()
}

/// Seconds per created tensor of the last GPU measured, for the launch-bound projection on
/// machines without one: one member's SGD step through candle on an H200 divided by the
/// tensors that step creates, the larger of the two models measured.
pub const GPU_SECONDS_PER_TENSOR: f64 = 5.127e-3 / 754.0;
/// Where [`GPU_SECONDS_PER_TENSOR`] comes from.
pub const LAST_GPU_COST_PER_TENSOR: &str = "H200, 2026-12-01: a CIFAR-10 member's step through candle, 5.127 ms over its 754 tensors; an MNIST member's, 0.714 ms over 129, is 5.5 µs";

/// Seconds of kernel launches for `sequential` lockstep steps of `tensors` tensors each, at
/// [`GPU_SECONDS_PER_TENSOR`].
pub fn launch_bound_seconds(sequential: usize, tensors: usize) -> f64 {
    sequential as f64 * tensors as f64 * GPU_SECONDS_PER_TENSOR
}

/// Measured costs of one form's step and check.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Seconds per step (one member's on the CPU; the whole stack's in lockstep).
    pub step: f64,
    /// Seconds per check of [`CPU_CHECK_CHUNK`] images of one member.
    pub check_chunk: f64,
    /// Tensors candle creates per step (0 for a hand-written CPU form).
    pub tensors: usize,
}

/// A synthetic pool of `len` images of `shape` (random bytes, the digits' table).
fn synthetic_pool(shape: ImageShape, len: usize, rng: &mut Rng) -> Images8 {
    Images8 {
        shape,
        pixels: (0..len * shape.len())
            .map(|_| rng.below(256) as u8)
            .collect(),
        labels: (0..len).map(|_| rng.below(CLASSES as u64) as u8).collect(),
        table: (0..=255u8).map(|p| p as f32 / 255.0).collect(),
    }
}

fn random_labels(n: usize, rng: &mut Rng) -> Vec<u8> {
    (0..n).map(|_| rng.below(CLASSES as u64) as u8).collect()
}

/// The CPU's fleet form: one member's step (the hand-written form if the model has one, else
/// an ensemble of one through candle), after 2 of warm-up, and one check chunk.
pub fn time_cpu_member(manifest: &Manifest, steps: usize) -> Result<Timing> {
    let s = sgd(manifest)?;
    let dataset = dataset(manifest)?;
    let d = dataset.shape().len();
    let mut rng = Rng::new(1);
    match manifest
        .model
        .cpu_step(dataset, &mut Rng::new(2), s.batch_size)?
    {
        Some(mut form) => {
            let x: Vec<f32> = (0..s.batch_size * d)
                .map(|_| rng.uniform() as f32)
                .collect();
            let y = random_labels(s.batch_size, &mut rng);
            for _ in 0..2 {
                form.step(&x, &y, s.lr);
            }
            let start = Instant::now();
            for _ in 0..steps {
                form.step(&x, &y, s.lr);
            }
            let step = start.elapsed().as_secs_f64() / steps as f64;
            let xc: Vec<f32> = (0..CPU_CHECK_CHUNK * d)
                .map(|_| rng.uniform() as f32)
                .collect();
            let yc = random_labels(CPU_CHECK_CHUNK, &mut rng);
            let start = Instant::now();
            std::hint::black_box(form.errors(&xc, &yc));
            Ok(Timing {
                step,
                check_chunk: start.elapsed().as_secs_f64(),
                tensors: 0,
            })
        }
        None => time_candle_alone(manifest, steps, &Device::Cpu),
    }
}

/// One member alone through candle (`train_sgd` on an ensemble of one), as the fleet trains a
/// model without a hand-written form on the CPU, and as every member trained before the fleet.
pub fn time_candle_alone(manifest: &Manifest, steps: usize, device: &Device) -> Result<Timing> {
    let s = sgd(manifest)?;
    let dataset = dataset(manifest)?;
    let shape = dataset.shape();
    let mut rng = Rng::new(1);
    let images = |count: usize, rng: &mut Rng| -> Result<Tensor> {
        let pixels: Vec<f32> = (0..count * shape.len())
            .map(|_| rng.uniform() as f32 * 2.0 - 1.0)
            .collect();
        Ok(Tensor::from_vec(
            pixels,
            (1, count, shape.channels, shape.height, shape.width),
            device,
        )?)
    };
    let run = |count_steps: usize, rng: &mut Rng| -> Result<(f64, usize)> {
        let n = s.batch_size * count_steps;
        let x = images(n, rng)?;
        let labels = vec![random_labels(n, rng)];
        let ensemble = manifest
            .model
            .ensemble(dataset, &mut [&mut Rng::new(2)], device)?;
        let settings = SgdSettings {
            epochs: 1,
            max_steps: None,
            patience: None,
            ..*s
        };
        device.synchronize()?;
        let start = Instant::now();
        let (out, tensors) =
            tensors_created(|| train_sgd(ensemble, &x, &labels, &settings, &mut [Rng::new(3)]))?;
        device.synchronize()?;
        anyhow::ensure!(out[0].steps == count_steps, "took {} steps", out[0].steps);
        Ok((start.elapsed().as_secs_f64(), tensors))
    };
    run(2, &mut rng)?;
    let (one, one_tensors) = run(1, &mut rng)?;
    let _ = one;
    let (seconds, tensors) = run(steps + 1, &mut rng)?;
    let ensemble = manifest
        .model
        .ensemble(dataset, &mut [&mut Rng::new(2)], device)?;
    let x = images(CPU_CHECK_CHUNK, &mut rng)?;
    let start = Instant::now();
    let logits = ensemble.forward_t(&x, false)?.logits;
    logits.argmax(D::Minus1)?.flatten_all()?.to_vec1::<u32>()?;
    Ok(Timing {
        step: seconds / (steps + 1) as f64,
        check_chunk: start.elapsed().as_secs_f64(),
        // A one-step run less its fixed part (one step of difference).
        tensors: (tensors - one_tensors) / steps,
    })
}

/// One lockstep step of `members` members on `device` (after 2 of warm-up), and one member's
/// check chunk through candle.
pub fn time_lockstep(
    manifest: &Manifest,
    members: usize,
    steps: usize,
    device: &Device,
) -> Result<Timing> {
    let s = sgd(manifest)?;
    let dataset = dataset(manifest)?;
    let mut rng = Rng::new(1);
    let pool = synthetic_pool(dataset.shape(), s.batch_size.max(64), &mut rng);
    let on_device = DevicePool::new(&pool, device)?;
    let recruits: Vec<(usize, Recruit)> = (0..members)
        .map(|i| {
            (
                i,
                Recruit {
                    rows: (0..pool.len()).collect(),
                    labels: pool.labels.clone(),
                    init: Rng::new(2 + i as u64),
                    order: Rng::new(100 + i as u64),
                },
            )
        })
        .collect();
    let mut fleet = Lockstep::new(&manifest.model, dataset, &on_device, recruits, s, device)?;
    let b = s.batch_size;
    let rows: Vec<u32> = (0..members * b)
        .map(|_| rng.below(pool.len() as u64) as u32)
        .collect();
    let labels: Vec<u32> = (0..members * b)
        .map(|_| rng.below(CLASSES as u64) as u32)
        .collect();
    let rows = Tensor::from_vec(rows, (members, b), device)?;
    let labels = Tensor::from_vec(labels, (members, b), device)?;
    let weights = (Tensor::ones((members, b), DType::F32, device)? / b as f64)?;
    let rates = (Tensor::ones(members, DType::F32, device)? * s.lr)?;
    let mut step = || fleet.step(&rows, &labels, &weights, &rates);
    step()?;
    step()?;
    let ((), tensors) = tensors_created(&mut step)?;
    device.synchronize()?;
    let start = Instant::now();
    for _ in 0..steps {
        step()?;
    }
    device.synchronize()?;
    let seconds = start.elapsed().as_secs_f64() / steps as f64;
    let alone = time_candle_alone(manifest, 1, device)?;
    Ok(Timing {
        step: seconds,
        check_chunk: alone.check_chunk,
        tensors,
    })
}

/// Seconds of one pair unit (every estimator of the manifest on two N_test × width
/// representations), the slower of a warm-up and one timed run.
pub fn time_pair(manifest: &Manifest, plan: &Plan) -> Result<f64> {
    let Some(pair) = plan.pairs.first() else {
        return Ok(0.0);
    };
    let dataset = dataset(manifest)?;
    let ensemble = manifest
        .model
        .ensemble(dataset, &mut [&mut Rng::new(2)], &Device::Cpu)?;
    let shape = dataset.shape();
    let one = Tensor::zeros(
        (1, 1, shape.channels, shape.height, shape.width),
        DType::F32,
        &Device::Cpu,
    )?;
    let width = ensemble.forward_t(&one, false)?.features.dim(2)?;
    let mut rng = Rng::new(4);
    let member = |rng: &mut Rng| MemberResult {
        gen_error: 0.0,
        train_loss: 0.0,
        steps: 0,
        stop: StopReason::Epochs,
        params: BTreeMap::new(),
        repr: Matrix::from_fn(plan.n_test, width, |_, _| rng.normal().max(0.0)),
        extra: BTreeMap::new(),
    };
    let (a, b) = (member(&mut rng), member(&mut rng));
    let settings = PairSettings {
        estimators: &pair.spec.estimators,
        k: pair.spec.k,
        project: pair.spec.project,
        seed: 1,
    };
    run_pair(&a, &b, &settings)?;
    let start = Instant::now();
    run_pair(&a, &b, &settings)?;
    Ok(start.elapsed().as_secs_f64())
}

/// Training seconds on the CPU: every member's steps and checks, over `threads`.
pub fn cpu_seconds(work: &[MemberWork], t: &Timing, checks: bool, threads: usize) -> f64 {
    let per_member: f64 = work
        .iter()
        .map(|w| {
            let check = if checks {
                (w.epochs * w.n.div_ceil(CPU_CHECK_CHUNK)) as f64 * t.check_chunk
            } else {
                0.0
            };
            w.steps as f64 * t.step + check
        })
        .sum();
    per_member / threads.max(1) as f64
}

/// Training seconds in lockstep: each group's sequential steps at its step time, and every
/// member's checks (one member at a time).
pub fn lockstep_seconds(
    groups: &[(usize, usize)],
    step: &BTreeMap<usize, Timing>,
    work: &[MemberWork],
    checks: bool,
) -> f64 {
    let steps: f64 = groups
        .iter()
        .map(|(m, sequential)| *sequential as f64 * step[m].step)
        .sum();
    let check_chunk = step.values().next().map_or(0.0, |t| t.check_chunk);
    let checks: f64 = match checks {
        true => work
            .iter()
            .map(|w| (w.epochs * w.n.div_ceil(CPU_CHECK_CHUNK)) as f64 * check_chunk)
            .sum(),
        false => 0.0,
    };
    steps + checks
}

/// Measures and prints the projection of one manifest on its device; `store` holds the
/// pilot's members, if any.
pub fn project(manifest: &Manifest, steps: usize, store: Option<&Store>) -> Result<()> {
    let device = manifest.device.candle()?;
    let s = sgd(manifest)?;
    let dataset = dataset(manifest)?;
    let plan = plan(manifest);
    let work = members(manifest, &plan, store)?;
    let name = &manifest.name;
    let model = manifest.model.name();
    let threads = rayon::current_num_threads();
    let checks = s.patience.is_some();
    let member_steps: usize = work.iter().map(|w| w.steps).sum();
    let piloted = work.iter().filter(|w| w.piloted).count();
    let charged = match (checks, piloted) {
        (false, _) => "the fixed recipe: every member trains its whole budget".to_string(),
        (true, 0) => "no pilot in the cache: every member charged its whole budget, an upper bound (`harness run --set sweep.replicas=1` first)".to_string(),
        (true, p) => format!("{p} of {} members charged their pilot's measured stop", work.len()),
    };
    let train = if device.is_cpu() {
        let t = time_cpu_member(manifest, steps)?;
        let candle = time_candle_alone(manifest, steps, &device)?;
        let form = match manifest.model.cpu_step(dataset, &mut Rng::new(2), 1)? {
            Some(_) => "hand-written form",
            None => "alone through candle",
        };
        println!(
            "{name}: {model} on cpu: {:.3} ms per member step ({form}, batch {}), {} tensors per step; one member at a time through candle (before the fleet): {:.3} ms, {} tensors per step; {:.3} ms per check of {CPU_CHECK_CHUNK} images (synthetic {dataset} images, timing only)",
            t.step * 1e3,
            s.batch_size,
            t.tensors,
            candle.step * 1e3,
            candle.tensors,
            t.check_chunk * 1e3,
        );
        // The device form's count, device-independent: what one lockstep step (any number of
        // members) makes on a GPU too.
        let lock = time_lockstep(manifest, 2, 1, &device)?;
        println!(
            "{name}: the lockstep (the fleet's form on a GPU) makes {} tensors per step, for any number of members (counted here on 2)",
            lock.tensors
        );
        let groups = lockstep_groups(manifest, &work);
        let sequential: usize = groups.iter().map(|g| g.1).sum();
        println!(
            "{name}: on a GPU, not measured here: {} lockstep(s), {sequential} sequential steps × {} tensors at {:.1} µs a tensor ({LAST_GPU_COST_PER_TENSOR}) = {:.1} min of launches (a projection: arithmetic and checks not counted; `--device cuda` measures)",
            groups.len(),
            lock.tensors,
            GPU_SECONDS_PER_TENSOR * 1e6,
            launch_bound_seconds(sequential, lock.tensors) / 60.0
        );
        let seconds = cpu_seconds(&work, &t, checks, threads);
        println!(
            "{name}: {} members, {member_steps} member steps on {threads} thread(s) ({charged}): {:.1} min of training",
            work.len(),
            seconds / 60.0
        );
        seconds
    } else {
        let groups = lockstep_groups(manifest, &work);
        let mut timing = BTreeMap::new();
        for &(members, _) in &groups {
            if let std::collections::btree_map::Entry::Vacant(slot) = timing.entry(members) {
                let t = time_lockstep(manifest, members, steps, &device)?;
                println!(
                    "{name}: {model} on {}: {:.3} ms per lockstep step of {members} members together (batch {}), {} tensors created per step (an upper bound on kernel launches); {:.3} ms per check of {CPU_CHECK_CHUNK} images of one member (synthetic {dataset} images, timing only)",
                    device_name(&device),
                    t.step * 1e3,
                    s.batch_size,
                    t.tensors,
                    t.check_chunk * 1e3,
                );
                slot.insert(t);
            }
        }
        let alone = time_candle_alone(manifest, steps, &device)?;
        println!(
            "{name}: one member at a time (before the fleet): {:.3} ms per step, {} tensors per step",
            alone.step * 1e3,
            alone.tensors
        );
        let sequential: usize = groups.iter().map(|g| g.1).sum();
        let seconds = lockstep_seconds(&groups, &timing, &work, checks);
        println!(
            "{name}: {} members in {} lockstep(s), {sequential} sequential steps (the longest member's, per lockstep), {member_steps} member steps ({charged}): {:.1} min of training",
            work.len(),
            groups.len(),
            seconds / 60.0
        );
        seconds
    };
    let draws: usize = plan.pairs.iter().map(|p| p.draws.len()).sum();
    let pair = time_pair(manifest, &plan)?;
    let units = plan.pairs.len() + draws;
    let align = units as f64 * pair / threads.max(1) as f64;
    println!(
        "{name}: alignment: {} pair units + {draws} tie-breaking draws, {:.1} ms each (N_test {}), {:.1} min on {threads} CPU thread(s)",
        plan.pairs.len(),
        pair * 1e3,
        plan.n_test,
        align / 60.0
    );
    let total = train + align;
    println!(
        "{name}: projected {:.1} min ({:.2} h): training {:.1} min + alignment {:.1} min",
        total / 60.0,
        total / 3600.0,
        train / 60.0,
        align / 60.0
    );
    Ok(())
}

fn device_name(device: &Device) -> &'static str {
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
    fn members_are_charged_their_budget_or_their_pilot_s_stop() {
        let m = Manifest::parse(DIGITS, Path::new("projected.yaml")).unwrap();
        let plan = plan(&m);
        // P = 610: n = 122 (4 steps an epoch, 40 in 10 epochs) and n = 305 (10 steps an
        // epoch, capped at 60 = 6 epochs); 2 noise levels × 3 replicas × 4 members each.
        let work = members(&m, &plan, None).unwrap();
        assert_eq!(work.len(), 48);
        let of = |n: usize| work.iter().filter(|w| w.n == n).collect::<Vec<_>>();
        assert!(of(122)
            .iter()
            .all(|w| (w.steps, w.epochs, w.piloted) == (40, 10, false)));
        assert!(of(305)
            .iter()
            .all(|w| (w.steps, w.epochs, w.piloted) == (60, 6, false)));
        // One lockstep for fcnn: its sequential steps are the longest member's.
        assert_eq!(lockstep_groups(&m, &work), vec![(48, 60)]);
        let t = Timing {
            step: 0.5,
            check_chunk: 2.0,
            tensors: 0,
        };
        // CPU: 24·(40·0.5 + 10·2) + 24·(60·0.5 + 6·2) = 24·40 + 24·42 over 2 threads.
        assert_eq!(
            cpu_seconds(&work, &t, true, 2),
            (24.0 * 40.0 + 24.0 * 42.0) / 2.0
        );
        // Lockstep: 60 steps of the stack, and every member's checks one at a time.
        let timing = BTreeMap::from([(48, t)]);
        assert_eq!(
            lockstep_seconds(&lockstep_groups(&m, &work), &timing, &work, true),
            60.0 * 0.5 + 24.0 * 10.0 * 2.0 + 24.0 * 6.0 * 2.0
        );
        // A pilot: replica 0's members in the cache charge every replica their stop.
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        for (i, p) in plan
            .members
            .iter()
            .enumerate()
            .filter(|(_, p)| p.spec.replica == 0)
        {
            let result = MemberResult {
                gen_error: 0.0,
                train_loss: 0.0,
                steps: 7 + i,
                stop: StopReason::Interpolated,
                params: BTreeMap::new(),
                repr: Matrix::from_fn(2, 1, |r, _| r as f64),
                extra: BTreeMap::from([("epochs".to_string(), 2.0)]),
            };
            store
                .put(&p.hash, MEMBER_EXT, &result.encode().unwrap())
                .unwrap();
        }
        let piloted = members(&m, &plan, Some(&store)).unwrap();
        assert!(piloted
            .iter()
            .all(|w| w.piloted && w.epochs == 2 && w.steps >= 7));
        for (w, p) in piloted.iter().zip(&plan.members) {
            let pilot = plan
                .members
                .iter()
                .position(|q| {
                    q.spec.replica == 0
                        && q.spec.n == p.spec.n
                        && q.spec.member == p.spec.member
                        && q.spec.label_noise == p.spec.label_noise
                })
                .unwrap();
            assert_eq!(w.steps, 7 + pilot);
        }
        // A fixed recipe reads no pilot: every member trains its budget.
        let fixed =
            Manifest::parse(&DIGITS.replace("  patience: 5\n", ""), Path::new("p.yaml")).unwrap();
        let fixed_plan = crate::plan::plan(&fixed);
        assert!(members(&fixed, &fixed_plan, Some(&store))
            .unwrap()
            .iter()
            .all(|w| !w.piloted));
    }

    /// cnn5's BatchNorm keeps one lockstep per n.
    #[test]
    fn rows_that_interact_make_one_lockstep_per_n() {
        let cnn5 = Manifest::parse(
            &DIGITS
                .replace("dataset: digits", "dataset: cifar10")
                .replace("kind: fcnn\n  width: 8", "kind: cnn5\n  width: 1"),
            Path::new("c.yaml"),
        )
        .unwrap();
        let work = members(&cnn5, &plan(&cnn5), None).unwrap();
        let groups = lockstep_groups(&cnn5, &work);
        assert_eq!(groups.len(), 2, "{groups:?}");
        assert!(groups.iter().all(|g| g.0 == 24));
        // P = 540 on cifar10 at k = 1: n = 108 (4 steps an epoch, 40 in 10 epochs) and n = 270
        // (9 an epoch, capped at 60): the launch-bound projection charges each lockstep its
        // longest member, 40 + 60 steps, each with all its tensors.
        assert_eq!(groups.iter().map(|g| g.1).sum::<usize>(), 100);
        let seconds = launch_bound_seconds(100, 1538);
        assert!(
            (seconds - 100.0 * 1538.0 * 5.127e-3 / 754.0).abs() < 1e-9,
            "{seconds}"
        );
    }

    #[test]
    fn timing_runs_the_manifests_network_on_synthetic_data() {
        let m = Manifest::parse(DIGITS, Path::new("projected.yaml")).unwrap();
        let cpu = time_cpu_member(&m, 2).unwrap();
        assert!(
            cpu.step > 0.0 && cpu.check_chunk > 0.0 && cpu.tensors == 0,
            "{cpu:?}"
        );
        let candle = time_candle_alone(&m, 2, &Device::Cpu).unwrap();
        assert!(candle.tensors > 20, "{candle:?}");
        let lock = time_lockstep(&m, 3, 2, &Device::Cpu).unwrap();
        assert!(lock.step > 0.0 && lock.tensors > 20, "{lock:?}");
        assert!(time_pair(&m, &plan(&m)).unwrap() > 0.0);
    }
}
