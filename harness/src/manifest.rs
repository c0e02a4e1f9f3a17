//! Experiment manifests: the typed schema, its defaults, parsing and validation.
//!
//! A manifest is a YAML file in `experiments/`. It is parsed into [`Manifest`] with unknown
//! keys rejected, every omitted key filled with its documented default, and then checked for
//! impossible values. Every error names the file, the line and the key, and says what is
//! allowed ([`ManifestError`]); the CLI turns it into exit code 2 before anything is written.

use crate::datasets::{Dataset, CLASSES};
use crate::device::DeviceKind;
use crate::estimators::{Estimator, Projection};
use crate::models::{cnn5::Cnn5, fcnn::Fcnn};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// One experiment, with every default filled in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Names the results folder `artifacts/results/<name>/`; letters, digits, `_` and `-`.
    pub name: String,
    /// Free text for people; not part of the experiment's identity.
    #[serde(default, skip_serializing)]
    pub description: String,
    /// The one seed every random draw of the experiment derives from.
    pub seed: u64,
    /// `quick` runs in minutes on a laptop; `full` is the paper's scale.
    #[serde(default)]
    pub scale: Scale,
    pub task: Task,
    pub model: Model,
    #[serde(default)]
    pub train: Train,
    pub sweep: Sweep,
    #[serde(default)]
    pub alignment: Alignment,
    /// Which figure layout the report draws (`fig1`, ...); defaults to the experiment name.
    #[serde(default)]
    pub figure: Option<String>,
    /// Where candle trains (`cpu` or `cuda`); `cpu`, the default, is left out of the identity.
    #[serde(default, skip_serializing_if = "DeviceKind::is_cpu")]
    pub device: DeviceKind,
    /// A second network trained on exactly the data of each member of `model` (Fig. 3);
    /// absent in single-network experiments (and then not part of the hash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare: Option<Compare>,
    /// Margins of `harness check` (docs/CHECK.md). They judge a result and cannot change
    /// one, so they are not part of the identity: left out of the canonical form and hash.
    #[serde(default, skip_serializing)]
    pub check: crate::check::margins::CheckMargins,
}

/// The second network of a comparison experiment (`compare:` in the manifest).
///
/// Member m of replica r of `compare.model` sees the same inputs and the same noise draw as
/// member m of replica r of `model`. The pairs are then formed *across* the two networks, one
/// per member index (the two fits of one data set), and the alignment reported for a network
/// is CCE(that network | the other). The sweep's `n_over_p` is read with the P of `model`;
/// each network's rows and curves are placed at its own n/P. Our design (the paper is silent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compare {
    pub model: Model,
    #[serde(default)]
    pub train: Train,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    #[default]
    Quick,
    Full,
}

/// What the networks learn (SPEC §2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Task {
    /// y = β·x + ε with x ~ N(0, I_d), |β| = 1, ε ~ N(0, 1/SNR) (SPEC §2.1).
    LinearTeacher {
        d: usize,
        #[serde(default)]
        inputs: Inputs,
        #[serde(default = "default_n_test")]
        n_test: usize,
    },
    /// Image classification with label noise (SPEC §2.2).
    Classification {
        dataset: Dataset,
        #[serde(default)]
        pairing: Pairing,
        /// Test images: default 500 held out of `digits`, or the whole official test split
        /// (10 000); fewer takes a seeded subset. Filled in when parsed, so spelling out the
        /// default does not change the hash.
        #[serde(default)]
        n_test: Option<usize>,
    },
}

/// How the members of one replica get their training images (SPEC §2.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pairing {
    /// Each member draws its own random subset of n pool images, with its own label noise.
    #[default]
    IndependentSubsets,
    /// The members share the replica's images and differ only by their label-noise draws.
    SameInputs,
}

impl Pairing {
    /// The manifest's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Pairing::IndependentSubsets => "independent-subsets",
            Pairing::SameInputs => "same-inputs",
        }
    }
}

fn default_n_test() -> usize {
    2000
}

