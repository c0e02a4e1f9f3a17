//! Alignment estimators (SPEC §4): how much one representation says about another, in nats.
//!
//! For representations A (N × d_A) and B (N × d_B) of the same N inputs, [`align`] copula-
//! transforms both (ranks / N, ties broken by a seeded random order) and estimates the copula
//! conditional entropy CCE(A|B) = H_c(A, B) − H_c(B) — lower means more aligned — together with
//! CCE(B|A), the copula mutual information and the symmetric CCE, with one of eight estimators:
//! - [`Estimator::Ksg`] (default): one max-norm k-NN search in the joint space, radius reused in
//!   the marginals (`ksg.rs`). Accurate in low dimension, drifts upward with dimension.
//! - [`Estimator::Kl`]: differences of separate Kozachenko–Leonenko entropies, what `copent`
//!   computes (`kl.rs`). Badly biased; kept for comparison.
//! - [`Estimator::Gaussian`]: closed form on normal scores (`gaussian.rs`); exact for Gaussian
//!   copulas, blind to other dependence.
//! - [`Estimator::TCopula`]: a Student-t copula fitted by likelihood, closed form with a
//!   finite-sample correction (`elliptical.rs`); exact for Gaussian and t copulas.
//! - [`Estimator::KsgTRef`]: `ksg` minus its value on a surrogate of the fitted t copula, plus
//!   the copula's closed form (`ksg_tref.rs`): `ksg` with the kNN bias of the fitted model removed.
//! - [`Estimator::TCopulaPairs`]: `tcopula` plus the 2-D `ksg` departures from the fitted model
//!   of the pairs of coordinates that show one beyond noise (`pairs.rs`).
//! - [`Estimator::TCopulaMatched`]: `tcopula-pairs` with the departing pairs kept only where they
//!   share no coordinate (a matching; `pairs.rs`), so that a departure shared by many
//!   coordinates is not counted once a pair.
//! - [`Estimator::TCopulaPooled`]: `tcopula-matched`, plus the departures of a matching of the
//!   coordinates left by the fitted correlation, added when their sum passes one test: departures
//!   too small to pass one by one (`pairs.rs`).
//!
//! Beside them, under one interface ([`measure`], `measure.rs`): linear and debiased CKA
//! (`cka.rs`) and Information Imbalance (`imbalance.rs`); and an optional PCA projection applied
//! to each representation before any measure (`project.rs`).
//!
//! Files: `special.rs` (ψ, log Γ, Φ⁻¹), `student.rs` (the t distribution: entropies, tail,
//! quantiles), `draw.rs` (Gamma deviates), `optimize.rs` (Brent's bounded minimization),
//! `copula.rs` (ranks and the copula), `knn.rs` (exact max-norm neighbour search: kd-partitioned
//! blocks, and a kd-tree the tests check it against), `kl.rs`, `ksg.rs`, `gaussian.rs`,
//! `elliptical.rs`, `ksg_tref.rs`, `pairs.rs` (the estimators);
//! `families.rs` (the estimator-accuracy experiment's data with known answers); this file holds
//! the API, validation and the registry ([`Estimator`]: adding an estimator is its file, its
//! variant in `ALL`, and one arm of `Estimator::implementation`).
//! Results are deterministic given the seed and independent of the number of rayon threads.

mod cka;
mod copula;
mod draw;
mod elliptical;
pub mod families;
mod gaussian;
mod imbalance;
mod kl;
mod knn;
mod ksg;
mod ksg_tref;
mod measure;
mod optimize;
mod pairs;
mod project;
mod special;
mod student;
#[cfg(test)]
mod tests;

pub use copula::copula;
pub use families::{Family, Truth};
pub use gaussian::gaussian_cce_from_correlation;
pub use kl::kl_entropy;
#[doc(hidden)]
pub use knn::kd_partition_block_count;
pub use measure::{measure, Measure, MeasureValue};
pub use project::Projection;
pub use special::{digamma, normal_quantile};

