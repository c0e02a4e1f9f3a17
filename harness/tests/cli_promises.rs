//! What the README promises about the command line, through the binary: `--threads` (same bytes
//! at 1 and 2 threads, for a regression and a classification experiment), `harness claims`
//! (C4 across experiments, checked against the rule applied here to their summaries),
//! `HF_HUB_OFFLINE` read from the environment, the CUDA error of a CPU-only build and the
//! `--device` override, the exit codes (1 for failures, 2 for bad input) and "nothing is
//! written" when the second of several manifests is bad.

mod common;

use common::{harness_bin, SMALL};
use std::fs;
use std::path::Path;
use std::process::Output;

/// A small digits experiment (16 members of a few SGD epochs).
const DIGITS: &str = "name: tiny_digits
seed: 11
figure: fig4
task:
  kind: classification
  dataset: digits
  n_test: 200
model:
  kind: fcnn
  width: 3
train:
  solver: sgd
  epochs: 4
  batch_size: 32
sweep:
  label_noise: [0, 0.4]
  n_over_p: [0.5, 2.0]
  replicas: 2
  members: 2
";

fn harness(artifacts: &Path, args: &[&str]) -> Output {
    harness_bin()
        .arg("--quiet")
        .arg("--artifacts")
        .arg(artifacts)
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn threads_option_sets_the_pool_and_changes_no_result() {
    let dir = tempfile::tempdir().unwrap();
    let small = write(dir.path(), "small.yaml", SMALL);
    let digits = write(dir.path(), "digits.yaml", DIGITS);
    let run = |threads: &str| {
        let artifacts = dir.path().join(format!("t{threads}"));
        let out = harness(&artifacts, &["--threads", threads, "run", &small, &digits]);
        assert!(out.status.success(), "{}", stderr(&out));
        artifacts
    };
    let (one, two) = (run("1"), run("2"));
    for experiment in ["small", "tiny_digits"] {
        let results = |root: &Path| root.join("results").join(experiment);
        for file in [
            "members.csv",
            "pairs.csv",
            "summary.csv",
            "claims.csv",
            "split.csv",
        ] {
            let a = fs::read(results(&one).join(file));
            if experiment == "small" && file == "split.csv" {
                assert!(a.is_err(), "no split for a regression experiment");
                continue;
            }
            assert_eq!(
                a.unwrap(),
                fs::read(results(&two).join(file)).unwrap(),
                "{experiment}/{file} differs between 1 and 2 threads"
            );
        }
        for (root, n) in [(&one, 1), (&two, 2)] {
            let record: serde_json::Value =
                serde_json::from_slice(&fs::read(results(root).join("run.json")).unwrap()).unwrap();
            assert_eq!(record["threads"], n, "{experiment}: {record}");
        }
    }
}

/// (level, n/P, cce mean, cce se, error mean, error se) of every row of a summary.csv.
fn summary_points(path: &Path) -> Vec<(String, f64, f64, f64, f64, f64)> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (level, ratio) = (0, col("n_over_p"));
    let (cm, cs) = (col("cce_ksg_mean"), col("cce_ksg_se"));
    let (gm, gs) = (col("gen_error_mean"), col("gen_error_se"));
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let f = |i: usize| rec[i].parse::<f64>().unwrap();
            (rec[level].to_string(), f(ratio), f(cm), f(cs), f(gm), f(gs))
        })
        .collect()
}

