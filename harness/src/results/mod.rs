//! The results stage: what a finished run writes to `artifacts/results/<name>/`.
//!
//! - [`tables`]: `members.csv`, `pairs.csv` and `summary.csv` of a network experiment;
//! - [`claims`]: the paper's claims judged on a summary, and `claims.csv`;
//! - [`warnings`]: what makes a run's CCE levels untrustworthy (the `warning` column of
//!   `claims.csv`, and the run's output);
//! - [`figure`]: the renderer and, beside it, each experiment kind's figure layout;
//! - [`paper_table`]: `harness table`, the summary as Markdown, LaTeX or CSV for a paper;
//! - [`accuracy`]: the tables of the estimator-accuracy experiment, [`accuracy_folder`] its
//!   results folder, [`accuracy_recheck`] two of its runs compared (`harness diff`);
//! - [`parts`]: an experiment's combinations of `sweep.over`, each summarized and judged;
//! - [`experiment`]: a network experiment's results folder, put together;
//! - [`overlap`]: `overlap.csv`, the training images the members of a pair share;
//! - [`export`]: `harness export`, a cached member's or pair's tensors as CSV or NPY files;
//! - [`check`]: `harness check`, a finished run against a reference within the seed-to-seed
//!   variation (`replicas.csv`, the statistics, the verdicts);
//! - [`report_page`]: `harness report`, every results folder on one HTML page;
//! - [`ties`]: `ties.csv`, the spread of each point's CCE over tie-breaking draws;
//! - this file: the run record (`run.json`), shared by every kind, and the folder's writing
//!   with its `SHA256SUMS`.

pub mod accuracy;
pub mod accuracy_folder;
pub mod accuracy_recheck;
pub mod check;
pub mod claims;
pub mod experiment;
pub mod export;
pub mod figure;
pub mod overlap;
pub mod paper_table;
pub mod parts;
pub mod report_page;
pub mod tables;
pub mod ties;
pub mod warnings;

use crate::alignment::PairResult;
use crate::cache::executor::PhaseStats;
use crate::cache::write_atomic;
use crate::identity::{canonical_json, sha256_hex, ALGORITHM_VERSION};
use crate::representations::MemberResult;
use anyhow::{Context, Result};
use serde::Serialize;
use std::fs;
use std::path::{Path, PathBuf};

/// Everything a network experiment's run produced, in plan order.
pub struct Outcome {
    pub members: Vec<MemberResult>,
    pub pairs: Vec<PairResult>,
    /// Each pair's extra tie-breaking draws, in the order of its `draws`.
    pub ties: Vec<Vec<PairResult>>,
    pub stats: RunStats,
}

/// Counts and timings of a network experiment's run.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RunStats {
    pub members_run: usize,
    pub members_reused: usize,
    pub pairs_run: usize,
    pub pairs_reused: usize,
    /// Cache entries that failed their checksum and were recomputed.
    pub corrupt_recomputed: usize,
    /// Units another process was computing when this run reached them (waited for, then
    /// read from the cache; run here only if that process died first).
    pub waited: usize,
    pub seconds_members: f64,
    pub seconds_pairs: f64,
    /// The extra tie-breaking draws (`ties.csv`).
    pub ties_run: usize,
    pub ties_reused: usize,
}

impl Outcome {
    /// The outcome of each `sweep.over` combination of `plan`, in order (the units moved, not
    /// copied; each part's stats are empty: the whole run's are the caller's). A plan without
    /// combinations gives the outcome itself.
    pub fn split(self, plan: &crate::plan::Plan) -> Vec<Outcome> {
        if plan.variants.is_empty() {
            return vec![self];
        }
        let mut members = self.members.into_iter();
        let mut pairs = self.pairs.into_iter();
        let mut ties = self.ties.into_iter();
        plan.variants
            .iter()
            .map(|v| Outcome {
                members: members.by_ref().take(v.members.len()).collect(),
                pairs: pairs.by_ref().take(v.pairs.len()).collect(),
                ties: ties.by_ref().take(v.pairs.len()).collect(),
                stats: RunStats::default(),
            })
            .collect()
    }
}