use crate::{matrix::Matrix, rng::Rng};
use anyhow::{bail, Result};
use copula::rank_points;
use std::marker::PhantomData;

/// Which estimator of the copula entropies to use (SPEC §4.3).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Estimator {
    Ksg,
    Kl,
    Gaussian,
    #[serde(rename = "tcopula")]
    TCopula,
    #[serde(rename = "ksg-tref")]
    KsgTRef,
    #[serde(rename = "tcopula-pairs")]
    TCopulaPairs,
    #[serde(rename = "tcopula-matched")]
    TCopulaMatched,
    #[serde(rename = "tcopula-pooled")]
    TCopulaPooled,
}

impl Estimator {
    pub const ALL: [Estimator; 8] = [
        Estimator::Ksg,
        Estimator::Kl,
        Estimator::Gaussian,
        Estimator::TCopula,
        Estimator::KsgTRef,
        Estimator::TCopulaPairs,
        Estimator::TCopulaMatched,
        Estimator::TCopulaPooled,
    ];

    /// The registry: what each estimator computes. The one `match` a new estimator needs.
    fn implementation(self) -> &'static dyn CopulaEstimator {
        match self {
            Estimator::Ksg => &Knn::<ksg::Ksg>(PhantomData),
            Estimator::Kl => &Knn::<kl::Kl>(PhantomData),
            Estimator::Gaussian => &gaussian::Gaussian,
            Estimator::TCopula => &elliptical::TCopula,
            Estimator::KsgTRef => &ksg_tref::KsgTRef,
            Estimator::TCopulaPairs => &pairs::TCopulaPairs {
                selection: pairs::Selection::Every,
            },
            Estimator::TCopulaMatched => &pairs::TCopulaPairs {
                selection: pairs::Selection::Matching,
            },
            Estimator::TCopulaPooled => &pairs::TCopulaPairs {
                selection: pairs::Selection::Pooling,
            },
        }
    }

    /// The manifest / CSV name: "ksg", "kl", "gaussian", "tcopula", "ksg-tref", "tcopula-pairs",
    /// "tcopula-matched" or "tcopula-pooled".
    pub fn name(self) -> &'static str {
        self.implementation().name()
    }

    /// One line on how it estimates (the command line's help).
    pub fn about(self) -> &'static str {
        self.implementation().about()
    }

    /// Whether it searches k nearest neighbours: whether `k` applies to it, and whether the
    /// kNN bias measured by the accuracy experiment applies to its estimates.
    pub fn is_knn(self) -> bool {
        self.implementation().is_knn()
    }

    /// What a manifest's `alignment.report` (and the accuracy manifest's `estimators`) is when
    /// omitted: the three estimators of the first manifests, written out so that adding an
    /// estimator to [`Estimator::ALL`] leaves the identity of every manifest that does not name
    /// it unchanged.
    pub fn default_report() -> Vec<Estimator> {
        vec![Estimator::Ksg, Estimator::Kl, Estimator::Gaussian]
    }
}

impl clap::ValueEnum for Estimator {
    fn value_variants<'a>() -> &'a [Self] {
        &Estimator::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()).help(self.about()))
    }
}

/// An estimator of the copula entropies, on the ranks of two representations (N × d_A and
/// N × d_B, ties already broken).
trait CopulaEstimator: Sync {
    /// The manifest / CSV name.
    fn name(&self) -> &'static str;
    /// One line on how it estimates.
    fn about(&self) -> &'static str;
    /// Whether it is a k-nearest-neighbour estimator (reads `k`).
    fn is_knn(&self) -> bool {
        false
    }
    /// `seed` is the pair's tie-breaking seed; an estimator that draws (surrogates) derives its
    /// streams from it, so that the estimate stays a function of the inputs and the seed.
    fn alignment(&self, ra: &Matrix, rb: &Matrix, k: usize, seed: u64) -> Result<PairAlignment>;
    /// CCE(A|B) alone: bit for bit `alignment(..)?.cce_a_given_b`, possibly with less work.
    fn cce(&self, ra: &Matrix, rb: &Matrix, k: usize, seed: u64) -> Result<f64> {
        Ok(self.alignment(ra, rb, k, seed)?.cce_a_given_b)
    }
}

