//! The estimator-accuracy experiment (`kind: estimator-accuracy`): every estimator on data
//! sets with known answers ([`crate::estimators::families`]), one unit per cell × data set ×
//! estimator through the one executor; its results folder holds `accuracy.csv`,
//! `estimates.csv` and the figure ([`crate::results::accuracy`]).

use super::{json, Counted, Experiment, Ran, Surveyed, UnitCount};
use crate::cache::executor::{self, Codec, Executor, Phase, PhaseStats, Record};
use crate::estimators::{self, PairAlignment};
use crate::identity::canonical_json;
use crate::manifest::accuracy::AccuracyManifest;
use crate::manifest::Manifest;
use crate::plan::accuracy::{self as accuracy_plan, AccuracyPlan, UnitSpec, UNIT_EXT};
use crate::plan::explain::Kind;
use crate::plan::work::Work;
use crate::results::{self, accuracy::AccuracyRow};
use anyhow::Result;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Instant;

impl Experiment for AccuracyManifest {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "estimator-accuracy"
    }

    fn hash(&self) -> String {
        accuracy_plan::manifest_hash(self)
    }

    fn canonical(&self) -> Value {
        json(self)
    }

    fn overrides(&self) -> &[String] {
        &self.overrides
    }

    fn work(&self) -> Result<Work> {
        Ok(accuracy_plan::plan(self)?.work())
    }

    fn run(&self, path: &Path, exec: &Executor) -> Result<Ran> {
        let r = run_accuracy(self, path, exec)?;
        Ok(Ran {
            units: vec![UnitCount {
                what: "units",
                verb: "estimated",
                run: r.stats.run,
                reused: r.stats.reused,
            }],
            corrupt_recomputed: r.stats.corrupt_recomputed,
            waited: r.stats.waited,
            name: r.name,
            hash: r.hash,
            results_dir: r.results_dir,
            beside: r.beside,
            verdicts: None,
            warnings: Vec::new(),
            seconds: r.seconds,
        })
    }

    fn run_units(&self, units: &[usize], exec: &Executor) -> Result<Counted> {
        let part = accuracy_plan::plan(self)?.restrict_to(units);
        let (_, s) = execute_accuracy(&self.name, &part, exec)?;
        Ok(Counted {
            computed: s.run,
            reused: s.reused,
        })
    }

    fn survey(&self, exec: &Executor) -> Result<Vec<Surveyed>> {
        let plan = accuracy_plan::plan(self)?;
        let (phase, batches) = accuracy_phase(&self.name, &plan);
        Ok(vec![Surveyed::of(&phase, &batches, exec, |i| {
            let u = &plan.units[i];
            (u.spec.label(), json(&u.spec), Kind::Accuracy, (i, i))
        })])
    }

    fn network(&self) -> Option<&Manifest> {
        None
    }
}

/// An estimator-accuracy unit's work: draws its data set and applies its estimator.
pub fn run_unit(spec: &UnitSpec) -> Result<PairAlignment> {
    let (a, b) = spec
        .family
        .sample(spec.seed, spec.n, spec.dims, spec.rho, spec.replicate);
    // The tie-break seed: continuous data has no ties, but keep it tied to the data set.
    estimators::align(&a, &b, spec.estimator, spec.k, spec.replicate as u64)
}

/// The phase of an estimator-accuracy plan and its batches, largest data sets first (so that
/// the last units to finish are short ones): what [`execute_accuracy`] runs and `plan` and
/// `why` survey.
pub fn accuracy_phase<'a>(
    name: &'a str,
    plan: &'a AccuracyPlan,
) -> (Phase<'a, PairAlignment>, Vec<Vec<usize>>) {
    let phase = Phase {
        what: "estimate",
        unit: "accuracy",
        hashes: plan.units.iter().map(|u| u.hash.as_str()).collect(),
        codec: Codec {
            ext: UNIT_EXT,
            encode: |r: &PairAlignment| Ok(serde_json::to_vec(r)?),
            decode: |b| Ok(serde_json::from_slice(b)?),
        },
        record: Some(Record {
            experiment: name,
            inputs: Box::new(move |i| canonical_json(&plan.units[i].spec)),
        }),
    };
    let mut batches = executor::one_by_one(plan.units.len());
    batches.sort_by_key(|b| {
        let s = &plan.units[b[0]].spec;
        std::cmp::Reverse(s.n * s.dims)
    });
    (phase, batches)
}

/// The units of an estimator-accuracy plan through the executor.
pub fn execute_accuracy(
    name: &str,
    plan: &AccuracyPlan,
    exec: &Executor,
) -> Result<(Vec<PairAlignment>, PhaseStats)> {
    let (phase, batches) = accuracy_phase(name, plan);
    exec.execute(
        &phase,
        batches,
        |group| Ok(vec![run_unit(&plan.units[group[0]].spec)?]),
        |i, _| plan.units[i].spec.label(),
    )
}

/// What a finished accuracy run reports.
pub struct AccuracyReport {
    pub name: String,
    pub hash: String,
    pub results_dir: PathBuf,
    /// As in [`RunReport::beside`].
    pub beside: Option<String>,
    pub stats: PhaseStats,
    pub rows: Vec<AccuracyRow>,
    pub seconds: f64,
}

/// Runs an estimator-accuracy experiment through the executor and writes its results.
pub fn run_accuracy(
    m: &AccuracyManifest,
    manifest_path: &Path,
    exec: &Executor,
) -> Result<AccuracyReport> {
    let started = Instant::now();
    let plan = accuracy_plan::plan(m)?;
    let (results, stats) = execute_accuracy(&m.name, &plan, exec)?;
    let home = results::results_home(exec.store, &m.name, &plan.manifest_hash);
    let (results_dir, rows) = results::accuracy_folder::write(
        m,
        manifest_path,
        &plan,
        &results,
        &stats,
        &home.dir,
        started,
    )?;
    Ok(AccuracyReport {
        name: m.name.clone(),
        hash: plan.manifest_hash,
        results_dir,
        beside: home.beside,
        stats,
        rows,
        seconds: started.elapsed().as_secs_f64(),
    })
}
