//! The experiment kinds, and their registry [`of`]: what a manifest's kind does, from its plan
//! through the one executor ([`crate::cache::executor`]) to its written results. Each kind is
//! one file implementing [`Experiment`] for its manifest type:
//! - [`network`]: a network experiment (a regression task on a linear teacher, Figs. 1–3, or
//!   image classification with label noise, Figs. 4–5; the task is the manifest's `task:`,
//!   read by the stages below): members trained, pairs compared, claims judged;
//! - [`accuracy`]: the estimator-accuracy experiment (`kind: estimator-accuracy`): estimators
//!   on generated data with known answers.
//!
//! Adding a kind: its manifest schema (`manifest/`, a variant of
//! [`AnyManifest`] and its `kind:` name in [`crate::manifest::load`]), its plan (`plan/`, with
//! its [`Work`] list), its file here, and one line in [`of`]. Every command reaches a kind
//! through [`of`] and nothing else, so nothing else matches on the kind.

pub mod accuracy;
pub mod network;

use crate::cache::executor::{Executor, Phase};
use crate::cache::stale::State;
use crate::identity::canonical_json;
use crate::manifest::{AnyManifest, Manifest};
use crate::plan::explain::Kind;
use crate::plan::work::Work;
use crate::results::claims::Verdicts;
use anyhow::Result;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The registry: the experiment a manifest describes, seen through its kind. The one `match`
/// on the kind.
pub fn of(manifest: &AnyManifest) -> &dyn Experiment {
    match manifest {
        AnyManifest::Experiment(m) => &**m,
        AnyManifest::Accuracy(m) => m,
    }
}

/// What every command needs of an experiment, whatever its kind.
pub trait Experiment: Sync {
    /// The experiment's name (its results folder, `results/<name>/`).
    fn name(&self) -> &str;
    /// The kind, as the run history records it: `experiment` or `estimator-accuracy`.
    fn kind(&self) -> &'static str;
    /// The experiment's identity: SHA-256 of the canonical manifest (README "Identity").
    fn hash(&self) -> String;
    /// The canonical manifest, as the history records it and `harness diff` compares it.
    fn canonical(&self) -> Value;
    /// The command line's `--set`/`--seed` values applied to the file (`key=value`).
    fn overrides(&self) -> &[String];
    /// Every unit of the plan, listed once (shards, `gc`, the units still missing).
    fn work(&self) -> Result<Work>;
    /// Computes what the cache lacks and writes the results folder.
    fn run(&self, path: &Path, exec: &Executor) -> Result<Ran>;
    /// Computes what the cache lacks among some of the plan's units (indices into
    /// [`Experiment::work`]: one shard's), and writes no results.
    fn run_units(&self, units: &[usize], exec: &Executor) -> Result<Counted>;
    /// Every phase's units as a run would find them now (`plan`, `why`): the survey of the
    /// very phases [`Experiment::run`] executes.
    fn survey(&self, exec: &Executor) -> Result<Vec<Surveyed>>;
    /// The network experiment, for the commands that read members, pairs and claims (`claims`,
    /// `check`, `export`, `table`, `project`); `None` for a kind without them.
    fn network(&self) -> Option<&Manifest>;
}

/// What a finished run reports.
pub struct Ran {
    pub name: String,
    pub hash: String,
    pub results_dir: PathBuf,
    /// The hash of another manifest of this name whose results folder was left in place
    /// (these results went beside it).
    pub beside: Option<String>,
    /// Each kind of unit: how many were computed and reused.
    pub units: Vec<UnitCount>,
    pub corrupt_recomputed: usize,
    /// Units another process was computing, which this run waited for.
    pub waited: usize,
    /// The claims under each rule set (network experiments).
    pub verdicts: Option<Verdicts>,
    /// Warnings about the CCE estimates (`results::warnings`).
    pub warnings: Vec<String>,
    pub seconds: f64,
}

impl Ran {
    /// Units computed and reused, over every kind of unit.
    pub fn counted(&self) -> Counted {
        Counted {
            computed: self.units.iter().map(|u| u.run).sum(),
            reused: self.units.iter().map(|u| u.reused).sum(),
        }
    }
}

/// One kind of unit of a finished run: `members` `trained`, `pairs` `estimated`, …
pub struct UnitCount {
    pub what: &'static str,
    pub verb: &'static str,
    pub run: usize,
    pub reused: usize,
}

/// Units computed now and found in the cache.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counted {
    pub computed: usize,
    pub reused: usize,
}

/// One phase of a manifest's units as a run would find them now.
pub struct Surveyed {
    /// `member`, `pair`, `tie` or `accuracy` (the unit log's kinds).
    pub unit: &'static str,
    pub hashes: Vec<String>,
    pub labels: Vec<String>,
    pub states: Vec<State>,
    /// Each unit's canonical description.
    pub inputs: Vec<Value>,
    /// How each unit's keys map to the manifest.
    pub kinds: Vec<Kind>,
    /// For a pair or a draw: its two members' indices in the member phase.
    pub members: Vec<(usize, usize)>,
    /// The extension of the phase's cache entries.
    pub ext: &'static str,
}

impl Surveyed {
    /// Surveys `phase`: each unit's state, and `describe(i)` = (label, inputs, kind, members).
    pub fn of<T>(
        phase: &Phase<'_, T>,
        batches: &[Vec<usize>],
        exec: &Executor,
        describe: impl Fn(usize) -> (String, Value, Kind, (usize, usize)),
    ) -> Self {
        let states = exec.survey(phase, batches);
        let mut s = Surveyed {
            unit: phase.unit,
            hashes: phase.hashes.iter().map(|h| h.to_string()).collect(),
            labels: Vec::new(),
            states,
            inputs: Vec::new(),
            kinds: Vec::new(),
            members: Vec::new(),
            ext: phase.codec.ext,
        };
        for i in 0..s.hashes.len() {
            let (label, inputs, kind, members) = describe(i);
            s.labels.push(label);
            s.inputs.push(inputs);
            s.kinds.push(kind);
            s.members.push(members);
        }
        s
    }

    /// Units found in the cache.
    pub fn cached(&self) -> usize {
        self.states.iter().filter(|s| !s.runs()).count()
    }
}

/// A value's canonical JSON, as a JSON value.
fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::from_str(&canonical_json(v)).expect("canonical JSON parses")
}

#[cfg(test)]
mod accuracy_tests;
