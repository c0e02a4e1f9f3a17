//! `harness`: the command-line interface. Every error ends up in `main`, which prints it with
//! its context chain and picks the exit code: 2 for bad input (a manifest or a CSV), 1 for
//! any other failure.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use harness::accuracy::{self, AccuracyManifest};
use harness::cache::{self, Store};
use harness::datasets::{hub::HubCache, Dataset};
use harness::device::DeviceKind;
use harness::estimators::{self, Estimator, Measure, MeasureValue, Projection};
use harness::experiment;
use harness::manifest::{Manifest, ManifestError};
use harness::matrix::{InputError, Matrix};
use harness::run::run_manifest;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Reproduce "Signal-to-Noise Ratio and Sample Size Govern Representational Alignment in
/// Neural Networks" (Umar & Laio, 2026) from declarative YAML manifests.
///
/// Each manifest in experiments/ describes one experiment. `harness run` expands it into
/// units of work (one per ensemble member fit, one per pair of members compared), runs those
/// the cache under --artifacts lacks, and writes the results to
/// <artifacts>/results/<name>/: members.csv, pairs.csv, summary.csv, claims.csv, the figure
/// (SVG and PNG), run.json and SHA256SUMS. Reruns reuse every cached unit.
///
/// Exit codes: 0 success, 1 failure (or `verify` found problems), 2 bad input.
#[derive(Parser, Debug)]
#[command(
    name = "harness",
    version,
    max_term_width = 100,
    after_help = "Examples:
  harness run experiments/fig1_linear.yaml     run Fig. 1 (cached units are reused)
  harness plan --summary experiments/fig1_linear.yaml
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
    /// Train on this device instead of the manifest's `device` (cuda needs a build with
    /// `--features cuda`). A GPU run is a different experiment: its hash differs.
    #[arg(long, global = true, env = "HARNESS_DEVICE")]
    device: Option<DeviceKind>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run experiments: train what the cache lacks, measure alignment, write results and
    /// print one PASS/FAIL line per claim of the paper.
    Run {
        /// Manifest files, e.g. experiments/fig1_linear.yaml.
        #[arg(required = true)]
        manifests: Vec<PathBuf>,
    },
    /// List an experiment's units with their hashes and whether each is cached.
    Plan {
        manifest: PathBuf,
        /// Print only the counts.
        #[arg(long)]
        summary: bool,
    },
    /// Judge claim C4 (stronger alignment does not imply lower generalization error) across
    /// finished experiments, pooling their points; trains nothing. Writes
    /// <artifacts>/results/claims/claims.csv.
    Claims {
        /// Manifests already run, e.g. experiments/fig1_linear.yaml experiments/fig2_relu.yaml.
        #[arg(required = true)]
        manifests: Vec<PathBuf>,
    },
    /// Is a finished run the same result as a reference, within the seed-to-seed variation?
    /// Per point and quantity an equivalence test within the manifest's `check:` margins
    /// (docs/CHECK.md); prints a table, writes check.csv beside the run's results. Exit code
    /// 0 PASS, 1 FAIL, 3 INCONCLUSIVE.
    Check {
        manifest: PathBuf,
        /// The reference results folder (default: reference/<name>/).
        #[arg(long)]
        against: Option<PathBuf>,
    },
    /// Write <artifacts>/results/index.html: every experiment's figure, claims, check
    /// verdicts, run record and CSVs on one self-contained page.
    Report,
    /// Print the experiment's SHA-256 (hex) and nothing else.
    Hash { manifest: PathBuf },
    /// Download a data set (mnist, cifar10) from the Hugging Face Hub into its cache
    /// ($HF_HOME/hub, default ~/.cache/huggingface/hub), so that later runs work offline.
    Fetch {
        #[arg(value_parser = parse_dataset)]
        dataset: Dataset,
    },
    /// Re-hash every cached artifact and result file; name each one missing or altered.
    /// Exit code 1 if any.
    Verify,
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

