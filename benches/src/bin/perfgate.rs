//! `perfgate`: the instruction-count gate, its baselines and history, and A/B wall-clock
//! comparisons of the hot paths (issue 13). `benches/README.md` has the workflow; the make
//! targets `bench-check`, `bench-baseline`, `bench-record`, `bench-report` and
//! `bench-compare` call it (through `benches/gate.sh`, which builds it first).
//!
//! Exit codes of `check`: 0 no regression, 1 regression, 2 some bench has no baseline, 3 the
//! gate could not run. A machine key without a committed baseline, or one whose baseline the
//! change wrote, is compared with the base commit built on this machine (`base`): 0 or 1.
//! Errors are reported here, once.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use harness_benches::{ab, base, baseline, counts, fence, gate, history, machine, report, summary};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "perfgate",
    about = "Instruction-count gate, history and A/B comparisons of the hot paths"
)]
struct Cli {
    /// The repository whose baselines and history are read and written.
    #[arg(long, default_value = ".", global = true)]
    repo: PathBuf,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(clap::Args)]
struct Measure {
    /// The tree to measure (default: the repository).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Cargo's target folder for the build (default: the tree's own).
    #[arg(long)]
    target_dir: Option<PathBuf>,
    /// The gungraun-runner executable (default: target/gungraun-runner/bin/gungraun-runner
    /// of the repository, where benches/install-tools.sh puts it).
    #[arg(long, env = "PERFGATE_RUNNER")]
    runner: Option<PathBuf>,
    /// Only the benches matching this Gungraun filter (e.g. `*::ksg_cce::*`).
    #[arg(long)]
    filter: Option<String>,
}

/// The base commit of the A/B that replaces a missing or self-written baseline.
#[derive(clap::Args)]
struct BaseArgs {
    /// The base commit (default: the merge-base of HEAD and main, or origin/main).
    #[arg(long, conflicts_with = "base_tree")]
    base: Option<String>,
    /// A tree on disk as the base, built in its own target/ (the gate's self-test).
    #[arg(long)]
    base_tree: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print this machine's key and its parts.
    Key(Measure),
    /// Run the benches and compare with this machine's baseline (exit 0, 1, 2, or 3); when
    /// there is none, or this change wrote it, build the base commit here and compare with
    /// its counts instead (exit 0, 1 or 3).
    Check {
        #[command(flatten)]
        measure: Measure,
        #[command(flatten)]
        base: BaseArgs,
    },
    /// Run the benches and write this machine's baseline (benches/baselines/<key>.json).
    Baseline(Measure),
    /// Run the benches and append one row per bench to benches/history.csv.
    Record {
        #[command(flatten)]
        measure: Measure,
        /// Also run the criterion twin and record each median with its interval.
        #[arg(long)]
        wall: bool,
        /// The commit measured and its date, for a tree that is not a git checkout (an old
        /// commit unpacked by benches/record-past.sh); default: read from git in the tree.
        #[arg(long, requires = "commit_date")]
        commit: Option<String>,
        #[arg(long, requires = "commit")]
        commit_date: Option<String>,
    },
    /// Draw one SVG per hot path from benches/history.csv into benches/history/.
    Report {
        /// Machine key to plot (default: the key with the most rows).
        #[arg(long)]
        key: Option<String>,
        #[arg(long, default_value = "benches/history")]
        out: PathBuf,
    },
    /// The table `make bench` ends with: the criterion medians under <target>/criterion of
    /// the benches the README's "Hot paths" table quotes, one row per README row (exit 1
    /// naming any bench not measured). `--filter` prints the criterion filter that selects
    /// them, for `cargo bench`.
    Summary {
        /// Cargo's target folder.
        #[arg(long, default_value = "target")]
        target: PathBuf,
        /// Print the criterion filter of the summary's benches instead.
        #[arg(long)]
        filter: bool,
    },
    /// Interleaved A/B wall-clock comparison of two `harness` binaries.
    Ab {
        #[arg(long)]
        a: PathBuf,
        #[arg(long)]
        b: PathBuf,
        #[arg(long, default_value_t = 10)]
        rounds: usize,
        /// Scratch folder for the inputs and the artifacts of each run.
        #[arg(long, default_value = "target/perfgate-ab")]
        work: PathBuf,
        /// Manifest of the `harness run` workload.
        #[arg(long, default_value = "benches/ab/small_run.yaml")]
        manifest: PathBuf,
    },
}