/// How the members of one replica get their training inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Inputs {
    /// The members of a replica see the same X with independent noise draws.
    #[default]
    Shared,
    /// Each member draws its own X.
    Independent,
}

/// The network trained by every member (SPEC §3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Model {
    /// f(x) = w2 · (w1ᵀx), hidden width 1; P = d + 1.
    Linear2 {},
    /// f(x) = w2ᵀ relu(W1 x + b1) + b2, hidden width `width`; P = width·(d + 2) + 1.
    Relu2 {
        width: usize,
        /// Whether the members of a replica start from one initialization (`shared`,
        /// default) or each from its own (`independent`).
        #[serde(default)]
        init: Init,
    },
    /// Pixels → `width` ReLU units → 10 logits; P = k(d_in + 1) + 10(k + 1).
    Fcnn {
        width: usize,
        /// Standard deviation of the initial weights (Gu, Zheng & Aste: 0.1).
        #[serde(default = "default_fcnn_init_std")]
        init_std: f64,
    },
    /// Four conv → BatchNorm → ReLU → max-pool stages of widths k, 2k, 4k, 8k, then 8k → 10.
    Cnn5 { width: usize },
}

impl Model {
    /// The name used in tables and legends: the manifest's `kind`.
    pub fn name(&self) -> &'static str {
        match self {
            Model::Linear2 {} => "linear2",
            Model::Relu2 { .. } => "relu2",
            Model::Fcnn { .. } => "fcnn",
            Model::Cnn5 { .. } => "cnn5",
        }
    }
}

/// How the members of one replica get their initial weights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Init {
    /// One initialization per replica, shared by its members.
    #[default]
    Shared,
    /// Each member draws its own.
    Independent,
}

fn default_fcnn_init_std() -> f64 {
    0.1
}

/// How a member is fitted, chosen by `solver`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "solver", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Train {
    /// The global minimum of minimum norm, β̂ = X⁺y, split in balanced form (`linear2` only).
    /// (An empty struct variant rather than a unit one, so that stray keys are rejected.)
    MinNorm {},
    /// Full-batch gradient descent on the mean squared error, with candle, from a small
    /// initialization; stops when the loss has converged or at `max_steps`.
    Gd {
        #[serde(default = "default_lr")]
        lr: f64,
        /// Standard deviation of the small initial weights (`linear2` only: `relu2` starts
        /// from its fan-in initialization, see `models::relu2`).
        #[serde(default = "default_init_scale")]
        init_scale: f64,
        #[serde(default = "default_max_steps")]
        max_steps: usize,
        /// Converged when the loss fell by less than this fraction over `window` steps.
        #[serde(default = "default_tol")]
        tol: f64,
        #[serde(default = "default_window")]
        window: usize,
    },
    /// Mini-batch SGD on the cross-entropy, no momentum (Gu, Zheng & Aste), for classifiers;
    /// the rate at epoch e is lr/√(1 + ⌊e / decay_every⌋).
    Sgd {
        #[serde(default = "default_lr")]
        lr: f64,
        #[serde(default = "default_batch_size")]
        batch_size: usize,
        #[serde(default = "default_epochs")]
        epochs: usize,
        #[serde(default = "default_decay_every")]
        decay_every: usize,
        /// Ours: stop after this many optimizer steps even if `epochs` are not done, so a
        /// budget can be set in steps (the same for every n) rather than in passes over the
        /// data. Absent (the default) = no cap; then it is left out of the canonical form.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_steps: Option<usize>,
    },
    /// Full-batch Adam (Kingma & Ba, with PyTorch's defaults for the betas and eps) on the
    /// mean squared error, with candle (`relu2`); same stopping rule as `gd`.
    Adam {
        #[serde(default = "default_adam_lr")]
        lr: f64,
        #[serde(default = "default_beta1")]
        beta1: f64,
        #[serde(default = "default_beta2")]
        beta2: f64,
        #[serde(default = "default_eps")]
        eps: f64,
        #[serde(default = "default_max_steps")]
        max_steps: usize,
        #[serde(default = "default_tol")]
        tol: f64,
        #[serde(default = "default_window")]
        window: usize,
    },
}

