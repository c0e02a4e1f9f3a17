//! `harness help [COMMAND | manifest]` and `harness manifest`: the help texts and the manifest
//! reference (docs/MANIFEST.md, compiled in).

use super::{bad_input, Cli};
use anyhow::Result;
use clap::CommandFactory;
use std::process::ExitCode;

/// The manifest reference, printed by `harness manifest` and `harness help manifest`.
pub const MANIFEST_REFERENCE: &str = include_str!("../../../docs/MANIFEST.md");

/// Print the manifest reference (docs/MANIFEST.md): every key, its default and what it
/// changes. `harness help manifest` prints the same.
#[derive(clap::Args, Debug)]
pub struct ManifestArgs {}

/// Print this help, a command's (`harness help run`), or the manifest reference (`harness
/// help manifest`).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A command, or `manifest`.
    pub topic: Option<String>,
}

/// `harness manifest`.
pub fn manifest(_args: ManifestArgs) -> Result<ExitCode> {
    print!("{MANIFEST_REFERENCE}");
    Ok(ExitCode::SUCCESS)
}

/// `harness help`.
pub fn main(args: Args) -> Result<ExitCode> {
    let mut top = Cli::command();
    // Built, so that a command's help shows its full name and the global options.
    top.build();
    match args.topic.as_deref() {
        None => top.print_long_help()?,
        Some("manifest") => print!("{MANIFEST_REFERENCE}"),
        Some(name) => match top.find_subcommand_mut(name) {
            Some(sub) => sub.print_long_help()?,
            None => {
                return Err(bad_input(anyhow::anyhow!(
                    "no command `{name}`; `harness help` lists them"
                )))
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}
