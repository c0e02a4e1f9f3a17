//! The run history: one record per `harness run` of a manifest, under
//! `<artifacts>/history/<run id>.json`, each written once, atomically, and never changed
//! (append-only: a record is a new file). A record says when and where the run happened (UTC
//! time, host, git commit of the working directory and whether it had uncommitted changes,
//! harness version, the command line), what ran (the manifest file, its canonical form and
//! hash, the `--set` overrides) and what came out (units computed and reused, the results
//! folder, the verdicts). `harness runs` lists them newest first; `harness diff` reads them.

use crate::cache::{write_atomic, Store};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{SystemTime, UNIX_EPOCH};

/// CPU minutes per replica of each experiment's most recent cold run (nothing reused), by
/// manifest hash: the run's wall seconds × this machine's cores ÷ its `sweep.replicas`, for
/// `harness power`'s cost column.
pub fn cold_minutes_per_replica(store: &Store) -> Result<std::collections::BTreeMap<String, f64>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let mut out = std::collections::BTreeMap::new();
    for e in list(store)? {
        let replicas = e.manifest["sweep"]["replicas"].as_f64();
        if e.kind != "experiment" || e.units_reused > 0 || out.contains_key(&e.manifest_sha256) {
            continue;
        }
        if let Some(r) = replicas.filter(|r| *r > 0.0) {
            out.insert(e.manifest_sha256.clone(), e.seconds * cores / r / 60.0);
        }
    }
    Ok(out)
}

/// List the recorded runs, newest first: id, time, experiment, manifest hash, units
/// computed, git commit, overrides (from <artifacts>/history/, one record per run).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only the runs of the experiments whose name starts with this (`fig2` lists
    /// `fig2_relu`'s).
    pub experiment: Option<String>,
}

/// `harness runs`.
pub fn main(ctx: &super::Context, args: Args) -> Result<ExitCode> {
    let runs = matching(list(&ctx.store)?, args.experiment.as_deref());
    if runs.is_empty() {
        println!("no runs recorded in {}", history_dir(&ctx.store).display());
    } else {
        print!("{}", table(&runs));
    }
    Ok(ExitCode::SUCCESS)
}

/// One run, as recorded.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunEntry {
    /// `YYYYMMDD-HHMMSS-xxxx` (UTC; four hex digits that tell apart runs of one second).
    pub id: String,
    /// When the run started: RFC 3339, UTC, e.g. `2026-11-30T23:15:02Z`.
    pub time: String,
    /// Nanoseconds since the Unix epoch (the listing's order).
    pub unix_ns: u64,
    pub experiment: String,
    /// `experiment` or `estimator-accuracy`.
    pub kind: String,
    pub manifest_file: String,
    pub manifest_sha256: String,
    /// The `--set key=value` given (`--seed N` as `seed=N`).
    pub overrides: Vec<String>,
    /// The canonical manifest that ran (what `diff` compares key by key).
    pub manifest: serde_json::Value,
    /// The harness's command line, as run.
    pub command: Vec<String>,
    pub cwd: String,
    pub host: String,
    pub harness_version: String,
    /// The commit of the working directory's git repository; `None` outside one.
    pub git_commit: Option<String>,
    /// Whether the run cannot be rebuilt from that commit alone: tracked files differed from
    /// it, or the manifest file was not committed as it was run (see `manifest_git`).
    pub git_dirty: Option<bool>,
    /// The manifest file against that commit: `committed`, `modified`, `untracked` or
    /// `outside the repository`; `None` outside a repository (and in records written before
    /// this field).
    #[serde(default)]
    pub manifest_git: Option<String>,
    /// The results folder (absolute); empty for an interrupted run, which wrote none.
    pub results_dir: String,
    pub units_computed: usize,
    pub units_reused: usize,
    pub seconds: f64,
    /// `C1=PASS`, …; empty for the estimator-accuracy kind.
    pub verdicts: Vec<String>,
    /// `finished`, or `interrupted` for a run stopped by SIGINT or SIGTERM (records written
    /// before this field are finished runs).
    #[serde(default = "finished")]
    pub outcome: String,
    /// Each phase's units computed, units in all and seconds (what `plan --summary`'s cost
    /// model is calibrated on); empty in records written before this field.
    #[serde(default)]
    pub phases: Vec<PhaseTiming>,
    /// The worker threads of the run.
    #[serde(default)]
    pub threads: Option<usize>,
}

