//! Helpers shared by the integration tests.
#![allow(dead_code)]

use harness::cache::executor::Executor;
use harness::cache::Store;
use harness::kinds::network::{run_manifest, RunReport};
use harness::manifest::Manifest;
use std::path::{Path, PathBuf};

pub mod source;

/// A small, fast linear2 manifest (d = 20): 2 SNR values × 4 sizes × 2 replicas × 3 members.
pub const SMALL: &str = "\
name: small
seed: 7
task:
  kind: linear-teacher
  d: 20
  n_test: 500
model:
  kind: linear2
sweep:
  snr: [1, 4]
  n_over_p: [0.3, 0.8, 1.3, 2.5]
  replicas: 2
  members: 3
";

pub fn parse(text: &str) -> Manifest {
    Manifest::parse(text, Path::new("test.yaml")).expect("valid manifest")
}

pub fn run(text: &str, artifacts: &Path) -> RunReport {
    run_manifest(
        &parse(text),
        Path::new("test.yaml"),
        &Executor {
            quiet: true,
            ..Executor::new(&Store::new(artifacts))
        },
    )
    .expect("run succeeds")
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn harness_bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_harness"))
}
