//! What the README (and the usage guide it links) quotes is what the harness does today: every
//! `harness …` command line in a code block parses, every `make` target exists, and every
//! experiment hash quoted (`fig2_relu  sha256 9bae2b314902…`) is that experiment's hash now.

mod common;

use clap::Parser;
use common::repo_root;
use harness::cli::Cli;
use harness::kinds;
use harness::manifest::{self, Overrides};
use std::collections::BTreeMap;

/// The documents a newcomer reads first.
const DOCS: &[&str] = &["README.md", "docs/USAGE.md"];

/// The lines inside the documents' fenced code blocks, with where they are.
fn code_lines() -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    for doc in DOCS {
        let text = std::fs::read_to_string(repo_root().join(doc)).unwrap();
        let mut inside = false;
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                inside = !inside;
                continue;
            }
            if inside {
                out.push((doc.to_string(), i + 1, line.to_string()));
            }
        }
    }
    out
}

/// A shell command line cut into words (no quoting beyond plain words in the docs), without
/// a trailing comment.
fn words(line: &str) -> Vec<String> {
    let line = line.split(" #").next().unwrap_or_default();
    line.split_whitespace().map(str::to_string).collect()
}

/// Every experiment of `experiments/` by name, with its hash.
fn experiment_hashes() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(repo_root().join("experiments")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let m = manifest::load(&path, &Overrides::default()).unwrap();
            let e = kinds::of(&m);
            out.insert(e.name().to_string(), e.hash());
        }
    }
    out
}

#[test]
fn every_quoted_harness_command_parses() {
    let mut checked = 0;
    for (doc, line, text) in code_lines() {
        let w = words(text.trim_start_matches("$ ").trim());
        let Some(start) = w
            .iter()
            .position(|x| x == "harness" || x.ends_with("/harness"))
        else {
            continue;
        };
        let args = &w[start..];
        // Output lines quote the binary's name too; commands start with it.
        if start != 0 || args.iter().any(|a| a.contains('|') || a.contains('<')) {
            continue;
        }
        let argv: Vec<&str> = std::iter::once("harness")
            .chain(args[1..].iter().map(String::as_str))
            .collect();
        if let Err(e) = Cli::try_parse_from(&argv) {
            if !matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) {
                panic!("{doc}:{line}: `{text}` does not parse:\n{e}");
            }
        }
        checked += 1;
    }
    assert!(checked >= 10, "the docs quote commands ({checked} found)");
}

#[test]
fn every_quoted_make_target_exists() {
    let makefile = std::fs::read_to_string(repo_root().join("Makefile")).unwrap();
    let targets: Vec<&str> = makefile
        .lines()
        .filter_map(|l| l.split_once(':').map(|(t, _)| t))
        .filter(|t| !t.starts_with(['\t', '#', ' ', '.']) && !t.contains('='))
        .flat_map(|t| t.split_whitespace())
        .collect();
    let mut checked = 0;
    for (doc, line, text) in code_lines() {
        let w = words(text.trim_start_matches("$ ").trim());
        if w.first().map(String::as_str) != Some("make") {
            continue;
        }
        for target in w[1..]
            .iter()
            .filter(|x| !x.contains('=') && !x.starts_with('-'))
        {
            assert!(
                targets.contains(&target.as_str()),
                "{doc}:{line}: `make {target}` is not a target of the Makefile"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 2,
        "the docs quote make targets ({checked} found)"
    );
}

#[test]
fn every_quoted_experiment_hash_is_current() {
    let hashes = experiment_hashes();
    let mut checked = 0;
    for doc in DOCS {
        let text = std::fs::read_to_string(repo_root().join(doc)).unwrap();
        for (i, line) in text.lines().enumerate() {
            for (at, _) in line.match_indices("sha256 ") {
                let quoted: String = line[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_hexdigit())
                    .collect();
                if quoted.len() < 12 {
                    continue;
                }
                // The experiment named before the hash on the same line.
                let before = &line[..at];
                let Some((name, hash)) = hashes
                    .iter()
                    .filter(|(name, _)| before.contains(name.as_str()))
                    .max_by_key(|(name, _)| name.len())
                else {
                    continue;
                };
                assert!(
                    hash.starts_with(&quoted),
                    "{doc}:{}: {name}'s hash is quoted as {quoted}…, but is {} now",
                    i + 1,
                    &hash[..12]
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 1,
        "the docs quote at least one hash ({checked} found)"
    );
}
