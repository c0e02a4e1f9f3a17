//! The top stage: what a command runs, from a loaded manifest to a written results folder
//! ([`run`]); a finished run against its reference ([`check`]); one cached unit out to plain
//! files ([`export`]); a finished experiment's summary for a paper ([`table`]); a run split over processes
//! sharing one artifacts folder: [`launch`] (the shard processes' command line, `run --jobs`)
//! and [`slurm`] (job arrays); the run history ([`history`], `harness runs`) and two runs
//! compared ([`diff`]); time estimates from a cost model calibrated on the history
//! ([`estimate`]); what an interrupted run says and records ([`interrupt`]); the remarks and names of `cce` and `align` on two CSVs ([`pair`]). The binary (`src/main.rs`) parses the command line, loads every
//! manifest through [`crate::manifest::load`] and prints; it holds no pipeline logic of its own.
pub mod check;
pub mod diff;
pub mod estimate;
pub mod export;
pub mod gc;
pub mod history;
pub mod interrupt;
pub mod launch;
pub mod pair;
pub mod project;
pub mod run;
pub mod slurm;
pub mod table;
pub mod why;

#[cfg(test)]
mod accuracy_tests;
