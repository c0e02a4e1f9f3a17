//! The harness library: everything `harness` (the binary) does, as plain modules.
pub mod matrix;
pub mod rng;