fn main() {
    let cli = Cli::parse();
    let code = match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("perfgate: error: {e:#}");
            gate::EXIT_ERROR
        }
    };
    std::process::exit(code);
}

impl Measure {
    /// Absolute paths: cargo runs the benches from the package's folder.
    fn tree(&self, repo: &Path) -> Result<counts::Tree> {
        let absolute = |p: PathBuf| {
            std::path::absolute(&p).with_context(|| format!("bad path {}", p.display()))
        };
        Ok(counts::Tree {
            root: absolute(self.root.clone().unwrap_or_else(|| repo.to_path_buf()))?,
            target_dir: self.target_dir.clone().map(absolute).transpose()?,
            runner: absolute(
                self.runner
                    .clone()
                    .unwrap_or_else(|| repo.join("target/gungraun-runner/bin/gungraun-runner")),
            )?,
        })
    }
}

fn baselines_dir(repo: &Path) -> PathBuf {
    repo.join("benches/baselines")
}

fn history_path(repo: &Path) -> PathBuf {
    repo.join("benches/history.csv")
}

fn run(cli: &Cli) -> Result<i32> {
    let repo = &cli.repo;
    match &cli.command {
        Cmd::Key(m) => {
            let tree = m.tree(repo)?;
            let key = machine::detect(&tree.root, &tree.runner)?;
            println!("{}", key.key);
            for (k, v) in &key.parts {
                println!("  {k}: {v}");
            }
            Ok(0)
        }
        Cmd::Check { measure, base } => check(repo, measure, base),
        Cmd::Baseline(m) => {
            let tree = m.tree(repo)?;
            let key = machine::detect(&tree.root, &tree.runner)?;
            let old = baseline::load(&baselines_dir(repo), &key.key)?;
            let instructions = counts::run_gungraun(&tree, m.filter.as_deref())?;
            let commit = commit_of(&tree.root)?;
            let b = baseline::Baseline {
                machine: key,
                commit: commit.0,
                recorded_at: now_utc()?,
                instructions,
            };
            if let Some(old) = old {
                let rows = gate::compare(&old.instructions, &b.instructions, |_| {
                    fence::Threshold::Default
                });
                println!("{}", gate::render(&rows));
            }
            let path = baseline::save(&baselines_dir(repo), &b)?;
            println!(
                "perfgate: wrote {} ({} benches); commit it",
                path.display(),
                b.instructions.len()
            );
            Ok(0)
        }
        Cmd::Record {
            measure,
            wall,
            commit,
            commit_date,
        } => {
            let given = commit.clone().zip(commit_date.clone());
            record(repo, measure, *wall, given)
        }
        Cmd::Summary { target, filter } => {
            if *filter {
                println!("{}", summary::FILTER);
                return Ok(0);
            }
            let (text, missing) = summary::table(&counts::read_criterion(target)?);
            print!("{text}");
            if missing.is_empty() {
                Ok(0)
            } else {
                eprintln!(
                    "perfgate: not measured under {}/criterion: {}",
                    target.display(),
                    missing.join(", ")
                );
                Ok(1)
            }
        }
        Cmd::Report { key, out } => {
            let rows = history::read(&history_path(repo))?;
            let key = match key {
                Some(k) => k.clone(),
                None => {
                    let mut n: BTreeMap<&str, usize> = BTreeMap::new();
                    for r in &rows {
                        *n.entry(&r.machine_key).or_default() += 1;
                    }
                    n.into_iter()
                        .max_by_key(|(_, c)| *c)
                        .map(|(k, _)| k.to_string())
                        .context("benches/history.csv has no rows: run make bench-record")?
                }
            };
            let (files, steps) = report::draw_all(&rows, &key, &repo.join(out))?;
            for f in files {
                println!("perfgate: wrote {}", f.display());
            }
            for s in steps {
                println!(
                    "step: {} at {}: {:+.1}%",
                    s.bench,
                    s.commit,
                    100.0 * s.change
                );
            }
            Ok(0)
        }
        Cmd::Ab {
            a,
            b,
            rounds,
            work,
            manifest,
        } => ab_compare(a, b, *rounds, work, manifest),
    }
}

