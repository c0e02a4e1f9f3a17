//! Time estimates: the cost model's estimated work ([`crate::plan::work`]: member, pair and
//! accuracy units in multiply-adds up to a constant per kind; a pair's tie-breaking draws are
//! priced with it) turned into seconds by
//! rates calibrated on the run history of this machine (`plan --summary`, `plan --shards`,
//! the progress lines' overall ETA).
//!
//! A rate is core-seconds per unit of estimated cost, per kind of unit: over the finished runs
//! recorded on this host (the history's `host`) that computed a whole phase (every member,
//! or every pair), the phase's seconds × the run's threads, summed, over the phase's
//! estimated cost, summed (each recorded manifest planned again). An estimate divides by the
//! threads of the run to come. The cost model is coarse (training stops early when the loss
//! converges; the estimators' cost depends on the data), so an estimate is good to a factor of
//! about 2 within one kind of experiment; a kind never run on this machine has no rate and no
//! estimate.

use super::history::{self, RunEntry};
use crate::cache::progress::human;
use crate::cache::Store;
use crate::kinds;
use crate::plan::shard;
use crate::plan::work::Work;
use anyhow::Result;
use std::collections::{BTreeMap, HashSet};

/// The recorded runs a calibration reads at most (the newest).
const CALIBRATION_RUNS: usize = 30;

/// The kinds of unit the cost model prices: `member`, `pair` (with the tie-breaking draws),
/// `accuracy`.
pub type Costs = BTreeMap<&'static str, f64>;

/// Rates calibrated on one machine's run history.
#[derive(Clone, Debug, PartialEq)]
pub struct Rates {
    pub host: String,
    /// Core-seconds per unit of estimated cost, per kind.
    pub per_kind: BTreeMap<String, f64>,
    /// The runs it was calibrated on.
    pub runs: Vec<String>,
}

/// The estimated cost of the units of a plan that `pending` says (by index into
/// `work.units`), by kind.
pub fn costs(work: &Work, pending: &dyn Fn(usize) -> bool) -> Costs {
    let mut c = Costs::new();
    for (i, u) in work.units.iter().enumerate() {
        if let Some(kind) = kind_of(u.unit).filter(|_| pending(i)) {
            *c.entry(kind).or_default() += u.cost as f64;
        }
    }
    c
}

/// The kind of cost a recorded phase prices.
fn kind_of(unit: &str) -> Option<&'static str> {
    match unit {
        "member" => Some("member"),
        "pair" | "tie" => Some("pair"),
        "accuracy" => Some("accuracy"),
        _ => None,
    }
}

/// Rates from recorded runs (newest first) whose host is `host`; `plan_of` gives a record's
/// plan (`None`: it cannot be planned again, and is skipped).
pub fn calibrate_on(
    runs: &[RunEntry],
    host: &str,
    plan_of: &dyn Fn(&RunEntry) -> Option<Work>,
) -> Rates {
    let mut sums: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let mut used = Vec::new();
    for e in runs
        .iter()
        .filter(|e| e.host == host && !e.interrupted())
        .take(CALIBRATION_RUNS)
    {
        let Some(threads) = e.threads else { continue };
        let whole: Vec<&history::PhaseTiming> = e
            .phases
            .iter()
            .filter(|p| p.total > 0 && p.run == p.total && p.seconds > 0.0)
            .collect();
        if whole.is_empty() {
            continue;
        }
        let Some(plan) = plan_of(e) else { continue };
        let all = costs(&plan, &|_| true);
        let mut counted = false;
        for p in whole {
            let Some(kind) = kind_of(&p.unit) else {
                continue;
            };
            let Some(&cost) = all.get(kind).filter(|c| **c > 0.0) else {
                continue;
            };
            let s = sums.entry(kind.to_string()).or_default();
            s.0 += p.seconds * threads as f64;
            s.1 += cost;
            counted = true;
        }
        if counted {
            used.push(e.id.clone());
        }
    }
    Rates {
        host: host.to_string(),
        per_kind: sums
            .into_iter()
            .map(|(k, (seconds, cost))| (k, seconds / cost))
            .collect(),
        runs: used,
    }
}

/// Rates calibrated on this machine's recorded runs in `store`.
pub fn calibrate(store: &Store) -> Result<Rates> {
    let runs = history::list(store)?;
    Ok(calibrate_on(&runs, &history::host(), &|e| {
        history::manifest_of(e).and_then(|m| kinds::of(&m).work().ok())
    }))
}

