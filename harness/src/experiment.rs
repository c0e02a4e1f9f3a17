//! Experiments: the plan of units a manifest expands to, and its execution against the cache.
//!
//! The plan is a deterministic list: members in the order (SNR, n, replica, network, member),
//! then the pairs of each replica: the unordered pairs of its members, or, in a comparison
//! experiment (`compare:`), the pairs (member m of the first network, member m of the
//! second), which were fitted on the same data. Units whose entry is in the cache are reused;
//! the others run in parallel (rayon) in batches (the missing members of one `relu2` replica
//! train together, see [`MemberSpec::batch_key`]) and are stored one artifact per member as
//! each batch finishes, so an interrupted run loses only the batches in flight. Results never
//! depend on the order units finish in, on the batching or on the thread count.

use crate::cache::Store;
use crate::identity::hash_of;
use crate::manifest::{Level, Manifest};
use crate::units::{run_pair, MemberResult, MemberSpec, PairResult, PairSpec, TaskData};
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::time::Instant;

/// One (noise level, n) point of the sweep.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub level: Level,
    pub n: usize,
    pub n_over_p: f64,
}

#[derive(Clone, Debug)]
pub struct PlannedMember {
    pub hash: String,
    pub spec: MemberSpec,
    pub point: usize,
    /// Index into [`Manifest::networks`]: 0 for `model`, 1 for `compare.model`.
    pub network: usize,
    pub replica: usize,
    pub member: usize,
}

#[derive(Clone, Debug)]
pub struct PlannedPair {
    pub hash: String,
    pub spec: PairSpec,
    /// Indices into `Plan::members`.
    pub a: usize,
    pub b: usize,
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub manifest_hash: String,
    pub points: Vec<Point>,
    pub members: Vec<PlannedMember>,
    pub pairs: Vec<PlannedPair>,
}

/// The experiment's identity: SHA-256 of the canonical manifest (description excluded).
pub fn manifest_hash(manifest: &Manifest) -> String {
    hash_of(manifest)
}

pub fn plan(manifest: &Manifest) -> Plan {
    let sweep = &manifest.sweep;
    let p = manifest.parameter_count();
    let mut points = Vec::new();
    let mut members = Vec::new();
    let mut pairs = Vec::new();
    for level in sweep.levels() {
        for &ratio in &sweep.n_over_p {
            let n = manifest.n_for(ratio);
            let point = points.len();
            points.push(Point {
                level,
                n,
                n_over_p: n as f64 / p as f64,
            });
            for replica in 0..sweep.replicas {
                let first = members.len();
                for (network, (model, train)) in manifest.networks().into_iter().enumerate() {
                    for member in 0..sweep.members {
                        let spec = MemberSpec::new(
                            manifest.seed,
                            &manifest.task,
                            model,
                            train,
                            level,
                            n,
                            replica,
                            member,
                            manifest.device,
                        );
                        members.push(PlannedMember {
                            hash: spec.hash(),
                            spec,
                            point,
                            network,
                            replica,
                            member,
                        });
                    }
                }
                let pairing: Vec<(usize, usize)> = if manifest.compare.is_some() {
                    (0..sweep.members)
                        .map(|m| (first + m, first + sweep.members + m))
                        .collect()
                } else {
                    (first..members.len())
                        .flat_map(|a| (a + 1..members.len()).map(move |b| (a, b)))
                        .collect()
                };
                for (a, b) in pairing {
                    let spec = PairSpec::new(
                        members[a].hash.clone(),
                        members[b].hash.clone(),
                        &manifest.alignment.report,
                        manifest.alignment.k,
                    )
                    .with_project(manifest.alignment.project);
                    pairs.push(PlannedPair {
                        hash: spec.hash(),
                        spec,
                        a,
                        b,
                    });
                }
            }
        }
    }
    Plan {
        manifest_hash: manifest_hash(manifest),
        points,
        members,
        pairs,
    }
}

pub const MEMBER_EXT: &str = "safetensors";
pub const PAIR_EXT: &str = "json";

/// Counts and timings of one run.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RunStats {
    pub members_run: usize,
    pub members_reused: usize,
    pub pairs_run: usize,
    pub pairs_reused: usize,
    /// Cache entries that failed their checksum and were recomputed.
    pub corrupt_recomputed: usize,
    pub seconds_members: f64,
    pub seconds_pairs: f64,
}

impl RunStats {
    pub fn units_run(&self) -> usize {
        self.members_run + self.pairs_run
    }
}

/// Everything a run produced, in plan order.
pub struct Outcome {
    pub members: Vec<MemberResult>,
    pub pairs: Vec<PairResult>,
    pub stats: RunStats,
}

