//! Shard processes: the one command line that runs a shard of a run (`harness run --shard
//! I/N ...`) or collects its results (`harness run ...`), used both by the Slurm scripts
//! ([`super::slurm`]) and by `harness run --jobs n`, which starts n shard processes on this
//! machine, waits for them, and then collects in its own process.

use crate::device::DeviceKind;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// How to start the harness for a sharded run: the same binary, artifacts folder, device and
/// manifests in every process.
#[derive(Clone, Debug)]
pub struct ShardCommand {
    /// The harness binary (absolute: array tasks start elsewhere).
    pub binary: PathBuf,
    pub artifacts: PathBuf,
    pub device: Option<DeviceKind>,
    /// Worker threads per process (default: the harness's own, all usable cores).
    pub threads: Option<usize>,
    /// Pass `--log-units`, so that each process logs the units it computed.
    pub log_units: bool,
    pub manifests: Vec<PathBuf>,
    /// The `--set key=value` of the run (`--seed` included as `seed=N`), passed on to every
    /// process, so that each loads the same manifests.
    pub overrides: Vec<String>,
}

impl ShardCommand {
    /// This binary, with the artifacts folder made absolute (array tasks start elsewhere).
    pub fn this_binary(
        artifacts: &Path,
        device: Option<DeviceKind>,
        log_units: bool,
        manifests: Vec<PathBuf>,
        threads: Option<usize>,
    ) -> Result<Self> {
        Ok(ShardCommand {
            binary: std::env::current_exe().context("cannot locate the harness binary")?,
            artifacts: std::path::absolute(artifacts)
                .with_context(|| format!("cannot resolve {}", artifacts.display()))?,
            device,
            threads,
            log_units,
            manifests,
            overrides: Vec::new(),
        })
    }

    /// The same command with the run's `--set` values (as given) passed to every process.
    pub fn with_overrides(self, overrides: Vec<String>) -> Self {
        ShardCommand { overrides, ..self }
    }

    /// The options every process gets, before the subcommand.
    fn global_args(&self) -> Vec<String> {
        let mut args = vec![
            "--artifacts".to_string(),
            self.artifacts.display().to_string(),
            "--quiet".to_string(),
        ];
        if self.log_units {
            args.push("--log-units".into());
        }
        if let Some(d) = self.device {
            args.push("--device".into());
            args.push(d.name().into());
        }
        if let Some(t) = self.threads {
            args.push("--threads".into());
            args.push(t.to_string());
        }
        args
    }

    /// The overrides, then the manifests: what follows `run` (and its `--shard`).
    fn manifest_args(&self) -> impl Iterator<Item = String> + '_ {
        let set = self
            .overrides
            .iter()
            .flat_map(|o| ["--set".to_string(), o.clone()]);
        set.chain(self.manifests.iter().map(|m| m.display().to_string()))
    }

    /// Arguments of one shard's process; `shard` is `I/N`, or a shell expression of it.
    pub fn shard_args(&self, shard: &str) -> Vec<String> {
        let mut args = self.global_args();
        args.extend(["run".to_string(), "--shard".to_string(), shard.to_string()]);
        args.extend(self.manifest_args());
        args
    }

    /// Arguments of the collecting process: a run without `--shard`, which finds every unit
    /// cached and writes the results and the claims.
    pub fn collect_args(&self) -> Vec<String> {
        let mut args = self.global_args();
        args.push("run".to_string());
        args.extend(self.manifest_args());
        args
    }
}

/// Worker threads for each of `n` processes on this machine: the usable cores shared out, at
/// least one each.
pub fn threads_per_job(n: usize) -> usize {
    (std::thread::available_parallelism().map_or(1, |c| c.get()) / n).max(1)
}

/// Runs shards 1..=n as n processes at once (their output goes to this process's), and
/// fails naming every shard that failed. Collecting is left to the caller.
pub fn run_local_shards(command: &ShardCommand, n: usize) -> Result<()> {
    let mut children = Vec::with_capacity(n);
    for i in 1..=n {
        let child = Command::new(&command.binary)
            .args(command.shard_args(&format!("{i}/{n}")))
            .spawn()
            .with_context(|| {
                format!("cannot start shard {i}/{n} ({})", command.binary.display())
            })?;
        children.push((i, child));
    }
    let mut failed = Vec::new();
    for (i, mut child) in children {
        let status = child
            .wait()
            .with_context(|| format!("cannot wait for shard {i}/{n}"))?;
        if !status.success() {
            failed.push(format!("{i}/{n} ({status})"));
        }
    }
    if !failed.is_empty() {
        bail!(
            "shard(s) {} failed (see their messages above); units they finished are cached, \
             so a rerun computes only the rest",
            failed.join(", ")
        );
    }
    Ok(())
}
