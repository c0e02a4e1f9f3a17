//! Units of work: one ensemble member's fit, one pair's alignment estimate. Members that
//! train together (a `relu2` replica) are run as one batch but stored one unit each.
//!
//! Each unit is described by the values that determine its result, and its hash is the
//! SHA-256 of that description in canonical form ([`crate::identity`]). Member results are
//! stored as safetensors files (parameters and the test-set representation as tensors, the
//! scalar metrics in the header's metadata), readable from Python; pair results as JSON.

use crate::classification::ClassificationData;
use crate::data::LinearTeacher;
use crate::device::DeviceKind;
use crate::estimators::{self, Estimator, PairAlignment, Projection};
use crate::identity::{canonical_json, hash_of, ALGORITHM_VERSION};
use crate::linalg::min_norm_least_squares;
use crate::manifest::{Init, Level, Model, Task, Train};
use crate::matrix::Matrix;
use crate::models::linear2::{hidden_correlation, Linear2};
use crate::models::relu2::Relu2;
use crate::rng::{derive_seed, Rng};
use crate::theory::cce_of_rho;
use crate::train::{train_linear2_gd, train_relu2_ensemble, GdSettings, StopReason};
use anyhow::{anyhow, bail, Context, Result};
use safetensors::tensor::{Dtype, TensorView};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Everything that determines one member's fit.
#[derive(Clone, Debug, Serialize)]
pub struct MemberSpec {
    pub unit: &'static str,
    pub version: u32,
    pub seed: u64,
    pub task: Task,
    pub model: Model,
    pub train: Train,
    /// The noise level: `snr` for regression, `label_noise` for classification (the other is
    /// left out of the identity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snr: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_noise: Option<f64>,
    pub n: usize,
    pub replica: usize,
    pub member: usize,
    /// Left out of the identity on the CPU (see [`crate::device`]).
    #[serde(skip_serializing_if = "DeviceKind::is_cpu")]
    pub device: DeviceKind,
}

impl MemberSpec {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        seed: u64,
        task: &Task,
        model: &Model,
        train: &Train,
        level: Level,
        n: usize,
        replica: usize,
        member: usize,
        device: DeviceKind,
    ) -> Self {
        MemberSpec {
            unit: "member",
            version: ALGORITHM_VERSION,
            seed,
            task: task.clone(),
            model: model.clone(),
            train: train.clone(),
            snr: matches!(level, Level::Snr(_)).then_some(level.value()),
            label_noise: matches!(level, Level::LabelNoise(_)).then_some(level.value()),
            n,
            replica,
            member,
            device,
        }
    }

    pub fn hash(&self) -> String {
        hash_of(self)
    }

    /// Members with equal keys are fitted together in one batch ([`run_batch`]): the members
    /// of one `relu2` replica (the spec without the member index); every `linear2` member
    /// alone. Batching is an execution detail: it changes no result and no unit hash.
    pub fn batch_key(&self) -> String {
        match self.model {
            Model::Relu2 { .. } => hash_of(&(
                "batch",
                MemberSpec {
                    member: 0,
                    ..self.clone()
                },
            )),
            _ => self.hash(),
        }
    }
}

/// Everything that determines one pair's alignment estimates: the two members (by hash) and
/// the estimator settings. The tie-breaking seed derives from the member hashes.
#[derive(Clone, Debug, Serialize)]
pub struct PairSpec {
    pub unit: &'static str,
    pub version: u32,
    pub a: String,
    pub b: String,
    pub estimators: Vec<Estimator>,
    pub k: usize,
    /// Applied to both representations first; absent from the hash input when `none`.
    #[serde(skip_serializing_if = "Projection::is_none")]
    pub project: Projection,
}

impl PairSpec {
    pub fn new(a: String, b: String, estimators: &[Estimator], k: usize) -> Self {
        PairSpec {
            unit: "pair",
            version: ALGORITHM_VERSION,
            a,
            b,
            estimators: estimators.to_vec(),
            k,
            project: Projection::None,
        }
    }

    /// The same pair with `project` applied to both representations before estimation.
    pub fn with_project(mut self, project: Projection) -> Self {
        self.project = project;
        self
    }

    pub fn hash(&self) -> String {
        hash_of(self)
    }
}

/// One trained member: metrics, parameters and its representation of the test inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberResult {
    pub gen_error: f64,
    pub train_loss: f64,
    pub steps: usize,
    pub stop: StopReason,
    /// Named parameter tensors (flattened, f64) with their shapes.
    pub params: BTreeMap<String, (Vec<usize>, Vec<f64>)>,
    /// N_test × width hidden representation.
    pub repr: Matrix,
    /// Further named measurements (classification: `test_loss`, `train_error`,
    /// `labels_changed`); stored as `extra.<name>` in the artifact's metadata.
    pub extra: BTreeMap<String, f64>,
}

