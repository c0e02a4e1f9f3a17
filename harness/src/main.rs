//! `harness`: the command-line interface. Every error ends up in `main`, which prints it with
//! its context chain and picks the exit code: 2 for bad input (a manifest or a CSV), 1 for
//! any other failure.

use anyhow::{Context, Result};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use harness::cache::executor::Executor;
use harness::cache::{self, Store};
use harness::cli::check::check_run;
use harness::cli::export;
use harness::cli::history;
use harness::cli::launch::{self, ShardCommand};
use harness::cli::run::{cross_experiment_c4, run_accuracy, run_manifest, run_shard};
use harness::cli::slurm;
use harness::cli::why::{survey, why};
use harness::data::datasets::{hub::HubCache, Dataset};
use harness::device::DeviceKind;
use harness::estimators::{self, Estimator, Measure, MeasureValue, Projection};
use harness::manifest::{self, AnyManifest, Assignment, Manifest, ManifestError, Overrides};
use harness::matrix::{InputError, Matrix};
use harness::plan::shard::{self, AnyPlan, Shard};
use harness::plan::{self, accuracy};
use harness::results::claims::Verdicts;
use harness::results::export::Format as ExportFormat;
use harness::results::paper_table::TableFormat;
use harness::results::{check, report_page};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Reproduce "Signal-to-Noise Ratio and Sample Size Govern Representational Alignment in
/// Neural Networks" (Umar & Laio, 2026) from declarative YAML manifests.
///
/// Each manifest in experiments/ describes one experiment. `harness run` expands it into
/// units of work (one per ensemble member fit, one per pair of members compared), runs those
/// the cache under --artifacts lacks, and writes the results to
/// <artifacts>/results/<name>/: members.csv, pairs.csv, summary.csv, replicas.csv,
/// claims.csv, the figure (SVG and PNG), run.json and SHA256SUMS. Reruns reuse every cached
/// unit.
///
/// Exit codes: 0 success, 1 failure (or `verify` found problems, or `check` a FAIL), 2 bad
/// input, 3 `check` INCONCLUSIVE.
#[derive(Parser, Debug)]
#[command(
    name = "harness",
    version,
    max_term_width = 100,
    disable_help_subcommand = true,
    after_help = "Examples:
  harness run experiments/fig1_linear.yaml     run Fig. 1 (cached units are reused)
  harness plan --summary experiments/fig1_linear.yaml
  harness why experiments/fig2_relu.yaml       what a run would compute, and why
  harness run --jobs 4 experiments/fig2_relu.yaml   4 shard processes, then the results
  harness slurm experiments/fig4_mnist_fcnn.yaml --shards 20 --submit
  harness verify                               check every artifact against its SHA-256
  harness cce a.csv b.csv --estimator gaussian"
)]
struct Cli {
    /// Folder of the cache and results.
    #[arg(
        long,
        global = true,
        env = "HARNESS_ARTIFACTS",
        default_value = "artifacts"
    )]
    artifacts: PathBuf,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, global = true, env = "HARNESS_THREADS")]
    threads: Option<usize>,
    /// No progress bars.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// The same as the command's own --device, given before the command: for run, plan,
    /// hash, claims, check, slurm, gc, export and table (the commands that read a manifest).
    #[arg(long)]
    device: Option<DeviceKind>,
    /// Log one line per unit computed on stderr: `unit-computed <kind> <sha256> <what>` (and
    /// `unit-waiting ...` for a batch another process is computing).
    #[arg(long, global = true, env = "HARNESS_LOG_UNITS",
          value_parser = clap::builder::BoolishValueParser::new())]
    log_units: bool,
    #[command(subcommand)]
    command: Command,
}

