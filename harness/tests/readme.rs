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

/// A shell command line cut into words as a shell would (single and double quotes group
/// words and are removed), without a trailing comment.
fn words(line: &str) -> Vec<String> {
    let line = line.split(" #").next().unwrap_or_default();
    let (mut out, mut word, mut quote, mut started) = (Vec::new(), String::new(), None, false);
    for c in line.chars() {
        match (quote, c) {
            (None, '\'' | '"') => (quote, started) = (Some(c), true),
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if started {
                    out.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (_, c) => (word.push(c), started = true).0,
        }
    }
    if started {
        out.push(word);
    }
    out
}

/// Every experiment of `experiments/` by name: its file (from the repository root) and hash.
fn experiments() -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(repo_root().join("experiments")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let m = manifest::load(&path, &Overrides::default()).unwrap();
            let e = kinds::of(&m);
            let file = format!(
                "experiments/{}",
                path.file_name().unwrap().to_string_lossy()
            );
            out.insert(e.name().to_string(), (file, e.hash()));
        }
    }
    out
}

/// The `--set KEY=VALUE` a line of output quotes after `from` (`diff`'s `(…, --set a=1)`).
fn sets_quoted(line: &str, from: usize) -> Vec<String> {
    line[from..]
        .split("--set ")
        .skip(1)
        .map(|rest| rest.split([',', ')']).next().unwrap().trim().to_string())
        .collect()
}

/// A quoted command line as the harness reads it: `harness` first, then its arguments.
/// `None` for a line that is not a command (output that names the binary, a pipe, a
/// placeholder such as `<M>`).
fn command_of(text: &str) -> Option<Vec<String>> {
    let w = words(text.trim_start_matches("$ ").trim());
    let first = w.first()?;
    if !(first == "harness" || first.ends_with("/harness")) {
        return None;
    }
    if w.iter().any(|a| a.contains('|') || a.contains('<')) {
        return None;
    }
    Some(
        std::iter::once("harness".to_string())
            .chain(w[1..].iter().cloned())
            .collect(),
    )
}

/// A synopsis row of a command list (`harness runs [NAME]    the recorded runs, …`): it has a
/// placeholder in capitals (`MANIFEST...`, `I/N`), an optional part in brackets, or its
/// description after a run of spaces with no `#` before it.
fn is_synopsis(text: &str, argv: &[String]) -> bool {
    let described = !text.contains(" #") && text.trim().contains("  ");
    described
        || argv[1..].iter().any(|w| {
            let bare = w.trim_matches(|c: char| "[]().,".contains(c));
            w.starts_with('[')
                || bare.starts_with(|c: char| c.is_ascii_uppercase())
                    && !bare.chars().any(|c| c.is_ascii_lowercase())
        })
}

#[test]
fn words_are_cut_as_a_shell_cuts_them() {
    assert_eq!(
        words("$ harness run m.yaml --set 'sweep.over={a: [4, 8]}' --seed \"1\"  # note"),
        [
            "$",
            "harness",
            "run",
            "m.yaml",
            "--set",
            "sweep.over={a: [4, 8]}",
            "--seed",
            "1"
        ]
    );
    assert_eq!(words("a '' b"), ["a", "", "b"]);
}

#[test]
fn every_quoted_harness_command_parses() {
    let (mut commands, mut synopses) = (0, 0);
    for (doc, line, text) in code_lines() {
        let Some(argv) = command_of(&text) else {
            continue;
        };
        if is_synopsis(&text, &argv) {
            // The row names a command that exists: its help parses.
            let sub = &argv[1];
            let e = Cli::try_parse_from(["harness", sub.as_str(), "--help"]).unwrap_err();
            assert_eq!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp,
                "{doc}:{line}: `{sub}` is not a harness command:\n{e}"
            );
            synopses += 1;
            continue;
        }
        if let Err(e) = Cli::try_parse_from(&argv) {
            if !matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) {
                panic!("{doc}:{line}: `{text}` does not parse:\n{e}");
            }
        }
        commands += 1;
    }
    assert!(commands >= 10, "the docs quote commands ({commands} found)");
    assert!(
        synopses >= 10,
        "the usage guide lists the commands ({synopses} found)"
    );
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

/// The hash a quoted command gives its manifest (the first `.yaml` argument), with the
/// command's own `--set` and `--seed`: the experiment's name and the hash.
fn hash_of_command(argv: &[String]) -> Option<(String, String)> {
    let cli = Cli::try_parse_from(argv).ok()?;
    let path = argv.iter().find(|a| a.ends_with(".yaml"))?;
    let overrides = Overrides {
        device: None,
        set: cli
            .command
            .manifest_args()
            .map(|a| a.assignments())
            .unwrap_or_default(),
    };
    let m = manifest::load(&repo_root().join(path), &overrides).ok()?;
    let e = kinds::of(&m);
    Some((e.name().to_string(), e.hash()))
}

#[test]
fn every_quoted_experiment_hash_is_current() {
    let committed = experiments();
    let mut checked = 0;
    for doc in DOCS {
        let text = std::fs::read_to_string(repo_root().join(doc)).unwrap();
        // The last command quoted above a line: its output quotes the hash of what it ran.
        let mut last_command: Option<(String, String)> = None;
        for (i, line) in text.lines().enumerate() {
            if let Some(argv) = command_of(line).filter(|_| line.starts_with("$ ")) {
                last_command = hash_of_command(&argv);
            }
            for (at, _) in line.match_indices("sha256 ") {
                let quoted: String = line[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_hexdigit())
                    .collect();
                if quoted.len() < 12 {
                    continue;
                }
                // The experiment named before the hash on the same line: with the `--set`
                // the line quotes, else as the command above it ran it, else as committed.
                let before = &line[..at];
                let Some((name, (file, hash))) = committed
                    .iter()
                    .filter(|(name, _)| before.contains(name.as_str()))
                    .max_by_key(|(name, _)| name.len())
                else {
                    continue;
                };
                let sets = sets_quoted(line, at);
                let ran = if !sets.is_empty() {
                    let mut argv = vec!["harness".to_string(), "hash".into(), file.clone()];
                    for set in sets {
                        argv.extend(["--set".to_string(), set]);
                    }
                    hash_of_command(&argv).map(|(_, hash)| hash)
                } else {
                    last_command
                        .as_ref()
                        .filter(|(ran, _)| {
                            ran == name && before.trim_end().ends_with(name.as_str())
                        })
                        .map(|(_, hash)| hash.clone())
                };
                let hash = ran.unwrap_or_else(|| hash.clone());
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
