//! Sharded runs through the CLI: `run --shard I/N`, `run --jobs n`, the Slurm scripts run by
//! bash (their #SBATCH lines are comments there), and `plan --shards`. Each must compute
//! every unit exactly once and give results identical to an unsharded run.

mod common;

use common::{harness_bin, repo_root};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

fn manifests() -> Vec<PathBuf> {
    let dir = repo_root().join("harness/tests/slurm");
    vec![dir.join("tiny_relu.yaml"), dir.join("tiny_linear.yaml")]
}

const NAMES: [&str; 2] = ["tiny_relu", "tiny_linear"];

fn harness(artifacts: &Path, args: &[&str]) -> Output {
    let out = harness_bin()
        .arg("--artifacts")
        .arg(artifacts)
        .args(["--quiet", "--log-units", "--threads", "2"])
        .args(args)
        .args(manifests())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "harness {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `unit-computed` lines of a log, counted per (kind, hash).
fn computed(log: &str, counts: &mut BTreeMap<(String, String), usize>) {
    for line in log.lines() {
        let mut words = line.split(' ');
        if words.next() == Some("unit-computed") {
            let kind = words.next().unwrap().to_string();
            let hash = words.next().unwrap().to_string();
            assert_eq!(hash.len(), 64, "{line}");
            *counts.entry((kind, hash)).or_default() += 1;
        }
    }
}

/// Every unit of both plans was computed exactly once.
fn assert_each_unit_once(counts: &BTreeMap<(String, String), usize>) {
    let twice: Vec<_> = counts.iter().filter(|(_, &c)| c != 1).collect();
    assert!(twice.is_empty(), "computed more than once: {twice:?}");
    let members = counts.keys().filter(|(k, _)| k == "member").count();
    let pairs = counts.keys().filter(|(k, _)| k == "pair").count();
    // tiny_relu: 2 SNR × 3 n × 2 replicas × 3 members, 3 pairs per replica;
    // tiny_linear: 2 × 4 × 2 × 3, likewise.
    assert_eq!((members, pairs), (36 + 48, 36 + 48));
}

/// The results that must not depend on how the run was split: everything but run.json
/// (timings, unit counts) and SHA256SUMS (which lists run.json).
fn assert_same_results(a: &Path, b: &Path) {
    for name in NAMES {
        let (da, db) = (a.join("results").join(name), b.join("results").join(name));
        let mut files: Vec<_> = std::fs::read_dir(&da)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|f| f != "run.json" && f != "SHA256SUMS")
            .collect();
        files.sort();
        assert!(files.len() >= 6, "{files:?}");
        for f in files {
            let (x, y) = (
                std::fs::read(da.join(&f)).unwrap(),
                std::fs::read(db.join(&f)),
            );
            assert!(y.as_ref().ok() == Some(&x), "{name}/{f:?} differs");
        }
    }
}

#[test]
fn shards_then_a_plain_run_equal_an_unsharded_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (whole, split) = (tmp.path().join("whole"), tmp.path().join("split"));
    harness(&whole, &["run"]);

    let mut counts = BTreeMap::new();
    for i in 1..=3 {
        let out = harness(&split, &["run", "--shard", &format!("{i}/3")]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        computed(&String::from_utf8_lossy(&out.stderr), &mut counts);
        if i < 3 {
            assert!(stdout.contains("results not written"), "{stdout}");
        } else {
            assert!(stdout.contains("every unit is cached"), "{stdout}");
        }
        assert!(!split.join("results").exists(), "a shard wrote results");
    }
    assert_each_unit_once(&counts);
    let out = harness(&split, &["run"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("unit-computed"),
        "collect computed: {stderr}"
    );
    assert_same_results(&whole, &split);
}

#[test]
fn jobs_run_each_unit_once_and_write_the_results() {
    let tmp = tempfile::tempdir().unwrap();
    let (whole, jobs) = (tmp.path().join("whole"), tmp.path().join("jobs"));
    harness(&whole, &["run"]);
    let out = harness(&jobs, &["run", "--jobs", "3"]);
    let mut counts = BTreeMap::new();
    computed(&String::from_utf8_lossy(&out.stderr), &mut counts);
    assert_each_unit_once(&counts);
    assert_same_results(&whole, &jobs);
}

/// The scripts `harness slurm` writes, run by bash as Slurm would run them: the three array
/// tasks (in reverse order), then the collect job.
#[test]
fn slurm_scripts_run_by_bash_give_the_same_results() {
    let tmp = tempfile::tempdir().unwrap();
    let (whole, shared) = (tmp.path().join("whole"), tmp.path().join("shared"));
    harness(&whole, &["run"]);
    let out = harness(&shared, &["slurm", "--shards", "3", "--cpus", "2"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("submit: see"));
    let dir = shared.join("slurm/tiny_relu+tiny_linear");
    let mut counts = BTreeMap::new();
    for task in ["3", "2", "1"] {
        let out = std::process::Command::new("bash")
            .arg(dir.join("array.sbatch"))
            .env("SLURM_ARRAY_TASK_ID", task)
            .env("SLURM_ARRAY_JOB_ID", "7")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        computed(&String::from_utf8_lossy(&out.stderr), &mut counts);
    }
    assert_each_unit_once(&counts);
    let out = std::process::Command::new("bash")
        .arg(dir.join("collect.sbatch"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("unit-computed"));
    assert_same_results(&whole, &shared);
}

#[test]
fn plan_prints_the_cost_of_each_shard() {
    let tmp = tempfile::tempdir().unwrap();
    let out = harness_bin()
        .arg("--artifacts")
        .arg(tmp.path())
        .args(["plan", "--summary", "--shards", "3"])
        .arg(&manifests()[0])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let shard_lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("shard ")).collect();
    assert_eq!(shard_lines.len(), 3, "{stdout}");
    // tiny_relu has 12 (SNR, n, replica) groups: all of them, in whole groups of 3 members.
    let members: usize = shard_lines
        .iter()
        .map(|l| {
            let (before, _) = l.split_once(" member").unwrap();
            before.rsplit(' ').next().unwrap().parse::<usize>().unwrap()
        })
        .sum();
    assert_eq!(members, 36, "{stdout}");
    assert!(shard_lines.iter().all(|l| l.contains("estimated cost")));
}

#[test]
fn bad_shards_are_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        vec!["run", "--shard", "0/3"],
        vec!["run", "--shard", "4/3"],
        vec!["run", "--shard", "1/2", "--jobs", "2"],
    ] {
        let out = harness_bin()
            .arg("--artifacts")
            .arg(tmp.path())
            .args(&args)
            .args(manifests())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!tmp.path().join("cache").exists(), "{args:?} did work");
    }
}

/// A shard process that fails makes `--jobs` fail, naming it, and nothing is collected.
#[test]
fn a_failed_shard_process_fails_the_jobs_run() {
    let tmp = tempfile::tempdir().unwrap();
    // Every two-hex-digit cache subfolder taken by a file: the artifacts folder passes the
    // parent's write check, and every shard fails to store its first unit.
    let artifacts = tmp.path().join("art");
    let cache = artifacts.join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    for prefix in 0..=255u8 {
        std::fs::write(cache.join(format!("{prefix:02x}")), "x").unwrap();
    }
    let out = harness_bin()
        .arg("--artifacts")
        .arg(&artifacts)
        .args(["--quiet", "run", "--jobs", "2"])
        .args(manifests())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("shard(s) 1/2"), "{stderr}");
    assert!(stderr.contains("2/2"), "{stderr}");
}
