//! Classification with label noise (SPEC §2.2): the experiment's data on the device, each
//! member's training set (a subset of the pool and its noisy labels), its network, training
//! and measurement.
//!
//! Randomness, each from its own stream of the experiment seed (our design, as in
//! [`crate::data`]):
//! - `init/n=…/replica=…`: the initial weights, shared by the members of a replica (**same
//!   initialization**) and by every label-noise level (common random numbers);
//! - `subset/n=…/replica=…[/member=…]`: the training images, a uniformly random subset of n
//!   pool images; per member with `pairing: independent-subsets`, per replica with
//!   `same-inputs`;
//! - `label-noise/n=…/replica=…/member=…`: a random order of the n images and a uniform class
//!   for each; the first round(p·n) images of that order get their drawn class (which may be the
//!   true one). The draws do not depend on p, so a cleaner level's noisy labels are a subset of
//!   a noisier level's;
//! - `batches/…`: the SGD mini-batch order of the member.

use crate::datasets::hub::HubCache;
use crate::datasets::{Dataset, Split, CLASSES};
use crate::device::DeviceKind;
use crate::manifest::{Model, Pairing, Task, Train};
use crate::models::classifier::Classifier;
use crate::models::cnn5::Cnn5;
use crate::models::fcnn::Fcnn;
use crate::rng::Rng;
use crate::sgd::{evaluate, train_sgd, SgdSettings};
use crate::train::StopReason;
use crate::units::{live_units, MemberResult, MemberSpec};
use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor};
use std::collections::BTreeMap;

/// Images evaluated per forward pass.
const EVAL_CHUNK: usize = 1000;

/// The experiment's shared inputs: the split and the test images on the device.
pub struct ClassificationData {
    pub split: Split,
    pub device: Device,
    test_x: Tensor,
}

impl ClassificationData {
    pub fn load(seed: u64, task: &Task, device: DeviceKind) -> Result<Self> {
        let Task::Classification {
            dataset, n_test, ..
        } = task
        else {
            bail!("not a classification task");
        };
        let n_test = n_test.unwrap_or(dataset.default_test_size());
        let split = Split::new(*dataset, seed, n_test, &HubCache::from_env())?;
        let device = device.candle()?;
        let test_x = images_tensor(&split.test.pixels, *dataset, split.test.len(), &device)?;
        Ok(ClassificationData {
            split,
            device,
            test_x,
        })
    }
}

fn images_tensor(pixels: &[f32], dataset: Dataset, n: usize, device: &Device) -> Result<Tensor> {
    let s = dataset.shape();
    Ok(Tensor::from_slice(
        pixels,
        (n, s.channels, s.height, s.width),
        device,
    )?)
}

/// Pool indices of one member's training images.
pub fn member_subset(
    seed: u64,
    pairing: Pairing,
    pool: usize,
    n: usize,
    replica: usize,
    member: usize,
) -> Vec<usize> {
    let tag = match pairing {
        Pairing::IndependentSubsets => format!("subset/n={n}/replica={replica}/member={member}"),
        Pairing::SameInputs => format!("subset/n={n}/replica={replica}"),
    };
    let mut order = Rng::derive(seed, &tag).permutation(pool);
    order.truncate(n);
    order
}

/// The labels of one member's training images with a fraction `p` replaced (SPEC §2.2).
pub fn noisy_labels(seed: u64, clean: &[u8], p: f64, replica: usize, member: usize) -> Vec<u8> {
    let n = clean.len();
    let mut rng = Rng::derive(
        seed,
        &format!("label-noise/n={n}/replica={replica}/member={member}"),
    );
    let order = rng.permutation(n);
    let drawn: Vec<u8> = (0..n).map(|_| rng.below(CLASSES as u64) as u8).collect();
    let replaced = (p * n as f64).round() as usize;
    let mut labels = clean.to_vec();
    for &i in &order[..replaced.min(n)] {
        labels[i] = drawn[i];
    }
    labels
}

/// Builds the network of `model` for `dataset` from the replica's initialization stream.
pub fn build_model(
    model: &Model,
    dataset: Dataset,
    rng: &mut Rng,
    device: &Device,
) -> Result<Box<dyn Classifier>> {
    let shape = dataset.shape();
    Ok(match model {
        Model::Fcnn { width, init_std } => Box::new(Fcnn::new(
            shape.len(),
            *width,
            CLASSES,
            *init_std,
            rng,
            device,
        )?),
        Model::Cnn5 { width } => Box::new(Cnn5::new(shape.channels, *width, CLASSES, rng, device)?),
        other => bail!("{other:?} is not an image classifier"),
    })
}

/// Trains and measures one member: generalization error = error on the clean test labels;
/// also the test loss, and the error and loss on its own (noisy) training labels.
pub fn run_member(spec: &MemberSpec, data: &ClassificationData) -> Result<MemberResult> {
    let Task::Classification {
        dataset, pairing, ..
    } = &spec.task
    else {
        bail!("not a classification member");
    };
    let Train::Sgd {
        lr,
        batch_size,
        epochs,
        decay_every,
    } = spec.train
    else {
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
    let model = build_model(&spec.model, *dataset, &mut init, device)?;
    let settings = SgdSettings {
        lr,
        batch_size,
        epochs,
        decay_every,
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_noise_replaces_the_stated_fraction_with_uniform_classes() {
        let clean: Vec<u8> = (0..10_000).map(|i| (i % 10) as u8).collect();
        let noisy = noisy_labels(1, &clean, 0.4, 0, 0);
        let changed = noisy.iter().zip(&clean).filter(|(a, b)| a != b).count();
        // 4000 replaced, each lands on the true class with probability 1/10: ≈ 3600 change.
        assert!((3450..3750).contains(&changed), "{changed}");
        assert_eq!(noisy_labels(1, &clean, 0.0, 0, 0), clean);
        // Nested across levels: every label changed at 0.1 is changed the same way at 0.4.
        let light = noisy_labels(1, &clean, 0.1, 0, 0);
        for i in 0..clean.len() {
            if light[i] != clean[i] {
                assert_eq!(light[i], noisy[i]);
            }
        }
        assert_ne!(noisy_labels(1, &clean, 0.4, 0, 1), noisy);
    }

    #[test]
    fn pairing_decides_whether_members_share_images() {
        let a = member_subset(5, Pairing::IndependentSubsets, 1000, 100, 0, 0);
        let b = member_subset(5, Pairing::IndependentSubsets, 1000, 100, 0, 1);
        assert_ne!(a, b);
        let c = member_subset(5, Pairing::SameInputs, 1000, 100, 0, 0);
        let d = member_subset(5, Pairing::SameInputs, 1000, 100, 0, 1);
        assert_eq!(c, d);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 100);
        assert!(a.iter().all(|&i| i < 1000));
    }
}
