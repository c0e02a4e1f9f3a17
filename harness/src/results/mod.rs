//! The results stage: what a finished run writes to `artifacts/results/<name>/`.
//!
//! - [`tables`]: `members.csv`, `pairs.csv` and `summary.csv` of a network experiment;
//! - [`claims`]: the paper's claims judged on a summary, and `claims.csv`;
//! - [`warnings`]: what makes a run's CCE levels untrustworthy (the `warning` column of
//!   `claims.csv`, and the run's output);
//! - [`figure`]: the renderer and, beside it, each experiment kind's figure layout;
//! - [`paper_table`]: `harness table`, the summary as Markdown, LaTeX or CSV for a paper;
//! - [`accuracy`]: the tables of the estimator-accuracy experiment;
//! - [`experiment`]: a network experiment's results folder, put together;
//! - [`export`]: `harness export`, a cached member's or pair's tensors as CSV or NPY files;
//! - [`check`]: `harness check`, a finished run against a reference within the seed-to-seed
//!   variation (`replicas.csv`, the statistics, the verdicts);
//! - [`report_page`]: `harness report`, every results folder on one HTML page;
//! - this file: the run record (`run.json`), shared by every kind, and the folder's writing
//!   with its `SHA256SUMS`.

pub mod accuracy;
pub mod check;
pub mod claims;
pub mod experiment;
pub mod export;
pub mod figure;
pub mod paper_table;
pub mod report_page;
pub mod tables;
pub mod warnings;

use crate::cache::executor::PhaseStats;
use crate::cache::write_atomic;
use crate::estimators::pair::PairResult;
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
    pub seconds_members: f64,
    pub seconds_pairs: f64,
}

impl RunStats {
    /// From the executor's counts of the two phases.
    pub fn from_phases(members: PhaseStats, pairs: PhaseStats) -> Self {
        RunStats {
            members_run: members.run,
            members_reused: members.reused,
            pairs_run: pairs.run,
            pairs_reused: pairs.reused,
            corrupt_recomputed: members.corrupt_recomputed + pairs.corrupt_recomputed,
            seconds_members: members.seconds,
            seconds_pairs: pairs.seconds,
        }
    }

    pub fn units_run(&self) -> usize {
        self.members_run + self.pairs_run
    }
}

/// What identifies a run in its record: the experiment, its manifest and where it was read.
pub struct RecordHead<'a, M: Serialize> {
    pub experiment: &'a str,
    /// `estimator-accuracy`; absent for a network experiment.
    pub kind: Option<&'a str>,
    pub manifest_file: &'a Path,
    pub manifest_sha256: &'a str,
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
