//! A phase's progress on stderr, while the executor runs it: a bar on a terminal; a plain line
//! every few seconds otherwise (a piped, `nohup` or batch-job run is not silent to the end:
//! `HARNESS_PROGRESS_SECONDS`, default 5); nothing when quiet or when nothing is computed.
//! Each shows the phase's own ETA and, when the run's later phases were estimated
//! ([`set_run_estimate`], the cost model of `harness plan --summary`), the whole run's.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The estimated seconds of each phase of the run to come, by unit kind in run order
/// (`member`, `pair`, `tie`, `accuracy`); phases not listed add nothing.
static RUN_ESTIMATE: Mutex<Vec<(String, f64)>> = Mutex::new(Vec::new());

/// Sets (or, with an empty list, clears) the estimate of the phases of the run to come.
pub fn set_run_estimate(phases: Vec<(String, f64)>) {
    if let Ok(mut e) = RUN_ESTIMATE.lock() {
        *e = phases;
    }
}

/// The estimated seconds of the phases after `unit`'s; `None` without an estimate.
fn after(unit: &str) -> Option<f64> {
    let e = RUN_ESTIMATE.lock().ok()?;
    let at = e.iter().position(|(u, _)| u == unit)?;
    Some(e[at + 1..].iter().map(|(_, s)| s).sum())
}

/// The estimated seconds of `unit`'s own phase, if estimated.
fn own(unit: &str) -> Option<f64> {
    let e = RUN_ESTIMATE.lock().ok()?;
    e.iter().find(|(u, _)| u == unit).map(|(_, s)| *s)
}

