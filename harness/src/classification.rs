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
        max_steps,
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
        max_steps,
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

#[cfg(test)]
mod manifest_tests {
    use crate::manifest::{Manifest, ManifestError};
    use std::path::Path;

    const BASE: &str = "name: c
seed: 3
task:
  kind: classification
  dataset: digits
model:
  kind: fcnn
  width: 2
train:
  solver: sgd
  epochs: 3
sweep:
  label_noise: [0, 0.2]
  n_over_p: [0.5, 1.0]
  replicas: 2
  members: 2
";

    fn parse(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(text, Path::new("m.yaml"))
    }

    #[test]
    fn defaults_are_filled_and_spelling_them_out_keeps_the_hash() {
        let m = parse(BASE).unwrap();
        let spelled = BASE
            .replace(
                "dataset: digits\n",
                "dataset: digits\n  pairing: independent-subsets\n  n_test: 500\n",
            )
            .replace(
                "epochs: 3\n",
                "epochs: 3\n  lr: 0.05\n  batch_size: 128\n  decay_every: 50\n",
            )
            .replace("width: 2\n", "width: 2\n  init_std: 0.1\n")
            .replace("seed: 3\n", "seed: 3\ndevice: cpu\n");
        let s = parse(&spelled).unwrap();
        assert_eq!(crate::identity::hash_of(&m), crate::identity::hash_of(&s));
        assert_eq!(m.parameter_count(), 2 * 65 + 10 * 3);
        let cuda = parse(&BASE.replace("seed: 3\n", "seed: 3\ndevice: cuda\n")).unwrap();
        assert_ne!(
            crate::identity::hash_of(&m),
            crate::identity::hash_of(&cuda)
        );
    }

    #[test]
    fn max_steps_is_absent_from_the_canonical_form_unless_set() {
        let m = parse(BASE).unwrap();
        assert!(!crate::identity::canonical_json(&m).contains("max_steps"));
        let capped = parse(&BASE.replace("epochs: 3\n", "epochs: 3\n  max_steps: 5\n")).unwrap();
        assert!(crate::identity::canonical_json(&capped).contains("\"max_steps\":5"));
        assert_ne!(
            crate::identity::hash_of(&m),
            crate::identity::hash_of(&capped)
        );
    }

    #[test]
    fn impossible_classification_manifests_name_the_key_and_line() {
        let cases: &[(&str, &str, &str, usize, &str)] = &[
            (
                "kind: fcnn\n  width: 2",
                "kind: cnn5\n  width: 2",
                "model.kind",
                7,
                "32×32",
            ),
            (
                "n_over_p: [0.5, 1.0]",
                "n_over_p: [0.5, 9.0]",
                "sweep.n_over_p",
                14,
                "1297 images",
            ),
            (
                "label_noise: [0, 0.2]",
                "label_noise: [0, 1.2]",
                "sweep.label_noise",
                13,
                "[0, 1]",
            ),
            (
                "label_noise: [0, 0.2]",
                "snr: [1]",
                "sweep.snr",
                13,
                "label_noise",
            ),
            (
                "solver: sgd\n  epochs: 3",
                "solver: min-norm",
                "train.solver",
                10,
                "sgd",
            ),
            ("epochs: 3", "epochs: 0", "train.epochs", 11, "at least 1"),
            (
                "epochs: 3",
                "epochs: 3\n  max_steps: 0",
                "train.max_steps",
                12,
                "at least 1",
            ),
            (
                "dataset: digits",
                "dataset: digits\n  n_test: 1790",
                "task.n_test",
                6,
                "10 to 1787",
            ),
        ];
        for (from, to, key, line, says) in cases {
            let err = parse(&BASE.replace(from, to)).unwrap_err();
            assert_eq!(err.key.as_deref(), Some(*key), "{err}");
            assert_eq!(err.line, Some(*line), "{err}");
            assert!(err.message.contains(says), "{err}");
        }
        let err = parse(&BASE.replace("dataset: digits", "dataset: svhn")).unwrap_err();
        assert!(err.to_string().contains("svhn"), "{err}");
    }
}

#[cfg(test)]
mod run_tests {
    use crate::cache::Store;
    use crate::manifest::Manifest;
    use crate::run::run_manifest;
    use std::path::Path;

    const TINY: &str = "name: tiny
seed: 11
figure: fig4
task:
  kind: classification
  dataset: digits
  n_test: 200
model:
  kind: fcnn
  width: 3
train:
  solver: sgd
  epochs: 4
  batch_size: 32
sweep:
  label_noise: [0, 0.4]
  n_over_p: [0.5, 2.0]
  replicas: 2
  members: 2
";

    #[test]
    fn a_digits_experiment_runs_end_to_end_reproducibly() {
        let m = Manifest::parse(TINY, Path::new("tiny.yaml")).unwrap();
        let read = |dir: &Path, f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
        let first = tempfile::tempdir().unwrap();
        let r = run_manifest(&m, Path::new("tiny.yaml"), &Store::new(first.path()), true).unwrap();
        assert_eq!(r.stats.members_run, 16);
        let summary = read(&r.results_dir, "summary.csv");
        let header = summary.lines().next().unwrap();
        assert!(header.starts_with("label_noise,n,p,n_over_p,"), "{header}");
        for col in [
            "cce_ksg_mean",
            "cce_gaussian_mean",
            "test_loss_mean",
            "train_error_mean",
        ] {
            assert!(header.contains(col), "{header}");
        }
        assert_eq!(summary.lines().count(), 1 + 4);
        let members = read(&r.results_dir, "members.csv");
        // The recorded fraction of changed labels: 0 at label noise 0; 0.4 replaces 40%, about
        // 36% change class. (That the network trains on those labels, and that the errors are
        // measured on the right sets, is checked in tests/classification_science.rs.)
        let column = members
            .lines()
            .next()
            .unwrap()
            .split(',')
            .position(|h| h == "labels_changed")
            .expect("a labels_changed column");
        for line in members.lines().skip(1) {
            let c: Vec<&str> = line.split(',').collect();
            let changed: f64 = c[column].parse().unwrap();
            match c[0] {
                "0.0" => assert_eq!(changed, 0.0, "{line}"),
                _ => assert!((0.1..0.6).contains(&changed), "{line}"),
            }
        }
        let split = read(&r.results_dir, "split.csv");
        assert_eq!(
            split.lines().filter(|l| l.starts_with("test,")).count(),
            200
        );
        let record = read(&r.results_dir, "run.json");
        assert!(record.contains("test_rows_sha256"), "{record}");
        // A second cold run elsewhere gives the same bytes.
        let second = tempfile::tempdir().unwrap();
        let r2 =
            run_manifest(&m, Path::new("tiny.yaml"), &Store::new(second.path()), true).unwrap();
        for f in ["members.csv", "pairs.csv", "summary.csv", "split.csv"] {
            assert_eq!(read(&r.results_dir, f), read(&r2.results_dir, f), "{f}");
        }
    }
}
