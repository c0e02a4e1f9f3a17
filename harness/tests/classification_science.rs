//! The classification science path checked from outside the code that computes it: one `fcnn`
//! member on the digits is trained, and its stored parameters are run through a forward pass
//! written here (plain f64 loops, not candle):
//! - the noisy labels reach training: on the images whose label was replaced, the network
//!   predicts the replaced label, not the true one (it memorizes its training set);
//! - `gen_error` is the error on the clean labels of the held-out test set, `train_error` the
//!   error on the member's own noisy training labels, `labels_changed` the fraction of its
//!   training labels that differ from the true ones, `dead_units` the hidden units constant on
//!   every test image, and the stored representation is the hidden layer on the test images;
//! - a classification experiment gives the same bytes at 1 and 2 threads.

mod common;

use harness::data::classification::{member_subset, noisy_labels, Pairing};
use harness::device::DeviceKind;
use harness::manifest::{Manifest, Task};
use harness::models::Model;
use harness::plan::units::MemberSpec;
use harness::plan::Level;
use harness::representations::classification::run_member;
use harness::representations::{MemberResult, TaskData};
use std::path::Path;

const MEMORIZE: &str = "name: memorize
seed: 11
task:
  kind: classification
  dataset: digits
  n_test: 300
model:
  kind: fcnn
  width: 64
train:
  solver: sgd
  lr: 0.2
  batch_size: 40
  epochs: 800
  decay_every: 1000
sweep:
  label_noise: [0.5]
  n_over_p: [0.1]
  replicas: 1
  members: 2
";

/// The parameters of the trained fcnn as f64: (w1 k×64, b1 k, w2 10×k, b2 10).
struct Net {
    k: usize,
    w1: Vec<f64>,
    b1: Vec<f64>,
    w2: Vec<f64>,
    b2: Vec<f64>,
}

impl Net {
    fn from(result: &MemberResult) -> Net {
        let p = |name: &str| result.params[name].1.clone();
        let k = result.params["b1"].1.len();
        assert_eq!(result.params["w1"].0, vec![k, 64]);
        Net {
            k,
            w1: p("w1"),
            b1: p("b1"),
            w2: p("w2"),
            b2: p("b2"),
        }
    }

    /// Hidden units (after the ReLU) and the predicted class of one 8×8 image.
    fn forward(&self, pixels: &[f32]) -> (Vec<f64>, u8) {
        let hidden: Vec<f64> = (0..self.k)
            .map(|u| {
                let s: f64 = (0..64)
                    .map(|i| self.w1[u * 64 + i] * pixels[i] as f64)
                    .sum::<f64>()
                    + self.b1[u];
                s.max(0.0)
            })
            .collect();
        let logits: Vec<f64> = (0..10)
            .map(|c| {
                (0..self.k)
                    .map(|u| self.w2[c * self.k + u] * hidden[u])
                    .sum::<f64>()
                    + self.b2[c]
            })
            .collect();
        let best = (0..10)
            .max_by(|&a, &b| logits[a].total_cmp(&logits[b]))
            .unwrap();
        (hidden, best as u8)
    }
}

fn error_rate(predicted: &[u8], labels: &[u8]) -> f64 {
    predicted.iter().zip(labels).filter(|(p, l)| p != l).count() as f64 / labels.len() as f64
}

#[test]
fn noisy_labels_reach_training_and_errors_are_measured_on_the_right_sets() {
    let m = Manifest::parse(MEMORIZE, Path::new("memorize.yaml")).unwrap();
    let TaskData::Classification(data) = TaskData::load(m.seed, &m.task, DeviceKind::Cpu).unwrap()
    else {
        panic!("a classification task loads classification data")
    };
    let Task::Classification { pairing, .. } = m.task else {
        panic!()
    };
    assert_eq!(pairing, Pairing::IndependentSubsets);
    assert!(matches!(&m.model, Model::Fcnn(c) if c.width == 64));
    // Few images for many weights (P = 4810): the network can memorize its noisy labels.
    let n = 120;
    let (p, replica, member) = (0.5, 0, 1);
    let spec = MemberSpec::new(
        m.seed,
        &m.task,
        &m.model,
        &m.train,
        Level::LabelNoise(p),
        n,
        replica,
        member,
        DeviceKind::Cpu,
    );
    let result = run_member(&spec, &data).unwrap();
    let net = Net::from(&result);

    // The member's training images and labels, clean and noisy.
    let subset = member_subset(m.seed, pairing, data.split.pool.len(), n, replica, member);
    let train = data.split.pool.select(&subset);
    let clean = &train.labels;
    let noisy = noisy_labels(m.seed, clean, p, replica, member);
    let changed: Vec<usize> = (0..n).filter(|&i| noisy[i] != clean[i]).collect();
    // Half the labels replaced by a uniform class: about 45% change.
    assert!(
        (0.3..0.6).contains(&(changed.len() as f64 / n as f64)),
        "{} of {n} changed",
        changed.len()
    );
    assert_eq!(
        result.extra["labels_changed"],
        changed.len() as f64 / n as f64
    );

    let on_train: Vec<u8> = (0..n).map(|i| net.forward(train.image(i)).1).collect();
    // What the network learned on the changed images: the noisy label, not the true one.
    let follows = |labels: &[u8]| {
        changed
            .iter()
            .filter(|&&i| on_train[i] == labels[i])
            .count() as f64
            / changed.len() as f64
    };
    let (noisy_agree, clean_agree) = (follows(&noisy), follows(clean));
    assert!(
        noisy_agree > 0.8 && clean_agree < 0.2,
        "on the {} relabelled images the network predicts the noisy label {noisy_agree:.2} \
         and the true one {clean_agree:.2} of the time",
        changed.len()
    );
    // train_error: on the noisy training labels (small: memorized), by our forward pass.
    let train_error = error_rate(&on_train, &noisy);
    assert!((result.extra["train_error"] - train_error).abs() <= 1.5 / n as f64);
    assert!(train_error < 0.2, "{train_error}");

    // gen_error: on the clean labels of the held-out test images, by our forward pass.
    let test = &data.split.test;
    let outputs: Vec<(Vec<f64>, u8)> = (0..test.len())
        .map(|i| net.forward(test.image(i)))
        .collect();
    let predicted: Vec<u8> = outputs.iter().map(|o| o.1).collect();
    let gen_error = error_rate(&predicted, &test.labels);
    assert!(
        (result.gen_error - gen_error).abs() <= 1.5 / test.len() as f64,
        "stored {} vs recomputed {gen_error}",
        result.gen_error
    );
    // Far from the training error: the test set is not the training set.
    assert!(
        gen_error > train_error + 0.2,
        "{gen_error} vs {train_error}"
    );
    assert!(
        test.len() == 300
            && !subset
                .iter()
                .any(|&i| data.split.test_rows.contains(&data.split.pool_rows[i]))
    );

    // The representation is the hidden layer on the test images; dead units are counted.
    assert_eq!((result.repr.rows, result.repr.cols), (test.len(), net.k));
    for (i, (hidden, _)) in outputs.iter().enumerate() {
        for (u, &h) in hidden.iter().enumerate() {
            assert!(
                (result.repr.get(i, u) - h).abs() < 1e-4 * (1.0 + h.abs()),
                "({i}, {u})"
            );
        }
    }
    let dead = (0..net.k)
        .filter(|&u| outputs.iter().all(|o| o.0[u] == outputs[0].0[u]))
        .count();
    assert_eq!(result.extra["dead_units"], dead as f64);
}
