//! Experiment manifests: the typed schema, its defaults, parsing and validation.
//!
//! A manifest is a YAML file in `experiments/`. It is parsed into [`Manifest`] with unknown
//! keys rejected, every omitted key filled with its documented default, and then checked for
//! impossible values. Every error names the file, the line and the key, and says what is
//! allowed ([`ManifestError`]); the CLI turns it into exit code 2 before anything is written.

use crate::estimators::Estimator;
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
    /// A second network trained on exactly the data of each member of `model` (Fig. 3);
    /// absent in single-network experiments (and then not part of the hash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare: Option<Compare>,
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
    Linear2,
    /// f(x) = w2ᵀ relu(W1 x + b1) + b2, hidden width `width`; P = width·(d + 2) + 1.
    Relu2 {
        width: usize,
        /// Whether the members of a replica start from one initialization (`shared`,
        /// default) or each from its own (`independent`).
        #[serde(default)]
        init: Init,
    },
}

impl Model {
    /// The name used in tables and legends: the manifest's `kind`.
    pub fn name(&self) -> &'static str {
        match self {
            Model::Linear2 => "linear2",
            Model::Relu2 { .. } => "relu2",
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

/// How a member is fitted, chosen by `solver`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "solver", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Train {
    /// The global minimum of minimum norm, β̂ = X⁺y, split in balanced form (`linear2` only).
    MinNorm,
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
        Train::MinNorm
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

/// The grid of settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    /// Signal-to-noise ratios (plain ratios, σ² = 1/SNR).
    pub snr: Vec<f64>,
    /// Training-set sizes as multiples of the parameter count P; n = round(ratio · P).
    pub n_over_p: Vec<f64>,
    /// Independent replicas per point (each draws its own inputs).
    pub replicas: usize,
    /// Ensemble members per replica; pairs are formed within a replica.
    pub members: usize,
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
}

impl Default for Alignment {
    fn default() -> Self {
        Alignment {
            estimator: default_estimator(),
            report: default_report(),
            k: default_k(),
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
        let manifest: Manifest = serde_yaml::from_str(text).map_err(|e| {
            let message = e.to_string();
            let key = mentioned_key(&message);
            let line = e
                .location()
                .map(|l| l.line())
                .or_else(|| key.as_deref().and_then(|k| find_key_line(text, &[k])));
            ManifestError {
                file: path.to_path_buf(),
                line,
                key,
                message: strip_location(&message),
            }
        })?;
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

    /// Checks values that parse but cannot be run. Returns (dotted key, what is allowed).
    fn validate(&self) -> Result<(), (String, String)> {
        let fail = |key: &str, msg: String| Err((key.to_string(), msg));
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return fail(
                "name",
                format!(
                    "`{}` is not allowed: use letters, digits, `_` and `-` (it names a folder)",
                    self.name
                ),
            );
        }
        match &self.task {
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
        let s = &self.sweep;
        if s.snr.is_empty() {
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

    /// The number of trainable parameters P of the model on this task (SPEC §3).
    pub fn parameter_count(&self) -> usize {
        self.parameter_count_of(&self.model)
    }

    /// P of any network on this experiment's task.
    pub fn parameter_count_of(&self, model: &Model) -> usize {
        match (model, &self.task) {
            (Model::Linear2, Task::LinearTeacher { d, .. }) => d + 1,
            (Model::Relu2 { width, .. }, Task::LinearTeacher { d, .. }) => width * (d + 2) + 1,
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
        (Model::Linear2, Train::MinNorm) => return Ok(()),
        (Model::Relu2 { .. }, Train::MinNorm) => {
            return fail(
                "train.solver",
                "`min-norm` is the closed form of linear2; relu2 needs `adam` or `gd`".into(),
            )
        }
        (Model::Linear2, Train::Adam { .. }) => {
            return fail(
                "train.solver",
                "`adam` is implemented for relu2; linear2 takes `min-norm` or `gd`".into(),
            )
        }
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

/// Figure layouts the report knows.
pub const FIGURES: &[&str] = &["fig1", "fig2", "fig3"];

fn has_duplicates(values: &[f64]) -> bool {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.windows(2).any(|w| w[0] == w[1])
}

/// The key named in a serde message (`unknown field \`foo\``), if any.
fn mentioned_key(message: &str) -> Option<String> {
    if let Some(dot) = message.find(": ") {
        let head = &message[..dot];
        if !head.contains(' ') && !head.is_empty() {
            return Some(head.to_string());
        }
    }
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_string())
}

fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
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
