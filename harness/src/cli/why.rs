//! `harness why`: every unit a run of the manifest would compute, with its cause in the
//! manifest's terms, grouped, summary first. Which units run comes from
//! [`Executor::survey`], the staleness rule the run itself applies, over the phases the run
//! itself builds ([`Experiment::survey`]); `harness plan` lists the same states. The
//! cause of a missing unit is its difference from the nearest cached unit whose inputs are
//! recorded ([`crate::plan::explain`]), preferring units the same experiment computed.

use super::{Context, ManifestArgs};
use crate::cache::executor::Executor;
use crate::cache::stale::State;
use crate::cache::Store;
use crate::kinds::Experiment;
use crate::plan::explain::{flatten, Candidates, Flat};
use anyhow::Result;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// Why would `harness run` compute anything? For every unit of the manifests that a run would
/// compute now, the cause, in the manifest's terms, grouped, summary first.
///
/// What runs is decided by the same rule `run` applies (one staleness function): a unit whose
/// cache entry is missing or corrupt, and every other unit of its batch (the members of a
/// relu2 replica train together, so they are trained again together). The cause of a missing
/// unit is its difference from the nearest cached unit of the same kind (fewest differing
/// keys; units the same experiment computed are preferred), each key named by the manifest
/// path that sets it: `alignment.k: 3 → 5`, or `sweep.snr gained 20` for a swept value no
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
    for manifest in &loaded {
        let report = why(crate::kinds::of(manifest), &exec)?;
        println!("{}", report.summary());
        for phase in report.phases.iter().filter(|p| !p.units.is_empty()) {
            let (noun, verb) = phase.words();
            println!("  {} {noun} {verb}:", phase.units.len());
            for (cause, n) in phase.groups() {
                println!("    {n:>6}  {cause}");
            }
        }
        if report.unrecorded > 0 {
            println!(
                "  note: {} cache entries of these kinds were cached before inputs were \
                 recorded; they are not compared",
                report.unrecorded
            );
        }
        if args.units {
            for u in report.phases.iter().flat_map(|p| &p.units) {
                println!("{} {} {} — {}", u.unit, u.hash, u.label, u.cause);
            }
        }
        any |= report.to_run() > 0;
    }
    Ok(if any {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// One unit a run would compute, and why.
pub struct UnitWhy {
    pub unit: &'static str,
    pub hash: String,
    pub label: String,
    pub cause: String,
}

/// One phase's units to run, grouped by cause (largest group first).
pub struct PhaseWhy {
    pub unit: &'static str,
    pub total: usize,
    pub units: Vec<UnitWhy>,
}

impl PhaseWhy {
    /// (cause, units) from the most frequent cause down, ties in order of first appearance.
    pub fn groups(&self) -> Vec<(&str, usize)> {
        let mut groups: Vec<(&str, usize)> = Vec::new();
        for u in &self.units {
            match groups.iter_mut().find(|(c, _)| *c == u.cause) {
                Some((_, n)) => *n += 1,
                None => groups.push((&u.cause, 1)),
            }
        }
        groups.sort_by(|a, b| b.1.cmp(&a.1));
        groups
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

/// `harness why` for one manifest.
pub struct WhyReport {
    pub name: String,
    pub phases: Vec<PhaseWhy>,
    /// Cache entries of the manifest's unit kinds that have no inputs record.
    pub unrecorded: usize,
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
}

/// Why each unit of the manifest that a run would compute is not served from the cache.
pub fn why(experiment: &dyn Experiment, exec: &Executor) -> Result<WhyReport> {
    let surveyed = experiment.survey(exec)?;
    let name = experiment.name();
    let mut unrecorded = 0;
    // Per (extension, unit kind): the candidates and the entries without a record.
    let mut candidates_of: HashMap<(&str, String), (Candidates, usize)> = HashMap::new();
    // The cause of each member that runs (the first phase of an experiment).
    let mut member_causes: Vec<Option<String>> = Vec::new();
    let mut phases: Vec<PhaseWhy> = Vec::new();
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
                (State::Corrupt, _) => "its cache entry is corrupt".to_string(),
                (State::BatchMate { .. }, _) => {
                    "trained again with its batch (another member of the batch is not cached)"
                        .to_string()
                }
                (_, Some(member_cause)) => format!("its members are trained: {member_cause}"),
                _ => {
                    let unit_kind = s.inputs[i]["unit"].as_str().unwrap_or_default();
                    let key = (s.ext, unit_kind.to_string());
                    if !candidates_of.contains_key(&key) {
                        let found = candidates(exec.store, s.ext, unit_kind, name)?;
                        unrecorded += found.1;
                        candidates_of.insert(key.clone(), found);
                    }
                    let (c, without) = &candidates_of[&key];
                    let ignore: &[&str] = match s.unit {
                        "pair" | "tie" => &["a", "b"],
                        _ => &[],
                    };
                    c.explain(s.kinds[i], &flatten(&s.inputs[i]), ignore)
                        .unwrap_or_else(|| no_candidate(s.unit, *without))
                }
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
        phases.push(PhaseWhy {
            unit: s.unit,
            total: s.hashes.len(),
            units,
        });
    }
    Ok(WhyReport {
        name: name.to_string(),
        phases,
        unrecorded,
    })
}

/// The cause of a missing unit with nothing recorded to compare it with.
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

/// The recorded cached units of one kind (`unit_kind`, the `unit` field of their inputs) under
/// extension `ext`: those `experiment` computed if any, else all; and how many entries under
/// `ext` have no inputs record.
fn candidates(
    store: &Store,
    ext: &str,
    unit_kind: &str,
    experiment: &str,
) -> Result<(Candidates, usize)> {
    let entries = store.inputs(ext)?;
    let without = entries.iter().filter(|e| e.record.is_none()).count();
    let of_kind: Vec<(bool, Flat)> = entries
        .iter()
        .filter_map(|e| e.record.as_ref())
        .filter(|r| r.inputs["unit"].as_str() == Some(unit_kind))
        .map(|r| (r.experiment == experiment, flatten(&r.inputs)))
        .collect();
    let same = of_kind.iter().any(|(same, _)| *same);
    let chosen = of_kind
        .into_iter()
        .filter(|(s, _)| *s || !same)
        .map(|(_, f)| f)
        .collect();
    Ok((Candidates::new(chosen), without))
}
