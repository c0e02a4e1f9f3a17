//! The top stage: the commands. One file per command (or per pair of close ones), each with its
//! arguments (a `clap::Args` struct) and its `main`, which runs it and prints what it did; the
//! pipeline work is done by the stages below, reached through the experiment kinds
//! ([`crate::kinds::of`]). This file holds what every command shares: the global options
//! ([`Cli`]), the list of commands ([`Command`]), the arguments of every command that reads a
//! manifest ([`ManifestArgs`]: `--set`, `--seed`, `--device`) and the [`Context`] built once
//! from them. `src/main.rs` parses the command line and dispatches; it holds nothing else.

pub mod check;
pub mod claims;
pub mod diff;
pub mod estimate;
pub mod export;
pub mod fetch;
pub mod gc;
pub mod hash;
pub mod help;
pub mod history;
pub mod interrupt;
pub mod launch;
pub mod pair;
pub mod plan;
pub mod power;
pub mod project;
pub mod remarks;
pub mod report;
pub mod run;
pub mod sensitivity;
pub mod slurm;
pub mod table;
pub mod verify;
pub mod why;

use crate::cache::executor::Executor;
use crate::cache::{self, Store};
use crate::device::DeviceKind;
use crate::kinds::{self, Experiment};
use crate::manifest::{self, AnyManifest, Assignment, Manifest, ManifestError, Overrides};
use crate::matrix::InputError;
use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};

/// Reproduce "Signal-to-Noise Ratio and Sample Size Govern Representational Alignment in
/// Neural Networks" (Umar & Laio, 2026) from declarative YAML manifests.
///
/// Each manifest in experiments/ describes one experiment. `harness run` expands it into
/// units of work (one per ensemble member fit, one per pair of members compared), runs those
/// the cache under --artifacts lacks, and writes the results to
/// <artifacts>/results/<name>/: members.csv, pairs.csv, summary.csv, replicas.csv,
/// claims.csv, the figure (SVG and PNG), run.json and SHA256SUMS. Reruns reuse every cached
/// unit.
///
/// Exit codes: 0 success, 1 failure (or `verify` found problems, or `check` a FAIL), 2 bad
/// input, 3 `check` INCONCLUSIVE.
#[derive(Parser, Debug)]
#[command(
    name = "harness",
    version,
    max_term_width = 100,
    disable_help_subcommand = true,
    after_help = "Examples:
  harness run experiments/fig1_linear.yaml     run Fig. 1 (cached units are reused)
  harness plan --summary experiments/fig1_linear.yaml
  harness why experiments/fig2_relu.yaml       what a run would compute, and why
  harness run --jobs 4 experiments/fig2_relu.yaml   4 shard processes, then the results
  harness slurm experiments/fig4_mnist_fcnn.yaml --shards 20 --submit
  harness verify                               check every artifact against its SHA-256
  harness cce a.csv b.csv --estimator gaussian"
)]
pub struct Cli {
    /// Folder of the cache and results.
    #[arg(
        long,
        global = true,
        env = "HARNESS_ARTIFACTS",
        default_value = "artifacts"
    )]
    pub artifacts: PathBuf,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, global = true, env = "HARNESS_THREADS")]
    pub threads: Option<usize>,
    /// No progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// The same as the command's own --device, given before the command (for the commands
    /// that read a manifest).
    #[arg(long)]
    pub device: Option<DeviceKind>,
    /// Log one line per unit computed on stderr: `unit-computed <kind> <sha256> <what>` (and
    /// `unit-waiting ...` for a batch another process is computing).
    #[arg(long, global = true, env = "HARNESS_LOG_UNITS",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub log_units: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The commands, one line each; each one's arguments and code are in its file.
