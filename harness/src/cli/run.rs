//! `harness run`: parse every manifest, then run each experiment through its kind
//! ([`crate::kinds::Experiment::run`]) and say what it did: one head line (identity, units,
//! time), the verdicts, the warnings, where the results are, and the run's id in the history.
//! With `--shard I/N` only one shard of the units ([`run_shard`], no results); with `--jobs n`
//! n shard processes on this machine first ([`super::launch`]).

use super::history;
use super::launch::{self, ShardCommand};
use super::{at_least_one, print_warnings, Context, ManifestArgs};
use crate::cache;
use crate::cache::executor::Executor;
use crate::kinds::{self, Counted, Ran};
use crate::manifest::AnyManifest;
use crate::plan::shard::{self, Shard};
use crate::plan::work::Work;
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Run experiments: train what the cache lacks, measure alignment, write results and print
/// one PASS/FAIL line per claim of the paper.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Manifest files, e.g. experiments/fig1_linear.yaml.
    #[arg(required = true)]
    pub manifests: Vec<PathBuf>,
    /// Compute only shard I of N (1-based) of the manifests' units, split by estimated
    /// cost; with N > 1 no results are written (a later run without --shard writes them).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Run the shards 1/n … n/n as n processes on this machine, then write the results.
    #[arg(long, value_name = "n", conflicts_with = "shard", value_parser = at_least_one())]
    pub jobs: Option<usize>,
    #[command(flatten)]
    pub values: ManifestArgs,
}