/// `--device` of the commands that read a manifest.
#[derive(clap::Args, Debug, Clone, Copy)]
struct DeviceArg {
    /// Train on this device instead of the manifest's `device` (cuda needs a build with
    /// `--features cuda`). A GPU run is a different experiment: its hash differs.
    #[arg(long, env = "HARNESS_DEVICE")]
    device: Option<DeviceKind>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run experiments: train what the cache lacks, measure alignment, write results and
    /// print one PASS/FAIL line per claim of the paper.
    Run {
        /// Manifest files, e.g. experiments/fig1_linear.yaml.
        #[arg(required = true)]
        manifests: Vec<PathBuf>,
        /// Compute only shard I of N (1-based) of the manifests' units, split by estimated
        /// cost; with N > 1 no results are written (a later run without --shard writes them).
        #[arg(long, value_name = "I/N")]
        shard: Option<Shard>,
        /// Run the shards 1/n … n/n as n processes on this machine, then write the results.
        #[arg(long, value_name = "n", conflicts_with = "shard", value_parser = at_least_one())]
        jobs: Option<usize>,
        #[command(flatten)]
        values: ManifestValues,
        #[command(flatten)]
        device: DeviceArg,
    },
    /// Write Slurm job scripts under <artifacts>/slurm/<name>/: a job array with one task
    /// per shard (`harness run --shard I/N`), then a collect job (`--dependency=afterok`)
    /// that writes the results. The artifacts folder must be on a filesystem every node sees.
    Slurm {
        /// Manifest files, e.g. experiments/fig4_mnist_fcnn.yaml.
        #[arg(required = true)]
        manifests: Vec<PathBuf>,
        /// Number of array tasks (shards).
        #[arg(long, value_parser = at_least_one())]
        shards: usize,
        /// Slurm partition.
        #[arg(long)]
        partition: Option<String>,
        /// Time limit per task, in Slurm's format (e.g. 4:00:00).
        #[arg(long)]
        time: Option<String>,
        /// GPUs per task (with a CUDA build and --device cuda).
        #[arg(long)]
        gpus: Option<usize>,
        /// CPUs per task; each task then runs that many threads.
        #[arg(long)]
        cpus: Option<usize>,
        /// Submit with sbatch and print the job ids.
        #[arg(long)]
        submit: bool,
        #[command(flatten)]
        values: ManifestValues,
        #[command(flatten)]
        device: DeviceArg,
    },
    /// Time the fleet's SGD step of classification manifests on synthetic images of their data
    /// set's shape (timing only, no data is read) on the device, with the tensors it creates
    /// per step, and project each manifest's training and alignment time from its plan: on the
    /// CPU every member's steps over the threads; elsewhere the lockstep's sequential steps
    /// (the longest member's). With `patience`, members are charged the stops of a one-replica
    /// pilot found in the cache (`run --set sweep.replicas=1`), else their whole budget.
    Project {
        #[arg(required = true)]
        manifests: Vec<PathBuf>,
        /// SGD steps timed per member count (after 2 of warm-up).
        #[arg(long, default_value_t = 20, value_parser = at_least_one())]
        steps: usize,
        #[command(flatten)]
        device: DeviceArg,
    },
    /// List an experiment's units with their hashes and whether each is cached.
    Plan {
        /// The experiment's manifest, e.g. experiments/fig1_linear.yaml.
        manifest: PathBuf,
        /// Print only the counts.
        #[arg(long)]
        summary: bool,
        /// Also print the estimated cost of each of N shards (see `run --shard`).
        #[arg(long, value_name = "N", value_parser = at_least_one())]
        shards: Option<usize>,
        #[command(flatten)]
        values: ManifestValues,
        #[command(flatten)]
        device: DeviceArg,
    },
    /// Judge claim C4 (stronger alignment does not imply lower generalization error) across
    /// finished experiments, pooling their points; trains nothing. Writes
    /// <artifacts>/results/claims/claims.csv.
    Claims {
        /// Manifests already run, e.g. experiments/fig1_linear.yaml experiments/fig2_relu.yaml.
        #[arg(required = true)]
        manifests: Vec<PathBuf>,
        #[command(flatten)]
        values: ManifestValues,
        #[command(flatten)]
        device: DeviceArg,
    },
    /// Is a finished run the same result as a reference, within the seed-to-seed variation?
    /// Per point and quantity an equivalence test within the manifest's `check:` margins
    /// (docs/CHECK.md); prints a table, writes check.csv beside the run's results. Exit code
    /// 0 PASS, 1 FAIL, 3 INCONCLUSIVE.
    Check {
        /// The experiment's manifest (already run).
        manifest: PathBuf,
        /// The reference results folder (default: reference/<name>/).
        #[arg(long)]
        against: Option<PathBuf>,
        #[command(flatten)]
        values: ManifestValues,
        #[command(flatten)]
        device: DeviceArg,
    },
    /// List the recorded runs, newest first: id, time, experiment, manifest hash, units
    /// computed, git commit, overrides (from <artifacts>/history/, one record per run).
    Runs {
        /// Only the runs of this experiment (its `name`).
        experiment: Option<String>,
    },
    /// Compare two runs: the manifests key by key, then every point of the summaries (B − A
    /// with the standard error of the difference). A and B are run ids from `harness runs`
    /// (or a unique start of one) or manifest files already run.
    Diff {
        /// A run id or a manifest file.
        a: String,
        /// A run id or a manifest file.
        b: String,
    },
    /// Why would `harness run` compute anything? For every unit of the manifests that a run
    /// would compute now, the cause, in the manifest's terms, grouped, summary first.
    ///
    /// What runs is decided by the same rule `run` applies (one staleness function): a unit
    /// whose cache entry is missing or corrupt, and every other unit of its batch (the members
    /// of a relu2 replica train together, so they are trained again together). The cause of
    /// a missing unit is its difference from the nearest cached unit of the same kind
    /// (fewest differing keys; units the same experiment computed are preferred), each key
    /// named by the manifest path that sets it: `alignment.k: 3 → 5`, or `sweep.snr gained
    /// 20` for a swept value no cached unit has. A pair whose members are trained says so
    /// (`its members are trained: …`). For this every cache entry keeps its inputs (the
    /// unit's canonical JSON, `<hash>.<ext>.inputs` beside it); entries cached before inputs
    /// were recorded cannot be compared, and `why` says so instead of guessing.
    ///
    /// Output: one summary line per manifest (`fig2_relu: 12 of 192 members to train —
    /// sweep.snr gained 20 (12 members) ; 240 of 576 pairs to estimate — alignment.k: 3 → 5
    /// (240 pairs)`), then each phase's causes with their counts; with --units, one line per
    /// unit that would run: `<kind> <sha256> <what> — <cause>`, kind as in the unit log
    /// (--log-units) of the run that computes it.
    ///
    /// Exit code 0 when nothing would run, 1 otherwise (2 bad input).
    Why {
        #[arg(required = true)]
        manifests: Vec<PathBuf>,
        /// Also list every unit that would run, one line each.
        #[arg(long)]
        units: bool,
        #[command(flatten)]
        values: ManifestValues,
        #[command(flatten)]
        device: DeviceArg,
    },
    /// Write one cached member's representation and parameters (--member), or one pair's
    /// members, estimator inputs and values with its tie-breaking seed (--pair), as CSV or NPY
    /// files with a JSON record (README "Exporting units").
    ///
    /// A selector is a unit hash (or a prefix of at least 6 hex digits) or key=value terms
    /// separated by commas, with the columns of members.csv (snr or label_noise, n, replica,
    /// member, model) or pairs.csv (member_a, member_b, model_a, model_b); it must match one
    /// unit. Example: --pair snr=2,n=32,replica=0,member_a=0,member_b=1
    #[command(group(clap::ArgGroup::new("unit").required(true).args(["member", "pair"])))]
    Export {
        /// The experiment's manifest (already run: the unit must be in the cache).
        manifest: PathBuf,
        /// The member to export.
        #[arg(long, value_name = "SELECTOR")]
        member: Option<String>,
        /// The pair to export (its members in either order).
        #[arg(long, value_name = "SELECTOR")]
        pair: Option<String>,
        /// File format of the tensors (the pair's estimator inputs are always CSV, what
        /// `harness cce` reads).
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        /// Folder to write (default <artifacts>/export/<name>/<member|pair>-<hash prefix>/).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        device: DeviceArg,
    },
    /// Print a finished experiment's summary as a table for a paper: Markdown, LaTeX
    /// (booktabs) or CSV, rebuilt from the cached units (nothing is trained).
    ///
    /// Columns are named as in summary.csv; a quantity's name without `_mean` (gen_error,
    /// cce_ksg, cce_gaussian, mi, …) shows `mean ± SE` (CSV: two columns). Default: the noise
    /// level, n_over_p, (model,) gen_error, the main estimator's CCE, cce_gaussian, and
    /// cce_exact / theory_cce where they exist.
    Table {
        /// The experiment's manifest (already run).
        manifest: PathBuf,
        #[arg(long, value_enum, default_value = "markdown")]
        format: TableFormat,
        /// Comma-separated column names, e.g. snr,n_over_p,gen_error,cce_ksg.
        #[arg(long, value_delimiter = ',')]
        columns: Option<Vec<String>>,
        /// Significant digits of the measured numbers (1 to 17).
        #[arg(long, default_value_t = 3)]
        digits: usize,
        #[command(flatten)]
        device: DeviceArg,
    },
    /// Write <artifacts>/results/index.html: every experiment's figure, claims, check
    /// verdicts, run record and CSVs on one self-contained page.
    Report,
    /// Print the experiment's SHA-256 (hex) and nothing else: the canonical manifest's hash,
    /// the identity its results are recorded under (README "Identity").
    Hash {
        /// The experiment's manifest, e.g. experiments/fig1_linear.yaml.
        manifest: PathBuf,
        #[command(flatten)]
        values: ManifestValues,
        #[command(flatten)]
        device: DeviceArg,
    },
    /// Print the manifest reference (docs/MANIFEST.md): every key, its default and what it
    /// changes. `harness help manifest` prints the same.
    Manifest,
    /// Print this help, a command's (`harness help run`), or the manifest reference
    /// (`harness help manifest`).
    Help {
        /// A command, or `manifest`.
        topic: Option<String>,
    },
    /// Download a data set (mnist, cifar10) from the Hugging Face Hub into its cache
    /// ($HF_HOME/hub, default ~/.cache/huggingface/hub), so that later runs work offline.
    Fetch {
        #[arg(value_parser = parse_dataset)]
        dataset: Dataset,
    },
    /// Re-hash every cached artifact and result file; name each one missing or altered.
    /// Exit code 1 if any.
    Verify,
    /// List the cache entries that none of the given manifests needs, with their sizes (a
    /// dry run); with --delete, remove them. Waits while a `harness run` uses the artifacts
    /// folder. Example: `harness gc experiments/*.yaml --delete`.
    Gc {
        /// Every manifest whose entries are kept.
        #[arg(required = true)]
        manifests: Vec<PathBuf>,
        /// Remove the entries listed (without it nothing is removed).
        #[arg(long)]
        delete: bool,
        #[command(flatten)]
        values: ManifestValues,
        #[command(flatten)]
        device: DeviceArg,
    },
    /// Conditional copula entropy CCE(A|B), in nats, of two representations given as CSV
    /// matrices (one row per sample, no header, same number of rows). Prints one number.
    Cce {
        #[command(flatten)]
        pair: PairArgs,
    },
    /// An alignment measure between two representations given as CSV matrices (one row per
    /// sample, no header, same number of rows).
    ///
    /// Symmetric measures (mi, symmetric-cce, cka, cka-debiased) print one number. Asymmetric
    /// ones print two lines, `A->B<TAB>value` then `B->A<TAB>value`: for cce, CCE(A|B) then
    /// CCE(B|A) in nats; for ii, the Information Imbalance Δ(A→B) then Δ(B→A).
    Align {
        /// cce, mi, symmetric-cce (copula entropies, nats; with --estimator), cka,
        /// cka-debiased (linear CKA on the raw representations), ii (Information Imbalance on
        /// copula ranks, max norm).
        #[arg(long, default_value = "cce")]
        measure: Measure,
        #[command(flatten)]
        pair: PairArgs,
    },
}

