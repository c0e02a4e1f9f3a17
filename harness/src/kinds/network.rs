//! The network experiment (Figs. 1–5): a manifest without a top-level `kind`. Its members are
//! trained ([`crate::representations`]: the regression or classification task of its `task:`),
//! its pairs compared ([`crate::alignment`]), both through the one executor; its results folder
//! ([`crate::results::experiment`]) holds the tables, the claims and the figure. Also what the
//! commands that read a finished experiment need: its outcome from the cache
//! ([`cached_outcome`]) and C4 across several experiments ([`cross_experiment_c4`]).

use super::{json, Counted, Experiment, PhaseTime, Ran, Surveyed, UnitCount};
use crate::alignment::{run_pair, PairResult, PairSettings};
use crate::cache::executor::{self, Codec, Executor, Phase, Record};
use crate::cache::Store;
use crate::identity::canonical_json;
use crate::manifest::Manifest;
use crate::plan::explain::Kind;
use crate::plan::units::PairSpec;
use crate::plan::work::Work;
use crate::plan::{member_label, pair_label, plan, variant_manifest, Plan, MEMBER_EXT, PAIR_EXT};
use crate::representations::{MemberResult, TaskData};
use crate::results::claims::{self, claims_csv, Verdicts};
use crate::results::{self, write_results, Outcome, RunStats};
use anyhow::{bail, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

impl Experiment for Manifest {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "experiment"
    }

    fn hash(&self) -> String {
        crate::plan::manifest_hash(self)
    }

    fn canonical(&self) -> Value {
        json(self)
    }

    fn overrides(&self) -> &[String] {
        &self.overrides
    }

    fn work(&self) -> Result<Work> {
        Ok(plan(self).work())
    }

    fn run(&self, path: &Path, exec: &Executor, label: Option<&str>) -> Result<Ran> {
        let r = run_manifest_labelled(self, path, exec, label)?;
        let s = &r.stats;
        let mut units = vec![
            UnitCount {
                what: "members",
                verb: "trained",
                run: s.members_run,
                reused: s.members_reused,
            },
            UnitCount {
                what: "pairs",
                verb: "estimated",
                run: s.pairs_run,
                reused: s.pairs_reused,
            },
        ];
        if s.ties_run + s.ties_reused > 0 {
            units.push(UnitCount {
                what: "tie-breaking draws",
                verb: "estimated",
                run: s.ties_run,
                reused: s.ties_reused,
            });
        }
        Ok(Ran {
            units,
            corrupt_recomputed: s.corrupt_recomputed,
            waited: s.waited,
            name: r.name,
            hash: r.hash,
            results_dir: r.results_dir,
            note: r.note,
            verdicts: Some(r.verdicts),
            warnings: r.warnings,
            seconds: r.seconds,
            phases: vec![
                PhaseTime {
                    unit: "member",
                    run: s.members_run,
                    total: s.members_run + s.members_reused,
                    seconds: s.seconds_members,
                },
                PhaseTime {
                    unit: "pair",
                    run: s.pairs_run + s.ties_run,
                    total: s.pairs_run + s.pairs_reused + s.ties_run + s.ties_reused,
                    seconds: s.seconds_pairs,
                },
            ],
        })
    }

    fn run_units(&self, units: &[usize], exec: &Executor) -> Result<Counted> {
        let part = plan(self).restrict_to(units)?;
        let s = execute(self, &part, exec)?.stats;
        Ok(Counted {
            computed: s.units_run(),
            reused: s.members_reused + s.pairs_reused + s.ties_reused,
        })
    }

    fn survey(&self, exec: Option<&Executor>) -> Result<Vec<Surveyed>> {
        let plan = plan(self);
        let phases = Phases::of(&self.name, &plan);
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
        Ok(vec![members, pairs, ties])
    }

    fn network(&self) -> Option<&Manifest> {
        Some(self)
    }
}

/// What a finished run reports to the person who started it.
pub struct RunReport {
    pub name: String,
    pub hash: String,
    pub results_dir: PathBuf,
    /// Why the results went where they went, or what was moved to make room
    /// ([`results::claim_home`]).
    pub note: Option<String>,
    pub stats: RunStats,
    /// The claims under rule sets v1 and v2.
    pub verdicts: Verdicts,
    /// Warnings about the CCE estimates (`results::warnings`).
    pub warnings: Vec<String>,
    pub seconds: f64,
}

/// Runs a network experiment (regression or classification) and writes its results.
pub fn run_manifest(
    manifest: &Manifest,
    manifest_path: &Path,
    exec: &Executor,
) -> Result<RunReport> {
    run_manifest_labelled(manifest, manifest_path, exec, None)
}

