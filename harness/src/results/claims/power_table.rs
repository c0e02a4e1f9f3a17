//! `harness power`: with finished results folders as the pilot, the replicas per point that
//! give each v3 claim a 90 % chance to pass ([`super::power`]), and what they would cost on
//! the machine that ran the pilot (docs/POWER.md). Reads `summary.csv` and `replicas.csv`;
//! the cost comes from a cold run of the same manifest (its hash in `replicas.csv`), recorded
//! in the run history, or from the folder's own `run.json` if that run was cold.

use super::power::{self, Needed};
use super::{data, judge_groups, v3};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// One claim of one pilot experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub experiment: String,
    pub claim: &'static str,
    /// The v3 verdict on the pilot and its robustness.
    pub result: &'static str,
    pub robustness: f64,
    /// The test that needs the most replicas, its effect and the effect's SD per replica
    /// (its standard error × √R).
    pub test: String,
    pub effect: f64,
    pub sd: f64,
    /// Replicas per point of the pilot.
    pub pilot: usize,
    pub needed: Needed,
    /// CPU minutes of the whole experiment at the needed replicas per point, from the pilot's
    /// cold run (its wall time × threads, per replica).
    pub cpu_minutes: Option<f64>,
}

/// CPU minutes per replica of a cold run recorded in `run.json` (wall seconds × threads /
/// replicas), `None` when the record is missing or reused cached units.
pub fn cpu_minutes_per_replica(record: &Path) -> Option<f64> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(record).ok()?).ok()?;
    let units = &v["units"];
    let reused = units["members_reused"].as_u64()? + units["pairs_reused"].as_u64()?;
    if reused > 0 {
        return None;
    }
    let seconds = v["timings_seconds"]["total"].as_f64()?;
    let threads = v["threads"].as_f64()?;
    let replicas = v["replicas"].as_f64()?;
    Some(seconds * threads / replicas / 60.0)
}

/// The rows of one pilot folder; `costs`: CPU minutes per replica by manifest hash (from the
/// run history's cold runs).
pub fn rows(folder: &Path, costs: &BTreeMap<String, f64>) -> Result<Vec<Row>> {
    let (groups, hash) = data::read_folder(folder)
        .with_context(|| format!("reading the pilot {}", folder.display()))?;
    let name = folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let pilot = data::replicas_per_n(&groups)
        .into_values()
        .max()
        .unwrap_or(0);
    let verdicts = judge_groups(&groups);
    let effects = v3::effects(&groups);
    let tests = power::tests(&effects);
    let per_replica = costs
        .get(&hash)
        .copied()
        .or_else(|| cpu_minutes_per_replica(&folder.join("run.json")));
    let mut out = Vec::new();
    for v in &verdicts.v3 {
        let Some((_, list)) = tests.iter().find(|(c, _)| *c == v.claim) else {
            continue;
        };
        let (needed, worst) = power::needed_for(list, pilot);
        let found = worst
            .as_ref()
            .and_then(|w| list.iter().find(|(n, _, _)| n == w));
        let (test, effect, sd) = match found {
            Some((n, e, _)) => (n.clone(), e.estimate, e.se * (pilot as f64).sqrt()),
            None => (String::new(), f64::NAN, f64::NAN),
        };
        let cpu_minutes = match (&needed, per_replica) {
            (Needed::Replicas(r), Some(m)) => Some(m * (*r as f64)),
            _ => None,
        };
        out.push(Row {
            experiment: name.clone(),
            claim: v.claim,
            result: v.result(),
            robustness: v.robustness.as_ref().map_or(f64::NAN, |r| r.same),
            test,
            effect,
            sd,
            pilot,
            needed,
            cpu_minutes,
        });
    }
    Ok(out)
}

/// The rows as a Markdown table.
pub fn markdown(rows: &[Row]) -> String {
    let mut s = String::from(
        "| experiment | claim | v3 on the pilot (robustness) | test needing the most replicas | effect | SD per replica | pilot replicas | replicas for 90 % | CPU min at that count |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let num = |x: f64| {
            if x.is_finite() {
                format!("{x:.4}")
            } else {
                "–".into()
            }
        };
        let needed = match &r.needed {
            Needed::Replicas(n) => n.to_string(),
            Needed::Beyond => format!("> {}", power::CAP),
            Needed::FailsAtAnyCount(_) => "fails at any count".into(),
            Needed::NotApplicable => "N/A".into(),
        };
        s += &format!(
            "| {} | {} | {} ({:.3}) | {} | {} | {} | {} | {} | {} |\n",
            r.experiment,
            r.claim,
            r.result,
            r.robustness,
            if r.test.is_empty() { "–" } else { &r.test },
            num(r.effect),
            num(r.sd),
            r.pilot,
            needed,
            r.cpu_minutes.map_or("–".into(), |m| format!("{m:.1}"))
        );
    }
    s
}