fn check(repo: &Path, m: &Measure, base_args: &BaseArgs) -> Result<i32> {
    let started = Instant::now();
    let tree = m.tree(repo)?;
    let key = machine::detect(&tree.root, &tree.runner)?;
    let dir = baselines_dir(repo);
    let committed = baseline::load(&dir, &key.key)?;
    // The base is looked up only when there is a baseline to check or no baseline at all
    // (never silently skipped: no base and no baseline is an error, exit 3).
    let base = base::resolve(
        repo,
        base_args.base.as_deref(),
        base_args.base_tree.as_deref(),
    );
    let reason = match (&committed, &base) {
        (None, _) => Some(base::Reason::NoBaseline),
        (Some(b), Ok(found)) => base::reason(
            Some(&b.instructions),
            base::baseline_at(found, repo, &key.key)?.as_ref(),
        ),
        (Some(_), Err(e)) => {
            println!(
                "gate: cannot tell whether this change wrote its baseline ({e:#}); \
                 comparing with the committed baseline"
            );
            None
        }
    };
    let rows_history = history::read(&history_path(repo))?;
    let threshold = |bench: &str| {
        let series: Vec<u64> = history::series(&rows_history, &key.key, bench)
            .iter()
            .map(|r| r.instructions)
            .collect();
        fence::threshold(&series)
    };
    if let Some(reason) = reason {
        let base = base?;
        println!("machine key {}: {}", key.key, reason.describe());
        println!(
            "gate: comparing with the base instead, {}, built and measured on this machine",
            base.label
        );
        if committed.is_none() {
            for other in baseline::all(&dir)? {
                println!("  (baseline {} differs in:", other.machine.key);
                for d in key.differences(&other.machine) {
                    println!("    {d}");
                }
                println!("  )");
            }
        }
        let now = counts::run_gungraun(&tree, m.filter.as_deref())?;
        let at_base = base::measure(&base, repo, &tree.runner, m.filter.as_deref())?;
        let differs = key.differences(&at_base.machine);
        println!(
            "base: machine key {}{}",
            at_base.machine.key,
            match differs.is_empty() {
                true => String::new(),
                false => format!(" ({})", differs.join("; ")),
            }
        );
        let rows = gate::compare(&at_base.instructions, &now, threshold);
        println!("{}", gate::render_against(&rows, gate::Reference::Base));
        let code = gate::ab_exit_code(&rows);
        let secs = started.elapsed().as_secs_f64();
        println!(
            "gate: exit {code} ({} against the base) in {:.0} min {:.0} s",
            match code {
                0 => "no regression",
                _ => "REGRESSION",
            },
            (secs / 60.0).floor(),
            secs % 60.0
        );
        if code == 0 && committed.is_none() {
            println!(
                "gate: to gate this key without building the base, run `make bench-baseline` on \
                 this machine type once the change is merged and commit {}",
                baseline::path_for(&dir, &key.key).display()
            );
        }
        return Ok(code);
    }
    let base = committed.expect("a missing baseline compares with the base");
    let now = counts::run_gungraun(&tree, m.filter.as_deref())?;
    let mut reference = base.instructions.clone();
    if m.filter.is_some() {
        // A filtered run compares only what it measured.
        reference.retain(|k, _| now.contains_key(k));
    }
    let rows = gate::compare(&reference, &now, threshold);
    println!(
        "machine key {} (baseline of commit {}, {})",
        key.key, base.commit, base.recorded_at
    );
    println!("{}", gate::render(&rows));
    let code = gate::exit_code(&rows);
    let secs = started.elapsed().as_secs_f64();
    println!(
        "gate: exit {code} ({}) in {:.0} min {:.0} s",
        match code {
            0 => "no regression",
            1 => "REGRESSION",
            _ => "NO BASELINE for some bench",
        },
        (secs / 60.0).floor(),
        secs % 60.0
    );
    Ok(code)
}