/// The alignment of one unordered pair (a, b): every estimator in both directions, and the
/// exact value where the model has one (`linear2`: the hidden units are jointly Gaussian).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairResult {
    pub estimates: BTreeMap<Estimator, PairAlignment>,
    /// ½ log(1 − ρ²) from the weights, the same in both directions.
    pub exact_cce: Option<f64>,
}

/// Shared, read-only inputs of one experiment's member units, by kind of task.
pub enum TaskData {
    Regression(ExperimentData),
    Classification(ClassificationData),
}

impl TaskData {
    pub fn load(seed: u64, task: &Task, device: DeviceKind) -> Result<Self> {
        Ok(match task {
            Task::LinearTeacher { .. } => TaskData::Regression(ExperimentData::new(seed, task)),
            Task::Classification { .. } => {
                TaskData::Classification(ClassificationData::load(seed, task, device)?)
            }
        })
    }

    /// Fits members that share a [`MemberSpec::batch_key`], in the order given.
    pub fn run_batch(&self, specs: &[&MemberSpec]) -> Result<Vec<MemberResult>> {
        match self {
            TaskData::Regression(data) => run_batch(specs, data),
            TaskData::Classification(data) => specs
                .iter()
                .map(|spec| crate::classification::run_member(spec, data))
                .collect(),
        }
    }
}

/// Shared, read-only inputs of one experiment's member units (the teacher, the test inputs).
pub struct ExperimentData {
    pub teacher: LinearTeacher,
    pub test_x: Matrix,
    pub test_y_clean: Vec<f64>,
}

impl ExperimentData {
    pub fn new(seed: u64, task: &Task) -> Self {
        match task {
            Task::Classification { .. } => panic!("ExperimentData serves regression tasks"),
            Task::LinearTeacher { d, n_test, .. } => {
                let teacher = LinearTeacher::new(seed, *d);
                let test_x = teacher.test_inputs(*n_test);
                let test_y_clean = teacher.clean(&test_x);
                ExperimentData {
                    teacher,
                    test_x,
                    test_y_clean,
                }
            }
        }
    }
}

/// Fits one member.
pub fn run_member(spec: &MemberSpec, data: &ExperimentData) -> Result<MemberResult> {
    let mut results = run_batch(&[spec], data)?;
    Ok(results.pop().expect("one result per member"))
}

/// Fits members that share a [`MemberSpec::batch_key`] together: a `relu2` ensemble in one
/// batched computation, `linear2` members one by one. Results come back in the order given,
/// and each equals what [`run_member`] gives for that member alone.
pub fn run_batch(specs: &[&MemberSpec], data: &ExperimentData) -> Result<Vec<MemberResult>> {
    let Some(first) = specs.first() else {
        return Ok(Vec::new());
    };
    if specs.iter().any(|s| s.batch_key() != first.batch_key()) {
        bail!("members of different batches cannot be fitted together");
    }
    let teacher = &data.teacher;
    let Task::LinearTeacher { inputs, .. } = &first.task else {
        bail!("not a regression member");
    };
    let xs: Vec<Matrix> = specs
        .iter()
        .map(|s| teacher.train_inputs(*inputs, s.n, s.replica, s.member))
        .collect();
    let ys: Vec<Vec<f64>> = specs
        .iter()
        .zip(&xs)
        .map(|(s, x)| {
            let snr = s.snr.context("regression member without an SNR")?;
            Ok(teacher.labels(x, snr, s.n, s.replica, s.member))
        })
        .collect::<Result<_>>()?;
    match &first.model {
        Model::Linear2 {} => specs
            .iter()
            .zip(xs.iter().zip(&ys))
            .map(|(spec, (x, y))| fit_linear2(spec, x, y, data))
            .collect(),
        Model::Relu2 { width, init } => {
            let d = teacher.d;
            let inits: Vec<Relu2> = specs
                .iter()
                .map(|s| {
                    let tag = match init {
                        Init::Shared => format!("init/n={}/replica={}", s.n, s.replica),
                        Init::Independent => {
                            format!("init/n={}/replica={}/member={}", s.n, s.replica, s.member)
                        }
                    };
                    Relu2::init(d, *width, &mut Rng::derive(s.seed, &tag))
                })
                .collect();
            let x_refs: Vec<&Matrix> = xs.iter().collect();
            let y_refs: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
            let fits = train_relu2_ensemble(
                &x_refs,
                &y_refs,
                &inits,
                &first.train,
                &candle_core::Device::Cpu,
            )?;
            Ok(fits
                .into_iter()
                .map(|fit| MemberResult {
                    gen_error: mse(&fit.model.predict(&data.test_x), &data.test_y_clean),
                    train_loss: fit.train_loss,
                    steps: fit.steps,
                    stop: fit.stop,
                    params: fit.model.params(),
                    repr: fit.model.hidden(&data.test_x),
                    extra: BTreeMap::new(),
                })
                .collect())
        }
        model => bail!("{} is not a regression model", model.name()),
    }
}

