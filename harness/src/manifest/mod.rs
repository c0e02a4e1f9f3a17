//! Experiment manifests: the typed schema, its defaults, parsing and validation.
//!
//! A manifest is a YAML file in `experiments/`. It is parsed into [`Manifest`] with unknown
//! keys rejected, every omitted key filled with its documented default, and then checked for
//! impossible values. Every error names the file, the line and the key, and says what is
//! allowed ([`ManifestError`]); the CLI turns it into exit code 2 before anything is written.
//!
//! The sections are made of the enums of the stages whose code they select (the model from
//! [`crate::models::Model`], the solver and its settings from [`crate::train::Train`], the
//! estimators, the data set, the device): each kind's checks live there, and
//! `Manifest::validate` asks them. The `check:` margins ([`margins`]) judge a result and
//! are no part of its identity. Commands read manifests through [`load`], which applies
//! the command line's [`Overrides`] before validating.

pub mod accuracy;
pub mod load;
pub mod margins;
pub mod overrides;
pub mod sweep_over;
pub mod yaml;

use crate::data::classification::Pairing;
use crate::data::teacher::Inputs;
use crate::data::{Dataset, Input};
use crate::device::DeviceKind;
use crate::estimators::{Estimator, Projection};
use crate::models::Model;
use crate::train::Train;
pub use load::{load, parse_any, AnyManifest};
pub use overrides::{Assignment, Overrides};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
pub use sweep_over::{SweepOver, Variant};

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
    pub check: margins::CheckMargins,
    /// The command line's `--set key=value` that made this manifest from its file (as given),
    /// for the run record. The values themselves are in the fields above (and in the hash).
    #[serde(skip)]
    pub overrides: Vec<String>,
    /// The combinations of `sweep.over`, each a validated manifest of its own; empty without
    /// `over` ([`sweep_over`]). The fields above are those of the first.
    #[serde(skip)]
    pub variants: Vec<Variant>,
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

fn default_n_test() -> usize {
    2000
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
    /// Other keys varied, each over a list of values; every combination is its own group of
    /// units ([`sweep_over`]). Empty (the default) is left out of the identity.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub over: SweepOver,
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
    /// Extra tie-breaking draws of each pair of the first replica, whose CCE spread per point
    /// `ties.csv` reports (docs/CHECK.md); 0 computes none. The default (3) is left out of
    /// the canonical form, so manifests that omit it keep their hash.
    #[serde(
        default = "default_tie_draws",
        skip_serializing_if = "is_default_tie_draws"
    )]
    pub tie_draws: usize,
}

impl Default for Alignment {
    fn default() -> Self {
        Alignment {
            estimator: default_estimator(),
            report: default_report(),
            k: default_k(),
            project: Projection::None,
            tie_draws: default_tie_draws(),
        }
    }
}

fn default_estimator() -> Estimator {
    Estimator::Ksg
}
fn default_report() -> Vec<Estimator> {
    Estimator::default_report()
}
fn default_k() -> usize {
    3
}

/// The most extra tie-breaking draws a manifest may ask for per pair.
pub const MAX_TIE_DRAWS: usize = 20;

fn default_tie_draws() -> usize {
    3
}