/// Seconds for `costs` on `threads` threads; `Err` with the kinds that have no rate.
pub fn seconds(rates: &Rates, costs: &Costs, threads: usize) -> Result<f64, Vec<&'static str>> {
    let mut total = 0.0;
    let mut unknown = Vec::new();
    for (&kind, &cost) in costs.iter().filter(|(_, c)| **c > 0.0) {
        match rates.per_kind.get(kind) {
            Some(rate) => total += rate * cost / threads.max(1) as f64,
            None => unknown.push(kind),
        }
    }
    if unknown.is_empty() {
        Ok(total)
    } else {
        Err(unknown)
    }
}

/// Tells the progress lines ([`crate::cache::progress`]) how long each phase of a run of
/// `work` should take, for their whole-run ETA: the cost of the units without a cache entry,
/// at this machine's rates; nothing when a kind has no rate.
pub fn announce(work: &Work, store: &Store) -> Result<()> {
    let rates = calibrate(store)?;
    let threads = rayon::current_num_threads();
    let mut phases: Vec<(String, f64)> = Vec::new();
    for u in &work.units {
        if phases.last().is_none_or(|(p, _)| p != u.unit) {
            phases.push((u.unit.to_string(), 0.0));
        }
    }
    for (unit, estimate) in &mut phases {
        let pending = |i: usize| {
            let u = &work.units[i];
            u.unit == unit.as_str() && !store.has_entry(&u.hash, u.ext)
        };
        match seconds(&rates, &costs(work, &pending), threads) {
            Ok(s) => *estimate = s,
            Err(_) => {
                crate::cache::progress::set_run_estimate(Vec::new());
                return Ok(());
            }
        }
    }
    crate::cache::progress::set_run_estimate(phases);
    Ok(())
}

/// The indices of the units of `work` whose hash is in `pending`.
pub fn pending_in<'a>(work: &'a Work, pending: &'a HashSet<&str>) -> impl Fn(usize) -> bool + 'a {
    move |i| pending.contains(work.units[i].hash.as_str())
}

/// Where the rates come from, for the estimate's line.
fn calibrated(rates: &Rates) -> String {
    format!(
        "cost model calibrated on this machine ({}) from {} recorded run(s)",
        rates.host,
        rates.runs.len()
    )
}

/// `plan --summary`'s estimate line for the `pending` units of a plan.
pub fn summary_line(
    plan: &Work,
    pending: &dyn Fn(usize) -> bool,
    rates: &Rates,
    threads: usize,
) -> String {
    let c = costs(plan, pending);
    if c.values().all(|v| *v == 0.0) {
        return "estimated time: nothing to compute".into();
    }
    match seconds(rates, &c, threads) {
        Ok(s) => format!(
            "estimated time: {} on {threads} thread(s) for the units not cached ({})",
            human(s),
            calibrated(rates)
        ),
        Err(kinds) => format!(
            "estimated time: unknown: no finished run on this machine ({}) computed every {} \
             unit of its manifest, which the cost model is calibrated on (run one, e.g. `make \
             reproduce-fig1`)",
            rates.host,
            kinds.join(" or ")
        ),
    }
}

