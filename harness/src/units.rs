//! Units of work: one ensemble member's fit, one pair's alignment estimate. Members that
//! train together (a `relu2` replica) are run as one batch but stored one unit each.
//!
//! Each unit is described by the values that determine its result, and its hash is the
//! SHA-256 of that description in canonical form ([`crate::identity`]). Member results are
//! stored as safetensors files (parameters and the test-set representation as tensors, the
//! scalar metrics in the header's metadata), readable from Python; pair results as JSON.

use crate::data::LinearTeacher;
use crate::estimators::{self, Estimator, PairAlignment};
use crate::identity::{hash_of, ALGORITHM_VERSION};
use crate::linalg::min_norm_least_squares;
use crate::manifest::{Init, Model, Task, Train};
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
    pub snr: f64,
    pub n: usize,
    pub replica: usize,
    pub member: usize,
}

impl MemberSpec {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        seed: u64,
        task: &Task,
        model: &Model,
        train: &Train,
        snr: f64,
        n: usize,
        replica: usize,
        member: usize,
    ) -> Self {
        MemberSpec {
            unit: "member",
            version: ALGORITHM_VERSION,
            seed,
            task: task.clone(),
            model: model.clone(),
            train: train.clone(),
            snr,
            n,
            replica,
            member,
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
            Model::Linear2 => self.hash(),
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
        }
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
}

/// The alignment of one unordered pair (a, b): every estimator in both directions, and the
/// exact value where the model has one (`linear2`: the hidden units are jointly Gaussian).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairResult {
    pub estimates: BTreeMap<Estimator, PairAlignment>,
    /// ½ log(1 − ρ²) from the weights, the same in both directions.
    pub exact_cce: Option<f64>,
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
    let Task::LinearTeacher { inputs, .. } = &first.task;
    let xs: Vec<Matrix> = specs
        .iter()
        .map(|s| teacher.train_inputs(*inputs, s.n, s.replica, s.member))
        .collect();
    let ys: Vec<Vec<f64>> = specs
        .iter()
        .zip(&xs)
        .map(|(s, x)| teacher.labels(x, s.snr, s.n, s.replica, s.member))
        .collect();
    match &first.model {
        Model::Linear2 => specs
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
                })
                .collect())
        }
    }
}

fn fit_linear2(
    spec: &MemberSpec,
    x: &Matrix,
    y: &[f64],
    data: &ExperimentData,
) -> Result<MemberResult> {
    let (model, train_loss, steps, stop) = match &spec.train {
        Train::MinNorm => {
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
        Train::Adam { .. } => bail!("linear2 is fitted by `min-norm` or `gd`"),
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
    })
}

/// Estimates one pair's alignment with every requested estimator.
pub fn run_pair(spec: &PairSpec, a: &MemberResult, b: &MemberResult) -> Result<PairResult> {
    let seed = derive_seed(0, &format!("pair/{}/{}", spec.a, spec.b));
    let mut estimates = BTreeMap::new();
    for &estimator in &spec.estimators {
        let value = estimators::align(&a.repr, &b.repr, estimator, spec.k, seed)
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

/// safetensors writes its metadata from a `HashMap`, in an order that changes from run to
/// run; this rewrites the JSON header with sorted keys (same length, same content) so that
/// equal results give equal bytes, and equal checksums.
fn sorted_header(mut bytes: Vec<u8>) -> Result<Vec<u8>> {
    let len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + len])?;
    let sorted = serde_json::to_vec(&header)?;
    if sorted.len() > len {
        bail!("safetensors header grew when sorted");
    }
    bytes[8..8 + sorted.len()].copy_from_slice(&sorted);
    bytes[8 + sorted.len()..8 + len].fill(b' ');
    Ok(bytes)
}

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
        let metadata: HashMap<String, String> = [
            ("gen_error", format!("{:e}", self.gen_error)),
            ("train_loss", format!("{:e}", self.train_loss)),
            ("steps", self.steps.to_string()),
            ("stop", self.stop.name().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        sorted_header(safetensors::serialize(views, Some(metadata))?)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (_, header) = safetensors::SafeTensors::read_metadata(bytes)?;
        let meta = header
            .metadata()
            .as_ref()
            .ok_or_else(|| anyhow!("member artifact without metadata"))?;
        let get = |key: &str| -> Result<&String> {
            meta.get(key)
                .ok_or_else(|| anyhow!("member artifact without `{key}`"))
        };
        let stop = match get("stop")?.as_str() {
            "closed-form" => StopReason::ClosedForm,
            "converged" => StopReason::Converged,
            "step-cap" => StopReason::StepCap,
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
        Ok(MemberResult {
            gen_error: get("gen_error")?.parse()?,
            train_loss: get("train_loss")?.parse()?,
            steps: get("steps")?.parse()?,
            stop,
            params,
            repr: repr.ok_or_else(|| anyhow!("member artifact without `repr`"))?,
        })
    }
}
