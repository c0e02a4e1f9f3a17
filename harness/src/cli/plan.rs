//! `harness plan`: a manifest's units, cached or pending (what `harness run` would compute now:
//! the kind's survey, [`crate::kinds::Experiment::survey`]), its hash, and with `--shards N`
//! the estimated cost of each shard ([`crate::plan::shard`]); with the time each would take on
//! this machine, from the cost model calibrated on its run history ([`super::estimate`]).

use super::{at_least_one, estimate, Context, ManifestArgs};
use crate::kinds::{self, Experiment};
use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

/// List an experiment's units with their hashes and whether each is cached.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The experiment's manifest, e.g. experiments/fig1_linear.yaml.
    pub manifest: PathBuf,
    /// Print only the counts.
    #[arg(long)]
    pub summary: bool,
    /// Also print the estimated cost of each of N shards (see `run --shard`).
    #[arg(long, value_name = "N", value_parser = at_least_one())]
    pub shards: Option<usize>,
    #[command(flatten)]
    pub values: ManifestArgs,
}

pub fn main(ctx: &Context, args: Args) -> Result<ExitCode> {
    let manifest = ctx.load(&args.manifest)?;
    let experiment = kinds::of(&manifest);
    print_plan(experiment, ctx, args.summary)?;
    if let Some(n) = args.shards {
        let rates = estimate::calibrate(&ctx.store)?;
        let threads = rayon::current_num_threads();
        print!(
            "{}",
            estimate::shard_lines(&experiment.work()?, n, &rates, threads)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Each unit's line (unless `summary`), then the counts and the experiment's hash.
fn print_plan(experiment: &dyn Experiment, ctx: &Context, summary: bool) -> Result<()> {
    let surveyed = experiment.survey(Some(&ctx.executor()))?;
    for s in surveyed.iter().filter(|_| !summary) {
        let tag = match s.unit {
            "accuracy" => "unit",
            other => other,
        };
        for ((hash, label), state) in s.hashes.iter().zip(&s.labels).zip(&s.states) {
            let state = if state.runs() { "pending" } else { "cached " };
            println!("{tag:<7} {hash}  {state}  {label}");
        }
    }
    let mut counts = Vec::new();
    for s in &surveyed {
        let what = match s.unit {
            "member" => "member units",
            "pair" => "pair units",
            "tie" => "tie-breaking draw units",
            _ => "units",
        };
        if s.unit == "tie" && s.hashes.is_empty() {
            continue;
        }
        counts.push(format!("{} {what} ({} cached)", s.hashes.len(), s.cached()));
    }
    println!(
        "{}: {}; experiment sha256 {}",
        experiment.name(),
        counts.join(", "),
        experiment.hash()
    );
    let pending: std::collections::HashSet<&str> = surveyed
        .iter()
        .flat_map(|s| s.hashes.iter().zip(&s.states))
        .filter(|(_, state)| state.runs())
        .map(|(h, _)| h.as_str())
        .collect();
    let work = experiment.work()?;
    let rates = estimate::calibrate(&ctx.store)?;
    println!(
        "{}",
        estimate::summary_line(
            &work,
            &estimate::pending_in(&work, &pending),
            &rates,
            rayon::current_num_threads()
        )
    );
    Ok(())
}