impl RunStats {
    /// From the executor's counts of the three phases.
    pub fn from_phases(members: PhaseStats, pairs: PhaseStats, ties: PhaseStats) -> Self {
        RunStats {
            members_run: members.run,
            members_reused: members.reused,
            pairs_run: pairs.run,
            pairs_reused: pairs.reused,
            corrupt_recomputed: members.corrupt_recomputed
                + pairs.corrupt_recomputed
                + ties.corrupt_recomputed,
            waited: members.waited + pairs.waited + ties.waited,
            seconds_members: members.seconds,
            seconds_pairs: pairs.seconds + ties.seconds,
            ties_run: ties.run,
            ties_reused: ties.reused,
        }
    }

    pub fn units_run(&self) -> usize {
        self.members_run + self.pairs_run + self.ties_run
    }
}

/// What identifies a run in its record: the experiment, its manifest and where it was read.
pub struct RecordHead<'a, M: Serialize> {
    pub experiment: &'a str,
    /// `estimator-accuracy`; absent for a network experiment.
    pub kind: Option<&'a str>,
    pub manifest_file: &'a Path,
    pub manifest_sha256: &'a str,
    /// The command line's `--set key=value` that changed the file's manifest, as given.
    pub overrides: &'a [String],
    pub manifest: &'a M,
}

/// `run.json` of any kind: the head, the harness and algorithm versions, the units run and
/// reused, the timings and the thread count. The kind adds its own fields to the result.
pub fn run_record<M: Serialize>(
    head: &RecordHead<'_, M>,
    units: serde_json::Value,
    timings: serde_json::Value,
) -> Result<serde_json::Value> {
    let mut record = serde_json::json!({
        "experiment": head.experiment,
        "manifest_file": head.manifest_file.display().to_string(),
        "manifest_sha256": head.manifest_sha256,
        "overrides": head.overrides,
        "manifest": serde_json::from_str::<serde_json::Value>(&canonical_json(head.manifest))?,
        "harness_version": env!("CARGO_PKG_VERSION"),
        "algorithm_version": ALGORITHM_VERSION,
        "units": units,
        "timings_seconds": timings,
        "threads": rayon::current_num_threads(),
    });
    if let Some(kind) = head.kind {
        record["kind"] = kind.into();
    }
    Ok(record)
}

/// One phase of a run for its cost record: units computed now, units in all, and the
/// seconds the phase took now.
#[derive(Clone, Copy, Debug)]
pub struct PhaseCost<'a> {
    pub name: &'a str,
    pub run: usize,
    pub total: usize,
    pub seconds: f64,
}

/// `cost_seconds` of `run.json`: what computing every unit of the manifest cost, phase by
/// phase, so that a cached rerun (which takes a fraction of a second) keeps the cold run's
/// cost. A phase this run computed whole costs this run's seconds; one it computed nothing of
/// keeps the cost `previous` (the folder's last `run.json`, when it recorded the same
/// manifest) recorded; one it computed in part adds this run's seconds to it. `complete` says
/// whether every unit's computation is counted (false when units were computed by other
/// processes, e.g. shards, and no run here computed them).
pub fn cost_record(
    previous: Option<&serde_json::Value>,
    phases: &[PhaseCost],
) -> serde_json::Value {
    let before = previous.and_then(|p| p.get("cost_seconds"));
    let mut complete = true;
    let mut record = serde_json::Map::new();
    for p in phases {
        let old = before.and_then(|b| b[p.name].as_f64());
        let old_complete = before.is_some_and(|b| b["complete"].as_bool() == Some(true));
        let (seconds, whole) = if p.total == 0 || p.run == p.total {
            (if p.total == 0 { 0.0 } else { p.seconds }, true)
        } else if p.run == 0 {
            (old.unwrap_or(0.0), old.is_some() && old_complete)
        } else {
            (
                old.unwrap_or(0.0) + p.seconds,
                old.is_some() && old_complete,
            )
        };
        complete &= whole;
        record.insert(p.name.to_string(), seconds.into());
    }
    record.insert("complete".into(), complete.into());
    record.into()
}

