//! The command line's smaller promises, through the binary: output piped into a reader that
//! stops early ends quietly; `verify` of an empty or missing folder is an error; a run's
//! header comes first on stdout; `--device` only where a manifest is read; `--estimator` only
//! with the copula-entropy measures; `harness help manifest` prints docs/MANIFEST.md; the
//! warnings about impossible or biased CCE levels in the output and in `claims.csv`.

mod common;

use common::{harness_bin, repo_root, SMALL};
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Output, Stdio};

fn harness(artifacts: &Path, args: &[&str]) -> Output {
    harness_bin()
        .current_dir(repo_root())
        .arg("--artifacts")
        .arg(artifacts)
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_reader_that_stops_early_ends_the_output_quietly() {
    let dir = tempfile::tempdir().unwrap();
    // fig1's plan is 6000 lines, far more than a pipe holds: the harness is still writing
    // when the reader goes.
    let mut child = harness_bin()
        .current_dir(repo_root())
        .arg("--artifacts")
        .arg(dir.path())
        .args(["plan", "experiments/fig1_linear.yaml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("member "), "{first}");
    // The reader is dropped here, as `head -1` exits.
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(!err.contains("panicked") && err.is_empty(), "{err}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            out.status.signal(),
            Some(libc_sigpipe()),
            "{:?}",
            out.status
        );
    }
}

/// SIGPIPE's number on Linux and the BSDs.
#[cfg(unix)]
fn libc_sigpipe() -> i32 {
    13
}

#[test]
fn verify_of_an_empty_or_missing_folder_is_an_error_that_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = harness(dir.path(), &["verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("nothing to verify"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("holds no cache entry and no results folder"));
    let out = harness(&dir.path().join("missing"), &["verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("there is no artifacts folder at"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn device_is_an_option_of_the_commands_that_read_a_manifest_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = harness(dir.path(), &["--device", "cpu", "cce", "a.csv", "b.csv"]);
    assert_eq!(out.status.code(), Some(2));
    for said in [
        "--device applies to run, slurm, project, plan, claims, check, why, export, table, \
         hash, gc (the commands that read a manifest)",
        "this command does not train",
    ] {
        assert!(stderr(&out).contains(said), "{}", stderr(&out));
    }
    let out = harness(dir.path(), &["verify", "--device", "cpu"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "clap refuses it: {}",
        stderr(&out)
    );
    for (command, listed) in [
        ("cce", false),
        ("align", false),
        ("verify", false),
        ("plan", true),
    ] {
        let help = stdout(&harness(dir.path(), &["help", command]));
        assert_eq!(help.contains("--device"), listed, "{command}: {help}");
    }
    // Before or after the command, as before.
    let m = "experiments/fig1_linear.yaml";
    let before = stdout(&harness(dir.path(), &["--device", "cpu", "hash", m]));
    let after = stdout(&harness(dir.path(), &["hash", m, "--device", "cpu"]));
    assert_eq!(before, after);
    assert_eq!(before.trim().len(), 64);
}

#[test]
fn plan_and_hash_describe_their_argument() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["plan", "hash"] {
        let help = stdout(&harness(dir.path(), &["help", command]));
        assert!(
            help.contains("The experiment's manifest"),
            "{command}: {help}"
        );
    }
}

#[test]
fn the_estimator_goes_with_the_copula_entropy_measures_only() {
    let dir = tempfile::tempdir().unwrap();
    let rows: String = (0..30)
        .map(|i| format!("{},{}\n", i, (i * i) % 7))
        .collect();
    fs::write(dir.path().join("a.csv"), &rows).unwrap();
    fs::write(dir.path().join("b.csv"), rows.replace(',', ".5,")).unwrap();
    let align = |extra: &[&str]| {
        let mut args = vec!["align", "a.csv", "b.csv"];
        args.extend_from_slice(extra);
        harness_bin()
            .current_dir(dir.path())
            .args(&args)
            .output()
            .unwrap()
    };
    let out = align(&["--measure", "cka", "--estimator", "kl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--estimator applies to the copula-entropy measures"));
    assert_eq!(
        align(&["--measure", "ii", "--k", "5"]).status.code(),
        Some(2)
    );
    assert!(align(&["--measure", "cka"]).status.success());
    assert!(align(&["--measure", "mi", "--estimator", "kl"])
        .status
        .success());
}

#[test]
fn help_manifest_prints_the_manifest_reference() {
    let dir = tempfile::tempdir().unwrap();
    let reference = fs::read_to_string(repo_root().join("docs/MANIFEST.md")).unwrap();
    for args in [&["help", "manifest"][..], &["manifest"][..]] {
        let out = harness(dir.path(), args);
        assert!(out.status.success());
        assert_eq!(stdout(&out), reference, "{args:?}");
    }
    // The README points to it rather than keeping a second copy.
    let readme = fs::read_to_string(repo_root().join("README.md")).unwrap();
    assert!(readme.contains("(docs/MANIFEST.md)"));
    assert!(!readme.contains("n_over_p: [0.1, 0.2, …]    # n = round(ratio · P)"));
}

/// A relu2 experiment at 4 + 4 dims and 500 test inputs: where ksg reads far too high.
const WIDE_RELU: &str = "name: wide_relu
seed: 5
task: {kind: linear-teacher, d: 6, n_test: 500}
model: {kind: relu2, width: 4}
train: {solver: adam, lr: 0.02, max_steps: 200, tol: 1.0e-4, window: 20}
sweep: {snr: [1, 4], n_over_p: [0.5, 1, 2], replicas: 2, members: 3}
";

fn claims_warnings(dir: &Path, name: &str) -> Vec<(String, String)> {
    let mut r = csv::Reader::from_path(dir.join(format!("results/{name}/claims.csv"))).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "rules",
            "claim",
            "result",
            "statement",
            "detail",
            "warning",
            "robustness",
            "replicas_needed"
        ]
    );
    // Every rule set's rows: a warning is about the estimate, not the rule that reads it.
    let rows: Vec<(String, String, String)> = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[1].to_string(), rec[5].to_string())
        })
        .collect();
    for rules in ["v1", "v2", "v3"] {
        assert!(rows.iter().any(|(r, _, _)| r == rules), "no {rules} rows");
    }
    rows.into_iter().map(|(_, claim, w)| (claim, w)).collect()
}