#[test]
fn claims_judges_c4_across_experiments_by_the_two_standard_error_rule() {
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().join("a");
    let small = write(dir.path(), "small.yaml", SMALL);
    let other = write(
        dir.path(),
        "other.yaml",
        &SMALL
            .replace("name: small", "name: other")
            .replace("snr: [1, 4]", "snr: [0.5]")
            .replace("d: 20", "d: 12"),
    );
    // Before the experiments ran: a failure (exit 1) naming what is missing; nothing written.
    let out = harness(&artifacts, &["claims", &small, &other]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("units not in the cache: run it first"),
        "{}",
        stderr(&out)
    );
    assert!(!artifacts.join("results/claims").exists());

    let out = harness(&artifacts, &["run", &small, &other]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = harness(&artifacts, &["claims", &small, &other]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();

    // The rule, applied here to the pooled points of both summaries.
    let mut points = summary_points(&artifacts.join("results/small/summary.csv"));
    points.extend(summary_points(&artifacts.join("results/other/summary.csv")));
    assert_eq!(points.len(), 8 + 4);
    let se = |a: f64, b: f64| (a * a + b * b).sqrt();
    let mut count = 0;
    for a in &points {
        for b in &points {
            if b.2 - a.2 > 2.0 * se(a.3, b.3) && a.4 - b.4 > 2.0 * se(a.5, b.5) {
                count += 1;
            }
        }
    }
    let verdict = if count > 0 { "PASS" } else { "FAIL" };
    // C4 is one rule in v1 and v2: the same verdict side by side, and a row per rule set.
    assert!(
        stdout.starts_with(&format!("  C4      v1 {verdict:<4}  v2 {verdict:<4}")),
        "{stdout}"
    );
    let claims = fs::read_to_string(artifacts.join("results/claims/claims.csv")).unwrap();
    assert!(claims.starts_with("rules,claim,result,"), "{claims}");
    for rules in ["v1", "v2"] {
        assert!(
            claims.contains(&format!("{rules},C4,{verdict},")),
            "{claims}"
        );
    }
    assert!(
        claims.contains("across small (") && claims.contains("other ("),
        "{claims}"
    );
    if count > 0 {
        assert!(
            claims.contains(&format!("{count} such ordered pairs")),
            "{claims} vs {count}"
        );
    }
    assert!(artifacts.join("results/claims/SHA256SUMS").exists());
}

#[test]
fn hf_hub_offline_is_read_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write(
        dir.path(),
        "mnist.yaml",
        &DIGITS.replace("dataset: digits", "dataset: mnist"),
    );
    for value in ["1", "true", "YES", " on "] {
        let hf_home = dir.path().join("hf");
        let run = |args: &[&str]| {
            harness_bin()
                .env("HF_HUB_OFFLINE", value)
                .env("HF_HOME", &hf_home)
                .arg("--artifacts")
                .arg(dir.path().join("a"))
                .args(args)
                .output()
                .unwrap()
        };
        let out = run(&["fetch", "mnist"]);
        assert_eq!(out.status.code(), Some(1), "HF_HUB_OFFLINE={value:?}");
        let err = stderr(&out);
        assert!(
            err.contains("HF_HUB_OFFLINE is set") && err.contains("harness fetch mnist"),
            "HF_HUB_OFFLINE={value:?}: {err}"
        );
        assert!(!err.contains("downloading"), "{err}");
        let out = run(&["run", &manifest]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("HF_HUB_OFFLINE is set"),
            "{}",
            stderr(&out)
        );
        assert!(files_under(&hf_home).is_empty(), "nothing downloaded");
    }
}

/// The device is part of the experiment's identity, `--device` replaces the manifest's own
/// value, and a CPU-only build refuses CUDA (exit 2, since the regroup: refused when the manifest
/// is loaded, by every command, `hash` included) with how to build with CUDA, writing nothing.
#[cfg(not(feature = "cuda"))]
#[test]
fn device_override_changes_the_experiment_and_a_cpu_build_refuses_cuda() {
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().join("a");
    let digits = write(dir.path(), "digits.yaml", DIGITS);
    let on_cuda = write(
        dir.path(),
        "cuda.yaml",
        &DIGITS.replace("seed: 11\n", "seed: 11\ndevice: cuda\n"),
    );
    let hash = |args: &[&str]| {
        let out = harness(&artifacts, args);
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let cpu = hash(&["hash", &digits]);
    // A CPU-only build cannot load a cuda manifest, so the identity is compared in the library.
    let m = harness::manifest::Manifest::parse(DIGITS, Path::new("digits.yaml")).unwrap();
    let mut on_gpu = m.clone();
    on_gpu.device = harness::device::DeviceKind::Cuda;
    assert_eq!(cpu.trim(), harness::plan::manifest_hash(&m));
    assert_ne!(
        harness::plan::manifest_hash(&m),
        harness::plan::manifest_hash(&on_gpu),
        "the device is part of the experiment"
    );
    assert_eq!(hash(&["--device", "cpu", "hash", &on_cuda]), cpu);
    assert_eq!(hash(&["--device", "cpu", "hash", &digits]), cpu);

    // A CPU-only build asked for CUDA, by the override or by the file: exit 2 and how to build
    // with CUDA, for `run` and `hash` alike.
    for args in [
        vec!["--device", "cuda", "run", &digits],
        vec!["run", &on_cuda],
        vec!["--device", "cuda", "hash", &digits],
        vec!["hash", &on_cuda],
    ] {
        let out = harness(&artifacts, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).contains(
                "built without CUDA: build it with `cargo build --release --features cuda`"
            ),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(!artifacts.join("results/tiny_digits").exists());
    }
    // `--device cpu` runs the cuda manifest on the CPU.
    let out = harness(&artifacts, &["--device", "cpu", "run", &on_cuda]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// On a CUDA build the override gives exactly the file's own `device: cuda` experiment.
#[cfg(feature = "cuda")]
#[test]
fn device_override_gives_the_same_experiment_as_the_manifest_value() {
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().join("a");
    let digits = write(dir.path(), "digits.yaml", DIGITS);
    let on_cuda = write(
        dir.path(),
        "cuda.yaml",
        &DIGITS.replace("seed: 11\n", "seed: 11\ndevice: cuda\n"),
    );
    let hash = |args: &[&str]| {
        let out = harness(&artifacts, args);
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let (cpu, cuda) = (hash(&["hash", &digits]), hash(&["hash", &on_cuda]));
    assert_ne!(cpu, cuda, "the device is part of the experiment");
    assert_eq!(hash(&["--device", "cuda", "hash", &digits]), cuda);
    assert_eq!(hash(&["--device", "cpu", "hash", &on_cuda]), cpu);
}

/// A CUDA build on a machine where no GPU is visible: the other message.
#[cfg(feature = "cuda")]
#[test]
fn a_cuda_build_without_a_visible_gpu_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let digits = write(dir.path(), "digits.yaml", DIGITS);
    let out = harness_bin()
        .env("CUDA_VISIBLE_DEVICES", "")
        .arg("--artifacts")
        .arg(dir.path().join("a"))
        .args(["--device", "cuda", "run", &digits])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("this build has CUDA, but no usable NVIDIA GPU was found"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_bad_second_manifest_stops_everything_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().join("a");
    let good = write(dir.path(), "good.yaml", SMALL);
    let bad = write(
        dir.path(),
        "bad.yaml",
        &SMALL.replace("replicas: 2", "replicas: two"),
    );
    let out = harness(&artifacts, &["run", &good, &bad, &good]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("bad.yaml:"), "{}", stderr(&out));
    assert!(
        files_under(&artifacts).is_empty() && !artifacts.exists(),
        "{:?}",
        files_under(&artifacts)
    );
    // A missing file is bad input too, named.
    let out = harness(&artifacts, &["run", &good, "/nonexistent/m.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("/nonexistent/m.yaml"),
        "{}",
        stderr(&out)
    );
    assert!(!artifacts.exists());
}

#[test]
fn failures_that_are_not_bad_input_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().join("a");
    let good = write(dir.path(), "good.yaml", SMALL);
    // The artifacts folder cannot be created (its parent is a file).
    let blocked = dir.path().join("file");
    fs::write(&blocked, "").unwrap();
    let out = harness(&blocked.join("a"), &["run", &good]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&blocked.display().to_string()),
        "{}",
        stderr(&out)
    );
    // verify with a problem (exit 1) and clean (exit 0).
    assert!(harness(&artifacts, &["run", &good]).status.success());
    assert_eq!(harness(&artifacts, &["verify"]).status.code(), Some(0));
    fs::write(artifacts.join("results/small/summary.csv"), "x").unwrap();
    let out = harness(&artifacts, &["verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("summary.csv: altered"));
}