/// The `run.json` a results folder holds now, when it records the manifest `hash`.
pub fn previous_record(dir: &Path, hash: &str) -> Option<serde_json::Value> {
    let record: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("run.json")).ok()?).ok()?;
    (record["manifest_sha256"].as_str() == Some(hash)).then_some(record)
}

/// Writes a results folder as a whole: its files and their `SHA256SUMS` go to a temporary
/// folder beside it (`.<name>.tmp-<pid>`), which then replaces the folder by two renames under
/// the folder's lock (`.<name>.lock` beside it), so that a reader, `verify` or a process killed
/// at any moment finds the previous run's complete folder, this run's complete folder, or
/// none; never a mix. What an interrupted write leaves (dot-named) is swept by the next run.
/// Returns the folder.
pub fn write_results(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<PathBuf> {
    let parent = dir.parent().context("a results folder has a parent")?;
    let name = dir
        .file_name()
        .context("a results folder has a name")?
        .to_string_lossy()
        .into_owned();
    let pid = std::process::id();
    let tmp = parent.join(format!(".{name}.tmp-{pid}"));
    let written = (|| -> Result<()> {
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        let mut sums = String::new();
        for (file, bytes) in files {
            write_atomic(&tmp.join(file), bytes)?;
            sums.push_str(&format!("{}  {}\n", sha256_hex(bytes), file));
        }
        write_atomic(&tmp.join("SHA256SUMS"), sums.as_bytes())
    })();
    if let Err(e) = written {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e.context(format!("cannot write the results folder {}", dir.display())));
    }
    let lock_path = parent.join(format!(".{name}.lock"));
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .and_then(|f| f.lock().map(|()| f))
        .with_context(|| format!("cannot lock {}", lock_path.display()))?;
    let old = parent.join(format!(".{name}.old-{pid}"));
    if dir.exists() {
        fs::rename(dir, &old).with_context(|| format!("cannot move {} aside", dir.display()))?;
    }
    fs::rename(&tmp, dir).with_context(|| format!("cannot put {} in place", dir.display()))?;
    drop(lock);
    if old.exists() {
        fs::remove_dir_all(&old).with_context(|| format!("cannot remove {}", old.display()))?;
    }
    Ok(dir.to_path_buf())
}

/// How a run's results folder is chosen ([`claim_home`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Placement {
    /// The manifest as written in its file (no `--set`, `--seed` or `--device` that changes
    /// it): `results/<name>/`, which belongs to it.
    AsWritten,
    /// A manifest the command line changed: `results/<name>@<first 12 hex of its hash>/`.
    Variant,
    /// The user's `--label L`: `results/<name>@<L>/`.
    Label(String),
}

/// Where a run's results go, and what to tell the person who ran it about the place.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultsHome {
    pub dir: PathBuf,
    /// Why the results went where they went, when it is not plain `results/<name>/`, or what
    /// was moved to make room.
    pub note: Option<String>,
}

/// A `--label`: letters, digits, `_`, `-` and `.`, not starting with `.`, at most 64
/// characters, so that `results/<name>@<label>/` is one plain folder name.
pub fn parse_label(label: &str) -> Result<String, String> {
    let ok = !label.is_empty()
        && label.len() <= 64
        && !label.starts_with('.')
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(label.to_string())
    } else {
        Err(format!(
            "`{label}`: a label is 1 to 64 letters, digits, `_`, `-` or `.` (not starting \
             with `.`), e.g. width8"
        ))
    }
}

/// The placement of a run whose manifest hash is `hash`: its `label` if given; else
/// `AsWritten` when its file's own manifest (`as_written`: the file read again without the
/// command line's overrides, `crate::kinds::hash_as_written`) has that hash, `Variant` when
/// it has another. A file that cannot be read again (`None`: a library caller's made-up path)
/// is as written unless `overridden` (the manifest records `--set` values).
pub fn placement(
    as_written: Option<String>,
    hash: &str,
    overridden: bool,
    label: Option<&str>,
) -> Placement {
    if let Some(l) = label {
        return Placement::Label(l.to_string());
    }
    match as_written {
        Some(own) if own == hash => Placement::AsWritten,
        None if !overridden => Placement::AsWritten,
        _ => Placement::Variant,
    }
}

