//! `harness cce` and `harness align`: an alignment measure between two representations given
//! as CSV matrices ([`crate::estimators`]), outside any experiment.

use super::{bad_input, remarks};
use crate::estimators::{self, Estimator, Measure, Projection};
use crate::matrix::Matrix;
use anyhow::Result;
use clap::parser::ValueSource;
use clap::ArgMatches;
use std::path::PathBuf;
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
/// ones print two lines: for cce, `CCE(A|B)<TAB>value` then `CCE(B|A)<TAB>value` in nats; for
/// ii, `A->B<TAB>value` then `B->A<TAB>value`, the Information Imbalance Δ(A→B) then Δ(B→A).
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
    /// Reads both CSVs (in parallel) and applies the projection to each; prints the remarks
    /// about them on stderr ([`super::remarks`]). `k_given`: `None` for a measure without an
    /// estimator, else whether --k was given.
    fn read(&self, k_given: Option<bool>) -> Result<(Matrix, Matrix)> {
        let asked = remarks::Asked {
            project: self.project,
            estimator: k_given.map(|given| (self.estimator, given)),
        };
        let pair = remarks::read(&self.a, &self.b, &asked, bad_input)?;
        for r in &pair.remarks {
            eprintln!("{r}");
        }
        Ok((pair.a, pair.b))
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

/// `harness cce`; `matches` are the command's own, to tell whether --k was given.
pub fn cce(args: CceArgs, matches: Option<&ArgMatches>) -> Result<ExitCode> {
    let pair = &args.pair;
    let k_given = matches.and_then(|m| m.value_source("k")) == Some(ValueSource::CommandLine);
    let (ma, mb) = pair.read(Some(k_given))?;
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
    let (ma, mb) = pair.read(measure.uses_estimator().then(|| given("k")))?;
    let value = estimators::measure(&ma, &mb, measure, pair.estimator, pair.k, pair.seed)
        .map_err(|e| pair.bad_pair(e))?;
    print!("{}", remarks::value_lines(measure, value));
    Ok(ExitCode::SUCCESS)
}