/// Two representations and how to compare them (`cce` and `align`).
#[derive(clap::Args, Debug)]
struct PairArgs {
    /// CSV of representation A: one row per sample, no header.
    a: PathBuf,
    /// CSV of representation B, with the same rows.
    b: PathBuf,
    /// ksg (default): one joint neighbour search, radius reused in B; kl: difference of two
    /// Kozachenko–Leonenko entropies (the `copent` estimator); gaussian: closed form on normal
    /// scores.
    #[arg(long, default_value = "ksg")]
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match real_main(cli) {
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

fn parse_dataset(name: &str) -> Result<Dataset, String> {
    serde_yaml::from_str::<Dataset>(name)
        .map_err(|_| format!("`{name}`: known data sets are digits, mnist, cifar10"))
}

/// A network experiment or an estimator-accuracy experiment (`kind: estimator-accuracy`).
enum AnyManifest {
    Experiment(Box<Manifest>),
    Accuracy(AccuracyManifest),
}

/// Reads either kind of manifest (the `--device` override applies to network experiments;
/// the estimators run on the CPU).
fn load_any(path: &Path, device: Option<DeviceKind>) -> Result<AnyManifest, ManifestError> {
    if accuracy::is_accuracy_manifest(path)? {
        AccuracyManifest::load(path).map(AnyManifest::Accuracy)
    } else {
        load(path, device).map(|m| AnyManifest::Experiment(Box::new(m)))
    }
}

/// Says how many corrupt cache entries a run recomputed, if any.
fn print_recomputed(count: usize) {
    if count > 0 {
        println!("  {count} corrupt cache entries were recomputed");
    }
}

/// Runs an estimator-accuracy manifest and prints its summary.
fn run_accuracy(m: &AccuracyManifest, path: &Path, store: &Store) -> Result<()> {
    let r = accuracy::run(m, path, store)?;
    let s = &r.stats;
    println!(
        "{}  sha256 {}…  {} units ({} estimated, {} cached) in {:.1} s",
        r.name,
        &r.hash[..12],
        s.units_run + s.units_reused,
        s.units_run,
        s.units_reused,
        r.seconds
    );
    print_recomputed(s.corrupt_recomputed);
    println!("  results: {}/", r.results_dir.display());
    Ok(())
}

/// Lists an estimator-accuracy manifest's units.
fn plan_accuracy(m: &AccuracyManifest, store: &Store, summary: bool) -> Result<()> {
    let plan = accuracy::plan(m)?;
    let mut cached = 0;
    for u in &plan.units {
        let hit = store.contains(&u.hash, accuracy::UNIT_EXT);
        cached += hit as usize;
        if !summary {
            let s = &u.spec;
            println!(
                "unit    {}  {}  {} {} N={} dims={}+{} rho={} data set {}",
                u.hash,
                if hit { "cached " } else { "pending" },
                s.estimator,
                s.family,
                s.n,
                s.dims,
                s.dims,
                s.rho,
                s.replicate
            );
        }
    }
    println!(
        "{}: {} cells, {} units ({} cached); experiment sha256 {}",
        m.name,
        plan.cells.len(),
        plan.units.len(),
        cached,
        plan.manifest_hash
    );
    Ok(())
}

/// A manifest, with the `--device` override applied.
fn load(path: &std::path::Path, device: Option<DeviceKind>) -> Result<Manifest, ManifestError> {
    let mut m = Manifest::load(path)?;
    if let Some(d) = device {
        m.device = d;
    }
    Ok(m)
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

/// An estimator's complaint about its inputs, as a bad-input error (exit code 2).
fn bad_input(e: anyhow::Error) -> anyhow::Error {
    anyhow::Error::new(InputError(format!("{e}")))
}

fn real_main(cli: Cli) -> Result<ExitCode> {
    set_threads(cli.threads)?;
    let store = Store::new(&cli.artifacts);
    match cli.command {
        Command::Run { manifests } => {
            // Parse every manifest first, so that a bad one stops the run before any work.
            let loaded: Vec<(PathBuf, AnyManifest)> = manifests
                .into_iter()
                .map(|p| load_any(&p, cli.device).map(|m| (p, m)))
                .collect::<Result<_, _>>()?;
            for (path, manifest) in &loaded {
                let manifest = match manifest {
                    AnyManifest::Experiment(m) => m,
                    AnyManifest::Accuracy(m) => {
                        eprintln!("{} ({})", m.name, path.display());
                        run_accuracy(m, path, &store)?;
                        continue;
                    }
                };
                eprintln!("{} ({})", manifest.name, path.display());
                let report = run_manifest(manifest, path, &store, cli.quiet)?;
                let s = &report.stats;
                println!(
                    "{}  sha256 {}…  {} members ({} trained, {} cached), {} pairs ({} estimated, {} cached) in {:.1} s",
                    report.name,
                    &report.hash[..12],
                    s.members_run + s.members_reused,
                    s.members_run,
                    s.members_reused,
                    s.pairs_run + s.pairs_reused,
                    s.pairs_run,
                    s.pairs_reused,
                    report.seconds
                );
                print_recomputed(s.corrupt_recomputed);
                for v in &report.verdicts {
                    println!("  {} {}: {}", v.result(), v.claim, v.statement);
                    println!("       {}", v.detail);
                }
                println!("  results: {}/", report.results_dir.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan { manifest, summary } => {
            let m = match load_any(&manifest, cli.device)? {
                AnyManifest::Experiment(m) => m,
                AnyManifest::Accuracy(m) => {
                    plan_accuracy(&m, &store, summary)?;
                    return Ok(ExitCode::SUCCESS);
                }
            };
            let plan = experiment::plan(&m);
            let mut cached = (0, 0);
            for u in &plan.members {
                let hit = store.contains(&u.hash, experiment::MEMBER_EXT);
                cached.0 += hit as usize;
                if !summary {
                    println!(
                        "member  {}  {}  {}",
                        u.hash,
                        if hit { "cached " } else { "pending" },
                        experiment::member_label(&plan, u)
                    );
                }
            }
            for u in &plan.pairs {
                let hit = store.contains(&u.hash, experiment::PAIR_EXT);
                cached.1 += hit as usize;
                if !summary {
                    println!(
                        "pair    {}  {}  {} with member {}",
                        u.hash,
                        if hit { "cached " } else { "pending" },
                        experiment::member_label(&plan, &plan.members[u.a]),
                        plan.members[u.b].member
                    );
                }
            }
            println!(
                "{}: {} member units ({} cached), {} pair units ({} cached); experiment sha256 {}",
                m.name,
                plan.members.len(),
                cached.0,
                plan.pairs.len(),
                cached.1,
                plan.manifest_hash
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Claims { manifests } => {
            let loaded: Vec<Manifest> = manifests
                .iter()
                .map(|p| Manifest::load(p))
                .collect::<Result<_, _>>()?;
            let (v, dir) = harness::run::cross_experiment_c4(&loaded, &store)?;
            println!("{} {}: {}", v.result(), v.claim, v.statement);
            println!("       {}", v.detail);
            println!("  results: {}/", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { manifest, against } => {
            let m = match load_any(&manifest, cli.device)? {
                AnyManifest::Experiment(m) => m,
                AnyManifest::Accuracy(m) => {
                    return Err(bad_input(anyhow::anyhow!(
                        "{}: `{}` is an estimator-accuracy experiment, which has no replicas \
                         to test: compare its accuracy.csv with reference/{}/ byte for byte",
                        manifest.display(),
                        m.name,
                        m.name
                    )))
                }
            };
            let reference = against.unwrap_or_else(|| Path::new("reference").join(&m.name));
            let run_dir = store.results_dir(&m.name);
            let report = harness::check::check(&m, &run_dir, &reference)?;
            let details = harness::check::write(&report)?;
            print!("{}", harness::check::table(&report));
            println!("  details: {}", details.display());
            Ok(ExitCode::from(report.outcome.exit_code()))
        }
        Command::Report => {
            let page = harness::html_report::write(&store)?;
            println!("{}", page.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Hash { manifest } => {
            let hash = match load_any(&manifest, cli.device)? {
                AnyManifest::Experiment(m) => experiment::manifest_hash(&m),
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
            let (checked, problems) = cache::verify(store.root())?;
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
        Command::Cce { pair } => {
            let (ma, mb) = pair.read()?;
            let value =
                estimators::cce(&ma, &mb, pair.estimator, pair.k, pair.seed).map_err(bad_input)?;
            println!("{value}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Align { measure, pair } => {
            let (ma, mb) = pair.read()?;
            match estimators::measure(&ma, &mb, measure, pair.estimator, pair.k, pair.seed)
                .map_err(bad_input)?
            {
                MeasureValue::Symmetric(v) => println!("{v}"),
                MeasureValue::Directed(ab, ba) => println!("A->B\t{ab}\nB->A\t{ba}"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
