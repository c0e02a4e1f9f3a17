//! `harness why`: every unit a run of the manifest would compute, with its cause in the
//! manifest's terms, grouped, summary first. Which units run comes from
//! [`Executor::survey`], the staleness rule the run itself applies, over the phases the run
//! itself builds ([`Experiment::survey`]); `harness plan` lists the same states.
//!
//! The cause of a missing unit comes from the nearest record ([`crate::plan::explain`]):
//! - a unit that a recorded run of the experiment computed (its manifest planned again from
//!   the run history) was **removed** from the cache since (by hand, `gc --delete`, damage),
//!   or never finished when that run was interrupted: the only causes that speak of damage;
//! - otherwise its difference from the nearest unit of the **last recorded run of the same
//!   manifest file** (else of the experiment's name), named by manifest path;
//! - without a recorded run, its difference from the nearest **cached unit** whose inputs
//!   are recorded, preferring units the same experiment computed.
//!
//! A size n that moved only because P did is never blamed on `sweep.n_over_p`, and causes
//! that differ only in swept values are one line ([`crate::plan::explain::group`]).

use super::history::{self, RunEntry};
use super::{Context, ManifestArgs};
use crate::cache::executor::Executor;
use crate::cache::stale::State;
use crate::cache::Store;
use crate::kinds::{Experiment, Surveyed};
use crate::plan::explain::{self, Candidates, Part};
use anyhow::Result;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The most recorded manifests of an experiment that `why` plans again to find who computed a
/// unit (the newest distinct ones).
const RECORDS_PLANNED: usize = 12;

/// Why would `harness run` compute anything? For every unit of the manifests that a run would
/// compute now, the cause, in the manifest's terms, grouped, summary first.
///
/// What runs is decided by the same rule `run` applies (one staleness function): a unit whose
/// cache entry is missing or corrupt, and every other unit of its batch (the members of a
/// relu2 replica train together, so they are trained again together). The cause of a missing
/// unit is its difference from the nearest unit of the last recorded run of the same manifest
/// file (else of the experiment; else the nearest cached unit of the same kind, units the same
/// experiment computed preferred), each key named by the manifest path that sets it; a unit a
/// recorded run had is "removed from the cache since", one an interrupted run lacked "never
/// finished": `alignment.k: 3 → 5`, or `sweep.snr gained 20` for a swept value no
/// cached unit has. A pair whose members are trained says so (`its members are trained: …`).
/// For this every cache entry keeps its inputs (the unit's canonical JSON,
/// `<hash>.<ext>.inputs` beside it); entries cached before inputs were recorded cannot be
/// compared, and `why` says so instead of guessing.
///
/// Output: one summary line per manifest (`fig2_relu: 12 of 192 members to train —
/// sweep.snr gained 20 (12 members) ; 240 of 576 pairs to estimate — alignment.k: 3 → 5
/// (240 pairs)`), then each phase's causes with their counts; with --units, one line per unit
/// that would run: `<kind> <sha256> <what> — <cause>`, kind as in the unit log (--log-units)
/// of the run that computes it.
///
/// Exit code 0 when nothing would run, 1 otherwise (2 bad input).
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(required = true)]
    pub manifests: Vec<PathBuf>,
    /// Also list every unit that would run, one line each.
    #[arg(long)]
    pub units: bool,
    #[command(flatten)]
    pub values: ManifestArgs,
}

