//! A pair unit: the alignment of two trained members, every requested estimator in both
//! directions, after dropping dead units and the optional projection; and the exact value
//! where the model has one (`linear2`'s hidden units are jointly Gaussian, SPEC §5).

use super::{align, Estimator, PairAlignment, Projection};
use crate::models::linear2::hidden_correlation;
use crate::models::theory::cce_of_rho;
use crate::representations::{live_columns, MemberResult};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The alignment of one unordered pair (a, b): every estimator in both directions, and the
/// exact value where the model has one (`linear2`: the hidden units are jointly Gaussian).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairResult {
    pub estimates: BTreeMap<Estimator, PairAlignment>,
    /// ½ log(1 − ρ²) from the weights, the same in both directions.
    pub exact_cce: Option<f64>,
}

/// How a pair is estimated: the pair unit's settings (see `plan::units::PairSpec`).
#[derive(Clone, Copy, Debug)]
pub struct PairSettings<'a> {
    pub estimators: &'a [Estimator],
    pub k: usize,
    /// Applied to both representations after dropping dead units.
    pub project: Projection,
    /// The tie-breaking seed of the copula transform.
    pub seed: u64,
}

/// Estimates one pair's alignment with every requested estimator.
pub fn run_pair(a: &MemberResult, b: &MemberResult, settings: &PairSettings) -> Result<PairResult> {
    let mut estimates = BTreeMap::new();
    // Dead units (constant columns) first, then the optional projection.
    let (ra, rb) = (
        settings.project.apply(&live_columns(&a.repr))?,
        settings.project.apply(&live_columns(&b.repr))?,
    );
    for &estimator in settings.estimators {
        let value = align(&ra, &rb, estimator, settings.k, settings.seed)
            .with_context(|| format!("{estimator} estimate"))?;
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
