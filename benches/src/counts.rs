//! Runs the Gungraun benches of a tree (`benches/benches/hotpaths.rs`) and reads their
//! instruction counts (Callgrind's Ir, the only metric gated: the cache metrics follow the
//! host's detected caches), and reads the criterion medians of the wall-clock twin.

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::history::Wall;

/// The Gungraun bench target and the criterion twin.
pub const BENCH: &str = "hotpaths";
pub const WALL_BENCH: &str = "hotpaths_wall";

/// Where the tree is and which runner and target folder to use.
pub struct Tree {
    pub root: PathBuf,
    /// `CARGO_TARGET_DIR` for the build (default: the tree's own `target/`).
    pub target_dir: Option<PathBuf>,
    /// The `gungraun-runner` executable.
    pub runner: PathBuf,
}

impl Tree {
    fn cargo(&self) -> Command {
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.current_dir(&self.root);
        if let Some(t) = &self.target_dir {
            cmd.env("CARGO_TARGET_DIR", t);
        }
        cmd
    }

    pub fn target(&self) -> PathBuf {
        self.target_dir
            .clone()
            .unwrap_or_else(|| self.root.join("target"))
    }
}

/// Runs the Gungraun benches (all, or those matching Gungraun's `filter`) and returns the
/// instruction count of each, named `group::function::case`.
pub fn run_gungraun(tree: &Tree, filter: Option<&str>) -> Result<BTreeMap<String, u64>> {
    let runner_dir = tree
        .runner
        .parent()
        .context("the runner path has no folder")?;
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![runner_dir.to_path_buf()];
    dirs.extend(std::env::split_paths(&path));
    let mut cmd = tree.cargo();
    cmd.args([
        "bench",
        "--locked",
        "-p",
        "harness-benches",
        "--bench",
        BENCH,
        "--",
    ])
    .args(["--output-format=json", "--nosummary"])
    .args(filter)
    .env("PATH", std::env::join_paths(dirs)?)
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    let out = cmd
        .output()
        .with_context(|| format!("cannot start cargo bench in {}", tree.root.display()))?;
    if !out.status.success() {
        bail!(
            "`cargo bench --bench {BENCH}` failed in {} ({})",
            tree.root.display(),
            out.status
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut counts = BTreeMap::new();
    for (i, line) in stdout
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with('{'))
    {
        let (name, ir) = parse_summary(line)
            .with_context(|| format!("Gungraun's JSON output, line {}", i + 1))?;
        counts.insert(name, ir);
    }
    if counts.is_empty() {
        bail!("Gungraun printed no benchmark summary (filter {filter:?})");
    }
    Ok(counts)
}

/// Name and Ir of one line of Gungraun's `--output-format=json` (one benchmark).
pub fn parse_summary(line: &str) -> Result<(String, u64)> {
    let v: Value = serde_json::from_str(line).context("not JSON")?;
    let text = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let group = text("group").context("no `group`")?;
    let function = text("function_name").context("no `function_name`")?;
    let name = match text("id") {
        Some(id) => format!("{group}::{function}::{id}"),
        None => format!("{group}::{function}"),
    };
    let profiles = v
        .get("profiles")
        .and_then(Value::as_array)
        .context("no `profiles`")?;
    let callgrind = profiles
        .iter()
        .find(|p| p.get("tool").and_then(Value::as_str) == Some("Callgrind"))
        .with_context(|| format!("{name}: no Callgrind profile"))?;
    let ir = callgrind
        .pointer("/data/total/metrics/Ir/values/new")
        .with_context(|| format!("{name}: no total Ir (data.total.metrics.Ir.values.new)"))?;
    let ir = ir
        .as_u64()
        .with_context(|| format!("{name}: Ir `{ir}` is not a count"))?;
    Ok((name, ir))
}

/// Runs the criterion twin (all, or the benches matching the regex `filter`).
pub fn run_criterion(tree: &Tree, filter: Option<&str>) -> Result<()> {
    let mut cmd = tree.cargo();
    cmd.args([
        "bench",
        "--locked",
        "-p",
        "harness-benches",
        "--bench",
        WALL_BENCH,
        "--",
    ])
    .args(filter)
    .env("RAYON_NUM_THREADS", "1")
    .stdout(Stdio::inherit());
    let status = cmd.status().context("cannot start cargo bench")?;
    if !status.success() {
        bail!("`cargo bench --bench {WALL_BENCH}` failed ({status})");
    }
    Ok(())
}

/// The latest criterion median and its 95 % interval of every bench under
/// `<target>/criterion`, named like the Gungraun benches.
pub fn read_criterion(target: &Path) -> Result<BTreeMap<String, Wall>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![target.join("criterion")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "benchmark.json")
                && path.parent().is_some_and(|p| p.ends_with("new"))
            {
                let read = |p: &Path| -> Result<Value> {
                    let text = std::fs::read_to_string(p)
                        .with_context(|| format!("cannot read {}", p.display()))?;
                    serde_json::from_str(&text)
                        .with_context(|| format!("{}: not JSON", p.display()))
                };
                let bench = read(&path)?;
                let Some(id) = bench.get("full_id").and_then(Value::as_str) else {
                    continue;
                };
                let est = read(&path.with_file_name("estimates.json"))?;
                let num = |p: &str| est.pointer(p).and_then(Value::as_f64);
                if let (Some(median_ns), Some(lo_ns), Some(hi_ns)) = (
                    num("/median/point_estimate"),
                    num("/median/confidence_interval/lower_bound"),
                    num("/median/confidence_interval/upper_bound"),
                ) {
                    out.insert(
                        id.replace('/', "::"),
                        Wall {
                            median_ns,
                            lo_ns,
                            hi_ns,
                        },
                    );
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One line of Gungraun 0.20's `--output-format=json`, as printed for a real run.
    const SUMMARY: &str = include_str!("testdata/gungraun_summary.json");

    #[test]
    fn the_name_and_the_total_ir_are_read_from_gungraun_s_json() {
        let (name, ir) = parse_summary(SUMMARY.trim()).unwrap();
        assert_eq!(name, "manifest::manifest_parse_hash_plan::fig1_linear");
        assert_eq!(ir, 287_943_032);
    }

    #[test]
    fn a_summary_without_callgrind_is_an_error_naming_the_bench() {
        let other = SUMMARY.replace("\"tool\":\"Callgrind\"", "\"tool\":\"DHAT\"");
        let err = parse_summary(other.trim()).unwrap_err().to_string();
        assert!(err.contains("fig1_linear: no Callgrind profile"), "{err}");
    }
}
