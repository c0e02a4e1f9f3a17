//! `harness`: the command-line interface. Parses the arguments, builds the one context they
//! set ([`cli::Context`]) and hands the command to its module under `src/cli/`, which runs it
//! and prints. Every error ends up here, printed with its context chain; the exit code is 2
//! for bad input (a manifest or a CSV), 1 for any other failure.

use clap::{ArgMatches, CommandFactory, FromArgMatches};
use harness::cli::{self, Cli, Command, Context};
use harness::manifest::ManifestError;
use harness::matrix::InputError;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Output piped into a reader that stops early (`harness plan … | head`) ends the process
    // quietly, as for any Unix tool, instead of a panic on the failed write: Rust ignores
    // SIGPIPE by default, which turns the reader's exit into an EPIPE error at every print.
    #[cfg(unix)]
    // SAFETY: called first, before any thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match dispatch(cli, &matches) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            let bad_input = err
                .chain()
                .any(|c| c.is::<ManifestError>() || c.is::<InputError>());
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

/// Runs the command with the context the command line sets.
fn dispatch(cli: Cli, matches: &ArgMatches) -> anyhow::Result<ExitCode> {
    let ctx = Context::new(&cli)?;
    match cli.command {
        Command::Run(args) => cli::run::main(&ctx, args),
        Command::Slurm(args) => cli::slurm::main(&ctx, args),
        Command::Project(args) => cli::project::main(&ctx, args),
        Command::Plan(args) => cli::plan::main(&ctx, args),
        Command::Claims(args) => cli::claims::main(&ctx, args),
        Command::Check(args) => cli::check::main(&ctx, args),
        Command::Power(args) => cli::power::main(&ctx, args),
        Command::Sensitivity(args) => cli::sensitivity::main(args),
        Command::Runs(args) => cli::history::main(&ctx, args),
        Command::Diff(args) => cli::diff::main(&ctx, args),
        Command::Why(args) => cli::why::main(&ctx, args),
        Command::Export(args) => cli::export::main(&ctx, args),
        Command::Table(args) => cli::table::main(&ctx, args),
        Command::Report(args) => cli::report::main(&ctx, args),
        Command::Hash(args) => cli::hash::main(&ctx, args),
        Command::Manifest(args) => cli::help::manifest(args),
        Command::Help(args) => cli::help::main(args),
        Command::Fetch(args) => cli::fetch::main(args),
        Command::Verify(args) => cli::verify::main(&ctx, args),
        Command::Gc(args) => cli::gc::main(&ctx, args),
        Command::Cce(args) => cli::pair::cce(args),
        Command::Align(args) => cli::pair::align(args, matches.subcommand_matches("align")),
    }
}