fn short(hash: &str) -> &str {
    &hash[..12.min(hash.len())]
}

/// Where a run of the manifest `name` with hash `hash` writes its results (see
/// [`Placement`]). A folder it takes that holds another manifest's results is first moved to
/// that manifest's own `results/<name>@<its hash>/` (removed instead when that folder exists
/// already with the same manifest's results), so no run's results are lost; a folder whose
/// `run.json` cannot be read (damaged, or an interrupted first write) is simply replaced.
pub fn claim_home(
    store: &crate::cache::Store,
    name: &str,
    hash: &str,
    placement: &Placement,
) -> Result<ResultsHome> {
    let plain = store.results_dir(name);
    let (dir, mut note) = match placement {
        Placement::AsWritten => (plain, None),
        Placement::Variant => (
            store.results_dir(&format!("{name}@{}", short(hash))),
            Some(format!(
                "the command line changed the manifest (sha256 {}…), so its results went to \
                 results/{name}@{}/; results/{name}/ belongs to the manifest as written in its \
                 file (use --label to name the folder)",
                short(hash),
                short(hash)
            )),
        ),
        Placement::Label(l) => (store.results_dir(&format!("{name}@{l}")), None),
    };
    if let Some(other) = recorded_hash(&dir).filter(|o| o != hash) {
        let aside = store.results_dir(&format!("{name}@{}", short(&other)));
        let folder = dir.file_name().unwrap_or_default().to_string_lossy();
        if recorded_hash(&aside).as_deref() == Some(other.as_str()) {
            fs::remove_dir_all(&dir).with_context(|| format!("cannot remove {}", dir.display()))?;
        } else {
            if aside.exists() {
                fs::remove_dir_all(&aside)
                    .with_context(|| format!("cannot remove {}", aside.display()))?;
            }
            fs::rename(&dir, &aside)
                .with_context(|| format!("cannot move {} to {}", dir.display(), aside.display()))?;
        }
        let moved = format!(
            "results/{folder}/ held another manifest of this name (sha256 {}…): its results \
             are now in results/{name}@{}/",
            short(&other),
            short(&other)
        );
        note = Some(match note {
            Some(n) => format!("{n}; {moved}"),
            None => moved,
        });
    }
    Ok(ResultsHome { dir, note })
}

/// The folder that holds the results of the manifest `name` with hash `hash`, if any:
/// `results/<name>/`, `results/<name>@<hash>/`, or a labelled `results/<name>@<label>/`
/// whose `run.json` records that hash.
pub fn find_results(store: &crate::cache::Store, name: &str, hash: &str) -> Option<PathBuf> {
    let first = [
        store.results_dir(name),
        store.results_dir(&format!("{name}@{}", short(hash))),
    ];
    if let Some(d) = first
        .iter()
        .find(|d| recorded_hash(d).as_deref() == Some(hash))
    {
        return Some(d.clone());
    }
    let mut labelled: Vec<PathBuf> = fs::read_dir(store.root().join("results"))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|f| f.to_string_lossy().starts_with(&format!("{name}@")))
        })
        .collect();
    labelled.sort();
    labelled
        .into_iter()
        .find(|d| recorded_hash(d).as_deref() == Some(hash))
}

/// [`find_results`], else `results/<name>/` (what a command that needs the results names in
/// its error).
pub fn results_of(store: &crate::cache::Store, name: &str, hash: &str) -> PathBuf {
    find_results(store, name, hash).unwrap_or_else(|| store.results_dir(name))
}