/// Values that replace the manifests' own, as if written in the files (every manifest of the
/// command; checked and hashed like the file's values).
#[derive(clap::Args, Debug, Clone, Default)]
struct ManifestValues {
    /// Replace one manifest value: a dotted key and a YAML value, e.g. `--set train.lr=0.005`,
    /// `--set sweep.snr=[1,2]`, `--set model.width=8`. Repeatable; checked like the file.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = Assignment::parse)]
    set: Vec<Assignment>,
    /// The manifest's `seed` (the same as `--set seed=N`).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
}

impl ManifestValues {
    /// The `--set` values in order, then `--seed`.
    fn assignments(&self) -> Vec<Assignment> {
        let mut v = self.set.clone();
        v.extend(self.seed.map(Assignment::seed));
        v
    }
}

impl Command {
    /// The values this command replaces in its manifests (none for commands without one).
    fn manifest_values(&self) -> Vec<Assignment> {
        match self {
            Command::Run { values, .. }
            | Command::Slurm { values, .. }
            | Command::Plan { values, .. }
            | Command::Why { values, .. }
            | Command::Claims { values, .. }
            | Command::Check { values, .. }
            | Command::Hash { values, .. }
            | Command::Gc { values, .. } => values.assignments(),
            _ => Vec::new(),
        }
    }

