//! `harness why`: every unit a run of the manifest would compute, with its cause in the
//! manifest's terms, grouped, summary first. Which units run comes from
//! [`Executor::survey`], the staleness rule the run itself applies, over the phases the run
//! itself builds ([`Phases`], [`accuracy_phase`]); `harness plan` lists the same states. The
//! cause of a missing unit is its difference from the nearest cached unit whose inputs are
//! recorded ([`crate::plan::explain`]), preferring units the same experiment computed.

use super::run::{accuracy_phase, Phases};
use crate::cache::executor::{Executor, Phase};
use crate::cache::stale::State;
use crate::cache::Store;
use crate::identity::canonical_json;
use crate::manifest::AnyManifest;
use crate::plan::explain::{flatten, Candidates, Flat, Kind};
use crate::plan::{self, accuracy, member_label, pair_label};
use anyhow::Result;
use serde_json::Value;
use std::collections::HashMap;

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
    ext: &'static str,
}

impl Surveyed {
    fn of<T>(
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

    pub fn cached(&self) -> usize {
        self.states.iter().filter(|s| !s.runs()).count()
    }
}

fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::from_str(&canonical_json(v)).expect("canonical JSON parses")
}

/// Every phase of the manifest, surveyed: what `harness run` would compute now.
pub fn survey(manifest: &AnyManifest, exec: &Executor) -> Result<Vec<Surveyed>> {
    Ok(match manifest {
        AnyManifest::Experiment(m) => {
            let plan = plan::plan(m);
            let phases = Phases::of(&m.name, &plan);
            let members = Surveyed::of(&phases.members.0, &phases.members.1, exec, |i| {
                let u = &plan.members[i];
                let kind = Kind::Member {
                    compared: u.network > 0,
                };
                (member_label(&plan, u), json(&u.spec), kind, (i, i))
            });
            let pairs = Surveyed::of(&phases.pairs.0, &phases.pairs.1, exec, |i| {
                let p = &plan.pairs[i];
                (pair_label(&plan, p), json(&p.spec), Kind::Pair, (p.a, p.b))
            });
            let ties = Surveyed::of(&phases.ties.0, &phases.ties.1, exec, |t| {
                let (i, d) = phases.tie_index[t];
                let p = &plan.pairs[i];
                let label = format!("{}, tie-breaking draw {}", pair_label(&plan, p), d + 1);
                (label, json(&p.draws[d].spec), Kind::Pair, (p.a, p.b))
            });
            vec![members, pairs, ties]
        }
        AnyManifest::Accuracy(m) => {
            let plan = accuracy::plan(m)?;
            let (phase, batches) = accuracy_phase(&m.name, &plan);
            vec![Surveyed::of(&phase, &batches, exec, |i| {
                let u = &plan.units[i];
                (u.spec.label(), json(&u.spec), Kind::Accuracy, (i, i))
            })]
        }
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
pub fn why(manifest: &AnyManifest, exec: &Executor) -> Result<WhyReport> {
    let surveyed = survey(manifest, exec)?;
    let name = manifest.name();
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