/// A k-nearest-neighbour estimator, on the integer ranks as points (`ksg.rs`, `kl.rs`).
trait KnnEstimator: Sync {
    const NAME: &'static str;
    const ABOUT: &'static str;
    fn alignment<T: knn::Coord>(
        pa: &knn::Points<T>,
        pb: &knn::Points<T>,
        k: usize,
    ) -> PairAlignment;
    fn cce<T: knn::Coord>(pa: &knn::Points<T>, pb: &knn::Points<T>, k: usize) -> f64;
}

/// A kNN estimator as a [`CopulaEstimator`]: the ranks become points of the narrowest integer
/// type that holds N, so that distances are exact integers (the copula distance is that
/// integer over N).
struct Knn<E>(PhantomData<E>);

impl<E: KnnEstimator> CopulaEstimator for Knn<E> {
    fn name(&self) -> &'static str {
        E::NAME
    }

    fn about(&self) -> &'static str {
        E::ABOUT
    }

    fn is_knn(&self) -> bool {
        true
    }

    fn alignment(&self, ra: &Matrix, rb: &Matrix, k: usize, _seed: u64) -> Result<PairAlignment> {
        Ok(if ra.rows <= u16::MAX as usize {
            E::alignment(&rank_points::<u16>(ra), &rank_points::<u16>(rb), k)
        } else {
            E::alignment(&rank_points::<u32>(ra), &rank_points::<u32>(rb), k)
        })
    }

    fn cce(&self, ra: &Matrix, rb: &Matrix, k: usize, _seed: u64) -> Result<f64> {
        Ok(if ra.rows <= u16::MAX as usize {
            E::cce(&rank_points::<u16>(ra), &rank_points::<u16>(rb), k)
        } else {
            E::cce(&rank_points::<u32>(ra), &rank_points::<u32>(rb), k)
        })
    }
}

impl std::fmt::Display for Estimator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Estimator {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        parse_name("estimator", &Estimator::ALL, Estimator::name, s)
    }
}

/// The one of `all` whose `name` is `s`, or an error that lists the names (`what` says what
/// kind of thing was asked for).
pub(crate) fn parse_name<T: Copy>(
    what: &str,
    all: &[T],
    name: fn(T) -> &'static str,
    s: &str,
) -> Result<T> {
    match all.iter().find(|&&x| name(x) == s) {
        Some(&x) => Ok(x),
        None => {
            let names: Vec<&str> = all.iter().map(|&x| name(x)).collect();
            bail!(
                "unknown {what} {s:?}; expected one of: {}",
                names.join(", ")
            )
        }
    }
}

/// All the alignment numbers one estimator gives for one pair, in nats.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairAlignment {
    /// CCE(A|B) = H_c(A, B) − H_c(B).
    pub cce_a_given_b: f64,
    /// CCE(B|A) = H_c(A, B) − H_c(A).
    pub cce_b_given_a: f64,
    /// Copula mutual information H_c(A) + H_c(B) − H_c(A, B).
    pub mutual_information: f64,
    /// ½ (CCE(A|B) + CCE(B|A)).
    pub symmetric_cce: f64,
}

impl PairAlignment {
    fn new(cce_a_given_b: f64, cce_b_given_a: f64, mutual_information: f64) -> Self {
        PairAlignment {
            cce_a_given_b,
            cce_b_given_a,
            mutual_information,
            symmetric_cce: 0.5 * (cce_a_given_b + cce_b_given_a),
        }
    }
}

