//! The work of a classification member unit (SPEC §2.2): its training subset and noisy labels
//! (from [`crate::data::classification`]), its network from the models registry, SGD on the
//! experiment's device, and its measurement: generalization error on the clean test labels,
//! test loss, error and loss on its own noisy training labels, the labels changed, and the
//! dead units of its representation.

use super::{live_units, MemberResult};
use crate::data::classification::{images_tensor, member_subset, noisy_labels, ClassificationData};
use crate::manifest::Task;
use crate::plan::units::MemberSpec;
use crate::rng::Rng;
use crate::train::sgd::{evaluate, train_sgd, SgdOutcome};
use crate::train::Train;
use anyhow::{bail, ensure, Context, Result};
use candle_core::{DType, Tensor};
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
    pixels: Vec<f32>,
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
    let subset = member_subset(spec.seed, *pairing, pool.len(), n, replica, member);
    let train = pool.select(&subset);
    let labels = noisy_labels(spec.seed, &train.labels, p, replica, member);
    Ok(Prepared {
        pixels: train.pixels,
        clean: train.labels,
        labels,
        init: Rng::derive(spec.seed, &format!("init/n={n}/replica={replica}")),
        order: Rng::derive(
            spec.seed,
            &format!("batches/n={n}/replica={replica}/member={member}"),
        ),
    })
}

/// Trains the members of one batch together (they share n and the training settings; see
/// [`crate::train::sgd::train_sgd`]) and measures each on its own.
pub fn run_batch(specs: &[&MemberSpec], data: &ClassificationData) -> Result<Vec<MemberResult>> {
    let first = specs.first().context("an empty batch")?;
    let Task::Classification { dataset, .. } = &first.task else {
        bail!("not a classification member");
    };
    let Train::Sgd(settings) = &first.train else {
        bail!("classification members are trained with `solver: sgd`");
    };
    ensure!(
        specs
            .iter()
            .all(|s| s.n == first.n && s.train == first.train && s.model == first.model),
        "the members of a batch share n, model and training settings"
    );
    let n = first.n;
    let device = &data.device;
    let mut prepared = specs
        .iter()
        .map(|spec| prepare(spec, data))
        .collect::<Result<Vec<_>>>()?;
    let mut inits: Vec<&mut Rng> = prepared.iter_mut().map(|p| &mut p.init).collect();
    let ensemble = first.model.ensemble(*dataset, &mut inits, device)?;
    let pixels: Vec<f32> = prepared
        .iter()
        .flat_map(|p| p.pixels.iter().copied())
        .collect();
    let x = images_tensor(&pixels, *dataset, specs.len() * n, device)?;
    let x = x.reshape([&[specs.len(), n][..], &x.dims()[1..]].concat())?;
    let labels: Vec<Vec<u8>> = prepared.iter().map(|p| p.labels.clone()).collect();
    let mut orders: Vec<Rng> = prepared.iter().map(|p| p.order.clone()).collect();
    let outcomes = train_sgd(ensemble, &x, &labels, settings, &mut orders)?;
    outcomes
        .into_iter()
        .zip(&prepared)
        .enumerate()
        .map(|(i, (outcome, p))| {
            let x = x.get(i)?;
            measure(outcome, &x, p, data)
        })
        .collect()
}

/// A trained member measured on its training set and on the test set.
fn measure(
    outcome: SgdOutcome,
    x: &Tensor,
    p: &Prepared,
    data: &ClassificationData,
) -> Result<MemberResult> {
    let model = outcome.model.as_ref();
    let n = p.labels.len();
    let on_train = evaluate(model, x, &p.labels, EVAL_CHUNK)?;
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