#[derive(Subcommand, Debug)]
pub enum Command {
    Run(run::Args),
    Slurm(slurm::Args),
    Project(project::Args),
    Plan(plan::Args),
    Claims(claims::Args),
    Check(check::Args),
    Power(power::Args),
    Sensitivity(sensitivity::Args),
    Runs(history::Args),
    Diff(diff::Args),
    Why(why::Args),
    Export(export::Args),
    Table(table::Args),
    Report(report::Args),
    Hash(hash::Args),
    Manifest(help::ManifestArgs),
    Help(help::Args),
    Fetch(fetch::Args),
    Verify(verify::Args),
    Gc(gc::Args),
    Cce(pair::CceArgs),
    Align(pair::AlignArgs),
}

impl Command {
    /// The manifest arguments of a command that reads a manifest; `None` for the others.
    /// (`tests/cli_promises.rs` walks the commands: every one with a manifest argument has
    /// `--set`, `--seed` and `--device`.)
    pub fn manifest_args(&self) -> Option<&ManifestArgs> {
        match self {
            Command::Run(a) => Some(&a.values),
            Command::Slurm(a) => Some(&a.values),
            Command::Project(a) => Some(&a.values),
            Command::Plan(a) => Some(&a.values),
            Command::Claims(a) => Some(&a.values),
            Command::Check(a) => Some(&a.values),
            Command::Why(a) => Some(&a.values),
            Command::Export(a) => Some(&a.values),
            Command::Table(a) => Some(&a.values),
            Command::Hash(a) => Some(&a.values),
            Command::Gc(a) => Some(&a.values),
            Command::Runs(_)
            | Command::Power(_)
            | Command::Sensitivity(_)
            | Command::Diff(_)
            | Command::Report(_)
            | Command::Manifest(_)
            | Command::Help(_)
            | Command::Fetch(_)
            | Command::Verify(_)
            | Command::Cce(_)
            | Command::Align(_) => None,
        }
    }
}

/// What every command that reads a manifest accepts: values that replace the manifests' own,
/// as if written in the files (every manifest of the command; checked and hashed like the
/// file's values), and the device.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ManifestArgs {
    /// Replace one manifest value: a dotted key and a YAML value, e.g. `--set train.lr=0.005`,
    /// `--set sweep.snr=[1,2]`, `--set model.width=8`. Repeatable; checked like the file.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = Assignment::parse)]
    pub set: Vec<Assignment>,
    /// The manifest's `seed` (the same as `--set seed=N`).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Train on this device instead of the manifest's `device` (cuda needs a build with
    /// `--features cuda`). A GPU run is a different experiment: its hash differs.
    #[arg(long, env = "HARNESS_DEVICE")]
    pub device: Option<DeviceKind>,
}

impl ManifestArgs {
    /// The `--set` values in order, then `--seed`.
    pub fn assignments(&self) -> Vec<Assignment> {
        let mut v = self.set.clone();
        v.extend(self.seed.map(Assignment::seed));
        v
    }
}

/// What the command line sets for every command, translated once.
pub struct Context {
    /// The artifacts folder as given (`--artifacts`).
    pub artifacts: PathBuf,
    pub store: Store,
    pub threads: Option<usize>,
    pub quiet: bool,
    pub log_units: bool,
    /// The device of the command line (the command's `--device`, else the global one).
    pub device: Option<DeviceKind>,
    /// What every manifest the command reads is loaded with.
    pub overrides: Overrides,
}

impl Context {
    /// Checks the device options, starts the thread pool and the unit log, and opens the
    /// artifacts folder.
    pub fn new(cli: &Cli) -> Result<Context> {
        let values = cli.command.manifest_args();
        let device = device_of(values.and_then(|v| v.device), values.is_some(), cli.device)?;
        set_threads(cli.threads)?;
        if cli.log_units {
            cache::unitlog::enable();
        }
        Ok(Context {
            artifacts: cli.artifacts.clone(),
            store: Store::new(&cli.artifacts),
            threads: cli.threads,
            quiet: cli.quiet,
            log_units: cli.log_units,
            device,
            overrides: Overrides {
                device,
                set: values.map(ManifestArgs::assignments).unwrap_or_default(),
            },
        })
    }

