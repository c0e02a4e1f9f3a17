//! The unit log (`harness --log-units`, an [`Executor`](super::executor::Executor) option):
//! one line on stderr per unit computed, so that the logs of several processes sharing a cache
//! (Slurm array tasks, `run --jobs`) show which process computed what, and that no unit was
//! computed twice. Each line is
//!
//! ```text
//! unit-computed <kind> <sha256 of the unit> <label>
//! ```
//!
//! with kind `member` (a trained member), `pair` (a pair's estimates) or `accuracy` (an
//! estimator-accuracy unit). Off by default: interactive runs show progress bars instead.

use std::io::Write;

/// The line of one computed unit.
fn line(kind: &str, hash: &str, label: &str) -> String {
    format!("unit-computed {kind} {hash} {label}\n")
}

/// Logs one computed unit. The line goes out in one write, so that the lines of processes
/// sharing one stderr (`run --jobs`) do not interleave.
pub fn computed(kind: &str, hash: &str, label: &str) {
    // A log line that cannot be written is not worth failing the unit for.
    let _ = std::io::stderr()
        .lock()
        .write_all(line(kind, hash, label).as_bytes());
}