fn is_default_tie_draws(n: &usize) -> bool {
    *n == default_tie_draws()
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

impl Task {
    /// What one sample looks like to a network.
    pub fn input(&self) -> Input {
        match self {
            Task::LinearTeacher { d, .. } => Input::Vector { d: *d },
            Task::Classification { dataset, .. } => Input::Images(*dataset),
        }
    }

    /// The number of test inputs (a data set's default filled in).
    pub fn test_size(&self) -> usize {
        match self {
            Task::LinearTeacher { n_test, .. } => *n_test,
            Task::Classification {
                dataset, n_test, ..
            } => n_test.unwrap_or(dataset.default_test_size()),
        }
    }
}

impl Manifest {
    /// Reads, parses and validates a manifest file (no overrides; see [`load::load`]).
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        Manifest::parse(&read(path)?, path)
    }

    /// Parses and validates manifest text; `path` is used in error messages only.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, ManifestError> {
        Manifest::parse_with(text, path, &Overrides::default())
    }

    /// Parses manifest text, applies the command line's overrides, and validates the result:
    /// an override is checked exactly like the value it replaces, and an error about it says
    /// so ([`Overrides::attribute`]).
    pub fn parse_with(
        text: &str,
        path: &Path,
        overrides: &Overrides,
    ) -> Result<Manifest, ManifestError> {
        Manifest::parse_overridden(text, path, overrides).map_err(|e| overrides.attribute(e))
    }

    fn parse_overridden(
        text: &str,
        path: &Path,
        overrides: &Overrides,
    ) -> Result<Manifest, ManifestError> {
        if let Some(over) = declared_over(text, path, overrides)? {
            let variants = sweep_over::variants(text, path, overrides, &over, |m| {
                Manifest::finish(m, text, path, overrides)
            })?;
            let mut manifest = variants[0].manifest.clone();
            manifest.sweep.over = over;
            manifest.variants = variants;
            return Ok(manifest);
        }
        let manifest: Manifest = parse_yaml(text, path, overrides)?;
        Manifest::finish(manifest, text, path, overrides)
    }

    /// A parsed manifest completed and checked: the command line's values recorded and its
    /// device applied, the defaults that depend on other values filled in, and validated.
    fn finish(
        mut manifest: Manifest,
        text: &str,
        path: &Path,
        overrides: &Overrides,
    ) -> Result<Manifest, ManifestError> {
        manifest.overrides = overrides.shown();
        if let Some(device) = overrides.device {
            manifest.device = device;
        }
        manifest.fill_defaults();
        let locate = |(key, message): (String, String)| {
            let segments: Vec<&str> = key.split('.').collect();
            ManifestError {
                file: path.to_path_buf(),
                line: find_key_line(text, &segments),
                key: Some(key),
                message,
            }
        };
        manifest.validate().map_err(locate)?;
        manifest
            .check_device(overrides.device.is_some())
            .map_err(|message| locate(("device".to_string(), message)))?;
        Ok(manifest)
    }

    /// Fills the defaults that depend on other values (the test-set size of a data set).
    fn fill_defaults(&mut self) {
        let test_size = self.task.test_size();
        if let Task::Classification { n_test, .. } = &mut self.task {
            *n_test = Some(test_size);
        }
    }

    /// Whether every network can run on the chosen device; else why not (before any work).
    fn check_device(&self, from_command_line: bool) -> Result<(), String> {
        let origin = if from_command_line {
            format!("--device {}", self.device.name())
        } else {
            format!("device: {}", self.device.name())
        };
        if let Some(why) = self.device.unavailable() {
            return Err(format!("{origin}: {why}"));
        }
        for (model, train) in self.networks() {
            if let Some(why) = train.refuses(self.device) {
                return Err(format!("{origin}: {} {why}", model.name()));
            }
        }
        Ok(())
    }

    /// Checks values that parse but cannot be run. Returns (dotted key, what is allowed).
    fn validate(&self) -> Result<(), (String, String)> {
        let fail = |key: &str, msg: String| Err((key.to_string(), msg));
        check_name(&self.name).or_else(|msg| fail("name", msg))?;
        self.check.validate()?;
        let test_size = self.task.test_size();
        match &self.task {
            Task::Classification { dataset, .. } => {
                if !(10..=dataset.max_test_size()).contains(&test_size) {
                    return fail(
                        "task.n_test",
                        format!(
                            "n_test = {test_size}: {dataset} allows 10 to {} test images",
                            dataset.max_test_size()
                        ),
                    );
                }
            }
            Task::LinearTeacher { d, .. } => {
                if !(2..=MAX_INPUT_DIM).contains(d) {
                    return fail(
                        "task.d",
                        format!("d = {d}: the input dimension must be 2 to {MAX_INPUT_DIM}"),
                    );
                }
                if !(10..=MAX_N).contains(&test_size) {
                    return fail(
                        "task.n_test",
                        format!("n_test = {test_size}: allowed are 10 to {MAX_N} test inputs"),
                    );
                }
                if test_size * d > MAX_VALUES {
                    return fail(
                        "task.n_test",
                        format!(
                            "n_test = {test_size} inputs of d = {d} are {} values; at most {MAX_VALUES} fit in memory",
                            test_size * d
                        ),
                    );
                }
            }
        }
        let input = self.task.input();
        for (prefix, model, train) in self.networks_with_keys() {
            let locate = |(key, msg): (&str, String)| Err((format!("{prefix}{key}"), msg));
            model.check(&input).or_else(locate)?;
            train
                .check_model(model)
                .or_else(|msg| locate(("train.solver", msg)))?;
            train.check().or_else(locate)?;
            let p = model.parameter_count(&input);
            if p > MAX_PARAMETERS {
                return fail(
                    &format!("{prefix}model.width"),
                    format!(
                        "{} has P = {p} parameters on this task; at most {MAX_PARAMETERS} are allowed",
                        model.name()
                    ),
                );
            }
        }
        if let Some(c) = &self.compare {
            if c.model == self.model {
                return fail(
                    "compare.model",
                    "compares the network with itself: give a different model".into(),
                );
            }
        }
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
            if !(MIN_SNR..=MAX_SNR).contains(&v) {
                return fail(
                    "sweep.snr",
                    format!(
                        "SNR = {}: must be a ratio from {MIN_SNR:e} to {MAX_SNR:e} (σ² = 1/SNR)",
                        shown(v)
                    ),
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
                return fail(
                    "sweep.n_over_p",
                    format!("n/P = {}: must be positive", shown(r)),
                );
            }
            if (r * p as f64).round() > MAX_N as f64 {
                return fail(
                    "sweep.n_over_p",
                    format!(
                        "n/P = {} gives n = {} with P = {p}: at most {MAX_N} training examples",
                        shown(r),
                        shown((r * p as f64).round())
                    ),
                );
            }
            if let Some(width) = self.widest_regression_layer() {
                let n = self.n_for(r);
                if n * width > MAX_VALUES {
                    return fail(
                        "sweep.n_over_p",
                        format!(
                            "n/P = {r} gives n = {n} examples of width {width}: {} values; at most {MAX_VALUES} fit in memory",
                            n * width
                        ),
                    );
                }
            }
            if self.n_for(r) < 1 {
                return fail(
                    "sweep.n_over_p",
                    format!("n/P = {r} gives n = 0 with P = {p}: use a larger ratio"),
                );
            }
        }
        if let Task::Classification { dataset, .. } = &self.task {
            let pool = dataset.pool_size(test_size);
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
        if !(1..=MAX_REPLICAS).contains(&s.replicas) {
            return fail(
                "sweep.replicas",
                format!("replicas = {}: allowed are 1 to {MAX_REPLICAS}", s.replicas),
            );
        }
        if !(2..=MAX_MEMBERS).contains(&s.members) {
            return fail(
                "sweep.members",
                format!(
                    "members = {}: need 2 (to form a pair) to {MAX_MEMBERS}",
                    s.members
                ),
            );
        }
        let networks = self.networks().len();
        let pairs_per_replica = if networks == 2 {
            s.members
        } else {
            s.members * (s.members - 1) / 2
        };
        let units = (s.snr.len() + s.label_noise.len())
            .saturating_mul(s.n_over_p.len())
            .saturating_mul(s.replicas)
            .saturating_mul(networks * s.members + pairs_per_replica);
        if units > MAX_UNITS {
            return fail(
                "sweep.replicas",
                format!(
                    "the sweep has {units} units of work (members and pairs); at most {MAX_UNITS} are allowed"
                ),
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
        if a.tie_draws > MAX_TIE_DRAWS {
            return fail(
                "alignment.tie_draws",
                format!(
                    "{} extra tie-breaking draws per pair; at most {MAX_TIE_DRAWS} (the spread of \
                     a few is what ties.csv reports)",
                    a.tie_draws
                ),
            );
        }
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

    /// The number of trainable parameters P of the main network on this task (SPEC §3),
    /// from the models registry. The model and the task must go together (as
    /// [`Manifest::parse`] checks).
    pub fn parameter_count(&self) -> usize {
        self.model.parameter_count(&self.task.input())
    }

    /// The networks trained, in order: `model` with `train`, then the compared one if any.
    pub fn networks(&self) -> Vec<(&Model, &Train)> {
        self.networks_with_keys()
            .into_iter()
            .map(|(_, model, train)| (model, train))
            .collect()
    }

    /// [`Manifest::networks`] with the prefix of each one's keys (`""` or `"compare."`).
    fn networks_with_keys(&self) -> Vec<(&'static str, &Model, &Train)> {
        let mut v = vec![("", &self.model, &self.train)];
        if let Some(c) = &self.compare {
            v.push(("compare.", &c.model, &c.train));
        }
        v
    }

    /// The widest per-example array of a regression member (inputs d, or relu2's hidden
    /// width), which n multiplies; `None` for classification (bounded by the image pool).
    fn widest_regression_layer(&self) -> Option<usize> {
        let Task::LinearTeacher { d, .. } = self.task else {
            return None;
        };
        let widths = self
            .networks()
            .into_iter()
            .map(|(m, _)| m.representation_width());
        Some(widths.fold(d, usize::max))
    }

    /// The training-set size for a ratio n/P: round(ratio · P), with the main network's P.
    pub fn n_for(&self, ratio: f64) -> usize {
        (ratio * self.parameter_count() as f64).round() as usize
    }

    /// The figure layout to draw.
    pub fn figure_kind(&self) -> &str {
        self.figure.as_deref().unwrap_or("fig1")
    }
}

/// The `sweep.over` block of manifest text (with the command line's values set), when it is
/// present and not empty; a block that is not a mapping of keys to lists is an error at its
/// line. Text that cannot be read is left to the typed parse to report.
fn declared_over(
    text: &str,
    path: &Path,
    overrides: &Overrides,
) -> Result<Option<SweepOver>, ManifestError> {
    let over = if overrides.set.is_empty() {
        // Without `--set`, no document is built (yaml::check_document says why).
        if yaml::check_document(text).is_err() {
            return Ok(None);
        }
        yaml::pick(text, &["sweep", "over"])
    } else {
        let Ok(mut document) = yaml::document(text) else {
            return Ok(None);
        };
        if overrides.apply(&mut document).is_err() {
            return Ok(None);
        }
        document.get("sweep").and_then(|s| s.get("over")).cloned()
    };
    let Some(over) = over else {
        return Ok(None);
    };
    if over.is_null() {
        return Ok(None);
    }
    let over: SweepOver = serde_yaml::from_value(over).map_err(|e| ManifestError {
        file: path.to_path_buf(),
        line: find_key_line(text, &["sweep", "over"]),
        key: Some("sweep.over".into()),
        message: format!(
            "expected a mapping of dotted keys to lists of values, e.g. `over: {{model.width: \
             [4, 16]}}` ({e})"
        ),
    })?;
    Ok((!over.is_empty()).then_some(over))
}

/// Deserializes manifest text into `T`, with the command line's `--set` values in the file's
/// document, locating any error: the dotted key path, the line of that key and what is
/// allowed (shared by every manifest schema; see [`yaml`]).
pub(crate) fn parse_yaml<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
    overrides: &Overrides,
) -> Result<T, ManifestError> {
    let located = |e: yaml::Located| ManifestError {
        file: path.to_path_buf(),
        line: e.line,
        key: e.key,
        message: e.message,
    };
    if overrides.set.is_empty() {
        return yaml::deserialize(text).map_err(located);
    }
    let mut document = yaml::document(text).map_err(located)?;
    overrides
        .apply(&mut document)
        .map_err(|(key, message)| ManifestError {
            file: path.to_path_buf(),
            line: None,
            key: Some(key),
            message,
        })?;
    yaml::deserialize_edited(text, &document).map_err(located)
}

/// Largest input dimension d of the linear teacher.
pub const MAX_INPUT_DIM: usize = 100_000;
/// Largest training or test set of one member.
pub const MAX_N: usize = 10_000_000;
/// Largest array of one member's data (examples × width), 2 GiB of f64.
pub const MAX_VALUES: usize = 1 << 28;
/// Largest parameter count P of one network.
pub const MAX_PARAMETERS: usize = 100_000_000;
/// SNR range: beyond it the noise is below double precision's resolution of the signal, or
/// the signal below the noise's, and the members cannot differ, or learn, measurably.
pub const MIN_SNR: f64 = 1e-6;
pub const MAX_SNR: f64 = 1e6;
/// Largest number of replicas and of members per replica.
pub const MAX_REPLICAS: usize = 10_000;
pub const MAX_MEMBERS: usize = 1_000;
/// Largest number of units of work (member fits and pair estimates) of one experiment.
pub const MAX_UNITS: usize = 10_000_000;

/// A number as an error shows it: plain when moderate, `1e308` when huge or tiny.
fn shown(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e7).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Figure layouts the report knows.
pub const FIGURES: &[&str] = &["fig1", "fig2", "fig3", "fig4", "fig5"];

fn has_duplicates(values: &[f64]) -> bool {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.windows(2).any(|w| w[0] == w[1])
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

/// The text of a manifest file.
pub fn read(path: &Path) -> Result<String, ManifestError> {
    std::fs::read_to_string(path).map_err(|e| ManifestError {
        file: path.to_path_buf(),
        line: None,
        key: None,
        message: format!("cannot read the manifest: {e}"),
    })
}

/// The 1-based line of a dotted key path (`sweep.snr`, `grid[0].rho`) in YAML text, as the
/// parser places it; a key the file lacks gives the line of its nearest present section.
pub fn find_key_line(text: &str, segments: &[&str]) -> Option<usize> {
    let path = yaml::segments(&segments.join("."));
    yaml::key_line_or_parent(text, &path)
}

#[cfg(test)]
mod tests;