/// `harness why` for each manifest; exit code 1 when anything would run.
pub fn main(ctx: &Context, args: Args) -> Result<ExitCode> {
    let loaded = ctx.load_all(&args.manifests)?;
    let exec = ctx.executor();
    let mut any = false;
    for (path, manifest) in args.manifests.iter().zip(&loaded) {
        let report = why(crate::kinds::of(manifest), path, &exec)?;
        print!("{}", report.render(args.units));
        any |= report.to_run() > 0;
    }
    Ok(if any {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Why one unit runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Cause {
    /// `its members are trained: ` for a pair that runs because of its members, else empty.
    pub prefix: &'static str,
    pub parts: Vec<Part>,
}

impl Cause {
    fn text(text: impl Into<String>) -> Cause {
        Cause {
            prefix: "",
            parts: vec![Part::text(text)],
        }
    }

    pub fn render(&self) -> String {
        let parts: Vec<String> = self.parts.iter().map(Part::render).collect();
        format!("{}{}", self.prefix, parts.join(", "))
    }
}

/// One unit a run would compute, and why.
pub struct UnitWhy {
    pub unit: &'static str,
    pub hash: String,
    pub label: String,
    pub cause: Cause,
}

/// One phase's units to run, and their causes.
pub struct PhaseWhy {
    pub unit: &'static str,
    pub total: usize,
    pub units: Vec<UnitWhy>,
}

impl PhaseWhy {
    /// (cause, units): causes that differ only in swept values merged, largest first.
    pub fn groups(&self) -> Vec<(String, usize)> {
        explain::group(
            self.units
                .iter()
                .map(|u| (u.cause.prefix, u.cause.parts.as_slice())),
        )
    }

    /// What the phase's units are called and what running them means.
    pub fn words(&self) -> (&'static str, &'static str) {
        match self.unit {
            "member" => ("members", "to train"),
            "pair" => ("pairs", "to estimate"),
            "tie" => ("tie-breaking draws", "to estimate"),
            _ => ("units", "to estimate"),
        }
    }
}

/// What the causes were found against.
#[derive(Clone, Debug, PartialEq)]
pub enum Basis {
    /// The last recorded run of the same manifest file (`same_file`), else of the experiment;
    /// with the manifest keys that changed since, as (key, then, now).
    Run {
        id: String,
        manifest_file: String,
        same_file: bool,
        changes: Vec<(String, String, String)>,
    },
    /// No recorded run: the nearest cached units.
    Cache,
}

/// `harness why` for one manifest.
pub struct WhyReport {
    pub name: String,
    pub phases: Vec<PhaseWhy>,
    /// Cache entries of the manifest's unit kinds that have no inputs record.
    pub unrecorded: usize,
    pub basis: Basis,
}

impl WhyReport {
    pub fn to_run(&self) -> usize {
        self.phases.iter().map(|p| p.units.len()).sum()
    }

    /// The summary line: `12 members to train — sweep.snr gained 20 (12 members) ; …`.
    pub fn summary(&self) -> String {
        if self.to_run() == 0 {
            let all: Vec<String> = self
                .phases
                .iter()
                .filter(|p| p.total > 0)
                .map(|p| format!("{} {}", p.total, p.words().0))
                .collect();
            return format!("{}: nothing to run ({} cached)", self.name, all.join(", "));
        }
        let parts: Vec<String> = self
            .phases
            .iter()
            .filter(|p| !p.units.is_empty())
            .map(|p| {
                let (noun, verb) = p.words();
                let groups = p.groups();
                let mut causes: Vec<String> = groups
                    .iter()
                    .take(3)
                    .map(|(c, n)| format!("{c} ({n} {noun})"))
                    .collect();
                if groups.len() > 3 {
                    causes.push(format!("{} more causes", groups.len() - 3));
                }
                format!(
                    "{} of {} {noun} {verb} — {}",
                    p.units.len(),
                    p.total,
                    causes.join(", ")
                )
            })
            .collect();
        format!("{}: {}", self.name, parts.join(" ; "))
    }

    /// What `harness why` prints: the summary, what the causes were found against, each
    /// phase's grouped causes, and with `units` one line per unit that would run.
    pub fn render(&self, units: bool) -> String {
        let mut out = format!("{}\n", self.summary());
        if self.to_run() > 0 {
            match &self.basis {
                Basis::Run {
                    id,
                    manifest_file,
                    same_file,
                    changes,
                } => {
                    let which = if *same_file {
                        format!("the last recorded run of {manifest_file}")
                    } else {
                        format!("the last recorded run of this experiment ({manifest_file})")
                    };
                    let _ = writeln!(out, "  compared with run {id}, {which}");
                    if changes.is_empty() {
                        let _ = writeln!(out, "  the manifest is the same as in that run");
                    } else {
                        let _ = writeln!(out, "  the manifest since that run:");
                        for (key, then, now) in changes.iter().take(8) {
                            let _ = writeln!(
                                out,
                                "    {key}: {} → {}",
                                explain::plain_json(then),
                                explain::plain_json(now)
                            );
                        }
                        if changes.len() > 8 {
                            let _ = writeln!(out, "    … {} more keys", changes.len() - 8);
                        }
                    }
                }
                Basis::Cache => {
                    let _ = writeln!(
                        out,
                        "  compared with the nearest cached units (no recorded run of this \
                         experiment)"
                    );
                }
            }
        }
        for phase in self.phases.iter().filter(|p| !p.units.is_empty()) {
            let (noun, verb) = phase.words();
            let _ = writeln!(out, "  {} {noun} {verb}:", phase.units.len());
            for (cause, n) in phase.groups() {
                let _ = writeln!(out, "    {n:>6}  {cause}");
            }
        }
        if self.unrecorded > 0 && matches!(self.basis, Basis::Cache) {
            let _ = writeln!(
                out,
                "  note: {} cache entries of these kinds were cached before inputs were \
                 recorded; they are not compared",
                self.unrecorded
            );
        }
        if units {
            for u in self.phases.iter().flat_map(|p| &p.units) {
                let _ = writeln!(
                    out,
                    "{} {} {} — {}",
                    u.unit,
                    u.hash,
                    u.label,
                    u.cause.render()
                );
            }
        }
        out
    }
}

/// Whether a record's manifest file is `file` (each read from its own working directory).
fn same_file(e: &RunEntry, file: &Path) -> bool {
    let theirs = Path::new(&e.cwd).join(&e.manifest_file);
    match (theirs.canonicalize(), file.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => std::path::absolute(file).is_ok_and(|f| f == theirs),
    }
}

/// The recorded runs of the experiment: who had which unit (by hash: the newest run whose
/// plan has it, and whether that run finished), and the run to compare with, with its units.
struct Records {
    computed_by: HashMap<String, (String, bool)>,
    basis: Option<(RunEntry, bool, Vec<Surveyed>)>,
}

fn records(store: &Store, experiment: &dyn Experiment, file: &Path) -> Result<Records> {
    let name = experiment.name();
    let runs: Vec<RunEntry> = history::list(store)?
        .into_iter()
        .filter(|e| e.experiment == name)
        .collect();
    let mut computed_by: HashMap<String, (String, bool)> = HashMap::new();
    let mut planned: Vec<(String, Vec<Surveyed>)> = Vec::new();
    for e in &runs {
        if planned.len() >= RECORDS_PLANNED {
            break;
        }
        if planned.iter().any(|(h, _)| *h == e.manifest_sha256) {
            continue;
        }
        let Some(m) = history::manifest_of(e) else {
            continue;
        };
        let described = crate::kinds::of(&m).survey(None)?;
        // The newest run that had the unit, a finished one before an interrupted one.
        for s in &described {
            for h in &s.hashes {
                let had = computed_by
                    .entry(h.clone())
                    .or_insert_with(|| (e.id.clone(), !e.interrupted()));
                if !had.1 && !e.interrupted() {
                    *had = (e.id.clone(), true);
                }
            }
        }
        planned.push((e.manifest_sha256.clone(), described));
    }
    // Newest first: the last run of this file, else of the experiment.
    let chosen = runs
        .iter()
        .find(|e| same_file(e, file))
        .map(|e| (e, true))
        .or_else(|| runs.first().map(|e| (e, false)));
    let basis = match chosen {
        Some((e, same)) => {
            let units = match planned.iter().position(|(h, _)| *h == e.manifest_sha256) {
                Some(i) => Some(planned.swap_remove(i).1),
                None => history::manifest_of(e)
                    .map(|m| crate::kinds::of(&m).survey(None))
                    .transpose()?,
            };
            units.map(|u| (e.clone(), same, u))
        }
        None => None,
    };
    Ok(Records { computed_by, basis })
}

/// Why each unit of the manifest in `file` that a run would compute is not served from the
/// cache.
pub fn why(experiment: &dyn Experiment, file: &Path, exec: &Executor) -> Result<WhyReport> {
    let surveyed = experiment.survey(Some(exec))?;
    let name = experiment.name();
    let recorded = records(exec.store, experiment, file)?;
    let now = experiment.canonical();
    let (basis, changes) = match &recorded.basis {
        Some((e, same, _)) => {
            let changes = super::diff::manifest_changes(&e.manifest, &now);
            (
                Basis::Run {
                    id: e.id.clone(),
                    manifest_file: e.manifest_file.clone(),
                    same_file: *same,
                    changes: changes.clone(),
                },
                changes,
            )
        }
        None => (Basis::Cache, Vec::new()),
    };
    // With a recorded run whose sweep ratios are those of now, every n follows P.
    let n_follows_p = matches!(basis, Basis::Run { .. })
        && !changes
            .iter()
            .any(|(k, _, _)| k.starts_with("sweep.n_over_p"));
    // The reference units per (extension, unit kind): the recorded run's, else the cache's.
    let mut references: HashMap<(&str, String), Candidates> = HashMap::new();
    let mut unrecorded = 0;
    // Kinds with no reference unit: how many entries lacked an inputs record.
    let mut no_candidates: HashMap<(&str, String), usize> = HashMap::new();
    let mut member_causes: Vec<Option<Cause>> = Vec::new();
    let mut phases_why: Vec<PhaseWhy> = Vec::new();
    for s in &surveyed {
        let mut units = Vec::new();
        for i in (0..s.hashes.len()).filter(|&i| s.states[i].runs()) {
            // A pair or a draw whose members are trained runs because of them.
            let (a, b) = s.members[i];
            let of_members = match s.unit {
                "pair" | "tie" => [a, b]
                    .into_iter()
                    .find_map(|m| member_causes.get(m).cloned().flatten()),
                _ => None,
            };
            let cause = match (s.states[i], of_members) {
                (State::Corrupt, _) => Cause::text("its cache entry is corrupt"),
                (State::BatchMate { .. }, _) => Cause::text(
                    "trained again with its batch (another member of the batch is not cached)",
                ),
                (_, Some(member)) => Cause {
                    prefix: "its members are trained: ",
                    parts: member.parts,
                },
                _ => match recorded.computed_by.get(&s.hashes[i]) {
                    Some((id, true)) => Cause::text(format!(
                        "removed from the cache since run {id} finished with it (deleted, \
                         `gc --delete`, or damaged)"
                    )),
                    Some((id, false)) => Cause::text(format!(
                        "never finished: run {id} was interrupted before it (a rerun resumes)"
                    )),
                    None => {
                        let unit_kind = s.inputs[i]["unit"].as_str().unwrap_or_default();
                        let key = (s.ext, unit_kind.to_string());
                        if !references.contains_key(&key) {
                            let found = match &recorded.basis {
                                Some((_, _, units)) => recorded_units(units, s.ext, unit_kind),
                                None => {
                                    let (c, without) =
                                        cached_units(exec.store, s.ext, unit_kind, name)?;
                                    unrecorded += without;
                                    if c.is_empty() {
                                        no_candidates.insert(key.clone(), without);
                                    }
                                    c
                                }
                            };
                            references.insert(key.clone(), found);
                        }
                        let ignore: &[&str] = match s.unit {
                            "pair" | "tie" => &["a", "b"],
                            _ => &[],
                        };
                        match references[&key].explain(
                            s.kinds[i],
                            &s.inputs[i],
                            ignore,
                            n_follows_p,
                        ) {
                            Some(parts) if !parts.is_empty() => Cause { prefix: "", parts },
                            Some(_) => Cause::text(
                                "not in the cache, though the recorded run had a unit like it",
                            ),
                            None => Cause::text(no_candidate(
                                s.unit,
                                no_candidates.get(&key).copied().unwrap_or(0),
                            )),
                        }
                    }
                },
            };
            units.push(UnitWhy {
                unit: s.unit,
                hash: s.hashes[i].clone(),
                label: s.labels[i].clone(),
                cause,
            });
        }
        if s.unit == "member" {
            member_causes = vec![None; s.hashes.len()];
            for (i, u) in (0..s.hashes.len())
                .filter(|&i| s.states[i].runs())
                .zip(&units)
            {
                member_causes[i] = Some(u.cause.clone());
            }
        }
        phases_why.push(PhaseWhy {
            unit: s.unit,
            total: s.hashes.len(),
            units,
        });
    }
    Ok(WhyReport {
        name: name.to_string(),
        phases: phases_why,
        unrecorded,
        basis,
    })
}

/// The cause of a missing unit with nothing to compare it with.
fn no_candidate(unit: &str, unrecorded: usize) -> String {
    if unrecorded > 0 {
        format!(
            "no cached {unit} unit to compare with: the {unrecorded} in the cache were cached \
             before inputs were recorded"
        )
    } else {
        format!("no {unit} unit is cached yet")
    }
}

/// The units of a recorded run's phases under extension `ext` of one kind.
fn recorded_units(phases: &[Surveyed], ext: &str, unit_kind: &str) -> Candidates {
    Candidates::new(
        phases
            .iter()
            .filter(|s| s.ext == ext)
            .flat_map(|s| s.inputs.iter())
            .filter(|v| v["unit"].as_str() == Some(unit_kind))
            .cloned()
            .collect(),
    )
}

/// The recorded cached units of one kind (`unit_kind`, the `unit` field of their inputs) under
/// extension `ext`: those `experiment` computed if any, else all; and how many entries under
/// `ext` have no inputs record.
fn cached_units(
    store: &Store,
    ext: &str,
    unit_kind: &str,
    experiment: &str,
) -> Result<(Candidates, usize)> {
    let entries = store.inputs(ext)?;
    let without = entries.iter().filter(|e| e.record.is_none()).count();
    let of_kind: Vec<(bool, &Value)> = entries
        .iter()
        .filter_map(|e| e.record.as_ref())
        .filter(|r| r.inputs["unit"].as_str() == Some(unit_kind))
        .map(|r| (r.experiment == experiment, &r.inputs))
        .collect();
    let same = of_kind.iter().any(|(same, _)| *same);
    let chosen = of_kind
        .into_iter()
        .filter(|(s, _)| *s || !same)
        .map(|(_, v)| v.clone())
        .collect();
    Ok((Candidates::new(chosen), without))
}