/// One phase of a recorded run: `member` (training), `pair` (the pairs and their
/// tie-breaking draws) or `accuracy`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseTiming {
    pub unit: String,
    pub run: usize,
    pub total: usize,
    pub seconds: f64,
}

fn finished() -> String {
    "finished".into()
}

impl RunEntry {
    /// Whether the run was stopped before it finished.
    pub fn interrupted(&self) -> bool {
        self.outcome == "interrupted"
    }
}

/// What a finished run hands to [`record`].
pub struct Finished<'a> {
    pub experiment: &'a str,
    pub kind: &'a str,
    pub manifest_file: &'a Path,
    pub manifest_sha256: &'a str,
    pub overrides: &'a [String],
    /// The canonical manifest ([`crate::kinds::Experiment::canonical`]).
    pub manifest: serde_json::Value,
    pub results_dir: &'a Path,
    pub units_computed: usize,
    pub units_reused: usize,
    pub seconds: f64,
    pub verdicts: Vec<String>,
    pub phases: Vec<PhaseTiming>,
    /// `finished`, or `interrupted`.
    pub outcome: &'a str,
}

/// The history folder of an artifacts folder.
pub fn history_dir(store: &Store) -> PathBuf {
    store.root().join("history")
}

/// Records a finished run (a new file, written atomically); returns its entry.
pub fn record(store: &Store, run: &Finished<'_>) -> Result<RunEntry> {
    // The run's start: now, less the time it took.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the clock is before 1970")?
        .saturating_sub(std::time::Duration::from_secs_f64(run.seconds.max(0.0)));
    let unix_ns = now.as_nanos() as u64;
    let (date, clock) = utc(now.as_secs());
    let tag = crate::identity::sha256_hex(
        format!("{unix_ns}/{}/{}", std::process::id(), run.manifest_sha256).as_bytes(),
    );
    let id = format!(
        "{}-{}-{}",
        date.replace('-', ""),
        clock.replace(':', ""),
        &tag[..4]
    );
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let (git_commit, tracked_dirty) = git_state(&cwd);
    let manifest_git = git_commit
        .as_ref()
        .and_then(|_| manifest_state(&cwd, run.manifest_file));
    let git_dirty =
        tracked_dirty.map(|d| d || manifest_git.as_deref().is_some_and(|m| m != "committed"));
    let entry = RunEntry {
        id,
        time: format!("{date}T{clock}Z"),
        unix_ns,
        experiment: run.experiment.to_string(),
        kind: run.kind.to_string(),
        manifest_file: run.manifest_file.display().to_string(),
        manifest_sha256: run.manifest_sha256.to_string(),
        overrides: run.overrides.to_vec(),
        manifest: run.manifest.clone(),
        command: std::env::args().collect(),
        cwd: cwd.display().to_string(),
        host: host(),
        harness_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit,
        git_dirty,
        manifest_git,
        results_dir: if run.results_dir.as_os_str().is_empty() {
            String::new()
        } else {
            std::path::absolute(run.results_dir)?.display().to_string()
        },
        units_computed: run.units_computed,
        units_reused: run.units_reused,
        seconds: run.seconds,
        verdicts: run.verdicts.clone(),
        outcome: run.outcome.to_string(),
        phases: run.phases.clone(),
        threads: Some(rayon::current_num_threads()),
    };
    let path = history_dir(store).join(format!("{}.json", entry.id));
    write_atomic(&path, &serde_json::to_vec_pretty(&entry)?)
        .with_context(|| format!("cannot record the run in {}", path.display()))?;
    Ok(entry)
}

