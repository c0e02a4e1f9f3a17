//! The performance-regression tooling of the hot paths (issue 13), behind the `perfgate`
//! binary that `benches/gate.sh` and the `bench-*` make targets call:
//!
//! - [`machine`]: the key of what instruction counts depend on (toolchain, Valgrind, glibc,
//!   Gungraun, CPU features, `Cargo.lock`) and the environment pinned for the benches;
//! - [`counts`]: runs the Gungraun benches (`benches/hotpaths.rs`) and reads their counts;
//! - [`baseline`]: the committed counts of one machine key (`benches/baselines/<key>.json`);
//! - [`fence`]: the per-bench threshold (2 %, or Q3 + 3·IQR of past relative changes);
//! - [`gate`]: baseline against now, the verdict and its exit code;
//! - [`base`]: the A/B against the base commit, when the key has no baseline or the change
//!   wrote it;
//! - [`history`]: `benches/history.csv`, one row per bench and commit;
//! - [`report`]: one SVG per hot path over the commits, steps marked;
//! - [`ab`]: interleaved A/B wall-clock comparison of two builds;
//! - [`summary`]: the table `make bench` ends with, named as the README's "Hot paths".

pub mod ab;
pub mod base;
pub mod baseline;
pub mod counts;
pub mod fence;
pub mod gate;
pub mod history;
pub mod machine;
pub mod report;
pub mod summary;
