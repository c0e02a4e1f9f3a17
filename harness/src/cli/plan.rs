//! `harness plan`: a manifest's units, cached or pending (what `harness run` would compute now:
//! the kind's survey, [`crate::kinds::Experiment::survey`]), its hash, and with `--shards N`
//! the estimated cost of each shard ([`crate::plan::shard`]).

use super::{at_least_one, Context, ManifestArgs};
use crate::kinds::{self, Experiment};
use crate::plan::shard;
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
        print_shard_loads(experiment, n)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Each unit's line (unless `summary`), then the counts and the experiment's hash.
fn print_plan(experiment: &dyn Experiment, ctx: &Context, summary: bool) -> Result<()> {
    let surveyed = experiment.survey(&ctx.executor())?;
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
    Ok(())
}

/// The estimated cost of each of `n` shards of the experiment.
fn print_shard_loads(experiment: &dyn Experiment, n: usize) -> Result<()> {
    let loads = shard::loads(&[experiment.work()?], n);
    let total: u128 = loads.iter().map(|l| l.cost).sum::<u128>().max(1);
    for (i, l) in loads.iter().enumerate() {
        println!(
            "shard {}/{n}: {} groups, {} member, {} pair, {} accuracy units; estimated cost \
             {:.3e} ({:.1} %)",
            i + 1,
            l.groups,
            l.members,
            l.pairs,
            l.units,
            l.cost as f64,
            100.0 * l.cost as f64 / total as f64
        );
    }
    Ok(())
}