pub fn main(ctx: &Context, args: Args) -> Result<ExitCode> {
    let loaded = ctx.load_all(&args.manifests)?;
    let store = &ctx.store;
    store.check_writable()?;
    // Held shared while this run works, so that `gc --delete` waits for it.
    let _store_lock = store.lock(cache::gc::STORE_LOCK, true, || {
        eprintln!(
            "waiting: `harness gc --delete` is removing entries from {}",
            store.root().display()
        )
    })?;
    let swept = store.sweep()?;
    if swept > 0 {
        eprintln!("removed {swept} temporary file(s) of interrupted runs");
    }
    let exec = ctx.executor();
    if let Some(shard) = args.shard.filter(|s| s.count > 1) {
        run_shard_and_print(&loaded, shard, &exec)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(n) = args.jobs.filter(|&n| n > 1) {
        let threads = ctx.threads.unwrap_or_else(|| launch::threads_per_job(n));
        let command = ShardCommand::this_binary(
            &ctx.artifacts,
            ctx.device,
            ctx.log_units,
            args.manifests.clone(),
            Some(threads),
        )?
        .with_overrides(ctx.overrides.shown());
        eprintln!("running {n} shard processes");
        launch::run_local_shards(&command, n)?;
    }
    for (path, manifest) in args.manifests.iter().zip(&loaded) {
        run_and_print(manifest, path, &exec)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs one manifest, records the run in the history and prints what it did.
fn run_and_print(manifest: &AnyManifest, path: &Path, exec: &Executor) -> Result<()> {
    let experiment = kinds::of(manifest);
    // On stdout with the rest, so that piped output keeps its order (progress bars and
    // diagnostics go to stderr).
    println!("{} ({})", experiment.name(), path.display());
    let ran = experiment.run(path, exec)?;
    let counted = ran.counted();
    let entry = history::record(
        exec.store,
        &history::Finished {
            experiment: &ran.name,
            kind: experiment.kind(),
            manifest_file: path,
            manifest_sha256: &ran.hash,
            overrides: experiment.overrides(),
            manifest: experiment.canonical(),
            results_dir: &ran.results_dir,
            units_computed: counted.computed,
            units_reused: counted.reused,
            seconds: ran.seconds,
            verdicts: ran
                .verdicts
                .iter()
                .flat_map(|v| v.rows())
                .map(|(rules, v)| format!("{}:{}={}", rules, v.claim, v.result()))
                .collect(),
        },
    )?;
    print_ran(&ran, &entry.id);
    Ok(())
}

/// What every run prints: its identity, its units and its time; corrupt entries recomputed,
/// units waited for, the verdicts (if any), the warnings about the CCE estimates, where the
/// results are (and whose results under the same name were left in place), and the run's id
/// in the history.
fn print_ran(ran: &Ran, run_id: &str) {
    let units: Vec<String> = ran
        .units
        .iter()
        .map(|u| {
            format!(
                "{} {} ({} {}, {} cached)",
                u.run + u.reused,
                u.what,
                u.run,
                u.verb,
                u.reused
            )
        })
        .collect();
    println!(
        "{}  sha256 {}…  {} in {:.1} s",
        ran.name,
        &ran.hash[..12],
        units.join(", "),
        ran.seconds
    );
    if ran.corrupt_recomputed > 0 {
        println!(
            "  {} corrupt cache entries were recomputed",
            ran.corrupt_recomputed
        );
    }
    if ran.waited > 0 {
        println!(
            "  {} units were being computed by another process; this run waited for them",
            ran.waited
        );
    }
    if let Some(v) = &ran.verdicts {
        print!("{}", v.side_by_side());
    }
    print_warnings(&ran.warnings, &crate::results::claims::JUDGED_ON_CCE);
    println!("  results: {}/", ran.results_dir.display());
    if let Some(other) = &ran.beside {
        let name = ran
            .results_dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy();
        let plain = name.split('@').next().unwrap_or_default();
        println!(
            "  note: results/{plain}/ holds another manifest of this name (sha256 {}…), left \
             as it is; these results went beside it",
            &other[..12.min(other.len())]
        );
    }
    println!("  run {run_id} recorded (`harness runs`, `harness diff`)");
}

/// What one shard did for one manifest.
pub struct ShardOutcome {
    pub name: String,
    /// Units of this shard computed now, and found in the cache.
    pub counted: Counted,
    /// Units of the whole plan still missing from the cache afterwards (those of other
    /// shards, unless they have finished).
    pub missing: usize,
    pub seconds: f64,
}

/// Computes the units of `shard` of every manifest that the cache lacks (batches and pairs as
/// in an unsharded run, through the same executor) and counts what each whole plan still
/// misses, handing each manifest's outcome to `done` as it finishes. Writes no results.
pub fn run_shard(
    manifests: &[AnyManifest],
    shard: Shard,
    exec: &Executor,
    mut done: impl FnMut(&ShardOutcome),
) -> Result<Vec<ShardOutcome>> {
    let works: Vec<Work> = manifests
        .iter()
        .map(|m| kinds::of(m).work())
        .collect::<Result<_>>()?;
    let selected = shard::select(&works, shard);
    let mut outcomes = Vec::with_capacity(manifests.len());
    for ((manifest, work), units) in manifests.iter().zip(&works).zip(&selected) {
        let started = Instant::now();
        let experiment = kinds::of(manifest);
        let counted = experiment.run_units(units, exec)?;
        let outcome = ShardOutcome {
            name: experiment.name().to_string(),
            counted,
            missing: work.missing(exec.store),
            seconds: started.elapsed().as_secs_f64(),
        };
        done(&outcome);
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// Runs one shard of the manifests and says what is left for the collecting run.
fn run_shard_and_print(manifests: &[AnyManifest], shard: Shard, exec: &Executor) -> Result<()> {
    let outcomes = run_shard(manifests, shard, exec, |o| {
        println!(
            "{} shard {shard}: {} units ({} computed, {} cached) in {:.1} s; {} units of the \
             experiment not cached",
            o.name,
            o.counted.computed + o.counted.reused,
            o.counted.computed,
            o.counted.reused,
            o.seconds,
            o.missing
        );
    })?;
    let missing: usize = outcomes.iter().map(|o| o.missing).sum();
    if missing > 0 {
        println!(
            "shard {shard} done; results not written: {missing} units outside this shard are \
             missing (`harness run` without --shard writes the results once every shard has \
             finished)"
        );
    } else {
        println!(
            "shard {shard} done; every unit is cached: `harness run` without --shard writes \
             the results"
        );
    }
    Ok(())
}