fn fit_linear2(
    spec: &MemberSpec,
    x: &Matrix,
    y: &[f64],
    data: &ExperimentData,
) -> Result<MemberResult> {
    let (model, train_loss, steps, stop) = match &spec.train {
        Train::MinNorm {} => {
            let beta = min_norm_least_squares(x, y)?;
            let model = Linear2::balanced(&beta);
            let loss = mse(&model.predict(x), y);
            (model, loss, 0, StopReason::ClosedForm)
        }
        Train::Gd {
            lr,
            init_scale,
            max_steps,
            tol,
            window,
        } => {
            let settings = GdSettings {
                lr: *lr,
                init_scale: *init_scale,
                max_steps: *max_steps,
                tol: *tol,
                window: *window,
            };
            let mut rng = Rng::derive(
                spec.seed,
                &format!(
                    "init/n={}/replica={}/member={}",
                    spec.n, spec.replica, spec.member
                ),
            );
            let out = train_linear2_gd(x, y, settings, &mut rng, &candle_core::Device::Cpu)?;
            (out.model, out.train_loss, out.steps, out.stop)
        }
        other => bail!("linear2 is fitted by `min-norm` or `gd`, not {other:?}"),
    };
    let gen_error = mse(&model.predict(&data.test_x), &data.test_y_clean);
    let mut params = BTreeMap::new();
    params.insert("w1".to_string(), (vec![model.w1.len()], model.w1.clone()));
    params.insert("w2".to_string(), (vec![1], vec![model.w2]));
    Ok(MemberResult {
        gen_error,
        train_loss,
        steps,
        stop,
        params,
        repr: model.hidden(&data.test_x),
        extra: BTreeMap::new(),
    })
}

/// Estimates one pair's alignment with every requested estimator.
pub fn run_pair(spec: &PairSpec, a: &MemberResult, b: &MemberResult) -> Result<PairResult> {
    let seed = derive_seed(0, &format!("pair/{}/{}", spec.a, spec.b));
    let mut estimates = BTreeMap::new();
    // Dead units (constant columns) first, then the optional projection.
    let (ra, rb) = (
        spec.project.apply(&live_columns(&a.repr))?,
        spec.project.apply(&live_columns(&b.repr))?,
    );
    for &estimator in &spec.estimators {
        let value = estimators::align(&ra, &rb, estimator, spec.k, seed)
            .with_context(|| format!("{estimator} estimate of pair {}", &spec_hash_short(spec)))?;
        estimates.insert(estimator, value);
    }
    let exact_cce = match (a.params.get("w1"), b.params.get("w1")) {
        (Some((sa, wa)), Some((sb, wb))) if sa.len() == 1 && sb.len() == 1 && a.repr.cols == 1 => {
            Some(cce_of_rho(hidden_correlation(wa, wb)))
        }
        _ => None,
    };
    Ok(PairResult {
        estimates,
        exact_cce,
    })
}

/// The representation without its constant columns: units that are dead (ReLU zero) on every
/// test input carry no information and have no copula, so alignment is measured between the
/// live units (our rule; `classification` reports the dead units per member). A representation
/// with no live unit is left as it is and the estimator says so.
pub fn live_columns(repr: &Matrix) -> Matrix {
    let live = live_units(repr);
    if live.len() == repr.cols || live.is_empty() {
        return repr.clone();
    }
    Matrix::from_fn(repr.rows, live.len(), |i, j| repr.get(i, live[j]))
}

/// Indices of the columns that are not constant.
pub fn live_units(repr: &Matrix) -> Vec<usize> {
    (0..repr.cols)
        .filter(|&j| (1..repr.rows).any(|i| repr.get(i, j) != repr.get(0, j)))
        .collect()
}

fn spec_hash_short(spec: &PairSpec) -> String {
    spec.hash()[..12].to_string()
}

pub fn mse(pred: &[f64], target: &[f64]) -> f64 {
    pred.iter()
        .zip(target)
        .map(|(p, t)| (p - t) * (p - t))
        .sum::<f64>()
        / pred.len() as f64
}

// ---- storage formats ----