fn default_adam_lr() -> f64 {
    1e-3
}
fn default_beta1() -> f64 {
    0.9
}
fn default_beta2() -> f64 {
    0.999
}
fn default_eps() -> f64 {
    1e-8
}

impl Default for Train {
    fn default() -> Self {
        Train::MinNorm {}
    }
}

fn default_lr() -> f64 {
    0.05
}
fn default_init_scale() -> f64 {
    1e-6
}
fn default_max_steps() -> usize {
    200_000
}
fn default_tol() -> f64 {
    1e-10
}
fn default_window() -> usize {
    100
}
fn default_batch_size() -> usize {
    128
}
fn default_epochs() -> usize {
    200
}
fn default_decay_every() -> usize {
    50
}

/// The grid of settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    /// Signal-to-noise ratios (plain ratios, σ² = 1/SNR) of a regression task.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub snr: Vec<f64>,
    /// Label-noise fractions p of a classification task (SPEC §2.2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub label_noise: Vec<f64>,
    /// Training-set sizes as multiples of the parameter count P; n = round(ratio · P).
    pub n_over_p: Vec<f64>,
    /// Independent replicas per point (each draws its own inputs).
    pub replicas: usize,
    /// Ensemble members per replica; pairs are formed within a replica.
    pub members: usize,
}

/// One noise level of a sweep: an SNR (regression) or a label-noise fraction (classification).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Level {
    Snr(f64),
    LabelNoise(f64),
}

impl Level {
    /// The column that holds it in the CSVs.
    pub fn column(self) -> &'static str {
        match self {
            Level::Snr(_) => "snr",
            Level::LabelNoise(_) => "label_noise",
        }
    }

    pub fn value(self) -> f64 {
        match self {
            Level::Snr(v) | Level::LabelNoise(v) => v,
        }
    }

    /// Larger is cleaner: the SNR, or minus the label noise (how the claims order levels).
    pub fn signal(self) -> f64 {
        match self {
            Level::Snr(v) => v,
            Level::LabelNoise(p) => -p,
        }
    }

    /// How figures and claims name it.
    pub fn label(self) -> String {
        match self {
            Level::Snr(v) => format!("SNR {v}"),
            Level::LabelNoise(p) => format!("label noise {p}"),
        }
    }
}

impl Sweep {
    /// The noise levels in sweep order.
    pub fn levels(&self) -> Vec<Level> {
        self.snr
            .iter()
            .map(|&v| Level::Snr(v))
            .chain(self.label_noise.iter().map(|&p| Level::LabelNoise(p)))
            .collect()
    }
}

/// How alignment is measured (SPEC §4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alignment {
    /// The estimator the claims and the figure use.
    #[serde(default = "default_estimator")]
    pub estimator: Estimator,
    /// Every estimator computed and written to the CSVs (must include `estimator`).
    #[serde(default = "default_report")]
    pub report: Vec<Estimator>,
    /// Neighbours of the kNN estimators.
    #[serde(default = "default_k")]
    pub k: usize,
    /// `pca:m` reduces each representation to its first m principal components before every
    /// estimator; `none` (the default) is left out of the canonical form, so manifests that
    /// omit it keep their hash.
    #[serde(default, skip_serializing_if = "Projection::is_none")]
    pub project: Projection,
}

impl Default for Alignment {
    fn default() -> Self {
        Alignment {
            estimator: default_estimator(),
            report: default_report(),
            k: default_k(),
            project: Projection::None,
        }
    }
}

fn default_estimator() -> Estimator {
    Estimator::Ksg
}
fn default_report() -> Vec<Estimator> {
    Estimator::ALL.to_vec()
}
fn default_k() -> usize {
    3
}

/// A manifest that cannot be used, located in its file.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestError {
    pub file: PathBuf,
    pub line: Option<usize>,
    /// Dotted path of the offending key, e.g. `sweep.snr`.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ManifestError {}