#[test]
fn biased_or_impossible_cce_is_flagged_in_the_output_and_in_claims_csv() {
    let dir = tempfile::tempdir().unwrap();
    let art = dir.path().join("art");
    let wide = dir.path().join("wide.yaml");
    fs::write(&wide, WIDE_RELU).unwrap();
    let out = harness(&art, &["--quiet", "run", wide.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    // The header comes first on stdout, before the counts and the verdicts.
    assert!(said.starts_with("wide_relu ("), "{said}");
    assert!(
        said.lines()
            .nth(1)
            .unwrap()
            .starts_with("wide_relu  sha256"),
        "{said}"
    );
    let warning = said
        .lines()
        .find(|l| l.contains("WARNING (C1, C2, C4): ksg at 4 + 4 dims, N = 500"))
        .unwrap_or_else(|| panic!("no kNN bias warning: {said}"));
    assert!(
        warning.contains("reference/estimators/accuracy.csv"),
        "{warning}"
    );
    for (claim, text) in claims_warnings(&art, "wide_relu") {
        if claim == "C3" {
            assert_eq!(text, "", "C3 reads the generalization error only");
        } else {
            assert!(
                text.contains("ksg at 4 + 4 dims, N = 500"),
                "{claim}: {text}"
            );
        }
    }
    // linear2 (1 + 1 dims), whose ksg estimates the accuracy experiment finds unbiased: no
    // warning.
    let small = dir.path().join("small.yaml");
    fs::write(&small, SMALL).unwrap();
    let out = harness(&art, &["--quiet", "run", small.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("WARNING"), "{}", stdout(&out));
    assert!(claims_warnings(&art, "small")
        .iter()
        .all(|(_, w)| w.is_empty()));
}
