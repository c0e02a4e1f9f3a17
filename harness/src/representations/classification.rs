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
use crate::train::sgd::{evaluate, train_sgd};
use crate::train::{StopReason, Train};
use anyhow::{bail, Context, Result};
use candle_core::{DType, Tensor};
use std::collections::BTreeMap;

/// Images evaluated per forward pass.
const EVAL_CHUNK: usize = 1000;

/// Trains and measures one member: generalization error = error on the clean test labels;
/// also the test loss, and the error and loss on its own (noisy) training labels.
pub fn run_member(spec: &MemberSpec, data: &ClassificationData) -> Result<MemberResult> {
    let Task::Classification {
        dataset, pairing, ..
    } = &spec.task
    else {
        bail!("not a classification member");
    };
    let Train::Sgd(settings) = &spec.train else {
        bail!("classification members are trained with `solver: sgd`");
    };
    let p = spec
        .label_noise
        .context("classification member without label noise")?;
    let (n, replica, member) = (spec.n, spec.replica, spec.member);
    let pool = &data.split.pool;
    let subset = member_subset(spec.seed, *pairing, pool.len(), n, replica, member);
    let train = pool.select(&subset);
    let labels = noisy_labels(spec.seed, &train.labels, p, replica, member);
    let device = &data.device;
    let x = images_tensor(&train.pixels, *dataset, n, device)?;
    let y = Tensor::from_vec(
        labels.iter().map(|&l| l as u32).collect::<Vec<u32>>(),
        n,
        device,
    )?;
    let mut init = Rng::derive(spec.seed, &format!("init/n={n}/replica={replica}"));
    let model = spec.model.classifier(*dataset, &mut init, device)?;
    let mut batches = Rng::derive(
        spec.seed,
        &format!("batches/n={n}/replica={replica}/member={member}"),
    );
    let steps = train_sgd(model.as_ref(), &x, &y, settings, &mut batches)?;
    let on_train = evaluate(model.as_ref(), &x, &labels, EVAL_CHUNK)?;
    let on_test = evaluate(
        model.as_ref(),
        &data.test_x,
        &data.split.test.labels,
        EVAL_CHUNK,
    )?;
    let mut params = BTreeMap::new();
    for (name, t) in model.state() {
        let shape = t.dims().to_vec();
        let values = t.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?;
        params.insert(name, (shape, values));
    }
    let flipped = labels
        .iter()
        .zip(&train.labels)
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
    ]);
    Ok(MemberResult {
        gen_error: on_test.error,
        train_loss: on_train.loss,
        steps,
        stop: StopReason::Epochs,
        params,
        repr: on_test.features,
        extra,
    })
}