impl Manifest {
    /// Reads, parses and validates a manifest file.
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|e| ManifestError {
            file: path.to_path_buf(),
            line: None,
            key: None,
            message: format!("cannot read the manifest: {e}"),
        })?;
        Manifest::parse(&text, path)
    }

    /// Parses and validates manifest text; `path` is used in error messages only.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, ManifestError> {
        let mut manifest: Manifest = parse_yaml(text, path)?;
        manifest.fill_defaults();
        manifest.validate().map_err(|(key, message)| {
            let segments: Vec<&str> = key.split('.').collect();
            ManifestError {
                file: path.to_path_buf(),
                line: find_key_line(text, &segments),
                key: Some(key),
                message,
            }
        })?;
        Ok(manifest)
    }

    /// Fills the defaults that depend on other values (the test-set size of a data set).
    fn fill_defaults(&mut self) {
        if let Task::Classification {
            dataset, n_test, ..
        } = &mut self.task
        {
            n_test.get_or_insert(dataset.default_test_size());
        }
    }

    /// Checks values that parse but cannot be run. Returns (dotted key, what is allowed).
    fn validate(&self) -> Result<(), (String, String)> {
        let fail = |key: &str, msg: String| Err((key.to_string(), msg));
        check_name(&self.name).or_else(|msg| fail("name", msg))?;
        self.check.validate()?;
        match &self.task {
            Task::Classification {
                dataset, n_test, ..
            } => {
                let n_test = n_test.unwrap_or(dataset.default_test_size());
                if !(10..=dataset.max_test_size()).contains(&n_test) {
                    return fail(
                        "task.n_test",
                        format!(
                            "n_test = {n_test}: {dataset} allows 10 to {} test images",
                            dataset.max_test_size()
                        ),
                    );
                }
            }
            Task::LinearTeacher { d, n_test, .. } => {
                if *d < 2 {
                    return fail(
                        "task.d",
                        format!("d = {d}: the input dimension must be at least 2"),
                    );
                }
                if *n_test < 10 {
                    return fail(
                        "task.n_test",
                        format!("n_test = {n_test}: need at least 10 test inputs"),
                    );
                }
            }
        }
        validate_network(&self.model, &self.train, "")?;
        if let Some(c) = &self.compare {
            validate_network(&c.model, &c.train, "compare.")?;
            if c.model == self.model {
                return fail(
                    "compare.model",
                    "compares the network with itself: give a different model".into(),
                );
            }
        }
        self.validate_classification()?;
        let s = &self.sweep;
        let classification = matches!(self.task, Task::Classification { .. });
        if classification {
            if !s.snr.is_empty() {
                return fail(
                    "sweep.snr",
                    "a classification task sweeps `label_noise`, not `snr`".into(),
                );
            }
            if s.label_noise.is_empty() {
                return fail(
                    "sweep.label_noise",
                    "give at least one label-noise fraction".into(),
                );
            }
            for &p in &s.label_noise {
                if !(0.0..=1.0).contains(&p) {
                    return fail(
                        "sweep.label_noise",
                        format!("label noise {p}: must be a fraction in [0, 1]"),
                    );
                }
            }
            if has_duplicates(&s.label_noise) {
                return fail("sweep.label_noise", "values repeat".into());
            }
        } else if !s.label_noise.is_empty() {
            return fail(
                "sweep.label_noise",
                "label noise applies to classification tasks; a regression task sweeps `snr`"
                    .into(),
            );
        } else if s.snr.is_empty() {
            return fail("sweep.snr", "give at least one SNR value".into());
        }
        for &v in &s.snr {
            if !(v > 0.0 && v.is_finite()) {
                return fail(
                    "sweep.snr",
                    format!("SNR = {v}: must be a positive ratio (σ² = 1/SNR)"),
                );
            }
        }
        if has_duplicates(&s.snr) {
            return fail("sweep.snr", "values repeat".into());
        }
        if s.n_over_p.is_empty() {
            return fail("sweep.n_over_p", "give at least one n/P value".into());
        }
        let p = self.parameter_count();
        for &r in &s.n_over_p {
            if !(r > 0.0 && r.is_finite()) {
                return fail("sweep.n_over_p", format!("n/P = {r}: must be positive"));
            }
            if self.n_for(r) < 1 {
                return fail(
                    "sweep.n_over_p",
                    format!("n/P = {r} gives n = 0 with P = {p}: use a larger ratio"),
                );
            }
        }
        if let Task::Classification {
            dataset, n_test, ..
        } = &self.task
        {
            let pool = dataset.pool_size(n_test.unwrap_or(dataset.default_test_size()));
            for &r in &s.n_over_p {
                let n = self.n_for(r);
                if n > pool {
                    return fail(
                        "sweep.n_over_p",
                        format!(
                            "n/P = {r} gives n = {n} (P = {p}) but the {dataset} training pool has {pool} images"
                        ),
                    );
                }
            }
        }
        let ns: Vec<f64> = s.n_over_p.iter().map(|&r| self.n_for(r) as f64).collect();
        if has_duplicates(&ns) {
            return fail(
                "sweep.n_over_p",
                format!("two ratios round to the same n (P = {p}); n = round(ratio · P)"),
            );
        }
        if s.replicas < 1 {
            return fail("sweep.replicas", "need at least 1 replica".into());
        }
        if s.members < 2 {
            return fail(
                "sweep.members",
                format!("members = {}: need at least 2 to form a pair", s.members),
            );
        }
        let a = &self.alignment;
        if a.k < 1 {
            return fail("alignment.k", "k must be at least 1".into());
        }
        if a.report.is_empty() || !a.report.contains(&a.estimator) {
            return fail(
                "alignment.report",
                format!("must list the main estimator `{}`", a.estimator),
            );
        }
        let test_size = match &self.task {
            Task::LinearTeacher { n_test, .. } => *n_test,
            Task::Classification {
                dataset, n_test, ..
            } => n_test.unwrap_or(dataset.default_test_size()),
        };
        if a.k >= test_size {
            return fail(
                "alignment.k",
                format!("k = {} must be below n_test = {test_size}", a.k),
            );
        }
        if let Some(fig) = &self.figure {
            if !FIGURES.contains(&fig.as_str()) {
                return fail(
                    "figure",
                    format!("`{fig}`: allowed are {}", FIGURES.join(", ")),
                );
            }
        }
        Ok(())
    }

    /// Which models, solvers and data sets go together in a classification experiment.
    fn validate_classification(&self) -> Result<(), (String, String)> {
        let fail = |key: &str, msg: String| Err((key.to_string(), msg));
        let classifier = matches!(self.model, Model::Fcnn { .. } | Model::Cnn5 { .. });
        let Task::Classification { dataset, .. } = &self.task else {
            if classifier {
                return fail(
                    "model.kind",
                    "fcnn and cnn5 are image classifiers: use `task: {kind: classification}`"
                        .into(),
                );
            }
            if matches!(self.train, Train::Sgd { .. }) {
                return fail(
                    "train.solver",
                    "sgd trains classifiers; regression uses min-norm or gd".into(),
                );
            }
            return Ok(());
        };
        match &self.model {
            Model::Fcnn { width, init_std } => {
                if *width < 1 {
                    return fail("model.width", "width must be at least 1".into());
                }
                if !(*init_std > 0.0 && init_std.is_finite()) {
                    return fail(
                        "model.init_std",
                        format!("init_std = {init_std}: must be positive"),
                    );
                }
            }
            Model::Cnn5 { width } => {
                if *width < 1 {
                    return fail("model.width", "width must be at least 1".into());
                }
                let shape = dataset.shape();
                if shape.height != crate::models::cnn5::INPUT_SIDE
                    || shape.width != crate::models::cnn5::INPUT_SIDE
                {
                    return fail(
                        "model.kind",
                        format!(
                            "cnn5's pools (2, 2, 2, 4) need 32×32 images (cifar10); {dataset} is {}×{}",
                            shape.height, shape.width
                        ),
                    );
                }
            }
            _ => {
                return fail(
                    "model.kind",
                    "a classification task needs an image classifier: fcnn or cnn5".into(),
                )
            }
        }
        let Train::Sgd {
            lr,
            batch_size,
            epochs,
            decay_every,
            max_steps,
        } = self.train
        else {
            return fail(
                "train.solver",
                "classifiers are trained with `solver: sgd`".into(),
            );
        };
        if !(lr > 0.0 && lr.is_finite()) {
            return fail("train.lr", format!("lr = {lr}: must be a positive number"));
        }
        for (key, v) in [
            ("train.batch_size", batch_size),
            ("train.epochs", epochs),
            ("train.decay_every", decay_every),
            ("train.max_steps", max_steps.unwrap_or(1)),
        ] {
            if v < 1 {
                return fail(key, format!("{v}: must be at least 1"));
            }
        }
        Ok(())
    }

    /// The number of trainable parameters P of the model on this task (SPEC §3). The model
    /// and the task must go together (as [`Manifest::parse`] checks).
    pub fn parameter_count(&self) -> usize {
        self.parameter_count_of(&self.model)
    }

    /// P of any network on this experiment's task.
    pub fn parameter_count_of(&self, model: &Model) -> usize {
        match (model, &self.task) {
            (Model::Linear2 {}, Task::LinearTeacher { d, .. }) => d + 1,
            (Model::Relu2 { width, .. }, Task::LinearTeacher { d, .. }) => width * (d + 2) + 1,
            (Model::Fcnn { width, .. }, Task::Classification { dataset, .. }) => {
                Fcnn::parameter_count(dataset.shape().len(), *width, CLASSES)
            }
            (Model::Cnn5 { width }, Task::Classification { dataset, .. }) => {
                Cnn5::parameter_count(dataset.shape().channels, *width, CLASSES)
            }
            (model, task) => {
                panic!("{model:?} cannot run on {task:?}: the manifest check rejects it")
            }
        }
    }

    /// The networks trained, in order: `model` with `train`, then the compared one if any.
    pub fn networks(&self) -> Vec<(&Model, &Train)> {
        let mut v = vec![(&self.model, &self.train)];
        if let Some(c) = &self.compare {
            v.push((&c.model, &c.train));
        }
        v
    }

    /// The training-set size for a ratio n/P: round(ratio · P).
    pub fn n_for(&self, ratio: f64) -> usize {
        (ratio * self.parameter_count() as f64).round() as usize
    }

    /// The figure layout to draw.
    pub fn figure_kind(&self) -> &str {
        self.figure.as_deref().unwrap_or("fig1")
    }
}