/// `plan --shards N`: each shard's groups, units and estimated cost (in the cost model's
/// multiply-adds, with its share), and its estimated seconds where the rates allow.
pub fn shard_lines(work: &Work, n: usize, rates: &Rates, threads: usize) -> String {
    let works = [work.clone()];
    let loads = shard::loads(&works, n);
    let total: u128 = loads.iter().map(|l| l.cost).sum::<u128>().max(1);
    let mut out = String::new();
    for (i, l) in loads.iter().enumerate() {
        let shard = shard::Shard {
            index: i + 1,
            count: n,
        };
        let selected: HashSet<usize> = shard::select(&works, shard).remove(0).into_iter().collect();
        let c = costs(work, &|j| selected.contains(&j));
        let time = match seconds(rates, &c, threads) {
            Ok(s) => format!(", about {} on {threads} thread(s)", human(s)),
            Err(_) => String::new(),
        };
        out.push_str(&format!(
            "shard {}/{n}: {} groups, {} member, {} pair, {} accuracy units; estimated cost \
             {:.3e} multiply-adds ({:.1} %){time}\n",
            i + 1,
            l.groups,
            l.members,
            l.pairs,
            l.units,
            l.cost as f64,
            100.0 * l.cost as f64 / total as f64
        ));
    }
    if !rates.per_kind.is_empty() {
        out.push_str(&format!("({})\n", calibrated(rates)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;
    use std::path::Path;

    const RELU: &str = "name: r\nseed: 3\ntask: {kind: linear-teacher, d: 5, n_test: 50}\n\
                        model: {kind: relu2, width: 3}\ntrain: {solver: adam, max_steps: 100}\n\
                        sweep: {snr: [1, 4], n_over_p: [0.5, 1, 2], replicas: 2, members: 3}\n";

    fn plan(text: &str) -> Work {
        crate::plan::plan(&Manifest::parse(text, Path::new("r.yaml")).unwrap()).work()
    }

    fn record(
        id: &str,
        host: &str,
        threads: usize,
        phases: &[(&str, usize, usize, f64)],
    ) -> RunEntry {
        let mut e: RunEntry = serde_json::from_value(serde_json::json!({
            "id": id, "time": "", "unix_ns": 0, "experiment": "r", "kind": "experiment",
            "manifest_file": "r.yaml", "manifest_sha256": "", "overrides": [],
            "manifest": null, "command": [], "cwd": "", "host": host,
            "harness_version": "", "git_commit": null, "git_dirty": null,
            "results_dir": "", "units_computed": 0, "units_reused": 0, "seconds": 0.0,
            "verdicts": []
        }))
        .unwrap();
        e.threads = Some(threads);
        e.phases = phases
            .iter()
            .map(|&(unit, run, total, seconds)| history::PhaseTiming {
                unit: unit.into(),
                run,
                total,
                seconds,
            })
            .collect();
        e
    }

    /// Rates are core-seconds per unit of cost over whole phases of this host's finished runs;
    /// an estimate scales with the cost and divides by the threads.
    #[test]
    fn rates_come_from_whole_phases_of_this_machine_s_runs() {
        let p = plan(RELU);
        let all = costs(&p, &|_| true);
        let (members, pairs) = (all["member"], all["pair"]);
        let runs = vec![
            record(
                "a",
                "here",
                2,
                &[("member", 36, 36, 10.0), ("pair", 0, 90, 0.1)],
            ),
            record(
                "b",
                "here",
                4,
                &[("member", 36, 36, 4.0), ("pair", 90, 90, 2.0)],
            ),
            // Another machine, and a phase computed in part: not read.
            record("c", "there", 1, &[("member", 36, 36, 1000.0)]),
            record("d", "here", 1, &[("member", 10, 36, 1000.0)]),
        ];
        let rates = calibrate_on(&runs, "here", &|_| Some(p.clone()));
        assert_eq!(rates.runs, ["a", "b"]);
        let member_rate = (10.0 * 2.0 + 4.0 * 4.0) / (2.0 * members);
        assert!((rates.per_kind["member"] - member_rate).abs() < 1e-12 * member_rate);
        assert!((rates.per_kind["pair"] - 8.0 / pairs).abs() < 1e-12 * rates.per_kind["pair"]);
        // The whole plan on 2 threads: 18 + 8 core-seconds, over 2.
        let s = seconds(&rates, &all, 2).unwrap();
        assert!((s - (18.0 + 8.0) / 2.0).abs() < 1e-9, "{s}");
        // Only the members of the first half pending: half the member cost.
        let half = costs(&p, &|i| p.units[i].unit == "member" && i < 18);
        assert!(half["member"] < members && !half.contains_key("pair"));
        // A kind never calibrated: no estimate, naming it.
        let none = calibrate_on(&runs, "elsewhere", &|_| Some(p.clone()));
        assert_eq!(seconds(&none, &all, 1), Err(vec!["member", "pair"]));
        let line = summary_line(&p, &|_| true, &rates, 2);
        assert!(
            line.contains("13 s on 2 thread(s)") && line.contains("(here) from 2"),
            "{line}"
        );
        assert!(summary_line(&p, &|_| false, &rates, 2).contains("nothing to compute"));
        assert!(summary_line(&p, &|_| true, &none, 2).contains("unknown"));
    }

    #[test]
    fn shard_lines_say_their_unit() {
        let m = plan(RELU);
        let rates = Rates {
            host: "here".into(),
            per_kind: BTreeMap::from([("member".into(), 1e-6), ("pair".into(), 1e-6)]),
            runs: vec!["a".into()],
        };
        let text = shard_lines(&m, 2, &rates, 1);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[0].contains("multiply-adds") && lines[0].contains(" on 1 thread(s)"),
            "{text}"
        );
        assert!(
            lines[2].contains("calibrated on this machine (here)"),
            "{text}"
        );
        let none = Rates {
            host: "x".into(),
            per_kind: BTreeMap::new(),
            runs: vec![],
        };
        assert!(!shard_lines(&m, 2, &none, 1).contains("thread"));
    }
}