/// The manifest hash a results folder's `run.json` records, if it can be read.
pub fn recorded_hash(dir: &Path) -> Option<String> {
    let bytes = fs::read(dir.join("run.json")).ok()?;
    let record: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    record["manifest_sha256"].as_str().map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::Store;

    fn phase(name: &str, run: usize, total: usize, seconds: f64) -> PhaseCost<'_> {
        PhaseCost {
            name,
            run,
            total,
            seconds,
        }
    }

    #[test]
    fn a_cached_rerun_keeps_the_cold_run_s_cost() {
        let cold = cost_record(
            None,
            &[phase("members", 10, 10, 20.0), phase("pairs", 5, 5, 4.0)],
        );
        assert_eq!(
            cold,
            serde_json::json!({"members": 20.0, "pairs": 4.0, "complete": true})
        );
        let previous = serde_json::json!({"cost_seconds": cold});
        // Nothing computed: the cold cost stays.
        let cached = cost_record(
            Some(&previous),
            &[phase("members", 0, 10, 0.02), phase("pairs", 0, 5, 0.01)],
        );
        assert_eq!(cached, cold);
        // Part computed: added.
        let part = cost_record(
            Some(&previous),
            &[phase("members", 3, 10, 6.0), phase("pairs", 0, 5, 0.01)],
        );
        assert_eq!(part["members"], 26.0);
        assert_eq!(part["complete"], true);
        // No cold run known (units from other processes): incomplete.
        let unknown = cost_record(None, &[phase("members", 0, 10, 0.02)]);
        assert_eq!(
            unknown,
            serde_json::json!({"members": 0.0, "complete": false})
        );
    }

    fn write_run(dir: &Path, hash: &str) {
        write_results(
            dir,
            &[(
                "run.json".into(),
                format!("{{\"manifest_sha256\":\"{hash}\"}}").into_bytes(),
            )],
        )
        .unwrap();
    }

    /// results/<name>/ belongs to the manifest as written: a variant never takes it, even
    /// first; the manifest as written takes it back from anything else, which moves to its
    /// own @hash folder; a label is a folder of its own.
    #[test]
    fn each_manifest_finds_its_own_folder_and_nothing_is_lost() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path());
        let (file, variant, edited) = ("a".repeat(64), "b".repeat(64), "c".repeat(64));
        let home = claim_home(&store, "fig", &variant, &Placement::Variant).unwrap();
        assert_eq!(home.dir, store.results_dir("fig@bbbbbbbbbbbb"));
        assert!(home
            .note
            .unwrap()
            .contains("results/fig/ belongs to the manifest as written"));
        write_run(&home.dir, &variant);
        let home = claim_home(&store, "fig", &file, &Placement::AsWritten).unwrap();
        assert_eq!(
            (home.dir.clone(), home.note),
            (store.results_dir("fig"), None)
        );
        write_run(&home.dir, &file);
        // The file edited: its new manifest takes results/fig/, the old moves beside it.
        let home = claim_home(&store, "fig", &edited, &Placement::AsWritten).unwrap();
        assert_eq!(home.dir, store.results_dir("fig"));
        assert!(home
            .note
            .unwrap()
            .contains("now in results/fig@aaaaaaaaaaaa/"));
        assert!(!home.dir.exists());
        write_run(&home.dir, &edited);
        let label = claim_home(&store, "fig", &variant, &Placement::Label("w8".into())).unwrap();
        assert_eq!(label.dir, store.results_dir("fig@w8"));
        write_run(&label.dir, &variant);
        for (hash, dir) in [
            (&file, "fig@aaaaaaaaaaaa"),
            (&edited, "fig"),
            (&variant, "fig@bbbbbbbbbbbb"),
        ] {
            assert_eq!(
                find_results(&store, "fig", hash),
                Some(store.results_dir(dir))
            );
        }
        std::fs::remove_dir_all(store.results_dir("fig@bbbbbbbbbbbb")).unwrap();
        assert_eq!(
            find_results(&store, "fig", &variant),
            Some(store.results_dir("fig@w8"))
        );
        assert_eq!(find_results(&store, "fig", &"d".repeat(64)), None);
    }

    #[test]
    fn labels_are_plain_folder_names() {
        assert_eq!(parse_label("width8.v2-a_b"), Ok("width8.v2-a_b".into()));
        for bad in ["", ".hidden", "a/b", "a b", &"x".repeat(65)] {
            assert!(parse_label(bad).is_err(), "{bad:?}");
        }
    }
}
