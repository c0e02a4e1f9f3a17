//! Slurm job arrays (`harness slurm`): writes `<artifacts>/slurm/<name>/` with
//!
//! - `array.sbatch`: one array task per shard, each `harness run --shard
//!   $((SLURM_ARRAY_TASK_ID))/N`, logging to `logs/shard-<task>-job<array job>.log`;
//! - `collect.sbatch`: `harness run` without `--shard`, submitted with
//!   `--dependency=afterok:<array job>`; it finds every unit cached and writes the results and
//!   the claims (`logs/collect-job<id>.log`);
//! - `README.txt`: how to submit both by hand.
//!
//! Every task uses the same artifacts folder, which must be on a filesystem that all nodes
//! share; paths in the scripts are absolute, and the tasks start in the directory where
//! `harness slurm` ran (`--chdir`), so relative manifest paths resolve as they did here.

use super::launch::ShardCommand;
use super::{at_least_one, Context, ManifestArgs};
use crate::kinds;
use anyhow::{bail, Context as _, Result};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::process::ExitCode;

/// Resources each array task asks for; `None` leaves Slurm's default.
#[derive(Clone, Debug, Default)]
pub struct Resources {
    pub partition: Option<String>,
    /// Wall-clock limit per task, in Slurm's format (`2:00:00`, `1-12:00:00`).
    pub time: Option<String>,
    /// GPUs per task (`--gres=gpu:G`).
    pub gpus: Option<usize>,
    /// CPUs per task (`--cpus-per-task`; the harness then runs that many threads).
    pub cpus: Option<usize>,
}

/// The files `write_jobs` wrote.
#[derive(Clone, Debug)]
pub struct JobFiles {
    pub dir: PathBuf,
    pub array: PathBuf,
    pub collect: PathBuf,
    pub readme: PathBuf,
    pub logs: PathBuf,
}

/// Write Slurm job scripts under <artifacts>/slurm/<name>/: a job array with one task per
/// shard (`harness run --shard I/N`), then a collect job (`--dependency=afterok`) that writes
/// the results. The artifacts folder must be on a filesystem every node sees.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Manifest files, e.g. experiments/fig4_mnist_fcnn.yaml.
    #[arg(required = true)]
    pub manifests: Vec<PathBuf>,
    /// Number of array tasks (shards).
    #[arg(long, value_parser = at_least_one())]
    pub shards: usize,
    /// Slurm partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// Time limit per task, in Slurm's format (e.g. 4:00:00).
    #[arg(long)]
    pub time: Option<String>,
    /// GPUs per task (with a CUDA build and --device cuda).
    #[arg(long)]
    pub gpus: Option<usize>,
    /// CPUs per task; each task then runs that many threads.
    #[arg(long)]
    pub cpus: Option<usize>,
    /// Submit with sbatch and print the job ids.
    #[arg(long)]
    pub submit: bool,
    #[command(flatten)]
    pub values: ManifestArgs,
}

