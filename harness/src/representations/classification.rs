//! The work of a classification member unit (SPEC §2.2): its training subset and noisy labels
//! (from [`crate::data::classification`]), its network from the models registry, SGD on the
//! experiment's device (every member a run needs in one fleet, [`run_fleet`]), and its
//! measurement: generalization error on the clean test labels, test loss, error and loss on its
//! own noisy training labels, the labels changed, and the dead units of its representation.

use super::{live_units, MemberResult};
use crate::data::classification::{member_subset, noisy_labels, ClassificationData};
use crate::manifest::Task;
use crate::plan::units::MemberSpec;
use crate::rng::Rng;
use crate::train::fleet::{member_images, train_fleet, Recruit};
use crate::train::sgd::{evaluate, SgdOutcome};
use crate::train::Train;
use anyhow::{bail, ensure, Context, Result};
use candle_core::DType;
use std::collections::BTreeMap;

/// Images evaluated per forward pass.
const EVAL_CHUNK: usize = 1000;

/// Trains and measures one member: generalization error = error on the clean test labels;
/// also the test loss, and the error and loss on its own (noisy) training labels.
pub fn run_member(spec: &MemberSpec, data: &ClassificationData) -> Result<MemberResult> {
    let mut results = run_batch(&[spec], data)?;
    Ok(results.remove(0))
}

/// One member's training set and its draws, before training.
struct Prepared {
    /// Pool rows of its training images.
    rows: Vec<usize>,
    clean: Vec<u8>,
    labels: Vec<u8>,
    init: Rng,
    order: Rng,
}

fn prepare(spec: &MemberSpec, data: &ClassificationData) -> Result<Prepared> {
    let Task::Classification { pairing, .. } = &spec.task else {
        bail!("not a classification member");
    };
    let p = spec
        .label_noise
        .context("classification member without label noise")?;
    let (n, replica, member) = (spec.n, spec.replica, spec.member);
    let pool = &data.split.pool;
    let rows = member_subset(spec.seed, *pairing, pool.len(), n, replica, member);
    let clean: Vec<u8> = rows.iter().map(|&r| pool.labels[r]).collect();
    let labels = noisy_labels(spec.seed, &clean, p, replica, member);
    Ok(Prepared {
        rows,
        clean,
        labels,
        init: Rng::derive(spec.seed, &format!("init/n={n}/replica={replica}")),
        order: Rng::derive(
            spec.seed,
            &format!("batches/n={n}/replica={replica}/member={member}"),
        ),
    })
}

/// Trains the members of one batch (see [`run_fleet`]) and measures each on its own.
pub fn run_batch(specs: &[&MemberSpec], data: &ClassificationData) -> Result<Vec<MemberResult>> {
    let out = std::sync::Mutex::new(None);
    run_fleet(&[specs.to_vec()], data, &|_, results| {
        *out.lock().expect("not poisoned") = Some(results);
        Ok(())
    })?;
    out.into_inner()
        .expect("not poisoned")
        .context("the batch was not trained")
}

/// Trains the members of every batch in `batches` as one fleet
/// ([`crate::train::fleet::train_fleet`]: each member on its own images, labels, batch order
/// and schedule; its result does not depend on the other members) and measures each member as
/// it stops. `done(b, results)` receives batch b's results, in its order, once its last member
/// is measured. The members share the model and training settings (one manifest variant).
pub fn run_fleet(
    batches: &[Vec<&MemberSpec>],
    data: &ClassificationData,
    done: &(dyn Fn(usize, Vec<MemberResult>) -> Result<()> + Sync),
) -> Result<()> {
    let specs: Vec<(usize, &MemberSpec)> = batches
        .iter()
        .enumerate()
        .flat_map(|(b, batch)| batch.iter().map(move |&s| (b, s)))
        .collect();
    let Some(&(_, first)) = specs.first() else {
        return Ok(());
    };
    let Task::Classification { dataset, .. } = &first.task else {
        bail!("not a classification member");
    };
    let Train::Sgd(settings) = &first.train else {
        bail!("classification members are trained with `solver: sgd`");
    };
    ensure!(
        specs
            .iter()
            .all(|(_, s)| s.train == first.train && s.model == first.model && s.task == first.task),
        "the members of a fleet share the task, model and training settings"
    );
    let prepared = specs
        .iter()
        .map(|(_, spec)| prepare(spec, data))
        .collect::<Result<Vec<_>>>()?;
    let recruits = prepared
        .iter()
        .map(|p| Recruit {
            rows: p.rows.clone(),
            labels: p.labels.clone(),
            init: p.init.clone(),
            order: p.order.clone(),
        })
        .collect();
    // Each batch's results fill in as its members stop; a full batch is handed on.
    let slots: Vec<std::sync::Mutex<Vec<Option<MemberResult>>>> = batches
        .iter()
        .map(|b| std::sync::Mutex::new(vec![None; b.len()]))
        .collect();
    let place: Vec<(usize, usize)> = batches
        .iter()
        .enumerate()
        .flat_map(|(b, batch)| (0..batch.len()).map(move |i| (b, i)))
        .collect();
    let measured = |i: usize, outcome: SgdOutcome| -> Result<()> {
        let result = measure(outcome, &prepared[i], data)?;
        let (b, at) = place[i];
        let full = {
            let mut slot = slots[b].lock().expect("not poisoned");
            slot[at] = Some(result);
            slot.iter().all(Option::is_some).then(|| {
                slot.iter_mut()
                    .map(|r| r.take().expect("every slot is filled"))
                    .collect::<Vec<_>>()
            })
        };
        match full {
            Some(results) => done(b, results),
            None => Ok(()),
        }
    };
    train_fleet(
        &first.model,
        *dataset,
        &data.split.pool,
        recruits,
        settings,
        &data.device,
        &measured,
    )
}

/// A trained member measured on its training set and on the test set.
fn measure(outcome: SgdOutcome, p: &Prepared, data: &ClassificationData) -> Result<MemberResult> {
    let model = outcome.model.as_ref();
    let n = p.labels.len();
    let x = member_images(&data.split.pool, &p.rows, &data.device)?;
    let on_train = evaluate(model, &x, &p.labels, EVAL_CHUNK)?;
    let on_test = evaluate(model, &data.test_x, &data.split.test.labels, EVAL_CHUNK)?;
    let mut params = BTreeMap::new();
    for (name, t) in model.state() {
        let shape = t.dims().to_vec();
        let values = t.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?;
        params.insert(name, (shape, values));
    }
    let flipped = p
        .labels
        .iter()
        .zip(&p.clean)
        .filter(|(a, b)| a != b)
        .count();
    let extra = BTreeMap::from([
        ("test_loss".to_string(), on_test.loss),
        ("train_error".to_string(), on_train.error),
        ("labels_changed".to_string(), flipped as f64 / n as f64),
        (
            "dead_units".to_string(),
            (on_test.features.cols - live_units(&on_test.features).len()) as f64,
        ),
        ("epochs".to_string(), outcome.epochs as f64),
    ]);
    Ok(MemberResult {
        gen_error: on_test.error,
        train_loss: on_train.loss,
        steps: outcome.steps,
        stop: outcome.stop,
        params,
        repr: on_test.features,
        extra,
    })
}
