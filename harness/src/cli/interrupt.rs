//! SIGINT and SIGTERM during `harness run`: a line on stderr saying what the run kept (every
//! unit it computed is in the cache; nothing half-written is ever served) and how to resume
//! (the same command computes only what is missing), an `interrupted` record in the run
//! history (what `harness runs` lists and `harness why` reads: "never finished"), then exit
//! with 128 + the signal's number, as a shell expects.
//!
//! [`install`] blocks the two signals in the calling thread before any other thread exists
//! (so every thread inherits the mask and none is interrupted mid-write) and starts a thread
//! that waits for them with `sigwait`. Child processes start with the default mask (Rust's
//! `Command` resets it), so shard processes of `run --jobs` handle their own signal the same
//! way. [`running`] says which run is under way, for the record.

use super::history;
use crate::cache::executor::computed_so_far;
use crate::cache::Store;
use anyhow::Result;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

/// The run under way, as its interrupted record needs it.
pub struct Current {
    pub store: Store,
    pub experiment: String,
    /// `experiment` or `estimator-accuracy`.
    pub kind: &'static str,
    pub manifest_file: PathBuf,
    pub manifest_sha256: String,
    pub overrides: Vec<String>,
    /// The canonical manifest.
    pub manifest: serde_json::Value,
    pub started: Instant,
    /// Units computed by this process before the run started.
    pub computed_before: usize,
}

static CURRENT: Mutex<Option<Current>> = Mutex::new(None);

/// Marks a run as under way until the guard is dropped.
pub struct Running;

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(mut c) = CURRENT.lock() {
            *c = None;
        }
    }
}

/// Says that `current` is under way (its record is written if a signal comes).
pub fn running(mut current: Current) -> Running {
    current.computed_before = computed_so_far();
    if let Ok(mut c) = CURRENT.lock() {
        *c = Some(current);
    }
    Running
}

/// The run of `experiment` (read from `file`) about to start in `store`.
pub fn current_of(
    store: &Store,
    experiment: &dyn crate::kinds::Experiment,
    file: &std::path::Path,
) -> Current {
    Current {
        store: store.clone(),
        experiment: experiment.name().to_string(),
        kind: experiment.kind(),
        manifest_file: file.to_path_buf(),
        manifest_sha256: experiment.hash(),
        overrides: experiment.overrides().to_vec(),
        manifest: experiment.canonical(),
        started: Instant::now(),
        computed_before: 0,
    }
}

/// What the interrupted process prints: what was kept and how to resume.
pub fn message(signal: &str, current: Option<&Current>, computed: usize, command: &str) -> String {
    let what = match current {
        Some(c) => format!(
            "{} ({}) after {:.1} s",
            c.experiment,
            c.manifest_file.display(),
            c.started.elapsed().as_secs_f64()
        ),
        None => "the run".to_string(),
    };
    format!(
        "interrupted by {signal}: {what}; the {computed} unit(s) this process computed are kept \
         in the cache (a unit being computed is dropped whole, never half-written), no results \
         folder was written; resume with the same command, which computes only what is \
         missing:\n  {command}"
    )
}

/// Writes the interrupted record of the run under way; returns its id.
fn record(c: &Current, computed: usize) -> Result<String> {
    let entry = history::record(
        &c.store,
        &history::Finished {
            experiment: &c.experiment,
            kind: c.kind,
            manifest_file: &c.manifest_file,
            manifest_sha256: &c.manifest_sha256,
            overrides: &c.overrides,
            manifest: c.manifest.clone(),
            results_dir: std::path::Path::new(""),
            units_computed: computed,
            units_reused: 0,
            seconds: c.started.elapsed().as_secs_f64(),
            verdicts: Vec::new(),
            phases: Vec::new(),
            outcome: "interrupted",
        },
    )?;
    Ok(entry.id)
}

/// The command line as typed, quoted where a shell needs it.
fn command_line() -> String {
    std::env::args()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c))
            {
                a
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Handles SIGINT and SIGTERM for the rest of the process (see the module's doc). Call it
/// before any other thread starts.
#[cfg(unix)]
pub fn install() -> Result<()> {
    // SAFETY: plain libc calls on a signal set we own; called before other threads exist.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        anyhow::ensure!(rc == 0, "cannot block SIGINT and SIGTERM (error {rc})");
        set
    };
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut sig: libc::c_int = 0;
            // SAFETY: `set` is a valid signal set; `sig` a valid out-pointer.
            if unsafe { libc::sigwait(&set, &mut sig) } != 0 {
                return;
            }
            let name = if sig == libc::SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            };
            let current = CURRENT.lock().ok();
            let current = current.as_ref().and_then(|c| c.as_ref());
            let computed =
                computed_so_far() - current.map_or(0, |c| c.computed_before.min(computed_so_far()));
            eprintln!();
            eprintln!("{}", message(name, current, computed, &command_line()));
            if let Some(c) = current {
                match record(c, computed) {
                    Ok(id) => eprintln!(
                        "  run {id} recorded as interrupted (`harness runs`, `harness why`)"
                    ),
                    Err(e) => eprintln!("  the run could not be recorded: {e:#}"),
                }
            }
            std::process::exit(128 + sig);
        })?;
    Ok(())
}

#[cfg(not(unix))]
pub fn install() -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_says_what_was_kept_and_how_to_resume() {
        let c = Current {
            store: Store::new("art"),
            experiment: "fig2_relu".into(),
            kind: "experiment",
            manifest_file: "experiments/fig2_relu.yaml".into(),
            manifest_sha256: "ab".repeat(32),
            overrides: Vec::new(),
            manifest: serde_json::Value::Null,
            started: Instant::now(),
            computed_before: 0,
        };
        let m = message(
            "SIGINT",
            Some(&c),
            340,
            "harness run experiments/fig2_relu.yaml",
        );
        assert!(
            m.starts_with("interrupted by SIGINT: fig2_relu (experiments/fig2_relu.yaml) after")
        );
        assert!(m.contains("the 340 unit(s) this process computed are kept in the cache"));
        assert!(
            m.ends_with("missing:\n  harness run experiments/fig2_relu.yaml"),
            "{m}"
        );
        assert!(message("SIGTERM", None, 0, "x").contains("SIGTERM: the run;"));
    }
}
