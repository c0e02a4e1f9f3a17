//! `harness claims`: C4 judged across finished network experiments, pooling their points
//! ([`crate::kinds::network::cross_experiment_c4`]); trains nothing.

use super::{print_warnings, Context, ManifestArgs};
use crate::kinds::network::cross_experiment_c4;
use crate::manifest::Manifest;
use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

/// Judge claim C4 (stronger alignment does not imply lower generalization error) across
/// finished experiments, pooling their points; trains nothing. Writes
/// <artifacts>/results/claims/claims.csv.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Manifests already run, e.g. experiments/fig1_linear.yaml experiments/fig2_relu.yaml.
    #[arg(required = true)]
    pub manifests: Vec<PathBuf>,
    #[command(flatten)]
    pub values: ManifestArgs,
}

pub fn main(ctx: &Context, args: Args) -> Result<ExitCode> {
    let loaded: Vec<Manifest> = args
        .manifests
        .iter()
        .map(|p| {
            ctx.network(p, |e| {
                format!(
                    "`{}` is an {} manifest: claims judge network experiments",
                    e.name(),
                    e.kind()
                )
            })
        })
        .collect::<Result<_, _>>()?;
    ctx.store.check_writable()?;
    let c = cross_experiment_c4(&loaded, &ctx.store)?;
    print!("{}", c.verdicts.side_by_side());
    print_warnings(&c.warnings, &["C4"]);
    println!("  results: {}/", c.dir.display());
    Ok(ExitCode::SUCCESS)
}
