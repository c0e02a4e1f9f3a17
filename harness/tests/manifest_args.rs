//! One set of manifest arguments: every command that reads a manifest takes `--set`, `--seed`
//! and `--device`, and they reach the manifests it loads (issue: a variation could be run but
//! not tabled or exported without a manifest file of its own).

mod common;

use clap::{CommandFactory, Parser};
use common::{harness_bin, repo_root};
use harness::cli::{Cli, Command};

/// The commands whose positional argument is a manifest (or several).
fn manifest_commands() -> Vec<clap::Command> {
    Cli::command()
        .get_subcommands()
        .filter(|c| {
            c.get_arguments().any(|a| {
                a.is_positional() && ["manifest", "manifests"].contains(&a.get_id().as_str())
            })
        })
        .cloned()
        .collect()
}

/// The arguments a command needs besides its manifest, to parse at all.
fn required_besides_manifest(command: &str) -> &'static [&'static str] {
    match command {
        "slurm" => &["--shards", "2"],
        "export" => &["--member", "n=4"],
        _ => &[],
    }
}

#[test]
fn every_command_that_reads_a_manifest_takes_set_seed_and_device() {
    let commands = manifest_commands();
    let names: Vec<&str> = commands.iter().map(|c| c.get_name()).collect();
    assert_eq!(
        names,
        [
            "run", "slurm", "project", "plan", "claims", "check", "why", "export", "table", "hash",
            "gc"
        ],
        "the commands that read a manifest"
    );
    for c in &commands {
        for flag in ["set", "seed", "device"] {
            assert!(
                c.get_arguments().any(|a| a.get_id() == flag),
                "`harness {}` lacks --{flag}",
                c.get_name()
            );
        }
        // Parsed, the values are the command's manifest arguments (what the context loads
        // every manifest with).
        let mut line = vec!["harness", c.get_name(), "m.yaml"];
        line.extend(required_besides_manifest(c.get_name()));
        line.extend([
            "--set",
            "sweep.replicas=2",
            "--seed",
            "9",
            "--device",
            "cpu",
        ]);
        let cli = Cli::try_parse_from(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        let values = cli.command.manifest_args().expect("a manifest command");
        assert_eq!(values.set.len(), 1, "{}", c.get_name());
        assert_eq!(values.seed, Some(9), "{}", c.get_name());
        assert!(values.device.is_some(), "{}", c.get_name());
    }
    // And the commands without a manifest have none of them.
    for c in Cli::command().get_subcommands() {
        if !names.contains(&c.get_name()) {
            assert!(
                !c.get_arguments().any(|a| a.get_id() == "set"),
                "`harness {}` reads no manifest but takes --set",
                c.get_name()
            );
            let cli = Cli::try_parse_from(["harness", "runs"]).unwrap();
            assert!(matches!(cli.command, Command::Runs(_)));
            assert!(cli.command.manifest_args().is_none());
        }
    }
}

/// A `--seed` variation is run, tabled and exported without a manifest file of its own.
#[test]
fn a_variation_is_tabled_and_exported_with_the_same_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = repo_root().join("harness/tests/testdata/tiny_linear.yaml");
    let run = |args: &[&str]| {
        let out = harness_bin()
            .arg("--quiet")
            .arg("--artifacts")
            .arg(dir.path())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let m = manifest.to_str().unwrap();
    let (code, _, err) = run(&["run", m, "--seed", "9"]);
    assert_eq!(code, Some(0), "{err}");
    // Without the override the manifest's own experiment is not in the cache.
    let (code, _, err) = run(&["table", m]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("not in the cache"), "{err}");
    let (code, table, err) = run(&["table", m, "--seed", "9"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(table.contains("n_over_p"), "{table}");
    let (code, out, err) = run(&[
        "export",
        m,
        "--seed",
        "9",
        "--member",
        "snr=2,n=4,replica=0,member=0",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("exported to"), "{out}");
    let (code, hash, _) = run(&["hash", m, "--seed", "9"]);
    let (_, plain, _) = run(&["hash", m]);
    assert_eq!(code, Some(0));
    assert_ne!(hash, plain, "the seed is part of the identity");
}