    /// The command's `--device`, for the commands that read a manifest.
    fn device_arg(&self) -> Option<DeviceArg> {
        match self {
            Command::Run { device, .. }
            | Command::Slurm { device, .. }
            | Command::Plan { device, .. }
            | Command::Claims { device, .. }
            | Command::Check { device, .. }
            | Command::Hash { device, .. }
            | Command::Gc { device, .. }
            | Command::Export { device, .. }
            | Command::Table { device, .. }
            | Command::Why { device, .. }
            | Command::Project { device, .. } => Some(*device),
            Command::Report
            | Command::Manifest
            | Command::Help { .. }
            | Command::Fetch { .. }
            | Command::Verify
            | Command::Cce { .. }
            | Command::Align { .. }
            | Command::Runs { .. }
            | Command::Diff { .. } => None,
        }
    }
}

/// The manifest reference, printed by `harness manifest` and `harness help manifest`.
const MANIFEST_REFERENCE: &str = include_str!("../../docs/MANIFEST.md");

/// Two representations and how to compare them (`cce` and `align`).
#[derive(clap::Args, Debug)]
struct PairArgs {
    /// CSV of representation A: one row per sample, no header.
    a: PathBuf,
    /// CSV of representation B, with the same rows.
    b: PathBuf,
    /// The estimator of the copula entropies.
    #[arg(long, value_enum, default_value = "ksg")]
    estimator: Estimator,
    /// Neighbours of the kNN estimators.
    #[arg(long, default_value_t = 3)]
    k: usize,
    /// Seed of the random tie-breaking of equal values.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// `none` or `pca:m`: replace each representation by its first m principal components
    /// first (one with at most m columns is left as it is).
    #[arg(long, default_value = "none")]
    project: Projection,
}

impl PairArgs {
    /// Reads both CSVs (in parallel) and applies the projection to each.
    fn read(&self) -> Result<(Matrix, Matrix)> {
        let read = |p: &Path| -> Result<Matrix> {
            self.project.apply(&Matrix::read_csv(p)?).map_err(bad_input)
        };
        let (ma, mb) = rayon::join(|| read(&self.a), || read(&self.b));
        Ok((ma?, mb?))
    }

    /// An estimator's complaint about the pair, as a bad-input error naming both files.
    fn bad_pair(&self, e: anyhow::Error) -> anyhow::Error {
        bad_input(anyhow::anyhow!(
            "A = {}, B = {}: {e}",
            self.a.display(),
            self.b.display()
        ))
    }
}

fn main() -> ExitCode {
    // Output piped into a reader that stops early (`harness plan … | head`) ends the process
    // quietly, as for any Unix tool, instead of a panic on the failed write: Rust ignores
    // SIGPIPE by default, which turns the reader's exit into an EPIPE error at every print.
    #[cfg(unix)]
    // SAFETY: called first, before any thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match real_main(cli, &matches) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            let bad_input = err
                .chain()
                .any(|c| c.is::<ManifestError>() || c.is::<InputError>());
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

/// A count of processes or shards: 1 or more.
fn at_least_one() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::new().range(1..)
}

fn parse_dataset(name: &str) -> Result<Dataset, String> {
    serde_yaml::from_str::<Dataset>(name)
        .map_err(|_| format!("`{name}`: known data sets are digits, mnist, cifar10"))
}

/// "`n` `what` (`run` `verb`, `reused` cached)": one kind of unit of a finished run.
fn units_line(what: &str, verb: &str, run: usize, reused: usize) -> String {
    format!("{} {what} ({run} {verb}, {reused} cached)", run + reused)
}

/// The first line every run prints: its identity, its units and its time.
fn print_head(name: &str, hash: &str, units: &[String], seconds: f64) {
    println!(
        "{name}  sha256 {}…  {} in {seconds:.1} s",
        &hash[..12],
        units.join(", ")
    );
}