/// Checks one network's model and training settings; `prefix` locates them (`""` for the
/// main network, `"compare."` for the compared one).
fn validate_network(model: &Model, train: &Train, prefix: &str) -> Result<(), (String, String)> {
    let fail = |key: &str, msg: String| Err((format!("{prefix}{key}"), msg));
    if let Model::Relu2 { width, .. } = model {
        if *width < 1 {
            return fail("model.width", "width must be at least 1".into());
        }
    }
    let (lr, max_steps, tol, window) = match (model, train) {
        (Model::Linear2 {}, Train::MinNorm {}) => return Ok(()),
        (Model::Relu2 { .. }, Train::MinNorm {}) => {
            return fail(
                "train.solver",
                "`min-norm` is the closed form of linear2; relu2 needs `adam` or `gd`".into(),
            )
        }
        (Model::Linear2 {}, Train::Adam { .. }) => {
            return fail(
                "train.solver",
                "`adam` is implemented for relu2; linear2 takes `min-norm` or `gd`".into(),
            )
        }
        // Classifiers and SGD are checked together with the task, by `validate_classification`.
        (Model::Fcnn { .. } | Model::Cnn5 { .. }, _) | (_, Train::Sgd { .. }) => return Ok(()),
        (
            _,
            Train::Gd {
                lr,
                init_scale,
                max_steps,
                tol,
                window,
            },
        ) => {
            if !(init_scale > &0.0 && init_scale.is_finite()) {
                return fail(
                    "train.init_scale",
                    format!("init_scale = {init_scale}: must be positive"),
                );
            }
            (*lr, *max_steps, *tol, *window)
        }
        (
            _,
            Train::Adam {
                lr,
                beta1,
                beta2,
                eps,
                max_steps,
                tol,
                window,
            },
        ) => {
            for (key, beta) in [("train.beta1", beta1), ("train.beta2", beta2)] {
                if !(0.0..1.0).contains(beta) {
                    return fail(key, format!("{beta}: must lie in [0, 1)"));
                }
            }
            if !(eps > &0.0 && eps.is_finite()) {
                return fail("train.eps", format!("eps = {eps}: must be positive"));
            }
            (*lr, *max_steps, *tol, *window)
        }
    };
    if !(lr > 0.0 && lr.is_finite()) {
        return fail("train.lr", format!("lr = {lr}: must be a positive number"));
    }
    if max_steps == 0 {
        return fail("train.max_steps", "max_steps must be at least 1".into());
    }
    if !(tol >= 0.0 && tol.is_finite()) {
        return fail(
            "train.tol",
            format!("tol = {tol}: must be zero or positive"),
        );
    }
    if window == 0 {
        return fail("train.window", "window must be at least 1".into());
    }
    Ok(())
}

