//! Shard processes: the one command line that runs a shard of a run (`harness run --shard
//! I/N ...`) or collects its results (`harness run ...`), used both by the Slurm scripts
//! ([`crate::slurm`]) and by `harness run --jobs n`, which starts n shard processes on this
//! machine, waits for them, and then collects in its own process.

use crate::device::DeviceKind;
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
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
}

impl ShardCommand {
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
            args.push(
                match d {
                    DeviceKind::Cpu => "cpu",
                    DeviceKind::Cuda => "cuda",
                }
                .into(),
            );
        }
        if let Some(t) = self.threads {
            args.push("--threads".into());
            args.push(t.to_string());
        }
        args
    }

    fn manifest_args(&self) -> impl Iterator<Item = String> + '_ {
        self.manifests.iter().map(|m| m.display().to_string())
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