/// Every recorded run, newest first. A record that cannot be read is an error naming it.
pub fn list(store: &Store) -> Result<Vec<RunEntry>> {
    let dir = history_dir(store);
    let mut entries = Vec::new();
    let files = match std::fs::read_dir(&dir) {
        Ok(files) => files,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(entries),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    for f in files {
        let path = f?.path();
        let is_record = path.extension().is_some_and(|e| e == "json")
            && !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if !is_record {
            continue;
        }
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let entry: RunEntry = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a run record", path.display()))?;
        entries.push(entry);
    }
    entries.sort_by(|a, b| b.unix_ns.cmp(&a.unix_ns).then(b.id.cmp(&a.id)));
    Ok(entries)
}

/// The run whose id is `id` or starts with it; an error when none or several match.
pub fn find(store: &Store, id: &str) -> Result<RunEntry> {
    let all = list(store)?;
    let hits: Vec<&RunEntry> = all.iter().filter(|e| e.id.starts_with(id)).collect();
    match hits.as_slice() {
        [one] => Ok((*one).clone()),
        [] => bail!(
            "no run `{id}` in {} (`harness runs` lists them; or give a manifest file)",
            history_dir(store).display()
        ),
        many => bail!(
            "`{id}` matches {} runs ({}): give more of the id",
            many.len(),
            many.iter()
                .map(|e| e.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `harness runs`: one line per run, newest first, aligned columns.
pub fn table(entries: &[RunEntry]) -> String {
    let mut rows = vec![[
        "run".to_string(),
        "time (UTC)".to_string(),
        "experiment".to_string(),
        "sha256".to_string(),
        "units run/all".to_string(),
        "git".to_string(),
        "overrides".to_string(),
    ]];
    for e in entries {
        let git = match (&e.git_commit, e.git_dirty) {
            (Some(c), Some(true)) => format!("{}+dirty", &c[..c.len().min(8)]),
            (Some(c), _) => c[..c.len().min(8)].to_string(),
            (None, _) => "-".to_string(),
        };
        rows.push([
            e.id.clone(),
            e.time.replace('T', " ").trim_end_matches('Z').to_string(),
            e.experiment.clone(),
            e.manifest_sha256[..12.min(e.manifest_sha256.len())].to_string(),
            if e.interrupted() {
                format!("{} (interrupted)", e.units_computed)
            } else {
                format!("{}/{}", e.units_computed, e.units_computed + e.units_reused)
            },
            git,
            if e.overrides.is_empty() {
                "-".to_string()
            } else {
                e.overrides.join(" ")
            },
        ]);
    }
    super::aligned(&rows, "")
}

/// (date `YYYY-MM-DD`, time `HH:MM:SS`) in UTC of a Unix time in seconds.
pub fn utc(secs: u64) -> (String, String) {
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    // Days to the civil date (proleptic Gregorian; H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!(
            "{:02}:{:02}:{:02}",
            rest / 3600,
            (rest % 3600) / 60,
            rest % 60
        ),
    )
}

/// A recorded run's manifest, parsed again from its canonical form; `None` when it no longer
/// parses or no longer has the recorded hash (another harness version).
pub fn manifest_of(e: &RunEntry) -> Option<crate::manifest::AnyManifest> {
    let text = serde_json::to_string(&e.manifest).ok()?;
    let path = Path::new(&e.manifest_file);
    let m = crate::manifest::parse_any(&text, path, &Default::default()).ok()?;
    (crate::kinds::of(&m).hash() == e.manifest_sha256).then_some(m)
}

/// The machine's name (Linux's, else `$HOSTNAME`, else `unknown`).
pub fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// The commit checked out in `dir`'s git repository and whether tracked files differ from
/// it; `(None, None)` outside a repository or without git.
fn git_state(dir: &Path) -> (Option<String>, Option<bool>) {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let Some(commit) = git(&["rev-parse", "HEAD"]) else {
        return (None, None);
    };
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).map(|s| !s.is_empty());
    (Some(commit.trim().to_string()), dirty)
}

/// The manifest file `file` (relative to `dir` or absolute) against the commit of `dir`'s
/// repository: `committed` (tracked and unchanged), `modified`, `untracked` (or ignored), or
/// `outside the repository`; `None` when git cannot say.
pub fn manifest_state(dir: &Path, file: &Path) -> Option<String> {
    let git = |args: &[&std::ffi::OsStr]| {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
    };
    let path = file.as_os_str();
    let listed = git(&[
        "ls-files".as_ref(),
        "--error-unmatch".as_ref(),
        "--".as_ref(),
        path,
    ])?;
    if !listed.status.success() {
        let why = String::from_utf8_lossy(&listed.stderr);
        return Some(if why.contains("outside repository") {
            "outside the repository".into()
        } else {
            "untracked".into()
        });
    }
    let same = git(&[
        "diff".as_ref(),
        "--quiet".as_ref(),
        "HEAD".as_ref(),
        "--".as_ref(),
        path,
    ])?;
    match same.status.code() {
        Some(0) => Some("committed".into()),
        Some(1) => Some("modified".into()),
        _ => None,
    }
}

/// The runs of the experiments whose name starts with `prefix` (all without one), in the
/// order given: `harness runs fig2` lists `fig2_relu`'s.
pub fn matching(runs: Vec<RunEntry>, prefix: Option<&str>) -> Vec<RunEntry> {
    runs.into_iter()
        .filter(|e| prefix.is_none_or(|p| e.experiment.starts_with(p)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A manifest file's state against its repository's commit, as the run record keeps it.
    #[test]
    fn the_manifest_file_is_committed_modified_untracked_or_outside() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir(&repo).unwrap();
        let git = |args: &[&str]| {
            let ok = Command::new("git")
                .arg("-C")
                .arg(&repo)
                .args(args)
                .output()
                .unwrap()
                .status
                .success();
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q"]);
        git(&["config", "user.email", "t@example.com"]);
        git(&["config", "user.name", "t"]);
        std::fs::write(repo.join("m.yaml"), "seed: 1\n").unwrap();
        git(&["add", "m.yaml"]);
        git(&["commit", "-q", "-m", "m"]);
        let state = |f: &Path| manifest_state(&repo, f);
        assert_eq!(state(Path::new("m.yaml")).as_deref(), Some("committed"));
        std::fs::write(repo.join("m.yaml"), "seed: 2\n").unwrap();
        assert_eq!(state(Path::new("m.yaml")).as_deref(), Some("modified"));
        std::fs::write(repo.join("new.yaml"), "seed: 3\n").unwrap();
        assert_eq!(state(Path::new("new.yaml")).as_deref(), Some("untracked"));
        let outside = dir.path().join("out.yaml");
        std::fs::write(&outside, "seed: 4\n").unwrap();
        assert_eq!(state(&outside).as_deref(), Some("outside the repository"));
    }

    #[test]
    fn runs_are_matched_by_the_start_of_their_experiment_s_name() {
        let entry = |experiment: &str| RunEntry {
            id: experiment.into(),
            time: String::new(),
            unix_ns: 0,
            experiment: experiment.into(),
            kind: "experiment".into(),
            manifest_file: String::new(),
            manifest_sha256: String::new(),
            overrides: Vec::new(),
            manifest: serde_json::Value::Null,
            command: Vec::new(),
            cwd: String::new(),
            host: String::new(),
            harness_version: String::new(),
            git_commit: None,
            git_dirty: None,
            manifest_git: None,
            results_dir: String::new(),
            units_computed: 0,
            units_reused: 0,
            seconds: 0.0,
            verdicts: Vec::new(),
            outcome: finished(),
            phases: Vec::new(),
            threads: None,
        };
        let all = vec![entry("fig2_relu"), entry("fig1_linear"), entry("fig2_relu")];
        let ids = |v: Vec<RunEntry>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(
            ids(matching(all.clone(), Some("fig2"))),
            ["fig2_relu", "fig2_relu"]
        );
        assert_eq!(
            ids(matching(all.clone(), Some("fig1_linear"))),
            ["fig1_linear"]
        );
        assert!(
            matching(all.clone(), Some("relu")).is_empty(),
            "a start, not a part"
        );
        assert_eq!(matching(all, None).len(), 3);
    }

    #[test]
    fn unix_times_become_utc_dates() {
        assert_eq!(utc(0), ("1970-01-01".into(), "00:00:00".into()));
        // 2026-11-30T23:15:02Z, and a leap day.
        assert_eq!(utc(1_796_080_502), ("2026-11-30".into(), "23:15:02".into()));
        assert_eq!(utc(951_782_400), ("2000-02-29".into(), "00:00:00".into()));
    }
}
