//! The places a new thing needs, as docs/ARCHITECTURE.md ("Where a new thing goes") lists
//! them, checked on the source: each registered thing of a kind (a classifier, an estimator, an
//! experiment kind) is named in exactly the documented files and, in its registry's file, on
//! exactly the documented number of lines. A new one copies an existing one, so if `fcnn` is
//! named in a fourth place, a new classifier needs that place too, and this test fails until
//! the docs say so (or the place goes).

mod common;

use common::source::{code, files, src};
use std::collections::BTreeSet;
use std::path::Path;

/// Whether `line` names `word` as a whole identifier (or path segment).
fn names(line: &str, word: &str) -> bool {
    line.match_indices(word).any(|(i, _)| {
        let before = line[..i].chars().last();
        let after = line[i + word.len()..].chars().next();
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

/// Every file of `src/` that names one of `words`, relative to `src/`, with its lines that do.
fn naming(words: &[&str]) -> Vec<(String, Vec<String>)> {
    let all = files();
    // Unit-test files (`mod tests;`, `*_tests.rs`) are tests, as inline test modules are.
    let is_test = |f: &Path| {
        let name = f.file_stem().unwrap().to_string_lossy();
        name == "tests" || name.ends_with("_tests")
    };
    all.into_iter()
        .filter(|f| !is_test(f))
        .filter_map(|f| {
            let text = std::fs::read_to_string(src().join(&f)).unwrap();
            let lines: Vec<String> = code(&text)
                .into_iter()
                .filter(|l| words.iter().any(|w| names(l, w)))
                .collect();
            let rel = f.display().to_string();
            (!lines.is_empty()).then_some((rel, lines))
        })
        .collect()
}

/// The documented places of one thing: the row of ARCHITECTURE.md's table whose first cell is
/// `what`: its files (backticked paths, `<name>` replaced) and its registry's line count.
fn documented(what: &str, name: &str) -> (BTreeSet<String>, usize) {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ARCHITECTURE.md"),
    )
    .unwrap();
    let row = doc
        .lines()
        .find(|l| l.starts_with(&format!("| {what} |")))
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has no row `| {what} |`"));
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    let files: BTreeSet<String> = cells[2]
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|t| t.ends_with(".rs"))
        .map(|t| t.replace("<name>", name))
        .collect();
    let lines: usize = cells[3]
        .parse()
        .unwrap_or_else(|_| panic!("row `{what}`: the third column is a line count"));
    (files, lines)
}

/// Checks one registered thing against its documented places: the files naming it are exactly
/// the documented ones, and the registry file (`registry`) names it on `lines` lines.
fn check(what: &str, name: &str, words: &[&str], registry: &str) {
    let (expected, lines) = documented(what, name);
    let found = naming(words);
    // A documented file's submodules (`models/fcnn.rs` → `models/fcnn/cpu.rs`) are part of it.
    let files: BTreeSet<String> = found
        .iter()
        .map(|(f, _)| {
            expected
                .iter()
                .find(|e| f.starts_with(&format!("{}/", e.trim_end_matches(".rs"))))
                .unwrap_or(f)
                .clone()
        })
        .collect();
    assert_eq!(
        files, expected,
        "{what} `{name}` is named in other files than docs/ARCHITECTURE.md lists: {found:#?}"
    );
    let in_registry = &found.iter().find(|(f, _)| f == registry).unwrap().1;
    assert_eq!(
        in_registry.len(),
        lines,
        "{what} `{name}`: {registry} names it on other lines than documented: {in_registry:#?}"
    );
}

#[test]
fn a_classifier_is_its_file_its_variant_and_its_arm() {
    for (name, words) in [
        ("fcnn", ["fcnn", "Fcnn", "FcnnConfig"]),
        ("cnn5", ["cnn5", "Cnn5", "Cnn5Config"]),
    ] {
        check("a classifier", name, &words, "models/mod.rs");
    }
}

#[test]
fn an_estimator_is_its_file_and_its_registry_lines() {
    check(
        "an estimator",
        "ksg_tref",
        &["KsgTRef", "ksg_tref", "ksg-tref"],
        "estimators/mod.rs",
    );
}

#[test]
fn an_experiment_kind_is_its_files_and_one_registry_line() {
    check(
        "an experiment kind",
        "accuracy",
        &["Accuracy", "AccuracyManifest", "AccuracyPlan"],
        "kinds/mod.rs",
    );
}

#[test]
fn the_checker_reads_identifiers_whole() {
    assert!(names("Model::Fcnn(c) => c,", "Fcnn"));
    assert!(!names("FcnnEnsemble::stack", "Fcnn"));
    assert!(names("pub mod fcnn;", "fcnn"));
    assert!(!names("let fcnns = 3;", "fcnn"));
    let lines = code("fn a() { Fcnn }\n#[cfg(test)]\nmod tests {\n Fcnn\n}\n");
    assert_eq!(lines.iter().filter(|l| names(l, "Fcnn")).count(), 1);
    // A declared test module (no body) ends nothing.
    let lines = code("#[cfg(test)]\nmod tests;\nfn a() { Fcnn }\n");
    assert_eq!(lines.iter().filter(|l| names(l, "Fcnn")).count(), 1);
}
