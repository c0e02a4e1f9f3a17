//! `harness power`: the replicas each v3 claim needs, with results folders as the pilot
//! ([`crate::results::claims::power_table`]; docs/POWER.md).

use super::{history, Context};
use crate::results::claims::power_table;
use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

/// With finished results folders as the pilot (e.g. reference/fig2_relu), the replicas per
/// point that give each v3 claim a 90 % chance to pass, and their CPU minutes from the last
/// cold run of the same manifest in the run history (docs/POWER.md). Prints a Markdown table.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Results folders with summary.csv and replicas.csv.
    #[arg(required = true)]
    pub folders: Vec<PathBuf>,
}

pub fn main(ctx: &Context, args: Args) -> Result<ExitCode> {
    let costs = history::cold_minutes_per_replica(&ctx.store)?;
    let mut rows = Vec::new();
    for f in &args.folders {
        rows.extend(power_table::rows(f, &costs)?);
    }
    print!("{}", power_table::markdown(&rows));
    Ok(ExitCode::SUCCESS)
}