/// The rest of what every run prints: corrupt entries recomputed, units waited for, the
/// verdicts (if any), the warnings about the CCE estimates, where the results are (and whose
/// results under the same name were left in place), and the run's id in the history.
fn print_tail(
    corrupt_recomputed: usize,
    waited: usize,
    verdicts: Option<&Verdicts>,
    warnings: &[String],
    results_dir: &Path,
    beside: Option<&str>,
    run_id: &str,
) {
    if corrupt_recomputed > 0 {
        println!("  {corrupt_recomputed} corrupt cache entries were recomputed");
    }
    if waited > 0 {
        println!(
            "  {waited} units were being computed by another process; this run waited for them"
        );
    }
    if let Some(v) = verdicts {
        print!("{}", v.side_by_side());
    }
    print_warnings(warnings, &harness::results::claims::JUDGED_ON_CCE);
    println!("  results: {}/", results_dir.display());
    if let Some(other) = beside {
        let name = results_dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy();
        let plain = name.split('@').next().unwrap_or_default();
        println!(
            "  note: results/{plain}/ holds another manifest of this name (sha256 {}…), left \
             as it is; these results went beside it",
            &other[..12.min(other.len())]
        );
    }
    println!("  run {run_id} recorded (`harness runs`, `harness diff`)");
}

/// One `WARNING` line per warning about the CCE estimates, naming the claims it concerns.
fn print_warnings(warnings: &[String], claims: &[&str]) {
    for w in warnings {
        println!("  WARNING ({}): {w}", claims.join(", "));
    }
}

/// Runs a manifest of either kind and prints what it did.
fn run_and_print(manifest: &AnyManifest, path: &Path, exec: &Executor) -> Result<()> {
    // On stdout with the rest, so that piped output keeps its order (progress bars and
    // diagnostics go to stderr).
    println!("{} ({})", manifest.name(), path.display());
    match manifest {
        AnyManifest::Experiment(m) => {
            let r = run_manifest(m, path, exec)?;
            let s = &r.stats;
            let entry = history::record(
                exec.store,
                &history::Finished {
                    experiment: &r.name,
                    kind: "experiment",
                    manifest_file: path,
                    manifest_sha256: &r.hash,
                    overrides: &m.overrides,
                    manifest: &**m,
                    results_dir: &r.results_dir,
                    units_computed: s.units_run(),
                    units_reused: s.members_reused + s.pairs_reused + s.ties_reused,
                    seconds: r.seconds,
                    verdicts: r
                        .verdicts
                        .rows()
                        .map(|(rules, v)| format!("{}:{}={}", rules, v.claim, v.result()))
                        .collect(),
                },
            )?;
            let mut units = vec![
                units_line("members", "trained", s.members_run, s.members_reused),
                units_line("pairs", "estimated", s.pairs_run, s.pairs_reused),
            ];
            if s.ties_run + s.ties_reused > 0 {
                units.push(units_line(
                    "tie-breaking draws",
                    "estimated",
                    s.ties_run,
                    s.ties_reused,
                ));
            }
            print_head(&r.name, &r.hash, &units, r.seconds);
            print_tail(
                s.corrupt_recomputed,
                s.waited,
                Some(&r.verdicts),
                &r.warnings,
                &r.results_dir,
                r.beside.as_deref(),
                &entry.id,
            );
        }
        AnyManifest::Accuracy(m) => {
            let r = run_accuracy(m, path, exec)?;
            let s = &r.stats;
            let entry = history::record(
                exec.store,
                &history::Finished {
                    experiment: &r.name,
                    kind: "estimator-accuracy",
                    manifest_file: path,
                    manifest_sha256: &r.hash,
                    overrides: &m.overrides,
                    manifest: m,
                    results_dir: &r.results_dir,
                    units_computed: s.run,
                    units_reused: s.reused,
                    seconds: r.seconds,
                    verdicts: Vec::new(),
                },
            )?;
            let units = [units_line("units", "estimated", s.run, s.reused)];
            print_head(&r.name, &r.hash, &units, r.seconds);
            print_tail(
                s.corrupt_recomputed,
                s.waited,
                None,
                &[],
                &r.results_dir,
                r.beside.as_deref(),
                &entry.id,
            );
        }
    }
    Ok(())
}

/// Runs one shard of the manifests and says what is left for the collecting run.
fn run_shard_and_print(manifests: &[&AnyManifest], shard: Shard, exec: &Executor) -> Result<()> {
    let outcomes = run_shard(manifests, shard, exec, |o| {
        println!(
            "{} shard {shard}: {} units ({} computed, {} cached) in {:.1} s; {} units of the \
             experiment not cached",
            o.name,
            o.computed + o.reused,
            o.computed,
            o.reused,
            o.seconds,
            o.missing
        );
    })?;
    let missing: usize = outcomes.iter().map(|o| o.missing).sum();
    if missing > 0 {
        println!(
            "shard {shard} done; results not written: {missing} units outside this shard are \
             missing (`harness run` without --shard writes the results once every shard has \
             finished)"
        );
    } else {
        println!(
            "shard {shard} done; every unit is cached: `harness run` without --shard writes \
             the results"
        );
    }
    Ok(())
}

/// The estimated cost of each of `n` shards of a plan.
fn print_shard_loads(plan: AnyPlan, n: usize) {
    let loads = shard::loads(&[plan], n);
    let total: u128 = loads.iter().map(|l| l.cost).sum::<u128>().max(1);
    for (i, l) in loads.iter().enumerate() {
        println!(
            "shard {}/{n}: {} groups, {} member, {} pair, {} accuracy units; estimated cost \
             {:.3e} ({:.1} %)",
            i + 1,
            l.groups,
            l.members,
            l.pairs,
            l.units,
            l.cost as f64,
            100.0 * l.cost as f64 / total as f64
        );
    }
}

