//! The gate's comparison with the base commit (issue 27, point 7). A baseline proves nothing
//! when the change under test wrote it: a change of `Cargo.lock` makes a new machine key, and
//! `make bench-baseline` in that same change records whatever the change made slower (a 5.4×
//! slowdown of the plan bench passed that way). So when this machine key has no committed
//! baseline, or the change wrote or rewrote its baseline, the gate builds the base commit (the
//! merge-base of HEAD and `main`) on this machine and compares the two trees' counts directly,
//! as an A/B: same machine, same toolchain, each tree with its own `Cargo.lock`.
//!
//! The base is unpacked with `git archive` (the repository is not touched) and built in
//! `target/scratch/` (seeded once from `target/release`, as `benches/scratch.sh` does: never
//! another tree in `target/` itself). Its counts are kept in
//! `target/perfgate/base-counts/<its machine key>-<commit>.json`, so that the next check of a
//! change on the same base builds nothing.

use crate::counts::{self, Tree};
use crate::machine::{self, MachineKey};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the base's code comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// A commit of the repository, unpacked and built in the scratch target folder.
    Commit(String),
    /// A tree already on disk, built in its own `target/` (the gate's self-test).
    Tree(PathBuf),
}

/// The code the change is compared with, and how it was chosen (printed).
#[derive(Clone, Debug, PartialEq)]
pub struct Base {
    pub source: Source,
    pub label: String,
}

/// Why the gate compares with the base rather than with the committed baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// No baseline is committed for this machine key.
    NoBaseline,
    /// The change wrote this key's baseline, or changed its counts.
    BaselineWritten,
}

impl Reason {
    pub fn describe(self) -> &'static str {
        match self {
            Reason::NoBaseline => "no committed baseline for this machine key",
            Reason::BaselineWritten => {
                "this change wrote the baseline of this machine key, so it cannot judge the change"
            }
        }
    }
}

/// Whether the gate must compare with the base: the counts of this key's baseline in the
/// tree (`None`: no file) against the same file at the base. A baseline rewritten with the
/// same counts (a new date, say) is not a change.
pub fn reason(
    now: Option<&BTreeMap<String, u64>>,
    at_base: Option<&BTreeMap<String, u64>>,
) -> Option<Reason> {
    match now {
        None => Some(Reason::NoBaseline),
        Some(now) if Some(now) != at_base => Some(Reason::BaselineWritten),
        Some(_) => None,
    }
}

fn git(repo: &Path, args: &[&str]) -> Result<std::process::Output> {
    Command::new("git")
        .current_dir(repo)
        .args(args)
        .output()
        .with_context(|| format!("cannot start git in {}", repo.display()))
}