/// The mean of `values`, summed in sorted order so that it does not depend on the order of the
/// samples (permuting the rows of the inputs leaves the result bit-identical).
fn canonical_mean(mut values: Vec<f64>) -> f64 {
    values.sort_unstable_by(f64::total_cmp);
    values.iter().sum::<f64>() / values.len() as f64
}

/// Rejects inputs the estimators cannot handle, naming the problem.
fn validate(a: &Matrix, b: &Matrix, k: usize) -> Result<()> {
    for (name, m) in [("A", a), ("B", b)] {
        if m.rows == 0 || m.cols == 0 {
            bail!(
                "representation {name} is empty ({} rows x {} columns)",
                m.rows,
                m.cols
            );
        }
        if m.data.len() != m.rows * m.cols {
            bail!(
                "representation {name} is malformed: {} x {} with {} values",
                m.rows,
                m.cols,
                m.data.len()
            );
        }
    }
    if a.rows != b.rows {
        bail!(
            "representations A and B must describe the same inputs, but A has {} rows and B has {}",
            a.rows,
            b.rows
        );
    }
    if k == 0 {
        bail!("k (the number of neighbours) must be at least 1");
    }
    if a.rows <= k {
        bail!(
            "need more samples than neighbours: N = {} rows but k = {k}",
            a.rows
        );
    }
    for (name, m) in [("A", a), ("B", b)] {
        if let Some(p) = m.data.iter().position(|v| !v.is_finite()) {
            bail!(
                "representation {name} has a non-finite value ({}) at row {}, column {}",
                m.data[p],
                p / m.cols,
                p % m.cols
            );
        }
        for j in 0..m.cols {
            let first = m.get(0, j);
            if (1..m.rows).all(|i| m.get(i, j) == first) {
                bail!(
                    "representation {name} has a constant column {j} (every value is {first}): \
                     its copula would be pure tie-break noise; drop the column (e.g. a dead unit)"
                );
            }
        }
    }
    Ok(())
}

/// `a` and `b` are raw representations of the same N inputs (N×d_A, N×d_B); the copula
/// transform (seeded tie-break from `seed`) happens inside. Lower CCE = more aligned.
///
/// A's ties are broken with `Rng::derive(seed, "copula-a")`, B's with `"copula-b"`; the Gaussian
/// estimator ranks with the same tie-break. `k` is the number of neighbours of the kNN estimators
/// (SPEC default 3); it is validated (1 ≤ k < N) for every estimator, although `gaussian` does
/// not use it. Errors name the problem: empty or mismatched inputs, bad k, non-finite values,
/// constant columns, and (gaussian only) a singular correlation matrix of normal scores.
pub fn align(
    a: &Matrix,
    b: &Matrix,
    estimator: Estimator,
    k: usize,
    seed: u64,
) -> Result<PairAlignment> {
    let (ra, rb) = tie_broken_ranks(a, b, k, seed)?;
    estimator.implementation().alignment(&ra, &rb, k, seed)
}

/// CCE(A|B) alone: the same value as `align(..)?.cce_a_given_b` (bit for bit), without the work
/// only the other quantities need (ksg: the range count in A's space; kl: the entropy of A).
pub fn cce(a: &Matrix, b: &Matrix, estimator: Estimator, k: usize, seed: u64) -> Result<f64> {
    let (ra, rb) = tie_broken_ranks(a, b, k, seed)?;
    estimator.implementation().cce(&ra, &rb, k, seed)
}

/// Both inputs validated and ranked, ties broken by the seeded streams of [`align`].
fn tie_broken_ranks(a: &Matrix, b: &Matrix, k: usize, seed: u64) -> Result<(Matrix, Matrix)> {
    validate(a, b, k)?;
    Ok((
        copula::ranks(a, &mut Rng::derive(seed, "copula-a")),
        copula::ranks(b, &mut Rng::derive(seed, "copula-b")),
    ))
}
