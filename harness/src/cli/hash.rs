//! `harness hash`: an experiment's identity.

use super::{Context, ManifestArgs};
use crate::kinds;
use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

/// Print the experiment's SHA-256 (hex) and nothing else: the canonical manifest's hash, the
/// identity its results are recorded under (README "Identity").
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The experiment's manifest, e.g. experiments/fig1_linear.yaml.
    pub manifest: PathBuf,
    #[command(flatten)]
    pub values: ManifestArgs,
}

pub fn main(ctx: &Context, args: Args) -> Result<ExitCode> {
    println!("{}", kinds::of(&ctx.load(&args.manifest)?).hash());
    Ok(ExitCode::SUCCESS)
}
