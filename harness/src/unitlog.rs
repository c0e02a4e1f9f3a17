//! The unit log (`harness --log-units`): one line on stderr per unit computed, so that the
//! logs of several processes sharing a cache (Slurm array tasks, `run --jobs`) show which
//! process computed what, and that no unit was computed twice. Each line is
//!
//! ```text
//! unit-computed <kind> <sha256 of the unit> <description>
//! ```
//!
//! with kind `member` (a trained member), `pair` (a pair's estimates) or `accuracy` (an
//! estimator-accuracy unit). Off by default: interactive runs show progress bars instead.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns the log on for the rest of the process.
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// Logs one computed unit, if the log is on. The line goes out in one write, so that the
/// lines of processes sharing one stderr (`run --jobs`) do not interleave.
pub fn computed(kind: &str, hash: &str, description: &str) {
    if ENABLED.load(Ordering::Relaxed) {
        let line = format!("unit-computed {kind} {hash} {description}\n");
        // A log line that cannot be written is not worth failing the unit for.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}