fn git_text(repo: &Path, args: &[&str]) -> Result<String> {
    let out = git(repo, args)?;
    if !out.status.success() {
        bail!(
            "git {} in {}: {}",
            args.join(" "),
            repo.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The base: `tree` if given, else the commit `rev` if given, else the merge-base of HEAD
/// and `main` (or `origin/main`, for a checkout without a local `main`).
pub fn resolve(repo: &Path, rev: Option<&str>, tree: Option<&Path>) -> Result<Base> {
    if let Some(tree) = tree {
        let tree = std::path::absolute(tree)?;
        anyhow::ensure!(
            tree.join("benches/benches/hotpaths.rs").exists(),
            "--base-tree {}: not a tree of this project (no benches/benches/hotpaths.rs)",
            tree.display()
        );
        return Ok(Base {
            label: format!("the tree {}", tree.display()),
            source: Source::Tree(tree),
        });
    }
    let commit = |r: &str| git_text(repo, &["rev-parse", "--verify", &format!("{r}^{{commit}}")]);
    if let Some(rev) = rev {
        let sha = commit(rev)?;
        return Ok(Base {
            label: format!("{rev} ({})", &sha[..10]),
            source: Source::Commit(sha),
        });
    }
    for main in ["main", "origin/main"] {
        if commit(main).is_ok() {
            let sha = git_text(repo, &["merge-base", "HEAD", main])?;
            return Ok(Base {
                label: format!("the merge-base of HEAD and {main} ({})", &sha[..10]),
                source: Source::Commit(sha),
            });
        }
    }
    bail!(
        "cannot find the base commit to compare with: {} has no `main` or `origin/main` \
         branch; pass --base <rev>",
        repo.display()
    )
}

/// The counts of the baseline of `key` as the base has it (`None` when it has none).
pub fn baseline_at(base: &Base, repo: &Path, key: &str) -> Result<Option<BTreeMap<String, u64>>> {
    let relative = format!("benches/baselines/{key}.json");
    let text = match &base.source {
        Source::Tree(dir) => match std::fs::read_to_string(dir.join(&relative)) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).context(format!("cannot read {relative} of the base")),
        },
        Source::Commit(sha) => {
            let out = git(repo, &["show", &format!("{sha}:{relative}")])?;
            if !out.status.success() {
                // `git show` fails on a path the commit does not have.
                return Ok(None);
            }
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    };
    let b: crate::baseline::Baseline = serde_json::from_str(&text)
        .with_context(|| format!("{relative} at {}: not a baseline file", base.label))?;
    Ok(Some(b.instructions))
}

/// Counts of one tree, with the machine key they were measured under.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub machine: MachineKey,
    pub instructions: BTreeMap<String, u64>,
}

/// Builds the base and runs its benches (or reads the counts kept from an earlier run of the
/// same commit under the same key). `filter` as in [`counts::run_gungraun`].
pub fn measure(base: &Base, repo: &Path, runner: &Path, filter: Option<&str>) -> Result<Counts> {
    match &base.source {
        Source::Tree(dir) => {
            let tree = Tree {
                root: dir.clone(),
                target_dir: None,
                runner: runner.to_path_buf(),
            };
            Ok(Counts {
                machine: machine::detect(dir, runner)?,
                instructions: counts::run_gungraun(&tree, filter)?,
            })
        }
        Source::Commit(sha) => {
            let unpacked = Unpacked::new(repo, sha)?;
            let key = machine::detect(&unpacked.dir, runner)
                .with_context(|| format!("the base {}", base.label))?;
            let kept = repo
                .join("target/perfgate/base-counts")
                .join(format!("{}-{sha}.json", key.key));
            if filter.is_none() {
                if let Ok(text) = std::fs::read_to_string(&kept) {
                    if let Ok(c) = serde_json::from_str::<Counts>(&text) {
                        if c.machine == key {
                            eprintln!("perfgate: the base's counts from {}", kept.display());
                            return Ok(c);
                        }
                    }
                }
            }
            eprintln!(
                "perfgate: building the base {} in {}",
                base.label,
                scratch_target(repo)?.display()
            );
            let tree = Tree {
                root: unpacked.dir.clone(),
                target_dir: Some(scratch_target(repo)?),
                runner: runner.to_path_buf(),
            };
            let c = Counts {
                machine: key,
                instructions: counts::run_gungraun(&tree, filter)?,
            };
            if filter.is_none() {
                std::fs::create_dir_all(kept.parent().expect("a file in a folder"))?;
                std::fs::write(&kept, serde_json::to_string_pretty(&c)? + "\n")
                    .with_context(|| format!("cannot write {}", kept.display()))?;
            }
            Ok(c)
        }
    }
}

/// `target/scratch` of the repository, seeded from `target/release` the first time (so that
/// only the project's own crates compile there).
pub fn scratch_target(repo: &Path) -> Result<PathBuf> {
    let scratch = repo.join("target/scratch");
    if !scratch.join("release").exists() && repo.join("target/release").exists() {
        std::fs::create_dir_all(&scratch)?;
        let status = Command::new("cp")
            .arg("-a")
            .arg(repo.join("target/release"))
            .arg(&scratch)
            .status()
            .context("cannot start cp")?;
        anyhow::ensure!(status.success(), "cannot seed {}", scratch.display());
    }
    Ok(std::path::absolute(scratch)?)
}

/// A commit unpacked into a temporary folder, removed when dropped.
struct Unpacked {
    dir: PathBuf,
}

impl Unpacked {
    fn new(repo: &Path, sha: &str) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!(
            "perfgate-base-{}-{}",
            &sha[..12.min(sha.len())],
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let unpacked = Unpacked { dir };
        // Fresh modification times (tar -m): cargo rebuilds the crates even when the scratch
        // folder last built another tree.
        let status = Command::new("sh")
            .arg("-c")
            .arg("git -C \"$1\" archive \"$2\" | tar -x -m -C \"$3\"")
            .args(["sh"])
            .arg(repo)
            .arg(sha)
            .arg(&unpacked.dir)
            .status()
            .context("cannot start sh")?;
        anyhow::ensure!(
            status.success(),
            "cannot unpack commit {sha} of {}",
            repo.display()
        );
        Ok(unpacked)
    }
}

impl Drop for Unpacked {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn the_base_is_needed_without_a_baseline_or_when_the_change_wrote_it() {
        let old = counts(&[("a", 100)]);
        let new = counts(&[("a", 540)]);
        assert_eq!(reason(None, None), Some(Reason::NoBaseline));
        assert_eq!(reason(None, Some(&old)), Some(Reason::NoBaseline));
        // A new key's baseline, written by the change: the base had none.
        assert_eq!(reason(Some(&new), None), Some(Reason::BaselineWritten));
        // The same key's baseline, rewritten with other counts.
        assert_eq!(
            reason(Some(&new), Some(&old)),
            Some(Reason::BaselineWritten)
        );
        // Untouched (or rewritten with the same counts): the baseline judges.
        assert_eq!(reason(Some(&old), Some(&old)), None);
    }

    /// A throw-away repository with two commits on `main` and a branch off the first.
    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            let out = Command::new("git")
                .current_dir(dir.path())
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "git {args:?}: {out:?}");
        };
        run(&["init", "-q", "-b", "main"]);
        run(&["config", "user.email", "t@t"]);
        run(&["config", "user.name", "t"]);
        let baselines = dir.path().join("benches/baselines");
        std::fs::create_dir_all(&baselines).unwrap();
        let file = |counts: u64| {
            format!(
                "{{\"machine\": {{\"key\": \"k\", \"parts\": {{}}}}, \"commit\": \"c\", \
                 \"recorded_at\": \"t\", \"instructions\": {{\"a\": {counts}}}}}"
            )
        };
        std::fs::write(baselines.join("k.json"), file(100)).unwrap();
        run(&["add", "."]);
        run(&["commit", "-qm", "one"]);
        run(&["branch", "topic"]);
        std::fs::write(baselines.join("k.json"), file(90)).unwrap();
        run(&["commit", "-qam", "two"]);
        run(&["checkout", "-q", "topic"]);
        std::fs::write(baselines.join("k.json"), file(540)).unwrap();
        run(&["commit", "-qam", "three"]);
        dir
    }

    #[test]
    fn the_base_is_the_merge_base_with_main_and_its_baseline_is_read_from_git() {
        let dir = repo();
        let base = resolve(dir.path(), None, None).unwrap();
        assert!(
            base.label.starts_with("the merge-base of HEAD and main"),
            "{}",
            base.label
        );
        assert_eq!(
            baseline_at(&base, dir.path(), "k").unwrap(),
            Some(counts(&[("a", 100)])),
            "the merge-base's file, not main's later one"
        );
        assert_eq!(baseline_at(&base, dir.path(), "other").unwrap(), None);
        let head = resolve(dir.path(), Some("HEAD"), None).unwrap();
        assert_eq!(
            baseline_at(&head, dir.path(), "k").unwrap(),
            Some(counts(&[("a", 540)]))
        );
        assert!(resolve(dir.path(), Some("no-such-rev"), None).is_err());
    }

    #[test]
    fn without_main_the_base_must_be_named() {
        let dir = repo();
        let out = Command::new("git")
            .current_dir(dir.path())
            .args(["branch", "-qD", "main"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let e = resolve(dir.path(), None, None).unwrap_err().to_string();
        assert!(e.contains("pass --base"), "{e}");
    }
}
