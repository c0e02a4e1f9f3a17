//! Units of work of a network experiment: one ensemble member's fit, one pair's alignment
//! estimate. Members that train together (a `relu2` replica) are run as one batch but stored
//! one unit each.
//!
//! Each unit is described by the values that determine its result, and its hash is the
//! SHA-256 of that description in canonical form ([`crate::identity`]): changing anything in
//! these structs changes every hash (and so the cache), which the identity tests pin.

use super::Level;
use crate::device::DeviceKind;
use crate::estimators::{Estimator, Projection};
use crate::identity::{hash_of, ALGORITHM_VERSION};
use crate::manifest::Task;
use crate::models::Model;
use crate::rng::derive_seed;
use crate::train::Train;
use serde::Serialize;

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

    /// Members with equal keys are fitted together in one batch: the members of one replica
    /// of a model that [trains members together](Model::trains_members_together) (the spec
    /// without the member index); every other member alone. Batching is an execution detail:
    /// it changes no result and no unit hash.
    pub fn batch_key(&self) -> String {
        if self.model.trains_members_together() {
            hash_of(&(
                "batch",
                MemberSpec {
                    member: 0,
                    ..self.clone()
                },
            ))
        } else {
            self.hash()
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

    /// The seed of the copula's random tie-breaking, from the two members' hashes.
    pub fn tie_break_seed(&self) -> u64 {
        derive_seed(0, &format!("pair/{}/{}", self.a, self.b))
    }

    pub fn hash(&self) -> String {
        hash_of(self)
    }
}