/// [`run_manifest`], the results to the folder of `label` if given ([`results::Placement`]).
pub fn run_manifest_labelled(
    manifest: &Manifest,
    manifest_path: &Path,
    exec: &Executor,
    label: Option<&str>,
) -> Result<RunReport> {
    let started = Instant::now();
    let store = exec.store;
    let plan = plan(manifest);
    let outcome = execute(manifest, &plan, exec)?;
    let stats = outcome.stats.clone();
    let overridden = !manifest.overrides.is_empty();
    let placement = results::placement(
        super::hash_as_written(manifest_path),
        &plan.manifest_hash,
        overridden,
        label,
    );
    let home = results::claim_home(store, &manifest.name, &plan.manifest_hash, &placement)?;
    let written =
        results::experiment::write(manifest, manifest_path, &plan, outcome, &home.dir, started)?;
    Ok(RunReport {
        name: manifest.name.clone(),
        hash: plan.manifest_hash,
        results_dir: written.dir,
        note: home.note,
        stats,
        verdicts: written.verdicts,
        warnings: written.warnings,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The phases of a network experiment, each with its batches: what [`execute`] runs and what
/// `plan` and `why` survey ([`Executor::survey`]), built in one place so that they agree.
pub struct Phases<'a> {
    /// Members; batches as they train together (a `relu2` replica).
    pub members: (Phase<'a, MemberResult>, Vec<Vec<usize>>),
    /// Pairs, one by one.
    pub pairs: (Phase<'a, PairResult>, Vec<Vec<usize>>),
    /// The pairs' extra tie-breaking draws, one by one, and for each its (pair, draw) index.
    pub ties: (Phase<'a, PairResult>, Vec<Vec<usize>>),
    pub tie_index: Vec<(usize, usize)>,
}

fn pair_codec() -> Codec<PairResult> {
    Codec {
        ext: PAIR_EXT,
        encode: |r: &PairResult| Ok(serde_json::to_string(r)?.into_bytes()),
        decode: |b| Ok(serde_json::from_slice(b)?),
    }
}

impl<'a> Phases<'a> {
    pub fn of(name: &'a str, plan: &'a Plan) -> Self {
        let record = |inputs: Box<dyn Fn(usize) -> String + Sync + 'a>| {
            Some(Record {
                experiment: name,
                inputs,
            })
        };
        let members = Phase {
            what: "train",
            unit: "member",
            hashes: plan.members.iter().map(|m| m.hash.as_str()).collect(),
            codec: Codec {
                ext: MEMBER_EXT,
                encode: MemberResult::encode,
                decode: MemberResult::decode,
            },
            record: record(Box::new(move |i| canonical_json(&plan.members[i].spec))),
        };
        let member_batches = executor::grouped_by(plan.members.len(), |i| {
            (plan.members[i].variant, plan.members[i].spec.batch_key())
        });
        let pairs = Phase {
            what: "align",
            unit: "pair",
            hashes: plan.pairs.iter().map(|p| p.hash.as_str()).collect(),
            codec: pair_codec(),
            record: record(Box::new(move |i| canonical_json(&plan.pairs[i].spec))),
        };
        let tie_index: Vec<(usize, usize)> = plan
            .pairs
            .iter()
            .enumerate()
            .flat_map(|(i, p)| (0..p.draws.len()).map(move |d| (i, d)))
            .collect();
        let tie_hashes = tie_index
            .iter()
            .map(|&(i, d)| plan.pairs[i].draws[d].hash.as_str())
            .collect();
        let index = tie_index.clone();
        let ties = Phase {
            what: "ties",
            unit: "tie",
            hashes: tie_hashes,
            codec: pair_codec(),
            record: record(Box::new(move |t| {
                let (i, d) = index[t];
                canonical_json(&plan.pairs[i].draws[d].spec)
            })),
        };
        Phases {
            members: (members, member_batches),
            pairs: (pairs, executor::one_by_one(plan.pairs.len())),
            ties: (ties, executor::one_by_one(tie_index.len())),
            tie_index,
        }
    }
}

/// A pair unit's work (an estimate or a tie-breaking draw) on its two members' results.
fn estimate(spec: &PairSpec, a: &MemberResult, b: &MemberResult) -> Result<PairResult> {
    let settings = PairSettings {
        estimators: &spec.estimators,
        k: spec.k,
        project: spec.project,
        seed: spec.tie_break_seed(),
    };
    run_pair(a, b, &settings)
}

/// The member units of a network experiment, then its pair units and their tie-breaking
/// draws, through the executor: the members of one batch (a `relu2` replica) train together,
/// and are trained again together when any of them is missing; the experiment's data is
/// loaded only when some member must be trained.
pub fn execute(manifest: &Manifest, plan: &Plan, exec: &Executor) -> Result<Outcome> {
    // One data set per combination of `sweep.over` (its seed and task), loaded when needed.
    let data: Vec<OnceLock<Result<TaskData, String>>> = (0..plan.variants.len().max(1))
        .map(|_| OnceLock::new())
        .collect();
    let phases = Phases::of(&manifest.name, plan);
    let (members, member_batches) = phases.members;
    // Every batch to compute at once: per `sweep.over` combination, one fleet of classifiers
    // (or the regression batches side by side), each batch stored as soon as it is done.
    let (members, member_stats) = exec.execute_together(
        &members,
        member_batches,
        |batches, done| {
            let mut variants: Vec<usize> =
                batches.iter().map(|b| plan.members[b[0]].variant).collect();
            variants.sort_unstable();
            variants.dedup();
            for variant in variants {
                let ks: Vec<usize> = (0..batches.len())
                    .filter(|&k| plan.members[batches[k][0]].variant == variant)
                    .collect();
                let m = variant_manifest(manifest, plan, variant);
                let data = data[variant]
                    .get_or_init(|| {
                        TaskData::load(m.seed, &m.task, m.device).map_err(|e| format!("{e:#}"))
                    })
                    .as_ref()
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let specs: Vec<Vec<_>> = ks
                    .iter()
                    .map(|&k| batches[k].iter().map(|&i| &plan.members[i].spec).collect())
                    .collect();
                data.run_batches(&specs, &|j, results| done(ks[j], results))?;
            }
            Ok(())
        },
        |first, n| {
            let m = &plan.members[first];
            format!(
                "member units {} ({}, {n} member(s) trained together)",
                &m.hash[..12],
                member_label(plan, m)
            )
        },
    )?;
    let (pairs, pair_batches) = phases.pairs;
    let (pairs, pair_stats) = exec.execute(
        &pairs,
        pair_batches,
        |group| {
            let p = &plan.pairs[group[0]];
            Ok(vec![estimate(&p.spec, &members[p.a], &members[p.b])?])
        },
        |i, _| {
            let p = &plan.pairs[i];
            format!("pair unit {} ({})", &p.hash[..12], pair_label(plan, p))
        },
    )?;
    let (ties, tie_batches) = phases.ties;
    let tie_index = &phases.tie_index;
    let (draws, tie_stats) = exec.execute(
        &ties,
        tie_batches,
        |group| {
            let (i, d) = tie_index[group[0]];
            let p = &plan.pairs[i];
            Ok(vec![estimate(
                &p.draws[d].spec,
                &members[p.a],
                &members[p.b],
            )?])
        },
        |t, _| {
            let (i, d) = tie_index[t];
            let p = &plan.pairs[i];
            format!(
                "tie unit {} ({}, tie-breaking draw {})",
                &p.draws[d].hash[..12],
                pair_label(plan, p),
                d + 1
            )
        },
    )?;
    let mut ties: Vec<Vec<PairResult>> = plan.pairs.iter().map(|_| Vec::new()).collect();
    for (&(i, _), r) in tie_index.iter().zip(draws) {
        ties[i].push(r);
    }
    Ok(Outcome {
        members,
        pairs,
        ties,
        stats: RunStats::from_phases(member_stats, pair_stats, tie_stats),
    })
}

/// The verdict of C4 across experiments, the experiments' warnings about their CCE estimates
/// (each prefixed with its experiment's name) and the folder of its `claims.csv`.
pub struct CrossClaim {
    pub verdicts: Verdicts,
    pub warnings: Vec<String>,
    pub dir: PathBuf,
}

/// C4 judged across several finished experiments (e.g. fig1–fig3): every (experiment,
/// network, SNR) curve's points pooled, each experiment's summary rebuilt from its cached
/// units (nothing is trained: an experiment with missing units is an error naming it).
/// Writes `<artifacts>/results/claims/claims.csv` (with the experiments' warnings) and
/// returns the verdicts: C4 is the same rule in v1 and v2, so both rows hold the same verdict.
pub fn cross_experiment_c4(manifests: &[Manifest], store: &Store) -> Result<CrossClaim> {
    let mut experiments = Vec::new();
    let mut warnings = Vec::new();
    for manifest in manifests {
        let (plan, outcome) = cached_outcome(manifest, store)?;
        for part in results::parts::parts(manifest, &plan, outcome) {
            let name = match part.label() {
                l if l.is_empty() => manifest.name.clone(),
                l => format!("{} {l}", manifest.name),
            };
            warnings.extend(part.warnings.iter().map(|w| format!("{name}: {w}")));
            let groups = claims::data::from_rows(part.manifest, part.plan, &part.rows);
            experiments.push((name, part.plan.manifest_hash.clone(), groups));
        }
    }
    let verdicts = claims::across(&experiments);
    let dir = write_results(
        &store.results_dir("claims"),
        &[("claims.csv".to_string(), claims_csv(&verdicts, &warnings)?)],
    )?;
    Ok(CrossClaim {
        verdicts,
        warnings,
        dir,
    })
}

/// A finished network experiment's plan and outcome, read from the cache (nothing is
/// trained: an experiment with missing units is an error naming it and how many). The
/// estimates only: the tie-breaking draws are left out of the plan.
pub fn cached_outcome(manifest: &Manifest, store: &Store) -> Result<(Plan, Outcome)> {
    let mut plan = plan(manifest);
    for p in &mut plan.pairs {
        p.draws.clear();
    }
    let missing = plan.work().missing(store);
    if missing > 0 {
        bail!(
            "experiment `{}` has {missing} units not in the cache: run it first (`harness run`)",
            manifest.name
        );
    }
    let exec = Executor {
        quiet: true,
        ..Executor::new(store)
    };
    let outcome = execute(manifest, &plan, &exec)?;
    Ok((plan, outcome))
}

#[cfg(test)]
mod tests {
    use super::run_manifest;
    use crate::cache::executor::Executor;
    use crate::cache::Store;
    use crate::manifest::Manifest;
    use std::path::Path;

    const TINY: &str = "name: tiny
seed: 11
figure: fig4
task:
  kind: classification
  dataset: digits
  n_test: 200
model:
  kind: fcnn
  width: 3
train:
  solver: sgd
  epochs: 4
  batch_size: 32
sweep:
  label_noise: [0, 0.4]
  n_over_p: [0.5, 2.0]
  replicas: 2
  members: 2
";

    #[test]
    fn a_digits_experiment_runs_end_to_end_reproducibly() {
        let m = Manifest::parse(TINY, Path::new("tiny.yaml")).unwrap();
        let read = |dir: &Path, f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
        let first = tempfile::tempdir().unwrap();
        let run = |dir: &Path| {
            let store = Store::new(dir);
            let exec = Executor {
                quiet: true,
                ..Executor::new(&store)
            };
            run_manifest(&m, Path::new("tiny.yaml"), &exec).unwrap()
        };
        let r = run(first.path());
        assert_eq!(r.stats.members_run, 16);
        let summary = read(&r.results_dir, "summary.csv");
        let header = summary.lines().next().unwrap();
        assert!(header.starts_with("label_noise,n,p,n_over_p,"), "{header}");
        for col in [
            "cce_ksg_mean",
            "cce_gaussian_mean",
            "test_loss_mean",
            "train_error_mean",
        ] {
            assert!(header.contains(col), "{header}");
        }
        assert_eq!(summary.lines().count(), 1 + 4);
        let members = read(&r.results_dir, "members.csv");
        // The recorded fraction of changed labels: 0 at label noise 0; 0.4 replaces 40%, about
        // 36% change class. (That the network trains on those labels, and that the errors are
        // measured on the right sets, is checked in tests/classification_science.rs.)
        let column = members
            .lines()
            .next()
            .unwrap()
            .split(',')
            .position(|h| h == "labels_changed")
            .expect("a labels_changed column");
        for line in members.lines().skip(1) {
            let c: Vec<&str> = line.split(',').collect();
            let changed: f64 = c[column].parse().unwrap();
            match c[0] {
                "0.0" => assert_eq!(changed, 0.0, "{line}"),
                _ => assert!((0.1..0.6).contains(&changed), "{line}"),
            }
        }
        let split = read(&r.results_dir, "split.csv");
        assert_eq!(
            split.lines().filter(|l| l.starts_with("test,")).count(),
            200
        );
        let record = read(&r.results_dir, "run.json");
        assert!(record.contains("test_rows_sha256"), "{record}");
        // A second cold run elsewhere gives the same bytes.
        let second = tempfile::tempdir().unwrap();
        let r2 = run(second.path());
        for f in ["members.csv", "pairs.csv", "summary.csv", "split.csv"] {
            assert_eq!(read(&r.results_dir, f), read(&r2.results_dir, f), "{f}");
        }
    }
}
