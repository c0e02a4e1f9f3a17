//! `harness sensitivity`: a results folder's v3 findings read other ways
//! ([`crate::results::claims::sensitivity`]; docs/SENSITIVITY.md).

use crate::results::claims::sensitivity;
use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

/// How a results folder's v3 findings move when the CCE is read over all-alive pairs or per
/// live unit (with members.csv and pairs.csv), beside n*, the CCE peak and C3
/// (docs/SENSITIVITY.md). Prints Markdown; not claims.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Results folders (artifacts/results/<name> for the dead-unit readings).
    #[arg(required = true)]
    pub folders: Vec<PathBuf>,
}

pub fn main(args: Args) -> Result<ExitCode> {
    for f in &args.folders {
        print!("{}", sensitivity::report(f)?);
    }
    Ok(ExitCode::SUCCESS)
}
