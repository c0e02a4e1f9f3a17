//! `harness check`: is a finished run the same result as a reference? (docs/CHECK.md) Three
//! questions, one per tier ([`tier`]), chosen from the two sides' manifest hashes and seeds:
//!
//! 1. the same manifest and seeds elsewhere: the same values unit by unit, within the devices'
//!    tolerance ([`paired`], [`tolerance`], on `units.csv`: [`units`]);
//! 2. other seeds: the same science, claim by claim with its robustness, effect by effect, and
//!    whole curves in a simultaneous band ([`science`], [`effects`], [`band`], on each side's
//!    replica means: [`resample`]);
//! 3. which points differ: point by point equivalence tests ([`points`], on `replicas.csv`:
//!    [`replicas`]), always written as the detail table `check.csv`.
//!
//! When both sides are the same experiment and every reference file is byte-equal to the run's,
//! the verdict is "bit-identical"; when every per-replica value is equal, "values identical".
//! With `sweep.over` each combination is checked on its own ([`part`]) and the experiment's
//! verdict is the worst of theirs. [`output`] prints the report and writes `check.csv`,
//! `check_units.csv` and `check.json`.

pub mod band;
pub mod effects;
pub mod output;
pub mod paired;
pub mod part;
pub mod points;
pub mod replicas;
pub mod resample;
pub mod science;
pub mod stats;
pub mod tier;
pub mod tolerance;
pub mod units;

use crate::manifest::Manifest;
use anyhow::{Context, Result};
use paired::Paired;
use points::Points;
use replicas::{Provenance, Replicas};
use resample::ReplicaTable;
use science::Science;
use std::path::{Path, PathBuf};
use tier::{Choice, Identity, Tier};
use units::Units;

pub use output::{table, verdict_json, write, FILE, UNITS_FILE, VERDICT_FILE};

/// Level of every test (the TOST reads the 90 % interval).
pub const ALPHA: f64 = 0.05;
/// Beyond this many replicas per side, "would settle it" reads "more than".
pub const REPLICA_CAP: usize = 100_000;

/// A verdict, of one point, one combination or an experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    Inconclusive,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Inconclusive => "INCONCLUSIVE",
        }
    }

    /// The process exit code of a figure with this verdict: 0, 1, 3.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Pass => 0,
            Outcome::Fail => 1,
            Outcome::Inconclusive => 3,
        }
    }

    /// FAIL, then INCONCLUSIVE, then PASS.
    fn severity(self) -> u8 {
        match self {
            Outcome::Pass => 0,
            Outcome::Inconclusive => 1,
            Outcome::Fail => 2,
        }
    }
}

/// One combination of `sweep.over` (or the whole experiment without it), checked.
#[derive(Clone, Debug)]
pub struct Combination {
    /// The swept keys' values; empty without `sweep.over`.
    pub values: Vec<(String, String)>,
    /// `snr` or `label_noise`.
    pub level_column: String,
    pub run: Provenance,
    pub reference: Provenance,
    pub choice: Choice,
    pub bit_identical: bool,
    /// Tier 1's unit-by-unit comparison, when tier 1 decides.
    pub paired: Option<Paired>,
    /// Tier 2's claims, effects and bands, when tier 2 decides.
    pub science: Option<Science>,
    /// Tier 3's points: always made (the detail table).
    pub points: Points,
    pub outcome: Outcome,
    /// Why, in a sentence or two with the numbers.
    pub reason: String,
}

/// Everything `check` found.
#[derive(Clone, Debug)]
pub struct CheckReport {
    pub experiment: String,
    pub run_dir: PathBuf,
    pub reference_dir: PathBuf,
    pub combinations: Vec<Combination>,
    pub outcome: Outcome,
    pub reason: String,
}