fn record(repo: &Path, m: &Measure, wall: bool, given: Option<(String, String)>) -> Result<i32> {
    let tree = m.tree(repo)?;
    let key = machine::detect(&tree.root, &tree.runner)?;
    let instructions = counts::run_gungraun(&tree, m.filter.as_deref())?;
    let walls = if wall {
        counts::run_criterion(&tree, None)?;
        counts::read_criterion(&tree.target())?
    } else {
        BTreeMap::new()
    };
    let (commit, commit_date) = match given {
        Some(c) => c,
        None => commit_of(&tree.root)?,
    };
    let recorded_at = now_utc()?;
    let rows: Vec<history::Row> = instructions
        .iter()
        .map(|(bench, ir)| history::Row {
            commit: commit.clone(),
            commit_date: commit_date.clone(),
            recorded_at: recorded_at.clone(),
            machine_key: key.key.clone(),
            bench: bench.clone(),
            instructions: *ir,
            wall: walls.get(bench).cloned(),
        })
        .collect();
    history::append(&history_path(repo), &rows)?;
    println!(
        "perfgate: appended {} rows for commit {commit} (key {}) to {}",
        rows.len(),
        key.key,
        history_path(repo).display()
    );
    Ok(0)
}

fn git(root: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .current_dir(root)
        .args(args)
        .output()
        .context("cannot start git")?;
    anyhow::ensure!(
        out.status.success(),
        "git {} in {}: {}",
        args.join(" "),
        root.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The tree's commit (`+dirty` when tracked files differ from it, benches/history.csv and the
/// baselines excepted) and its committer date.
fn commit_of(root: &Path) -> Result<(String, String)> {
    let hash = git(root, &["rev-parse", "--short=10", "HEAD"])?;
    let date = git(root, &["show", "-s", "--format=%cI", "HEAD"])?;
    let status = git(
        root,
        &[
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            ".",
            ":!benches/history.csv",
            ":!benches/baselines",
            ":!benches/history",
        ],
    )?;
    let commit = if status.is_empty() {
        hash
    } else {
        format!("{hash}+dirty")
    };
    Ok((commit, date))
}

fn now_utc() -> Result<String> {
    let out = Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Times one run of `bin args` (seconds); a failed run is an error with its stderr.
fn time_run(bin: &Path, args: &[&str]) -> Result<f64> {
    let start = Instant::now();
    let out = Command::new(bin)
        .args(args)
        .output()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let secs = start.elapsed().as_secs_f64();
    anyhow::ensure!(
        out.status.success(),
        "{} {} failed: {}",
        bin.display(),
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(secs)
}

fn ab_compare(a: &Path, b: &Path, rounds: usize, work: &Path, manifest: &Path) -> Result<i32> {
    anyhow::ensure!(rounds >= 2, "--rounds must be at least 2");
    let inputs = work.join("inputs");
    ab::write_cce_inputs(&inputs, 20_000, 4)?;
    let (csv_a, csv_b) = (inputs.join("a.csv"), inputs.join("b.csv"));
    let artifacts = work.join("artifacts");
    let manifest_s = manifest.to_string_lossy().to_string();
    let (ca, cb) = (
        csv_a.to_string_lossy().to_string(),
        csv_b.to_string_lossy().to_string(),
    );
    let art = artifacts.to_string_lossy().to_string();
    let workloads: Vec<(&str, Vec<&str>)> = vec![
        (
            "harness cce (N 20000, 4+4, ksg)",
            vec!["--threads", "1", "cce", &ca, &cb],
        ),
        (
            "harness run (small manifest, cold cache)",
            vec![
                "--threads",
                "1",
                "--quiet",
                "--artifacts",
                &art,
                "run",
                &manifest_s,
            ],
        ),
    ];
    println!(
        "A = {}\nB = {}\n{rounds} rounds, order alternating A B / B A",
        a.display(),
        b.display()
    );
    for (name, args) in &workloads {
        let (mut ta, mut tb) = (Vec::new(), Vec::new());
        // One untimed run of each warms the page cache.
        for bin in [a, b] {
            let _ = std::fs::remove_dir_all(&artifacts);
            time_run(bin, args)?;
        }
        for round in 0..rounds {
            let order = if round % 2 == 0 {
                [(a, true), (b, false)]
            } else {
                [(b, false), (a, true)]
            };
            for (bin, is_a) in order {
                let _ = std::fs::remove_dir_all(&artifacts);
                let t = time_run(bin, args)?;
                if is_a {
                    ta.push(t)
                } else {
                    tb.push(t)
                }
            }
        }
        let c = ab::compare(&ta, &tb);
        println!(
            "{name}: A median {:.4} s, B median {:.4} s, B/A = {:.3} [95% CI {:.3}, {:.3}]: {}",
            c.a_median_s,
            c.b_median_s,
            c.ratio,
            c.lo,
            c.hi,
            c.verdict()
        );
    }
    Ok(0)
}
