//! The unit log (`harness --log-units`, or `HARNESS_LOG_UNITS=1`): one line on stderr per unit
//! computed, so that the logs of several processes sharing a cache show which process computed
//! what, and that no unit was computed twice. Each line is
//!
//! ```text
//! unit-computed <kind> <sha256 of the unit> <description>
//! ```
//!
//! (and `unit-waiting <kind> <sha256> <description>` once when a batch's lock is held by another
//! process) with kind `member` (a trained member), `pair` (a pair's estimates), `tie` (a pair's
//! extra tie-breaking draw, for `ties.csv`) or `accuracy` (an estimator-accuracy unit). Off by default: interactive runs show progress bars instead.
//! The executor ([`super::executor`]) is the one place that logs.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns the log on for the rest of the process.
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// Logs, once per batch, that another process holds the lock of the batch starting at unit
/// `hash`: `unit-waiting <kind> <hash> <description>`.
pub fn waiting(kind: &str, hash: &str, description: &str) {
    log(&format!("unit-waiting {kind} {hash} {description}\n"));
}

/// Logs one computed unit, if the log is on. The line goes out in one write, so that the
/// lines of processes sharing one stderr do not interleave.
pub fn computed(kind: &str, hash: &str, description: &str) {
    log(&format!("unit-computed {kind} {hash} {description}\n"));
}

fn log(line: &str) {
    if ENABLED.load(Ordering::Relaxed) {
        // A log line that cannot be written is not worth failing the unit for.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}
