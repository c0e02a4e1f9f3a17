//! `harness verify`: every artifact re-hashed against its recorded SHA-256
//! ([`crate::cache::verify`]).

use super::Context;
use crate::cache;
use anyhow::Result;
use std::process::ExitCode;

/// Re-hash every cached artifact and result file; name each one missing or altered. Exit
/// code 1 if any.
#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn main(ctx: &Context, _args: Args) -> Result<ExitCode> {
    let root = ctx.store.root();
    if !root.is_dir() {
        anyhow::bail!(
            "nothing to verify: there is no artifacts folder at {} (give the one your runs \
             wrote with --artifacts or HARNESS_ARTIFACTS)",
            root.display()
        );
    }
    let (checked, problems) = cache::verify(root)?;
    if checked == 0 && problems.is_empty() {
        anyhow::bail!(
            "nothing to verify: {} holds no cache entry and no results folder (is it the \
             artifacts folder your runs wrote? give it with --artifacts)",
            root.display()
        );
    }
    for p in &problems {
        println!("{}: {}", p.path.display(), p.what);
    }
    if problems.is_empty() {
        println!(
            "verified {checked} files under {}: all intact",
            root.display()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{} problem(s) among {checked} files", problems.len());
        Ok(ExitCode::FAILURE)
    }
}