fn f64_bytes(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

impl MemberResult {
    /// safetensors bytes: tensors `param.<name>` and `repr` (F64), metrics in the metadata.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut buffers: Vec<(String, Vec<usize>, Vec<u8>)> = self
            .params
            .iter()
            .map(|(name, (shape, values))| {
                (format!("param.{name}"), shape.clone(), f64_bytes(values))
            })
            .collect();
        buffers.push((
            "repr".to_string(),
            vec![self.repr.rows, self.repr.cols],
            f64_bytes(&self.repr.data),
        ));
        let views: Vec<(String, TensorView)> = buffers
            .iter()
            .map(|(name, shape, bytes)| {
                Ok((
                    name.clone(),
                    TensorView::new(Dtype::F64, shape.clone(), bytes)?,
                ))
            })
            .collect::<Result<_>>()?;
        // The metrics as canonical JSON under one metadata key: safetensors keeps metadata in a
        // HashMap, whose order varies between processes, and cache entries must be byte-for-byte
        // reproducible (concurrent writers of one entry then write the same bytes). Numbers are
        // written as strings so that NaN and infinities survive.
        let mut metrics: BTreeMap<String, String> = [
            ("gen_error", format!("{:e}", self.gen_error)),
            ("train_loss", format!("{:e}", self.train_loss)),
            ("steps", self.steps.to_string()),
            ("stop", self.stop.name().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for (k, v) in &self.extra {
            metrics.insert(format!("extra.{k}"), format!("{v:e}"));
        }
        let metadata = HashMap::from([("metrics".to_string(), canonical_json(&metrics))]);
        Ok(safetensors::serialize(views, Some(metadata))?)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (_, header) = safetensors::SafeTensors::read_metadata(bytes)?;
        let metrics = header
            .metadata()
            .as_ref()
            .and_then(|m| m.get("metrics"))
            .ok_or_else(|| anyhow!("member artifact without metrics"))
            .and_then(|text| Ok(serde_json::from_str::<BTreeMap<String, String>>(text)?))?;
        let get = |key: &str| -> Result<&String> {
            metrics
                .get(key)
                .ok_or_else(|| anyhow!("member artifact without `{key}`"))
        };
        let stop = match get("stop")?.as_str() {
            "closed-form" => StopReason::ClosedForm,
            "converged" => StopReason::Converged,
            "step-cap" => StopReason::StepCap,
            "epochs" => StopReason::Epochs,
            other => bail!("unknown stop reason `{other}`"),
        };
        let tensors = safetensors::SafeTensors::deserialize(bytes)?;
        let mut params = BTreeMap::new();
        let mut repr = None;
        for (name, view) in tensors.tensors() {
            let values: Vec<f64> = view
                .data()
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect();
            if name == "repr" {
                let shape = view.shape();
                repr = Some(Matrix::new(shape[0], shape[1], values)?);
            } else if let Some(param) = name.strip_prefix("param.") {
                params.insert(param.to_string(), (view.shape().to_vec(), values));
            }
        }
        let mut extra = BTreeMap::new();
        for (key, value) in &metrics {
            if let Some(name) = key.strip_prefix("extra.") {
                extra.insert(name.to_string(), value.parse()?);
            }
        }
        Ok(MemberResult {
            extra,
            gen_error: get("gen_error")?.parse()?,
            train_loss: get("train_loss")?.parse()?,
            steps: get("steps")?.parse()?,
            stop,
            params,
            repr: repr.ok_or_else(|| anyhow!("member artifact without `repr`"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_artifacts_are_byte_reproducible_and_round_trip() {
        let mut params = BTreeMap::new();
        params.insert("w1".to_string(), (vec![3], vec![0.1, -0.2, 0.3]));
        params.insert("w2".to_string(), (vec![1], vec![1.5]));
        let result = MemberResult {
            gen_error: 0.123456789,
            train_loss: f64::NAN,
            steps: 42,
            stop: StopReason::Converged,
            params,
            repr: Matrix::new(2, 1, vec![0.5, -0.25]).unwrap(),
            extra: BTreeMap::from([
                ("test_loss".to_string(), 0.7),
                ("train_error".to_string(), 0.0),
            ]),
        };
        let bytes = result.encode().unwrap();
        for _ in 0..5 {
            assert_eq!(result.encode().unwrap(), bytes);
        }
        let back = MemberResult::decode(&bytes).unwrap();
        assert!(back.train_loss.is_nan(), "NaN survives the round trip");
        assert_eq!(
            MemberResult {
                train_loss: 0.0,
                ..back
            },
            MemberResult {
                train_loss: 0.0,
                ..result
            }
        );
    }
}