    /// The one executor of every command (progress bars unless `--quiet`).
    pub fn executor(&self) -> Executor<'_> {
        Executor {
            quiet: self.quiet,
            ..Executor::new(&self.store)
        }
    }

    /// Loads a manifest with the command line's overrides: the one loading path.
    pub fn load(&self, path: &Path) -> Result<AnyManifest, ManifestError> {
        manifest::load(path, &self.overrides)
    }

    /// Loads every manifest first, so that a bad one stops the command before any work.
    pub fn load_all(&self, paths: &[PathBuf]) -> Result<Vec<AnyManifest>, ManifestError> {
        paths.iter().map(|p| self.load(p)).collect()
    }

    /// The network experiment at `path`, or a bad-input error whose message `refusal` writes
    /// for an experiment of another kind.
    pub fn network(
        &self,
        path: &Path,
        refusal: impl FnOnce(&dyn Experiment) -> String,
    ) -> Result<Manifest, ManifestError> {
        let loaded = self.load(path)?;
        let experiment = kinds::of(&loaded);
        match experiment.network() {
            Some(m) => Ok(m.clone()),
            None => Err(ManifestError {
                file: path.to_path_buf(),
                line: None,
                key: None,
                message: refusal(experiment),
            }),
        }
    }
}

/// The device of the command line: the command's `--device` (or HARNESS_DEVICE), else the
/// one given before the command; an error for a command that reads no manifest.
fn device_of(
    command: Option<DeviceKind>,
    reads_manifest: bool,
    before: Option<DeviceKind>,
) -> Result<Option<DeviceKind>> {
    match (reads_manifest, command, before) {
        (false, _, Some(_)) => Err(bad_input(anyhow::anyhow!(
            "--device applies to {} (the commands that read a manifest); this command does \
             not train",
            manifest_commands().join(", ")
        ))),
        (false, _, None) => Ok(None),
        (true, Some(a), Some(b)) if a != b => Err(bad_input(anyhow::anyhow!(
            "--device {} before the command and {} after it: give one",
            b.name(),
            a.name()
        ))),
        (true, command, before) => Ok(command.or(before)),
    }
}

fn set_threads(threads: Option<usize>) -> Result<()> {
    // Units run side by side on rayon's global pool: `--threads`, else rayon's default (the
    // RAYON_NUM_THREADS variable, else the usable cores).
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        pool = pool.num_threads(n);
    }
    pool.build_global()
        .context("cannot start the thread pool")?;
    // candle's CPU matmul reads RAYON_NUM_THREADS on every call and splits each product over
    // that many threads, which on our small matrices costs far more than it saves (one relu2
    // step at the fig2 size: 33 µs on one thread against 300 µs split over two). So every
    // product runs on one thread, inside the unit-level parallelism; results do not depend on
    // it. Set once, here, before any other thread exists.
    std::env::set_var("RAYON_NUM_THREADS", "1");
    Ok(())
}

/// The commands that read a manifest: those with `--set` (every one has the whole of
/// [`ManifestArgs`]), in the order of `harness help`.
pub fn manifest_commands() -> Vec<String> {
    use clap::CommandFactory;
    Cli::command()
        .get_subcommands()
        .filter(|c| c.get_arguments().any(|a| a.get_id() == "set"))
        .map(|c| c.get_name().to_string())
        .collect()
}

/// An error in what the user gave (exit code 2), from any error.
pub fn bad_input(e: anyhow::Error) -> anyhow::Error {
    anyhow::Error::new(InputError(format!("{e}")))
}

/// A count of processes or shards: 1 or more.
pub fn at_least_one() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::new().range(1..)
}

/// Rows of cells in columns aligned to their widest cell (in characters), two spaces apart,
/// each line after `indent`, trailing spaces trimmed.
pub fn aligned<R: AsRef<[String]>>(rows: &[R], indent: &str) -> String {
    let columns = rows.iter().map(|r| r.as_ref().len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.as_ref().get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let cells: Vec<String> = r
            .as_ref()
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(indent);
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// One `WARNING` line per warning about the CCE estimates, naming the claims it concerns.
pub fn print_warnings(warnings: &[String], claims: &[&str]) {
    for w in warnings {
        println!("  WARNING ({}): {w}", claims.join(", "));
    }
}
