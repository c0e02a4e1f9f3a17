//! `harness cce` and `harness align`: an alignment measure between two representations given
//! as CSV matrices ([`crate::estimators`]), outside any experiment.

use super::bad_input;
use crate::estimators::{self, Estimator, Measure, MeasureValue, Projection};
use crate::matrix::Matrix;
use anyhow::Result;
use clap::parser::ValueSource;
use clap::ArgMatches;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Conditional copula entropy CCE(A|B), in nats, of two representations given as CSV
/// matrices (one row per sample, no header, same number of rows). Prints one number.
#[derive(clap::Args, Debug)]
pub struct CceArgs {
    #[command(flatten)]
    pub pair: PairArgs,
}

/// An alignment measure between two representations given as CSV matrices (one row per
/// sample, no header, same number of rows).
///
/// Symmetric measures (mi, symmetric-cce, cka, cka-debiased) print one number. Asymmetric
/// ones print two lines, `A->B<TAB>value` then `B->A<TAB>value`: for cce, CCE(A|B) then
/// CCE(B|A) in nats; for ii, the Information Imbalance Δ(A→B) then Δ(B→A).
#[derive(clap::Args, Debug)]
pub struct AlignArgs {
    /// cce, mi, symmetric-cce (copula entropies, nats; with --estimator), cka,
    /// cka-debiased (linear CKA on the raw representations), ii (Information Imbalance on
    /// copula ranks, max norm).
    #[arg(long, default_value = "cce")]
    pub measure: Measure,
    #[command(flatten)]
    pub pair: PairArgs,
}

/// Two representations and how to compare them (`cce` and `align`).
#[derive(clap::Args, Debug)]
pub struct PairArgs {
    /// CSV of representation A: one row per sample, no header.
    pub a: PathBuf,
    /// CSV of representation B, with the same rows.
    pub b: PathBuf,
    /// The estimator of the copula entropies.
    #[arg(long, value_enum, default_value = "ksg")]
    pub estimator: Estimator,
    /// Neighbours of the kNN estimators.
    #[arg(long, default_value_t = 3)]
    pub k: usize,
    /// Seed of the random tie-breaking of equal values.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// `none` or `pca:m`: replace each representation by its first m principal components
    /// first (one with at most m columns is left as it is).
    #[arg(long, default_value = "none")]
    pub project: Projection,
}

impl PairArgs {
    /// Reads both CSVs (in parallel) and applies the projection to each.
    fn read(&self) -> Result<(Matrix, Matrix)> {
        let read = |p: &Path| -> Result<Matrix> {
            self.project.apply(&Matrix::read_csv(p)?).map_err(bad_input)
        };
        let (ma, mb) = rayon::join(|| read(&self.a), || read(&self.b));
        Ok((ma?, mb?))
    }

    /// An estimator's complaint about the pair, as a bad-input error naming both files.
    fn bad_pair(&self, e: anyhow::Error) -> anyhow::Error {
        bad_input(anyhow::anyhow!(
            "A = {}, B = {}: {e}",
            self.a.display(),
            self.b.display()
        ))
    }
}

/// `harness cce`.
pub fn cce(args: CceArgs) -> Result<ExitCode> {
    let pair = &args.pair;
    let (ma, mb) = pair.read()?;
    let value = estimators::cce(&ma, &mb, pair.estimator, pair.k, pair.seed)
        .map_err(|e| pair.bad_pair(e))?;
    println!("{value}");
    Ok(ExitCode::SUCCESS)
}

/// `harness align`; `matches` are the command's own, to tell options given from defaults.
pub fn align(args: AlignArgs, matches: Option<&ArgMatches>) -> Result<ExitCode> {
    let (measure, pair) = (args.measure, &args.pair);
    let given =
        |id: &str| matches.and_then(|m| m.value_source(id)) == Some(ValueSource::CommandLine);
    if !measure.uses_estimator() {
        if let Some(flag) = ["estimator", "k"].into_iter().find(|id| given(id)) {
            return Err(bad_input(anyhow::anyhow!(
                "--{flag} applies to the copula-entropy measures (cce, mi, symmetric-cce); \
                 --measure {measure} does not use it"
            )));
        }
    }
    let (ma, mb) = pair.read()?;
    match estimators::measure(&ma, &mb, measure, pair.estimator, pair.k, pair.seed)
        .map_err(|e| pair.bad_pair(e))?
    {
        MeasureValue::Symmetric(v) => println!("{v}"),
        MeasureValue::Directed(ab, ba) => println!("A->B\t{ab}\nB->A\t{ba}"),
    }
    Ok(ExitCode::SUCCESS)
}
