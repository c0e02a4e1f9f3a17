//! Every alignment measure behind one interface ([`measure`]), as `harness align --measure`
//! offers them: the copula-entropy family of SPEC §4 (CCE both ways, copula mutual information,
//! symmetric CCE, with any [`Estimator`]), linear and debiased CKA, and Information Imbalance.

use super::{align, cka, copula, imbalance, knn, validate, Estimator};
use crate::{matrix::Matrix, rng::Rng};
use anyhow::{bail, Result};

/// An alignment measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// CCE(A|B) and CCE(B|A), nats (lower = more aligned).
    Cce,
    /// Copula mutual information, nats (higher = more aligned).
    Mi,
    /// ½ (CCE(A|B) + CCE(B|A)), nats.
    SymmetricCce,
    /// Linear CKA, in [0, 1] (higher = more aligned).
    Cka,
    /// Debiased linear CKA (≈ 0 for independent representations; can be slightly negative).
    CkaDebiased,
    /// Information Imbalance Δ(A→B) and Δ(B→A), about 0 to 1 (lower = more informative).
    Ii,
}

impl Measure {
    pub const ALL: [Measure; 6] = [
        Measure::Cce,
        Measure::Mi,
        Measure::SymmetricCce,
        Measure::Cka,
        Measure::CkaDebiased,
        Measure::Ii,
    ];

    /// Whether the measure is estimated from copula entropies, with an [`Estimator`] and its
    /// k neighbours (CKA and Information Imbalance use neither).
    pub fn uses_estimator(self) -> bool {
        match self {
            Measure::Cce | Measure::Mi | Measure::SymmetricCce => true,
            Measure::Cka | Measure::CkaDebiased | Measure::Ii => false,
        }
    }

    /// How the two values of an asymmetric measure are named, in order: `CCE(A|B)` then
    /// `CCE(B|A)`; `A->B` then `B->A` for the Information Imbalance; `None` for a symmetric
    /// one.
    pub fn directions(self) -> Option<(&'static str, &'static str)> {
        match self {
            Measure::Cce => Some(("CCE(A|B)", "CCE(B|A)")),
            Measure::Ii => Some(("A->B", "B->A")),
            Measure::Mi | Measure::SymmetricCce | Measure::Cka | Measure::CkaDebiased => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Measure::Cce => "cce",
            Measure::Mi => "mi",
            Measure::SymmetricCce => "symmetric-cce",
            Measure::Cka => "cka",
            Measure::CkaDebiased => "cka-debiased",
            Measure::Ii => "ii",
        }
    }
}

impl std::fmt::Display for Measure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Measure {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        super::parse_name("measure", &Measure::ALL, Measure::name, s)
    }
}

/// A measure's value: one number, or one per direction for the asymmetric ones.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MeasureValue {
    Symmetric(f64),
    /// (A→B, B→A): for CCE, CCE(A|B) and CCE(B|A); for II, Δ(A→B) and Δ(B→A).
    Directed(f64, f64),
}

/// Computes `which` for representations `a`, `b` of the same N inputs. `estimator` and `k`
/// serve the copula-entropy measures; `seed` the tie-breaking of the rank-based ones (CCE, MI,
/// II). Inputs are validated as by [`align`] (CKA needs N ≥ 4 instead of N > k).
pub fn measure(
    a: &Matrix,
    b: &Matrix,
    which: Measure,
    estimator: Estimator,
    k: usize,
    seed: u64,
) -> Result<MeasureValue> {
    Ok(match which {
        Measure::Cce | Measure::Mi | Measure::SymmetricCce => {
            let p = align(a, b, estimator, k, seed)?;
            match which {
                Measure::Cce => MeasureValue::Directed(p.cce_a_given_b, p.cce_b_given_a),
                Measure::Mi => MeasureValue::Symmetric(p.mutual_information),
                _ => MeasureValue::Symmetric(p.symmetric_cce),
            }
        }
        Measure::Cka | Measure::CkaDebiased => {
            if a.rows < 4 {
                bail!("CKA needs at least 4 samples, got N = {} rows", a.rows);
            }
            validate(a, b, 1)?;
            MeasureValue::Symmetric(if which == Measure::Cka {
                cka::linear_cka(a, b)
            } else {
                cka::debiased_cka(a, b)
            })
        }
        Measure::Ii => {
            validate(a, b, 1)?;
            let ra = copula::ranks(a, &mut Rng::derive(seed, "copula-a"));
            let rb = copula::ranks(b, &mut Rng::derive(seed, "copula-b"));
            let (ab, ba) = if a.rows <= u16::MAX as usize {
                imbalances::<u16>(&ra, &rb)
            } else {
                imbalances::<u32>(&ra, &rb)
            };
            MeasureValue::Directed(ab, ba)
        }
    })
}

fn imbalances<T: knn::Coord + copula::FromRank>(ra: &Matrix, rb: &Matrix) -> (f64, f64) {
    let (pa, pb) = (copula::rank_points::<T>(ra), copula::rank_points::<T>(rb));
    (
        imbalance::imbalance(&pa, &pb),
        imbalance::imbalance(&pb, &pa),
    )
}
