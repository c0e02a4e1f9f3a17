//! The top stage: what a command runs, from a loaded manifest to a written results folder
//! ([`run`]). The binary (`src/main.rs`) parses the command line, loads every manifest through
//! [`crate::manifest::load`] and prints; it holds no pipeline logic of its own.
pub mod gc;
pub mod run;

#[cfg(test)]
mod accuracy_tests;
