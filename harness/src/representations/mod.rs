//! The representations stage: a trained member measured on the test set ([`MemberResult`]:
//! its metrics, parameters and hidden representation), how it is stored in the cache, and the
//! work of a member unit for each kind of task (data → network → training → measurement):
//! [`regression`] (the linear teacher; `linear2`, `relu2`) and [`classification`] (image
//! classifiers with label noise).
//!
//! Member results are stored as safetensors files (parameters and the test-set representation
//! as tensors, the scalar metrics in the header's metadata), readable from Python.

pub mod classification;
pub mod regression;

use crate::data::classification::ClassificationData;
use crate::device::DeviceKind;
use crate::identity::canonical_json;
use crate::manifest::Task;
use crate::matrix::Matrix;
use crate::plan::units::MemberSpec;
use crate::train::StopReason;
use anyhow::{anyhow, Result};
use regression::ExperimentData;
use safetensors::tensor::{Dtype, TensorView};
use std::collections::{BTreeMap, HashMap};

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

/// Shared, read-only inputs of one experiment's member units, by kind of task.
pub enum TaskData {
    Regression(ExperimentData),
    Classification(ClassificationData),
}

impl TaskData {
    /// The experiment's shared data, on `device`.
    pub fn load(seed: u64, task: &Task, device: DeviceKind) -> Result<Self> {
        let candle = device.candle()?;
        Ok(match task {
            Task::LinearTeacher { d, .. } => {
                TaskData::Regression(ExperimentData::new(seed, *d, task.test_size(), candle))
            }
            Task::Classification { dataset, .. } => TaskData::Classification(
                ClassificationData::load(*dataset, seed, task.test_size(), candle)?,
            ),
        })
    }

    /// Fits the members of several batches (each sharing a [`MemberSpec::batch_key`]) and
    /// hands each batch's results, in its order, to `done(b, results)` as soon as they exist:
    /// classifiers as one fleet ([`classification::run_fleet`]), regression batches side by
    /// side on rayon's pool. A batch's results are those [`TaskData::run_batch`] gives it.
    pub fn run_batches(
        &self,
        batches: &[Vec<&MemberSpec>],
        done: &(dyn Fn(usize, Vec<MemberResult>) -> Result<()> + Sync),
    ) -> Result<()> {
        use rayon::prelude::*;
        match self {
            TaskData::Regression(data) => batches
                .par_iter()
                .enumerate()
                .try_for_each(|(b, specs)| done(b, regression::run_batch(specs, data)?)),
            TaskData::Classification(data) => classification::run_fleet(batches, data, done),
        }
    }

    /// Fits members that share a [`MemberSpec::batch_key`], in the order given.
    pub fn run_batch(&self, specs: &[&MemberSpec]) -> Result<Vec<MemberResult>> {
        match self {
            TaskData::Regression(data) => regression::run_batch(specs, data),
            TaskData::Classification(data) => classification::run_batch(specs, data),
        }
    }
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

/// The mean squared error of predictions against targets.
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
        let stop = get("stop")?;
        let stop =
            StopReason::from_name(stop).ok_or_else(|| anyhow!("unknown stop reason `{stop}`"))?;
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