/// `harness slurm`: the scripts, and with `--submit` the jobs.
pub fn main(ctx: &Context, args: Args) -> Result<ExitCode> {
    let loaded = ctx.load_all(&args.manifests)?;
    let names: Vec<&str> = loaded.iter().map(|m| kinds::of(m).name()).collect();
    let command = ShardCommand::this_binary(
        &ctx.artifacts,
        ctx.device,
        true,
        args.manifests.clone(),
        args.cpus.or(ctx.threads),
    )?
    .with_overrides(ctx.overrides.shown());
    let resources = Resources {
        partition: args.partition,
        time: args.time,
        gpus: args.gpus,
        cpus: args.cpus,
    };
    let workdir = std::env::current_dir().context("cannot read the current directory")?;
    let files = write_jobs(
        &jobs_name(&names),
        &command,
        args.shards,
        &resources,
        &workdir,
    )?;
    println!("array script:   {}", files.array.display());
    println!("collect script: {}", files.collect.display());
    println!("logs:           {}/", files.logs.display());
    if args.submit {
        let (array, collect) = submit(&files)?;
        println!("array job {array} ({} tasks)", args.shards);
        println!("collect job {collect} (after job {array} succeeds)");
    } else {
        println!("submit: see {}", files.readme.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The folder's name for these experiments: their names joined by `+`.
pub fn jobs_name(names: &[&str]) -> String {
    names.join("+")
}

/// Writes the array script, the collect script and the README under
/// `<artifacts>/slurm/<name>/` for `shards` array tasks. `command` must have absolute
/// `binary` and `artifacts`; `workdir` is where the tasks start.
pub fn write_jobs(
    name: &str,
    command: &ShardCommand,
    shards: usize,
    resources: &Resources,
    workdir: &Path,
) -> Result<JobFiles> {
    if shards == 0 {
        bail!("--shards must be at least 1");
    }
    for (flag, value) in [
        ("--partition", &resources.partition),
        ("--time", &resources.time),
    ] {
        if let Some(v) = value {
            if v.is_empty() || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
                bail!("{flag} `{v}`: must be one word without spaces");
            }
        }
    }
    let dir = command.artifacts.join("slurm").join(name);
    let logs = dir.join("logs");
    fs::create_dir_all(&logs).with_context(|| format!("cannot create {}", logs.display()))?;
    for path in [&dir, workdir] {
        let text = path.display().to_string();
        if text.chars().any(|c| c.is_whitespace() || c == '%') {
            bail!(
                "{text}: Slurm's #SBATCH lines cannot hold a path with spaces or `%`; \
                 use another --artifacts folder or working directory"
            );
        }
    }
    let header = |job: &str, output: &str| -> String {
        let mut h = String::from("#!/bin/bash\n");
        let mut line = |option: String| {
            let _ = writeln!(h, "#SBATCH {option}");
        };
        line(format!("--job-name={job}"));
        line(format!("--chdir={}", workdir.display()));
        line(format!("--output={}", logs.join(output).display()));
        line("--ntasks=1".into());
        if let Some(p) = &resources.partition {
            line(format!("--partition={p}"));
        }
        if let Some(t) = &resources.time {
            line(format!("--time={t}"));
        }
        if let Some(c) = resources.cpus {
            line(format!("--cpus-per-task={c}"));
        }
        h
    };
    let mut array = header(&format!("{name}-shards"), "shard-%a-job%A.log");
    let _ = writeln!(array, "#SBATCH --array=1-{shards}");
    if let Some(g) = resources.gpus {
        let _ = writeln!(array, "#SBATCH --gres=gpu:{g}");
    }
    let _ = write!(
        array,
        "# Shard $SLURM_ARRAY_TASK_ID of {shards}: computes its units into the shared cache and \
         writes no results.\nset -euo pipefail\necho \"shard $SLURM_ARRAY_TASK_ID/{shards} on \
         $(hostname), job $SLURM_ARRAY_JOB_ID\"\nexec {}\n",
        shell_words(
            &command.binary,
            &command.shard_args(&format!("$((SLURM_ARRAY_TASK_ID))/{shards}"))
        )
    );
    let mut collect = header(&format!("{name}-collect"), "collect-job%j.log");
    let _ = write!(
        collect,
        "# After every shard succeeded (--dependency=afterok): nothing left to train; writes the \
         results and the claims.\nset -euo pipefail\nexec {}\n",
        shell_words(&command.binary, &command.collect_args())
    );
    let files = JobFiles {
        array: dir.join("array.sbatch"),
        collect: dir.join("collect.sbatch"),
        readme: dir.join("README.txt"),
        logs,
        dir,
    };
    let readme = format!(
        "Slurm jobs for {name}: {shards} array tasks (one shard each), then one collect job.\n\
         Submit by hand (or run `harness slurm ... --submit`):\n\n  \
         sbatch --dependency=afterok:$(sbatch --parsable {array} | cut -d';' -f1) {collect}\n\n\
         Logs: {logs}/. If a task fails, the collect job does not start: resubmit both; units \
         already cached are reused.\n",
        array = files.array.display(),
        collect = files.collect.display(),
        logs = files.logs.display(),
    );
    for (path, text) in [
        (&files.array, &array),
        (&files.collect, &collect),
        (&files.readme, &readme),
    ] {
        fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(files)
}

/// Submits the array, then the collect job depending on it; returns their job ids.
pub fn submit(files: &JobFiles) -> Result<(String, String)> {
    let array = sbatch(&[files.array.display().to_string()])?;
    let collect = sbatch(&[
        format!("--dependency=afterok:{array}"),
        files.collect.display().to_string(),
    ])
    .with_context(|| {
        format!(
            "array job {array} was submitted, its collect job was not: submit it by hand with \
             `sbatch --dependency=afterok:{array} {}`",
            files.collect.display()
        )
    })?;
    Ok((array, collect))
}

/// Runs `sbatch --parsable ARGS` and returns the job id.
fn sbatch(args: &[String]) -> Result<String> {
    let out = Command::new("sbatch")
        .arg("--parsable")
        .args(args)
        .output()
        .context("cannot run `sbatch` (is Slurm installed and on PATH?)")?;
    if !out.status.success() {
        bail!(
            "`sbatch {}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    // `--parsable` prints `<id>` or `<id>;<cluster>`.
    let id = text.trim().split(';').next().unwrap_or("").to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        bail!("`sbatch` printed `{}`, not a job id", text.trim());
    }
    Ok(id)
}

/// A command line for bash: the program and arguments, each single-quoted unless it is a
/// `$((...))` expansion, which must stay live.
fn shell_words(program: &Path, args: &[String]) -> String {
    let mut words = vec![quote(&program.display().to_string())];
    for a in args {
        if a.starts_with("$((") {
            words.push(format!("\"{a}\""));
        } else {
            words.push(quote(a));
        }
    }
    words.join(" ")
}

fn quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(artifacts: &Path) -> ShardCommand {
        ShardCommand {
            binary: PathBuf::from("/opt/harness"),
            artifacts: artifacts.to_path_buf(),
            device: Some(crate::device::DeviceKind::Cuda),
            threads: Some(4),
            log_units: true,
            manifests: vec![PathBuf::from("experiments/a b.yaml")],
            overrides: vec!["sweep.snr=[1, 2]".into()],
        }
    }

    #[test]
    fn scripts_run_one_shard_per_task_and_collect_after() {
        let dir = tempfile::tempdir().unwrap();
        let resources = Resources {
            partition: Some("gpu".into()),
            time: Some("2:00:00".into()),
            gpus: Some(1),
            cpus: Some(4),
        };
        let files = write_jobs("e", &command(dir.path()), 3, &resources, dir.path()).unwrap();
        let array = fs::read_to_string(&files.array).unwrap();
        for line in [
            "#SBATCH --array=1-3",
            "#SBATCH --partition=gpu",
            "#SBATCH --time=2:00:00",
            "#SBATCH --gres=gpu:1",
            "#SBATCH --cpus-per-task=4",
            "--device cuda --threads 4 run --shard \"$((SLURM_ARRAY_TASK_ID))/3\" --set 'sweep.snr=[1, 2]' 'experiments/a b.yaml'",
        ] {
            assert!(array.contains(line), "{line} not in\n{array}");
        }
        let collect = fs::read_to_string(&files.collect).unwrap();
        assert!(!collect.contains("--shard") && !collect.contains("--array"));
        assert!(
            collect.contains("run --set 'sweep.snr=[1, 2]' 'experiments/a b.yaml'"),
            "{collect}"
        );
        let readme = fs::read_to_string(&files.readme).unwrap();
        assert!(readme.contains("--dependency=afterok:"), "{readme}");
    }

    #[test]
    fn quoting_survives_bash() {
        for word in ["plain", "a b", "it's", "$HOME", "x\"y"] {
            let out = Command::new("bash")
                .args(["-c", &format!("printf %s {}", quote(word))])
                .output()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout), word);
        }
    }

    #[test]
    fn options_with_spaces_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let resources = Resources {
            partition: Some("a b".into()),
            ..Resources::default()
        };
        let err = write_jobs("e", &command(dir.path()), 2, &resources, dir.path()).unwrap_err();
        assert!(err.to_string().contains("--partition `a b`"), "{err}");
    }
}
