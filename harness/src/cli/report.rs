//! `harness report`: every results folder on one page ([`crate::results::report_page`]).

use super::Context;
use crate::results::report_page;
use anyhow::Result;
use std::process::ExitCode;

/// Write <artifacts>/results/index.html: every experiment's figure, claims, check verdicts,
/// run record and CSVs on one self-contained page.
#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn main(ctx: &Context, _args: Args) -> Result<ExitCode> {
    let page = report_page::write(&ctx.store)?;
    println!("{}", page.display());
    Ok(ExitCode::SUCCESS)
}
