//! The plan of the estimator-accuracy experiment (`kind: estimator-accuracy`): one unit per
//! cell × data set × estimator, named by the SHA-256 of its inputs and cached like every
//! other unit, in the order (block, family, ρ, dims, N, data set, estimator).

use super::work::{log2_ceil, Work, WorkUnit};
use crate::estimators::{Estimator, Family, Truth};
use crate::identity::{hash_of, ALGORITHM_VERSION};
use crate::manifest::accuracy::{AccuracyManifest, Cell};
use anyhow::Result;
use serde::Serialize;

/// Extension of a cached unit.
pub const UNIT_EXT: &str = "accuracy.json";

/// What one unit computes: one estimator on one generated data set. Its canonical JSON is the
/// unit's identity.
#[derive(Clone, Debug, Serialize)]
pub struct UnitSpec {
    pub unit: &'static str,
    pub algorithm_version: u32,
    pub seed: u64,
    pub family: Family,
    pub n: usize,
    pub dims: usize,
    pub rho: f64,
    pub replicate: usize,
    pub estimator: Estimator,
    pub k: usize,
}

#[derive(Clone, Debug)]
pub struct PlannedUnit {
    pub hash: String,
    pub spec: UnitSpec,
    /// Index into `AccuracyPlan::cells`.
    pub cell: usize,
}

#[derive(Clone, Debug)]
pub struct AccuracyPlan {
    pub manifest_hash: String,
    /// Every cell with its exact answers.
    pub cells: Vec<(Cell, Truth)>,
    pub units: Vec<PlannedUnit>,
}

/// The experiment's identity: SHA-256 of the canonical manifest (description excluded).
pub fn manifest_hash(m: &AccuracyManifest) -> String {
    hash_of(m)
}

/// Every unit of the manifest, in the order (block, family, ρ, dims, N, data set, estimator).
pub fn plan(m: &AccuracyManifest) -> Result<AccuracyPlan> {
    let mut cells = Vec::new();
    let mut units = Vec::new();
    for (_, cell, seeds) in m.cells() {
        let truth = cell.family.truth(cell.dims, cell.rho)?;
        for replicate in 0..seeds {
            for &estimator in &m.estimators {
                let spec = UnitSpec {
                    unit: "estimator-accuracy",
                    algorithm_version: ALGORITHM_VERSION,
                    seed: m.seed,
                    family: cell.family,
                    n: cell.n,
                    dims: cell.dims,
                    rho: cell.rho,
                    replicate,
                    estimator,
                    k: m.k,
                };
                units.push(PlannedUnit {
                    hash: hash_of(&spec),
                    spec,
                    cell: cells.len(),
                });
            }
        }
        cells.push((cell, truth));
    }
    Ok(AccuracyPlan {
        manifest_hash: manifest_hash(m),
        cells,
        units,
    })
}

impl AccuracyPlan {
    /// The plan's units, one work group each.
    pub fn work(&self) -> Work {
        let units = self
            .units
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let s = &u.spec;
                WorkUnit {
                    unit: "accuracy",
                    hash: u.hash.clone(),
                    ext: UNIT_EXT,
                    group: i,
                    joins: Vec::new(),
                    cost: (s.n as u128) * log2_ceil(s.n) * 2 * (s.dims as u128),
                }
            })
            .collect();
        Work {
            manifest_hash: self.manifest_hash.clone(),
            units,
        }
    }

    /// The plan restricted to some of its units.
    pub fn restrict_to(&self, units: &[usize]) -> AccuracyPlan {
        AccuracyPlan {
            manifest_hash: self.manifest_hash.clone(),
            cells: self.cells.clone(),
            units: units.iter().map(|&i| self.units[i].clone()).collect(),
        }
    }
}

impl UnitSpec {
    /// How listings and errors name the unit.
    pub fn label(&self) -> String {
        format!(
            "{} {} N={} dims={}+{} rho={} data set {}",
            self.estimator, self.family, self.n, self.dims, self.dims, self.rho, self.replicate
        )
    }
}
