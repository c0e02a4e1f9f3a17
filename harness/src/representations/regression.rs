//! The work of a regression member unit (SPEC §2.1): the linear teacher's data for the member,
//! its network (`linear2` by the closed form or gradient descent, `relu2` ensembles batched
//! over the members of a replica), trained on the experiment's device, and its measurement on
//! the test set.

use super::{mse, MemberResult};
use crate::data::teacher::LinearTeacher;
use crate::linalg::min_norm_least_squares;
use crate::manifest::Task;
use crate::matrix::Matrix;
use crate::models::linear2::Linear2;
use crate::models::relu2::Relu2;
use crate::models::relu2::{Init, Relu2Config};
use crate::models::Model;
use crate::plan::units::MemberSpec;
use crate::rng::Rng;
use crate::train::{train_linear2_gd, train_relu2_ensemble, StopReason, Train};
use anyhow::{bail, Context, Result};
use candle_core::Device;
use std::collections::BTreeMap;

/// Shared, read-only inputs of one regression experiment's member units: the teacher, the
/// test inputs and their clean labels, and the device candle trains on.
pub struct ExperimentData {
    pub teacher: LinearTeacher,
    pub test_x: Matrix,
    pub test_y_clean: Vec<f64>,
    /// Where candle trains.
    pub device: Device,
}

impl ExperimentData {
    pub fn new(seed: u64, d: usize, n_test: usize, device: Device) -> Self {
        let teacher = LinearTeacher::new(seed, d);
        let test_x = teacher.test_inputs(n_test);
        let test_y_clean = teacher.clean(&test_x);
        ExperimentData {
            teacher,
            test_x,
            test_y_clean,
            device,
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
        Model::Linear2(_) => specs
            .iter()
            .zip(xs.iter().zip(&ys))
            .map(|(spec, (x, y))| fit_linear2(spec, x, y, data))
            .collect(),
        Model::Relu2(Relu2Config { width, init }) => {
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
            let rule = first.train.full_batch().with_context(|| {
                format!(
                    "relu2 is trained by `gd` or `adam`, not {}",
                    first.train.name()
                )
            })?;
            let fits = train_relu2_ensemble(&x_refs, &y_refs, &inits, rule, &data.device)?;
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
        Train::Gd(settings) => {
            let mut rng = Rng::derive(
                spec.seed,
                &format!(
                    "init/n={}/replica={}/member={}",
                    spec.n, spec.replica, spec.member
                ),
            );
            let out = train_linear2_gd(x, y, settings, &mut rng, &data.device)?;
            (out.model, out.train_loss, out.steps, out.stop)
        }
        other => bail!(
            "linear2 is fitted by `min-norm` or `gd`, not {}",
            other.name()
        ),
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
