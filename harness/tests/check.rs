//! `harness check` through the binary: a rerun with another seed is never a FAIL against
//! `reference/`; a reference with one point shifted far FAILs naming it; a reference with too
//! few replicas is INCONCLUSIVE; byte-equal results are "bit-identical"; the margins are not
//! part of the identity; an estimator-accuracy manifest is refused as bad input.

mod common;

use common::{harness_bin, parse, repo_root, SMALL};
use std::fs;
use std::path::Path;
use std::process::Output;

fn harness(artifacts: &Path, args: &[&str]) -> Output {
    harness_bin()
        .current_dir(repo_root())
        .arg("--quiet")
        .arg("--artifacts")
        .arg(artifacts)
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Writes a manifest file and runs it into `artifacts`.
fn run(manifest_text: &str, dir: &Path, artifacts: &Path) -> String {
    let path = dir.join("m.yaml");
    fs::write(&path, manifest_text).unwrap();
    let out = harness(artifacts, &["run", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    path.to_str().unwrap().to_string()
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

#[test]
fn a_rerun_of_fig1_with_another_seed_is_never_a_fail_against_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = fs::read_to_string(repo_root().join("experiments/fig1_linear.yaml")).unwrap();
    assert!(manifest.contains("seed: 20260526"));
    let path = run(
        &manifest.replace("seed: 20260526", "seed: 99"),
        dir.path(),
        &dir.path().join("a"),
    );
    // Against the default reference, reference/fig1_linear/.
    let out = harness(&dir.path().join("a"), &["check", path.as_str()]);
    let code = out.status.code();
    assert!(
        code == Some(0) || code == Some(3),
        "exit {code:?}: {}",
        text(&out)
    );
    let said = text(&out);
    assert!(!said.contains("bit-identical"), "{said}");
    assert!(said.contains("reference/fig1_linear"), "{said}");
    let csv = fs::read_to_string(dir.path().join("a/results/fig1_linear/check.csv")).unwrap();
    // 100 points × (gen_error + ksg, kl, gaussian, exact).
    assert_eq!(csv.lines().count(), 1 + 100 * 5);
    assert!(!csv.contains(",FAIL,"));
}

/// SMALL with more replicas, so that a t test has power.
fn small_with(replicas: usize) -> String {
    SMALL.replace("replicas: 2", &format!("replicas: {replicas}"))
}

#[test]
fn byte_equal_results_are_bit_identical_and_pass() {
    let dir = tempfile::tempdir().unwrap();
    let path = run(&small_with(3), dir.path(), &dir.path().join("a"));
    let reference = dir.path().join("ref");
    copy_dir(&dir.path().join("a/results/small"), &reference);
    let out = harness(
        &dir.path().join("a"),
        &[
            "check",
            path.as_str(),
            "--against",
            reference.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("PASS small: bit-identical"),
        "{}",
        text(&out)
    );
    // One changed byte in a figure is enough to lose "bit-identical" (then statistics decide,
    // and the same replica values pass or are inconclusive).
    let png = reference.join("small.png");
    let png = if png.exists() {
        png
    } else {
        reference.join("fig1.png")
    };
    let mut bytes = fs::read(&png).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&png, bytes).unwrap();
    let out = harness(
        &dir.path().join("a"),
        &[
            "check",
            path.as_str(),
            "--against",
            reference.to_str().unwrap(),
        ],
    );
    assert!(!text(&out).contains("bit-identical"), "{}", text(&out));
    assert_ne!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn a_reference_with_one_point_shifted_far_fails_naming_that_point() {
    let dir = tempfile::tempdir().unwrap();
    let path = run(&small_with(4), dir.path(), &dir.path().join("a"));
    let reference = dir.path().join("ref");
    copy_dir(&dir.path().join("a/results/small"), &reference);
    // Shift gen_error at snr 4, n = round(1.3 · 21) = 27 by +100 (it is of order 0.1–1).
    let csv = fs::read_to_string(reference.join("replicas.csv")).unwrap();
    let mut shifted = 0;
    let lines: Vec<String> = csv
        .lines()
        .map(|l| {
            let mut f: Vec<String> = l.split(',').map(String::from).collect();
            if f[0] == "4.0" && f[1] == "27" && f[6] == "gen_error" {
                f[7] = format!("{:?}", f[7].parse::<f64>().unwrap() + 100.0);
                shifted += 1;
            }
            f.join(",")
        })
        .collect();
    assert_eq!(shifted, 4, "one value per replica");
    fs::write(reference.join("replicas.csv"), lines.join("\n") + "\n").unwrap();
    let out = harness(
        &dir.path().join("a"),
        &[
            "check",
            path.as_str(),
            "--against",
            reference.to_str().unwrap(),
        ],
    );
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("FAIL small: 1 of") && said.contains("gen_error at level 4.0 n=27"),
        "{said}"
    );
}

#[test]
fn a_reference_with_too_few_replicas_is_inconclusive() {
    let dir = tempfile::tempdir().unwrap();
    run(&small_with(1), dir.path(), &dir.path().join("ref"));
    let path = run(&small_with(4), dir.path(), &dir.path().join("a"));
    let reference = dir.path().join("ref/results/small");
    let out = harness(
        &dir.path().join("a"),
        &[
            "check",
            path.as_str(),
            "--against",
            reference.to_str().unwrap(),
        ],
    );
    let said = text(&out);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(said.contains("INCONCLUSIVE small"), "{said}");
    let csv = fs::read_to_string(dir.path().join("a/results/small/check.csv")).unwrap();
    assert!(
        csv.contains("too few replicas to test (run 4, reference 1)"),
        "{csv}"
    );
}

#[test]
fn check_needs_replica_values_on_both_sides_and_says_which_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let path = run(&small_with(2), dir.path(), &dir.path().join("a"));
    let empty = dir.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    let out = harness(
        &dir.path().join("a"),
        &["check", path.as_str(), "--against", empty.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("empty/replicas.csv does not exist"),
        "{}",
        text(&out)
    );
    // A run that was never made: nothing to compare.
    let out = harness(&dir.path().join("none"), &["check", path.as_str()]);
    assert!(
        text(&out).contains("replicas.csv does not exist"),
        "{}",
        text(&out)
    );
}

#[test]
fn margins_are_not_part_of_the_identity_and_bad_ones_name_their_key() {
    let plain = parse(SMALL);
    let with = parse(&format!(
        "{SMALL}check:\n  gen_error: {{rel: 0.2}}\n  cce: {{abs: 0.1}}\n"
    ));
    assert_eq!(with.check.cce.abs, Some(0.1));
    assert_eq!(
        harness::plan::manifest_hash(&plain),
        harness::plan::manifest_hash(&with)
    );
    let bad = format!("{SMALL}check:\n  cce:\n    abs: -1\n");
    let err = harness::manifest::Manifest::parse(&bad, Path::new("x.yaml")).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("check.cce.abs"));
    assert_eq!(
        err.line,
        Some(bad.lines().position(|l| l.contains("abs: -1")).unwrap() + 1)
    );
}

#[test]
fn an_accuracy_manifest_has_nothing_to_check_and_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = harness(dir.path(), &["check", "experiments/estimators.yaml"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("experiments/estimators.yaml")
            && said.contains("is an estimator-accuracy experiment, which has no replicas"),
        "{said}"
    );
}
