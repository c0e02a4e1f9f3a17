//! The alignment stage: a pair unit's work, the alignment of two trained members, every requested estimator in both
//! directions, after dropping dead units and the optional projection; and the exact value
//! where the model has one (`linear2`'s hidden units are jointly Gaussian, SPEC §5).

use crate::estimators::{align, Estimator, PairAlignment, Projection};
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{matrix::Matrix, rng::Rng, train::StopReason};

    fn member(w1_shape: &[usize], w1: Vec<f64>, width: usize, seed: u64) -> MemberResult {
        let mut rng = Rng::new(seed);
        MemberResult {
            gen_error: 0.0,
            train_loss: 0.0,
            steps: 0,
            stop: StopReason::ClosedForm,
            params: BTreeMap::from([("w1".to_string(), (w1_shape.to_vec(), w1))]),
            repr: Matrix::from_fn(60, width, |_, _| rng.normal()),
            extra: BTreeMap::new(),
        }
    }

    fn exact(a: &MemberResult, b: &MemberResult) -> Option<f64> {
        let settings = PairSettings {
            estimators: &[Estimator::Gaussian],
            k: 3,
            project: Projection::None,
            seed: 1,
        };
        run_pair(a, b, &settings).unwrap().exact_cce
    }

    /// The exact CCE is ½ log(1 − cos²(w1a, w1b)) for members with one hidden unit whose first
    /// layer is one weight vector (`linear2`), and absent for any other shape, a one-unit
    /// `relu2` (w1 of shape [1, d]) included, also when only one member of the pair is one.
    #[test]
    fn only_one_hidden_unit_from_one_weight_vector_has_an_exact_cce() {
        let (wa, wb) = (vec![1.0, 2.0, 0.0], vec![2.0, 1.0, 1.0]);
        let a = member(&[3], wa.clone(), 1, 1);
        let b = member(&[3], wb.clone(), 1, 2);
        let cos = 4.0 / (5.0f64.sqrt() * 6.0f64.sqrt());
        let want = 0.5 * (1.0 - cos * cos).ln();
        let got = exact(&a, &b).expect("linear2 members have the exact value");
        assert!((got - want).abs() < 1e-15, "{got} against {want}");

        let a = member(&[1, 3], wa.clone(), 1, 1);
        let b = member(&[1, 3], wb.clone(), 1, 2);
        assert_eq!(exact(&a, &b), None, "a one-unit relu2");
        let a = member(&[2, 3], [wa.clone(), wb.clone()].concat(), 2, 1);
        let b = member(&[2, 3], [wb, wa.clone()].concat(), 2, 2);
        assert_eq!(exact(&a, &b), None, "a two-unit relu2");

        // A `compare:` pair of a linear2 member and a one-unit relu2, in either order.
        let linear = member(&[3], wa.clone(), 1, 1);
        let relu = member(&[1, 3], wa, 1, 2);
        assert_eq!(exact(&linear, &relu), None, "linear2 against relu2");
        assert_eq!(exact(&relu, &linear), None, "relu2 against linear2");
    }
}
