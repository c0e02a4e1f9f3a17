//! The top stage: what a command runs, from a loaded manifest to a written results folder
//! ([`run`]); a finished run against its reference ([`check`]); one cached unit out to plain
//! files ([`export`]); a finished experiment's summary for a paper ([`table`]); a run split over processes
//! sharing one artifacts folder: [`launch`] (the shard processes' command line, `run --jobs`)
//! and [`slurm`] (job arrays). The binary (`src/main.rs`) parses the command line, loads every
//! manifest through [`crate::manifest::load`] and prints; it holds no pipeline logic of its own.
pub mod check;
pub mod export;
pub mod gc;
pub mod launch;
pub mod run;
pub mod slurm;
pub mod table;

#[cfg(test)]
mod accuracy_tests;