/// Compares the run's results folder with a reference folder; `forced` overrides the tier.
pub fn check(
    manifest: &Manifest,
    run_dir: &Path,
    reference_dir: &Path,
    forced: Option<Tier>,
) -> Result<CheckReport> {
    let files_equal = files_equal(run_dir, reference_dir)?;
    let whole = [(Vec::new(), manifest.clone())];
    let each: Vec<(Vec<(String, String)>, Manifest)> = if manifest.variants.is_empty() {
        whole.to_vec()
    } else {
        manifest
            .variants
            .iter()
            .map(|v| (v.values.clone(), v.manifest.clone()))
            .collect()
    };
    let combinations = each
        .iter()
        .map(|(values, m)| {
            combination(m, values, run_dir, reference_dir, files_equal, forced).with_context(|| {
                format!("checking {}{}", manifest.name, replicas::of_variant(values))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let outcome = combinations
        .iter()
        .map(|c| c.outcome)
        .max_by_key(|o| o.severity())
        .unwrap_or(Outcome::Inconclusive);
    let reason = match combinations.as_slice() {
        [one] => one.reason.clone(),
        many => {
            let count = |o: Outcome| many.iter().filter(|c| c.outcome == o).count();
            let worst: Vec<String> = many
                .iter()
                .filter(|c| c.outcome == outcome)
                .map(|c| {
                    format!(
                        "[{}] {}",
                        c.values
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(" "),
                        c.reason
                    )
                })
                .collect();
            format!(
                "{} combinations: {} PASS, {} FAIL, {} INCONCLUSIVE; {}",
                many.len(),
                count(Outcome::Pass),
                count(Outcome::Fail),
                count(Outcome::Inconclusive),
                worst.join("; ")
            )
        }
    };
    Ok(CheckReport {
        experiment: manifest.name.clone(),
        run_dir: run_dir.to_path_buf(),
        reference_dir: reference_dir.to_path_buf(),
        combinations,
        outcome,
        reason,
    })
}

/// One combination: its tier, the tier's verdict, and tier 3's points.
fn combination(
    manifest: &Manifest,
    values: &[(String, String)],
    run_dir: &Path,
    reference_dir: &Path,
    files_equal: bool,
    forced: Option<Tier>,
) -> Result<Combination> {
    let run = Replicas::read(run_dir, values).context("reading the run")?;
    let reference = Replicas::read(reference_dir, values).context("reading the reference")?;
    let hash = crate::plan::manifest_hash(manifest);
    if run.provenance.manifest_sha256 != hash {
        anyhow::bail!(
            "{} holds results of manifest sha256 {}…, but the manifest now hashes to {}…: run \
             it first (`harness run`)",
            run_dir.display(),
            &run.provenance.manifest_sha256[..12.min(run.provenance.manifest_sha256.len())],
            &hash[..12]
        );
    }
    let choice = tier::choose(
        &Identity::of_manifest(manifest),
        &Identity::of_folder(reference_dir, &reference.provenance, values),
        forced,
    );
    let bit_identical = files_equal
        && run.provenance.manifest_sha256 == reference.provenance.manifest_sha256
        && run.provenance.algorithm_version == reference.provenance.algorithm_version;
    let values_identical = same_rows(&run, &reference);
    let main = format!("cce_{}", manifest.alignment.estimator.name());
    let points = points::compare(
        &run,
        &reference,
        &manifest.check,
        &main,
        bit_identical,
        (run_dir, reference_dir),
        values,
    )?;
    let mut c = Combination {
        values: values.to_vec(),
        level_column: run.level_column.clone(),
        run: run.provenance.clone(),
        reference: reference.provenance.clone(),
        choice: choice.clone(),
        bit_identical,
        paired: None,
        science: None,
        outcome: points.outcome,
        reason: points.reason.clone(),
        points,
    };
    if bit_identical {
        c.outcome = Outcome::Pass;
        c.reason =
            "bit-identical: same manifest and algorithm, every reference file byte-equal".into();
        return Ok(c);
    }
    match choice.tier {
        Tier::SameSeeds => {
            let ours = Units::read(run_dir, values).context("reading the run")?;
            let theirs = Units::read(reference_dir, values).context("reading the reference")?;
            let devices =
                tolerance::DevicePair::of(&run.provenance.device, &reference.provenance.device);
            let p = paired::compare(&ours, &theirs, devices, &manifest.check.deterministic);
            (c.outcome, c.reason) = (p.outcome, p.reason.clone());
            c.paired = Some(p);
        }
        Tier::OtherSeeds => {
            // Both sides from the same source, so that both see the same quantities: every
            // unit where both folders have units.csv, else the per-replica values.
            let (ours, theirs) = match (
                units_if_present(run_dir, values)?,
                units_if_present(reference_dir, values)?,
            ) {
                (Some(a), Some(b)) => (ReplicaTable::from_units(&a), ReplicaTable::from_units(&b)),
                _ => (
                    ReplicaTable::from_replicas(&run),
                    ReplicaTable::from_replicas(&reference),
                ),
            };
            let plan = crate::plan::plan(manifest);
            let s = science::compare(manifest, &plan, &ours, &theirs, &manifest.check);
            (c.outcome, c.reason) = (s.outcome, s.reason.clone());
            c.science = Some(s);
        }
        Tier::Points => {}
    }
    if values_identical && choice.tier != Tier::SameSeeds {
        c.outcome = Outcome::Pass;
        c.reason = format!(
            "values identical: every per-replica value of {} equal on both sides ({} values); \
             no statistics needed",
            replicas::FILE,
            run.rows.len()
        );
    }
    Ok(c)
}

/// `units.csv` of a folder if it has one.
fn units_if_present(dir: &Path, values: &[(String, String)]) -> Result<Option<Units>> {
    if dir.join(units::FILE).exists() {
        Units::read(dir, values).map(Some)
    } else {
        Ok(None)
    }
}

/// Whether both sides hold the same per-replica values at the same points (in any order).
fn same_rows(run: &Replicas, reference: &Replicas) -> bool {
    let key = |r: &replicas::ReplicaRow| (r.point.clone(), r.quantity.clone(), r.replica);
    let mut a: Vec<_> = run
        .rows
        .iter()
        .map(|r| (key(r), r.value.to_bits()))
        .collect();
    let mut b: Vec<_> = reference
        .rows
        .iter()
        .map(|r| (key(r), r.value.to_bits()))
        .collect();
    a.sort();
    b.sort();
    !a.is_empty() && a == b
}

/// Files that record how a run went (timings, thread count, checks), not its result: left
/// out of the byte comparison.
const RECORD_FILES: [&str; 5] = ["run.json", "SHA256SUMS", FILE, UNITS_FILE, VERDICT_FILE];

/// Whether every result file of the reference folder has a byte-equal twin in the run's
/// folder.
fn files_equal(run_dir: &Path, reference_dir: &Path) -> Result<bool> {
    let entries = std::fs::read_dir(reference_dir)
        .with_context(|| format!("cannot list {}", reference_dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if !path.is_file() {
            continue;
        }
        let Some(name) = path.file_name() else {
            continue;
        };
        if RECORD_FILES.iter().any(|r| name == *r) {
            continue;
        }
        let twin = run_dir.join(name);
        if !twin.is_file() || std::fs::read(&twin)? != std::fs::read(&path)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A number in 4 significant digits, in scientific notation when below 1e-3 or from 1e6 on.
pub fn short(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let rounded: f64 = format!("{v:.3e}").parse().unwrap_or(v);
    if rounded != 0.0 && !(1e-3..1e6).contains(&rounded.abs()) {
        format!("{rounded:e}")
    } else {
        format!("{rounded}")
    }
}