/// Deserializes manifest text into `T`, turning serde's message into a [`ManifestError`] that
/// names the key and its line (shared by every manifest schema).
pub(crate) fn parse_yaml<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<T, ManifestError> {
    serde_yaml::from_str(text).map_err(|e| {
        let (key, message) = split_key(&strip_location(&e.to_string()));
        let line = key
            .as_deref()
            .and_then(|k| find_key_line(text, &k.split('.').collect::<Vec<_>>()))
            .or_else(|| e.location().map(|l| l.line()));
        ManifestError {
            file: path.to_path_buf(),
            line,
            key,
            message,
        }
    })
}

/// Figure layouts the report knows.
pub const FIGURES: &[&str] = &["fig1", "fig2", "fig3", "fig4", "fig5"];

fn has_duplicates(values: &[f64]) -> bool {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.windows(2).any(|w| w[0] == w[1])
}

/// Splits a serde message into the key it is about and the rest: `sweep.snr: invalid type…`
/// gives the path; `unknown field \`foo\`…` (no path, as inside tagged enums) the field.
fn split_key(message: &str) -> (Option<String>, String) {
    if let Some((head, rest)) = message.split_once(": ") {
        if !head.is_empty() && !head.contains(' ') {
            return (Some(head.to_string()), rest.to_string());
        }
    }
    let field = message
        .split_once('`')
        .and_then(|(_, tail)| tail.split_once('`'))
        .map(|(name, _)| name.to_string());
    (field, message.to_string())
}

fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// A manifest's `name` names its results folder: letters, digits, `_` and `-` only. The error is
/// what is allowed.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(format!(
            "`{name}` is not allowed: use letters, digits, `_` and `-` (it names a folder)"
        ));
    }
    Ok(())
}

/// The 1-based line of a dotted key path in YAML text, found by indentation: each segment
/// must appear, as `segment:`, after the previous one and indented deeper than it.
pub fn find_key_line(text: &str, segments: &[&str]) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0;
    let mut min_indent: Option<usize> = None;
    let mut found = None;
    for segment in segments {
        let segment = segment.split('[').next().unwrap_or(segment);
        let hit = (from..lines.len()).find(|&i| {
            let line = lines[i];
            let indent = line.len() - line.trim_start().len();
            let body = line.trim_start().trim_start_matches("- ");
            min_indent.is_none_or(|m| indent > m) && body.starts_with(&format!("{segment}:"))
        })?;
        min_indent = Some(lines[hit].len() - lines[hit].trim_start().len());
        from = hit + 1;
        found = Some(hit + 1);
    }
    found
}
