//! The results stage: what a finished run writes to `artifacts/results/<name>/`.
//!
//! - [`tables`]: `members.csv`, `pairs.csv` and `summary.csv` of a network experiment;
//! - [`claims`]: the paper's claims judged on a summary, and `claims.csv`;
//! - [`warnings`]: what makes a run's CCE levels untrustworthy (the `warning` column of
//!   `claims.csv`, and the run's output);
//! - [`figure`]: the renderer and, beside it, each experiment kind's figure layout;
//! - [`paper_table`]: `harness table`, the summary as Markdown, LaTeX or CSV for a paper;
//! - [`accuracy`]: the tables of the estimator-accuracy experiment, [`accuracy_folder`] its
//!   results folder;
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

/// Where a run's results go: `results/<name>/`, unless that folder holds the results of
/// another manifest under the same name, which are never replaced: then
/// `results/<name>@<first 12 hex of the hash>/`.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultsHome {
    pub dir: PathBuf,
    /// The hash of the other manifest that holds `results/<name>/`, when this run's results
    /// go beside it.
    pub beside: Option<String>,
}

/// The results folder of the manifest `name` with hash `hash` in `store` (see
/// [`ResultsHome`]). `results/<name>/` belongs to the first manifest that wrote it; a folder
/// whose `run.json` cannot be read (damaged, or an interrupted first write) is this name's
/// to repair.
pub fn results_home(store: &crate::cache::Store, name: &str, hash: &str) -> ResultsHome {
    let plain = store.results_dir(name);
    match recorded_hash(&plain) {
        Some(other) if other != hash => ResultsHome {
            dir: store.results_dir(&format!("{name}@{}", &hash[..12.min(hash.len())])),
            beside: Some(other),
        },
        _ => ResultsHome {
            dir: plain,
            beside: None,
        },
    }
}

/// The manifest hash a results folder's `run.json` records, if it can be read.
pub fn recorded_hash(dir: &Path) -> Option<String> {
    let bytes = fs::read(dir.join("run.json")).ok()?;
    let record: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    record["manifest_sha256"].as_str().map(String::from)
}
