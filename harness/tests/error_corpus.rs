//! The error corpus (tests/errors/): every bad manifest and bad CSV through the binary.
//!
//! Each case is two files: `manifests/NAME.yaml` (run by `harness run` and `harness plan`) or
//! `csv/NAME.csv` (run by `harness cce NAME.csv ../cce_partner.csv`, plus the arguments in
//! `csv/NAME.args` if present), and `NAME.expected`, the exact stderr. Every case must exit
//! with code 2, print exactly the expected message, write nothing under the artifacts folder
//! and not panic. `HARNESS_BLESS=1` writes the `.expected` files of new cases (read them: a
//! message must name the file, the line, the key and what is allowed).

mod common;

use common::{harness_bin, repo_root};
use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    repo_root().join("harness/tests/errors")
}

fn cases(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    v
}

/// Runs one command of a case and returns what is wrong with it, if anything.
fn check(case: &Path, args: &[String], artifacts: &Path) -> Option<String> {
    let dir = case.parent().unwrap();
    let out = harness_bin()
        .current_dir(dir)
        .arg("--artifacts")
        .arg(artifacts)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let expected_path = case.with_extension("expected");
    let expected = match std::fs::read_to_string(&expected_path) {
        Ok(e) => e,
        Err(_) if std::env::var_os("HARNESS_BLESS").is_some() => {
            std::fs::write(&expected_path, &stderr).unwrap();
            stderr.clone()
        }
        Err(_) => {
            return Some(format!(
                "no {} (HARNESS_BLESS=1 writes it); the message is:\n{stderr}",
                expected_path.display()
            ))
        }
    };
    let mut problems = Vec::new();
    if out.status.code() != Some(2) {
        problems.push(format!("exit code {:?}, not 2", out.status.code()));
    }
    if stderr.contains("panicked") {
        problems.push("panicked".into());
    }
    if stderr != expected {
        problems.push(format!(
            "stderr differs:\n  got:      {stderr:?}\n  expected: {expected:?}"
        ));
    }
    if artifacts.exists() {
        problems.push(format!("{} was written", artifacts.display()));
    }
    (!problems.is_empty()).then(|| format!("{}: {}", args.join(" "), problems.join("; ")))
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn every_bad_manifest_is_a_clear_error_and_writes_nothing() {
    let all = cases(&corpus_dir().join("manifests"), "yaml");
    assert!(all.len() >= 50, "only {} bad manifests", all.len());
    let tmp = tempfile::tempdir().unwrap();
    let artifacts = tmp.path().join("artifacts");
    let failures: Vec<String> = all
        .iter()
        .flat_map(|case| {
            ["run", "plan"]
                .into_iter()
                .filter_map(|command| check(case, &[command.into(), name(case)], &artifacts))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_bad_csv_is_a_clear_error_and_writes_nothing() {
    let all = cases(&corpus_dir().join("csv"), "csv");
    assert!(all.len() >= 10, "only {} bad CSVs", all.len());
    let tmp = tempfile::tempdir().unwrap();
    let artifacts = tmp.path().join("artifacts");
    let failures: Vec<String> = all
        .iter()
        .filter_map(|case| {
            let mut args = vec!["cce".into(), name(case), "../cce_partner.csv".into()];
            if let Ok(extra) = std::fs::read_to_string(case.with_extension("args")) {
                args.extend(extra.split_whitespace().map(String::from));
            }
            check(case, &args, &artifacts)
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The partner file of the CSV cases is itself good, so that each case tests its own file.
#[test]
fn the_csv_partner_is_valid() {
    let dir = corpus_dir();
    let out = harness_bin()
        .current_dir(&dir)
        .args(["cce", "cce_partner.csv", "cce_partner.csv"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