/// `harness plan`: a manifest's units, cached or pending (what `harness run` would compute
/// now: [`harness::cli::why::survey`]), and its hash.
fn print_plan(manifest: &AnyManifest, exec: &Executor, summary: bool) -> Result<()> {
    let surveyed = survey(manifest, exec)?;
    for s in &surveyed {
        if summary {
            continue;
        }
        let tag = match s.unit {
            "accuracy" => "unit",
            other => other,
        };
        for ((hash, label), state) in s.hashes.iter().zip(&s.labels).zip(&s.states) {
            let state = if state.runs() { "pending" } else { "cached " };
            println!("{tag:<7} {hash}  {state}  {label}");
        }
    }
    let (hash, mut counts) = match manifest {
        AnyManifest::Experiment(m) => (plan::manifest_hash(m), Vec::new()),
        AnyManifest::Accuracy(m) => {
            let plan = accuracy::plan(m)?;
            (
                plan.manifest_hash.clone(),
                vec![format!("{} cells", plan.cells.len())],
            )
        }
    };
    for s in &surveyed {
        let what = match s.unit {
            "member" => "member units",
            "pair" => "pair units",
            "tie" => "tie-breaking draw units",
            _ => "units",
        };
        if s.unit == "tie" && s.hashes.is_empty() {
            continue;
        }
        counts.push(format!("{} {what} ({} cached)", s.hashes.len(), s.cached()));
    }
    println!(
        "{}: {}; experiment sha256 {hash}",
        manifest.name(),
        counts.join(", ")
    );
    Ok(())
}

/// `harness why` for each manifest; returns whether anything would run.
fn print_why(manifests: &[AnyManifest], exec: &Executor, units: bool) -> Result<bool> {
    let mut any = false;
    for manifest in manifests {
        let report = why(manifest, exec)?;
        println!("{}", report.summary());
        for phase in report.phases.iter().filter(|p| !p.units.is_empty()) {
            let (noun, verb) = phase.words();
            println!("  {} {noun} {verb}:", phase.units.len());
            for (cause, n) in phase.groups() {
                println!("    {n:>6}  {cause}");
            }
        }
        if report.unrecorded > 0 {
            println!(
                "  note: {} cache entries of these kinds were cached before inputs were \
                 recorded; they are not compared",
                report.unrecorded
            );
        }
        if units {
            for u in report.phases.iter().flat_map(|p| &p.units) {
                println!("{} {} {} — {}", u.unit, u.hash, u.label, u.cause);
            }
        }
        any |= report.to_run() > 0;
    }
    Ok(any)
}

fn set_threads(threads: Option<usize>) -> Result<()> {
    // Units run side by side on rayon's global pool: `--threads`, else rayon's default (the
    // RAYON_NUM_THREADS variable, else the usable cores).
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        pool = pool.num_threads(n);
    }
    pool.build_global()
        .context("cannot start the thread pool")?;
    // candle's CPU matmul reads RAYON_NUM_THREADS on every call and splits each product over
    // that many threads, which on our small matrices costs far more than it saves (one relu2
    // step at the fig2 size: 33 µs on one thread against 300 µs split over two). So every
    // product runs on one thread, inside the unit-level parallelism; results do not depend on
    // it. Set once, here, before any other thread exists.
    std::env::set_var("RAYON_NUM_THREADS", "1");
    Ok(())
}

/// The network experiment a command needs, or a bad-input error saying `why_not(name)` when
/// the file holds an estimator-accuracy manifest.
fn network_experiment(
    path: &Path,
    manifest: AnyManifest,
    why_not: impl FnOnce(&str) -> String,
) -> Result<Manifest, ManifestError> {
    match manifest {
        AnyManifest::Experiment(m) => Ok(*m),
        AnyManifest::Accuracy(m) => Err(ManifestError {
            file: path.to_path_buf(),
            line: None,
            key: None,
            message: why_not(&m.name),
        }),
    }
}

/// An estimator's complaint about its inputs, as a bad-input error (exit code 2).
fn bad_input(e: anyhow::Error) -> anyhow::Error {
    anyhow::Error::new(InputError(format!("{e}")))
}

/// The device of the command line: the command's `--device` (or HARNESS_DEVICE), else the
/// one given before the command; an error for a command that reads no manifest.
fn device_of(cli: &Cli) -> Result<Option<DeviceKind>> {
    let usage = "--device applies to run, plan, hash, claims, check, slurm, gc, export and \
                 table (the commands that read a manifest)";
    match (cli.command.device_arg(), cli.device) {
        (None, Some(_)) => Err(bad_input(anyhow::anyhow!(
            "{usage}; this command does not train"
        ))),
        (None, None) => Ok(None),
        (Some(DeviceArg { device: Some(a) }), Some(b)) if a != b => {
            Err(bad_input(anyhow::anyhow!(
                "--device {} before the command and {} after it: give one",
                b.name(),
                a.name()
            )))
        }
        (Some(DeviceArg { device }), before) => Ok(device.or(before)),
    }
}