/// A duration as people read it: `42 s`, `3.5 min`, `2.1 h` (progress lines, and the
/// estimates `harness plan` and `run` print).
pub fn human(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("{seconds:.0} s")
    } else if seconds < 5400.0 {
        format!("{:.1} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    }
}

/// The state a progress line is made of.
struct Counter {
    what: String,
    unit: String,
    len: u64,
    done: AtomicU64,
    started: Instant,
    message: Mutex<String>,
}

impl Counter {
    /// `train: 120/576 units, 12 s elapsed, ETA 45 s, whole run about 1.2 min`.
    fn line(&self) -> String {
        let done = self.done.load(Ordering::Relaxed).min(self.len);
        let elapsed = self.started.elapsed().as_secs_f64();
        let left = self.len - done;
        let phase = if done > 0 {
            Some(elapsed / done as f64 * left as f64)
        } else {
            own(&self.unit).map(|s| (s - elapsed).max(0.0))
        };
        let mut line = format!(
            "{}: {done}/{} units, {} elapsed",
            self.what,
            self.len,
            human(elapsed)
        );
        if let Some(p) = phase {
            line.push_str(&format!(", ETA {}", human(p)));
            if let Some(rest) = after(&self.unit).filter(|r| *r > 0.0) {
                line.push_str(&format!(", whole run about {} more", human(p + rest)));
            }
        }
        if let Ok(m) = self.message.lock() {
            if !m.is_empty() {
                line.push_str(&format!(" ({m})"));
            }
        }
        line
    }
}

/// How progress is shown.
enum Shown {
    Hidden,
    Bar(ProgressBar),
    /// A thread printing [`Counter::line`] every interval until stopped.
    Plain {
        stop: Arc<AtomicBool>,
        thread: Option<std::thread::JoinHandle<()>>,
    },
}

/// One phase's progress.
pub struct Progress {
    counter: Arc<Counter>,
    shown: Mutex<Shown>,
}

/// How often a plain progress line is printed.
fn interval() -> Duration {
    let s = std::env::var("HARNESS_PROGRESS_SECONDS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(5.0);
    Duration::from_secs_f64(s)
}

impl Progress {
    /// Progress over `len` units of the phase named `what` (its units of kind `unit`): a bar
    /// on a terminal, plain lines otherwise, nothing when `quiet` or `len` is 0.
    pub fn new(len: usize, what: &str, unit: &str, quiet: bool) -> Self {
        Self::with_terminal(len, what, unit, quiet, std::io::stderr().is_terminal())
    }

    fn with_terminal(len: usize, what: &str, unit: &str, quiet: bool, terminal: bool) -> Self {
        let counter = Arc::new(Counter {
            what: what.to_string(),
            unit: unit.to_string(),
            len: len as u64,
            done: AtomicU64::new(0),
            started: Instant::now(),
            message: Mutex::new(String::new()),
        });
        let shown = if quiet || len == 0 {
            Shown::Hidden
        } else if terminal {
            let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:>8} [{bar:32}] {pos}/{len} units, {elapsed} elapsed, ETA {eta} {msg}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_prefix(what.to_string());
            Shown::Bar(bar)
        } else {
            let stop = Arc::new(AtomicBool::new(false));
            let (s, c) = (stop.clone(), counter.clone());
            let every = interval();
            let thread = std::thread::spawn(move || {
                let mut last = Instant::now();
                while !s.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(50));
                    if last.elapsed() >= every && !s.load(Ordering::Relaxed) {
                        eprintln!("{}", c.line());
                        last = Instant::now();
                    }
                }
            });
            Shown::Plain {
                stop,
                thread: Some(thread),
            }
        };
        Progress {
            counter,
            shown: Mutex::new(shown),
        }
    }

    /// Whether anything is shown.
    pub fn is_shown(&self) -> bool {
        !matches!(*self.shown.lock().expect("not poisoned"), Shown::Hidden)
    }

    /// `n` more units done.
    pub fn inc(&self, n: usize) {
        self.counter.done.fetch_add(n as u64, Ordering::Relaxed);
        if let Shown::Bar(bar) = &*self.shown.lock().expect("not poisoned") {
            bar.inc(n as u64);
            if let Some(rest) = after(&self.counter.unit).filter(|r| *r > 0.0) {
                let done = self.counter.done.load(Ordering::Relaxed).max(1) as f64;
                let elapsed = self.counter.started.elapsed().as_secs_f64();
                let phase = elapsed / done * (self.counter.len as f64 - done).max(0.0);
                bar.set_message(format!("(whole run about {} more)", human(phase + rest)));
            }
        }
    }

    /// A note after the counts (e.g. that another process computes some batches).
    pub fn set_message(&self, message: String) {
        if let Ok(mut m) = self.counter.message.lock() {
            m.clone_from(&message);
        }
        if let Shown::Bar(bar) = &*self.shown.lock().expect("not poisoned") {
            bar.set_message(message);
        }
    }

    /// The current line, as a plain reporter prints it.
    pub fn line(&self) -> String {
        self.counter.line()
    }

    /// Removes the bar, or stops the plain lines.
    pub fn finish(&self) {
        let mut shown = self.shown.lock().expect("not poisoned");
        match &mut *shown {
            Shown::Bar(bar) => bar.finish_and_clear(),
            Shown::Plain { stop, thread } => {
                stop.store(true, Ordering::Relaxed);
                if let Some(t) = thread.take() {
                    let _ = t.join();
                }
            }
            Shown::Hidden => {}
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bar on a terminal, plain lines elsewhere; nothing when quiet or when nothing is
    /// computed (a fully cached phase prints nothing).
    #[test]
    fn progress_is_shown_only_when_asked_for_and_with_units_to_compute() {
        for terminal in [true, false] {
            let shown = Progress::with_terminal(5, "train", "member", false, terminal);
            assert!(shown.is_shown());
            let kind = matches!(*shown.shown.lock().unwrap(), Shown::Bar(_));
            assert_eq!(kind, terminal);
            for (len, quiet) in [(5, true), (0, false), (0, true)] {
                let p = Progress::with_terminal(len, "train", "member", quiet, terminal);
                assert!(!p.is_shown(), "len {len}, quiet {quiet}");
            }
        }
    }

    /// The line counts, and with the run's estimate adds the later phases to the phase's own
    /// ETA.
    #[test]
    fn the_line_has_the_phase_s_eta_and_the_whole_run_s() {
        let p = Progress::with_terminal(10, "train", "member", true, false);
        assert_eq!(p.line(), "train: 0/10 units, 0 s elapsed");
        set_run_estimate(vec![
            ("member".into(), 100.0),
            ("pair".into(), 200.0),
            ("tie".into(), 60.0),
        ]);
        let line = p.line();
        set_run_estimate(Vec::new());
        assert!(
            line.starts_with("train: 0/10 units, 0 s elapsed, ETA 1.7 min"),
            "{line}"
        );
        assert!(line.ends_with("whole run about 6.0 min more"), "{line}");
        p.inc(4);
        p.set_message("waiting: 1 batch(es)".into());
        let line = p.line();
        assert!(
            line.starts_with("train: 4/10 units, 0 s elapsed, ETA 0 s"),
            "{line}"
        );
        assert!(line.ends_with("(waiting: 1 batch(es))"), "{line}");
    }
}
