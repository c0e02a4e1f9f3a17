//! Classification manifests: defaults, the canonical form, and impossible values.

use super::{Manifest, ManifestError};
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
    // The GPU is part of the identity (a CPU-only build refuses to load it: tests/device.rs).
    let cuda = Manifest {
        device: crate::device::DeviceKind::Cuda,
        ..m.clone()
    };
    assert_ne!(
        crate::identity::hash_of(&m),
        crate::identity::hash_of(&cuda)
    );
}

/// An omitted `alignment.report` is the three estimators written out (not every estimator the
/// registry has), so adding an estimator does not change this manifest's identity.
#[test]
fn an_omitted_report_is_the_three_estimators_spelled_out() {
    let m = parse(BASE).unwrap();
    let spelled = parse(&format!(
        "{BASE}alignment:\n  report: [ksg, kl, gaussian]\n"
    ))
    .unwrap();
    assert_eq!(
        crate::identity::hash_of(&m),
        crate::identity::hash_of(&spelled)
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