fn real_main(cli: Cli, matches: &ArgMatches) -> Result<ExitCode> {
    let device = device_of(&cli)?;
    set_threads(cli.threads)?;
    if cli.log_units {
        cache::unitlog::enable();
    }
    let store = Store::new(&cli.artifacts);
    let exec = Executor {
        quiet: cli.quiet,
        ..Executor::new(&store)
    };
    // Every command loads its manifests through this one path, with the same overrides.
    let overrides = Overrides {
        device,
        set: cli.command.manifest_values(),
    };
    let load = |path: &Path| manifest::load(path, &overrides);
    match cli.command {
        Command::Run {
            manifests,
            shard,
            jobs,
            ..
        } => {
            // Parse every manifest first, so that a bad one stops the run before any work.
            let loaded: Vec<(PathBuf, AnyManifest)> = manifests
                .iter()
                .map(|p| load(p).map(|m| (p.clone(), m)))
                .collect::<Result<_, _>>()?;
            store.check_writable()?;
            // Held shared while this run works, so that `gc --delete` waits for it.
            let _store_lock = store.lock(cache::gc::STORE_LOCK, true, || {
                eprintln!(
                    "waiting: `harness gc --delete` is removing entries from {}",
                    store.root().display()
                )
            })?;
            let swept = store.sweep()?;
            if swept > 0 {
                eprintln!("removed {swept} temporary file(s) of interrupted runs");
            }
            if let Some(shard) = shard.filter(|s| s.count > 1) {
                let all: Vec<&AnyManifest> = loaded.iter().map(|(_, m)| m).collect();
                run_shard_and_print(&all, shard, &exec)?;
                return Ok(ExitCode::SUCCESS);
            }
            if let Some(n) = jobs.filter(|&n| n > 1) {
                let threads = cli.threads.unwrap_or_else(|| launch::threads_per_job(n));
                let command = ShardCommand::this_binary(
                    &cli.artifacts,
                    device,
                    cli.log_units,
                    manifests,
                    Some(threads),
                )?
                .with_overrides(overrides.shown());
                eprintln!("running {n} shard processes");
                launch::run_local_shards(&command, n)?;
            }
            for (path, manifest) in &loaded {
                run_and_print(manifest, path, &exec)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Project {
            manifests, steps, ..
        } => {
            for path in &manifests {
                match load(path)? {
                    AnyManifest::Experiment(m) => {
                        harness::cli::project::project(&m, steps, Some(&store))
                            .with_context(|| format!("projecting {}", path.display()))?
                    }
                    AnyManifest::Accuracy(_) => {
                        anyhow::bail!(
                            "{}: `project` times classification manifests",
                            path.display()
                        )
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan {
            manifest,
            summary,
            shards,
            ..
        } => {
            let manifest = load(&manifest)?;
            print_plan(&manifest, &exec, summary)?;
            if let Some(n) = shards {
                print_shard_loads(AnyPlan::of(&manifest)?, n);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Slurm {
            manifests,
            shards,
            partition,
            time,
            gpus,
            cpus,
            submit,
            ..
        } => {
            let names: Vec<String> = manifests
                .iter()
                .map(|p| load(p).map(|m| m.name().to_string()))
                .collect::<Result<_, _>>()?;
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let command = ShardCommand::this_binary(
                &cli.artifacts,
                device,
                true,
                manifests,
                cpus.or(cli.threads),
            )?
            .with_overrides(overrides.shown());
            let resources = slurm::Resources {
                partition,
                time,
                gpus,
                cpus,
            };
            let workdir = std::env::current_dir().context("cannot read the current directory")?;
            let files = slurm::write_jobs(
                &slurm::jobs_name(&names),
                &command,
                shards,
                &resources,
                &workdir,
            )?;
            println!("array script:   {}", files.array.display());
            println!("collect script: {}", files.collect.display());
            println!("logs:           {}/", files.logs.display());
            if submit {
                let (array, collect) = slurm::submit(&files)?;
                println!("array job {array} ({shards} tasks)");
                println!("collect job {collect} (after job {array} succeeds)");
            } else {
                println!("submit: see {}", files.readme.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Claims { manifests, .. } => {
            let loaded: Vec<Manifest> = manifests
                .iter()
                .map(|p| {
                    network_experiment(p, load(p)?, |name| {
                        format!(
                            "`{name}` is an estimator-accuracy manifest: claims judge network \
                             experiments"
                        )
                    })
                })
                .collect::<Result<_, _>>()?;
            store.check_writable()?;
            let c = cross_experiment_c4(&loaded, &store)?;
            print!("{}", c.verdicts.side_by_side());
            print_warnings(&c.warnings, &["C4"]);
            println!("  results: {}/", c.dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            manifest, against, ..
        } => {
            let m = network_experiment(&manifest, load(&manifest)?, |name| {
                format!(
                    "`{name}` is an estimator-accuracy experiment, which has no replicas to \
                     test: compare its accuracy.csv with reference/{name}/ byte for byte"
                )
            })?;
            let (report, details) = check_run(&m, &store, against.as_deref())?;
            print!("{}", check::table(&report));
            println!("  details: {}", details.display());
            Ok(ExitCode::from(report.outcome.exit_code()))
        }
        Command::Runs { experiment } => {
            let mut runs = history::list(&store)?;
            runs.retain(|e| experiment.as_ref().is_none_or(|x| &e.experiment == x));
            if runs.is_empty() {
                println!(
                    "no runs recorded in {}",
                    history::history_dir(&store).display()
                );
            } else {
                print!("{}", history::table(&runs));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff { a, b } => {
            let (a, b) = (
                harness::cli::diff::side(&store, &a)?,
                harness::cli::diff::side(&store, &b)?,
            );
            print!("{}", harness::cli::diff::diff(&a, &b)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Why {
            manifests, units, ..
        } => {
            let loaded: Vec<AnyManifest> = manifests
                .iter()
                .map(|p| load(p))
                .collect::<Result<_, _>>()?;
            let any = print_why(&loaded, &exec, units)?;
            Ok(if any {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Export {
            manifest,
            member,
            pair,
            format,
            out,
            ..
        } => {
            let m = network_experiment(&manifest, load(&manifest)?, |name| {
                format!(
                    "`{name}` is an estimator-accuracy experiment: its units are estimates on                      generated data, with no members to export"
                )
            })?;
            let what = match (&member, &pair) {
                (Some(sel), _) => export::What::Member(sel),
                (None, Some(sel)) => export::What::Pair(sel),
                (None, None) => unreachable!("clap requires --member or --pair"),
            };
            let (dir, files) = export::export(&m, &store, what, format, out.as_deref())?;
            for f in &files {
                println!("{}", f.display());
            }
            println!("exported to {}/", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Table {
            manifest,
            format,
            columns,
            digits,
            ..
        } => {
            let m = network_experiment(&manifest, load(&manifest)?, |name| {
                format!(
                    "`{name}` is an estimator-accuracy experiment: its table is accuracy.csv in                      its results folder"
                )
            })?;
            let text = harness::cli::table::table(&m, &store, format, columns.as_deref(), digits)?;
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Manifest => {
            print!("{MANIFEST_REFERENCE}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Help { topic } => {
            let mut top = Cli::command();
            // Built, so that a command's help shows its full name and the global options.
            top.build();
            match topic.as_deref() {
                None => top.print_long_help()?,
                Some("manifest") => print!("{MANIFEST_REFERENCE}"),
                Some(name) => match top.find_subcommand_mut(name) {
                    Some(sub) => sub.print_long_help()?,
                    None => {
                        return Err(bad_input(anyhow::anyhow!(
                            "no command `{name}`; `harness help` lists them"
                        )))
                    }
                },
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Report => {
            let page = report_page::write(&store)?;
            println!("{}", page.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Hash { manifest, .. } => {
            let hash = match load(&manifest)? {
                AnyManifest::Experiment(m) => plan::manifest_hash(&m),
                AnyManifest::Accuracy(m) => accuracy::manifest_hash(&m),
            };
            println!("{hash}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Fetch { dataset } => {
            let hub = HubCache::from_env();
            let (train, test) = hub.fetch(dataset)?;
            println!("{dataset}: {}", train.display());
            println!("{dataset}: {}", test.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify => {
            let root = store.root();
            if !root.is_dir() {
                anyhow::bail!(
                    "nothing to verify: there is no artifacts folder at {} (give the one your \
                     runs wrote with --artifacts or HARNESS_ARTIFACTS)",
                    root.display()
                );
            }
            let (checked, problems) = cache::verify(root)?;
            if checked == 0 && problems.is_empty() {
                anyhow::bail!(
                    "nothing to verify: {} holds no cache entry and no results folder (is it \
                     the artifacts folder your runs wrote? give it with --artifacts)",
                    root.display()
                );
            }
            for p in &problems {
                println!("{}: {}", p.path.display(), p.what);
            }
            if problems.is_empty() {
                println!(
                    "verified {checked} files under {}: all intact",
                    store.root().display()
                );
                Ok(ExitCode::SUCCESS)
            } else {
                println!("{} problem(s) among {checked} files", problems.len());
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Gc {
            manifests, delete, ..
        } => {
            let loaded: Vec<AnyManifest> = manifests
                .iter()
                .map(|p| load(p))
                .collect::<Result<_, _>>()?;
            let report = harness::cli::gc::gc(&store, &loaded, delete, || {
                eprintln!(
                    "waiting: a `harness run` is using {}; gc --delete starts when it ends",
                    store.root().display()
                )
            })?;
            for g in &report.garbage {
                println!("{}  {} bytes", g.path.display(), g.bytes);
            }
            let total: u64 = report.garbage.iter().map(|g| g.bytes).sum();
            let verb = if report.deleted {
                "removed"
            } else {
                "would remove (dry run; --delete to act)"
            };
            println!(
                "{verb}: {} file(s), {} bytes, not needed by the {} manifest(s) given",
                report.garbage.len(),
                if report.deleted { report.bytes } else { total },
                loaded.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Cce { pair } => {
            let (ma, mb) = pair.read()?;
            let value = estimators::cce(&ma, &mb, pair.estimator, pair.k, pair.seed)
                .map_err(|e| pair.bad_pair(e))?;
            println!("{value}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Align { measure, pair } => {
            let given = |id: &str| {
                matches
                    .subcommand_matches("align")
                    .and_then(|m| m.value_source(id))
                    == Some(ValueSource::CommandLine)
            };
            if !measure.uses_estimator() {
                if let Some(flag) = ["estimator", "k"].into_iter().find(|id| given(id)) {
                    return Err(bad_input(anyhow::anyhow!(
                        "--{flag} applies to the copula-entropy measures (cce, mi, \
                         symmetric-cce); --measure {measure} does not use it"
                    )));
                }
            }
            let (ma, mb) = pair.read()?;
            match estimators::measure(&ma, &mb, measure, pair.estimator, pair.k, pair.seed)
                .map_err(|e| pair.bad_pair(e))?
            {
                MeasureValue::Symmetric(v) => println!("{v}"),
                MeasureValue::Directed(ab, ba) => println!("A->B\t{ab}\nB->A\t{ba}"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