/// Runs every unit of the plan that the cache lacks, and loads the rest.
pub fn execute(manifest: &Manifest, plan: &Plan, store: &Store, quiet: bool) -> Result<Outcome> {
    let mut stats = RunStats::default();
    let started = Instant::now();

    let cached: Vec<Option<MemberResult>> = plan
        .members
        .par_iter()
        .map(|m| store.load(&m.hash, MEMBER_EXT, MemberResult::decode))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|(result, corrupt)| {
            stats.corrupt_recomputed += corrupt as usize;
            result
        })
        .collect();
    let missing: Vec<usize> = (0..plan.members.len())
        .filter(|&i| cached[i].is_none())
        .collect();
    stats.members_reused = plan.members.len() - missing.len();
    stats.members_run = missing.len();
    let data = if missing.is_empty() {
        None
    } else {
        Some(TaskData::load(
            manifest.seed,
            &manifest.task,
            manifest.device,
        )?)
    };
    // The missing members, grouped into batches in plan order.
    let mut batches: Vec<(String, Vec<usize>)> = Vec::new();
    for &i in &missing {
        let key = plan.members[i].spec.batch_key();
        match batches.iter_mut().find(|(k, _)| *k == key) {
            Some((_, group)) => group.push(i),
            None => batches.push((key, vec![i])),
        }
    }
    let bar = progress(missing.len(), "train", quiet);
    let fresh: Vec<(usize, MemberResult)> = batches
        .par_iter()
        .map(|(_, group)| {
            let specs: Vec<&MemberSpec> = group.iter().map(|&i| &plan.members[i].spec).collect();
            let first = &plan.members[group[0]];
            let results = data
                .as_ref()
                .expect("data for missing members")
                .run_batch(&specs)
                .with_context(|| {
                    format!(
                        "member units {} ({}, {} member(s) trained together)",
                        &first.hash[..12],
                        member_label(plan, first),
                        group.len()
                    )
                })?;
            let mut out = Vec::with_capacity(group.len());
            for (&i, result) in group.iter().zip(results) {
                let m = &plan.members[i];
                store.put(&m.hash, MEMBER_EXT, &result.encode()?)?;
                crate::unitlog::computed("member", &m.hash, &member_label(plan, m));
                bar.inc(1);
                out.push((i, result));
            }
            Ok(out)
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    bar.finish_and_clear();
    let mut members = cached;
    for (i, r) in fresh {
        members[i] = Some(r);
    }
    let members: Vec<MemberResult> = members
        .into_iter()
        .map(|m| m.expect("every member loaded or run"))
        .collect();
    stats.seconds_members = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let bar = progress(plan.pairs.len(), "align", quiet);
    let pair_results: Vec<(PairResult, bool, bool)> = plan
        .pairs
        .par_iter()
        .map(|p| {
            let (hit, corrupt) = store.load(&p.hash, PAIR_EXT, |b| {
                Ok(serde_json::from_slice::<PairResult>(b)?)
            });
            let result = match hit {
                Some(r) => (r, false, corrupt),
                None => {
                    let r = run_pair(&p.spec, &members[p.a], &members[p.b]).with_context(|| {
                        format!("pair unit {} ({})", &p.hash[..12], pair_label(plan, p))
                    })?;
                    store.put(&p.hash, PAIR_EXT, serde_json::to_string(&r)?.as_bytes())?;
                    crate::unitlog::computed("pair", &p.hash, &pair_label(plan, p));
                    (r, true, corrupt)
                }
            };
            bar.inc(1);
            Ok(result)
        })
        .collect::<Result<_>>()?;
    bar.finish_and_clear();
    let mut pairs = Vec::with_capacity(pair_results.len());
    for (r, ran, corrupt) in pair_results {
        stats.pairs_run += ran as usize;
        stats.corrupt_recomputed += corrupt as usize;
        pairs.push(r);
    }
    stats.pairs_reused = plan.pairs.len() - stats.pairs_run;
    stats.seconds_pairs = started.elapsed().as_secs_f64();
    Ok(Outcome {
        members,
        pairs,
        stats,
    })
}

pub fn member_label(plan: &Plan, m: &PlannedMember) -> String {
    let pt = &plan.points[m.point];
    let network = if m.network > 0 {
        format!("{} ", m.spec.model.name())
    } else {
        String::new()
    };
    format!(
        "{network}{}={} n={} replica={} member={}",
        pt.level.column(),
        pt.level.value(),
        pt.n,
        m.replica,
        m.member
    )
}

/// `<member a> vs member <b>`: a pair by its members.
pub fn pair_label(plan: &Plan, p: &PlannedPair) -> String {
    format!(
        "{} vs member {}",
        member_label(plan, &plan.members[p.a]),
        plan.members[p.b].member
    )
}

fn progress(len: usize, what: &str, quiet: bool) -> ProgressBar {
    if quiet || len == 0 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:>6} [{bar:32}] {pos}/{len} units, {elapsed} elapsed, ETA {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(what.to_string());
    bar
}
