//! Bad manifests: every error names the file, the line and the key, the CLI exits with 2, and
//! nothing is written.

mod common;

use common::{harness_bin, SMALL};
use harness::manifest::Manifest;
use std::path::Path;

fn error_of(text: &str) -> harness::manifest::ManifestError {
    Manifest::parse(text, Path::new("experiments/bad.yaml")).expect_err("must be rejected")
}

/// Line number (1-based) of the first line that starts with `needle` after its indentation.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with(needle))
        .unwrap()
        + 1
}

#[test]
fn unknown_top_level_key() {
    let text = SMALL.replace("seed: 7\n", "seed: 7\nsede: 8\n");
    let e = error_of(&text);
    assert_eq!(e.key.as_deref(), Some("sede"));
    assert_eq!(e.line, Some(line_of(&text, "sede")));
    assert!(e.message.contains("unknown field"), "{e}");
    assert!(
        e.to_string()
            .starts_with("experiments/bad.yaml:3: key `sede`"),
        "{e}"
    );
}

#[test]
fn unknown_key_inside_a_tagged_section() {
    let text = SMALL.replace("  n_test: 500\n", "  n_test: 500\n  noise: 3\n");
    let e = error_of(&text);
    assert_eq!(e.key.as_deref(), Some("task.noise"));
    assert_eq!(e.line, Some(line_of(&text, "noise")));
    // Settings that the chosen solver does not take are rejected too.
    let text = format!("{SMALL}train:\n  solver: min-norm\n  lr: 0.1\n");
    let e = error_of(&text);
    assert_eq!(e.key.as_deref(), Some("train.lr"));
    assert_eq!(e.line, Some(line_of(&text, "lr:")));
}

#[test]
fn wrong_type() {
    let text = SMALL.replace("replicas: 2", "replicas: two");
    let e = error_of(&text);
    assert_eq!(e.key.as_deref(), Some("sweep.replicas"));
    assert_eq!(e.line, Some(line_of(&text, "replicas")));
    assert!(e.message.contains("invalid type"), "{e}");
}

#[test]
fn unknown_variant_lists_the_allowed_ones() {
    let e = error_of(&SMALL.replace("kind: linear2", "kind: linear3"));
    assert_eq!(e.key.as_deref(), Some("model.kind"));
    assert!(e.message.contains("linear2"), "{e}");
    let e = error_of(&format!("{SMALL}alignment:\n  estimator: knn\n"));
    assert_eq!(e.key.as_deref(), Some("alignment.estimator"));
    assert!(
        e.message.contains("ksg") && e.message.contains("gaussian"),
        "{e}"
    );
}

#[test]
fn impossible_values() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "snr: [1, 4]",
            "snr: [1, -4]",
            "sweep.snr",
            "a ratio from 1e-6 to 1e6",
        ),
        (
            "snr: [1, 4]",
            "snr: [1, 1e308]",
            "sweep.snr",
            "a ratio from 1e-6 to 1e6",
        ),
        (
            "n_over_p: [0.3, 0.8, 1.3, 2.5]",
            "n_over_p: [1e30]",
            "sweep.n_over_p",
            "at most 10000000 training examples",
        ),
        ("snr: [1, 4]", "snr: [1, 1]", "sweep.snr", "repeat"),
        (
            "members: 3",
            "members: 1",
            "sweep.members",
            "need 2 (to form a pair)",
        ),
        (
            "n_over_p: [0.3, 0.8, 1.3, 2.5]",
            "n_over_p: [0.3, 0.28]",
            "sweep.n_over_p",
            "same n",
        ),
        (
            "n_over_p: [0.3, 0.8, 1.3, 2.5]",
            "n_over_p: [0.01]",
            "sweep.n_over_p",
            "n = 0",
        ),
        ("d: 20", "d: 1", "task.d", "must be 2 to 100000"),
        ("name: small", "name: ../escape", "name", "letters"),
    ];
    for (from, to, key, words) in cases {
        let text = SMALL.replace(from, to);
        let e = error_of(&text);
        assert_eq!(e.key.as_deref(), Some(*key), "{to}: {e}");
        let needle = key.rsplit('.').next().unwrap();
        assert_eq!(
            e.line,
            Some(line_of(&text, &format!("{needle}:"))),
            "{to}: {e}"
        );
        assert!(e.message.contains(words), "{to}: {e}");
    }
    let e = error_of(&format!(
        "{SMALL}alignment:\n  estimator: kl\n  report: [ksg]\n"
    ));
    assert_eq!(e.key.as_deref(), Some("alignment.report"));
}

#[test]
fn cli_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("bad.yaml");
    std::fs::write(&manifest, SMALL.replace("members: 3", "members: 0")).unwrap();
    let artifacts = dir.path().join("artifacts");
    let out = harness_bin()
        .args(["--artifacts", artifacts.to_str().unwrap(), "run"])
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.yaml:13: key `sweep.members`"),
        "{stderr}"
    );
    assert!(
        !artifacts.exists(),
        "nothing may be written for a bad manifest"
    );
}
