//! `harness`: the command-line interface. Every error ends up in `main`, which prints it with
//! its context chain and picks the exit code: 2 for bad input (a manifest or a CSV), 1 for
//! any other failure.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use harness::cache::{self, Store};
use harness::cli::run::{cross_experiment_c4, run_accuracy, run_manifest};
use harness::data::datasets::{hub::HubCache, Dataset};
use harness::device::DeviceKind;
use harness::estimators::{self, Estimator, Measure, MeasureValue, Projection};
use harness::manifest::{self, AnyManifest, Manifest, ManifestError, Overrides};
use harness::matrix::{InputError, Matrix};
use harness::plan::{self, accuracy};
use harness::results::claims::Verdict;
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
    /// Log one line per unit computed on stderr: `unit-computed <kind> <sha256> <what>` (and
    /// `unit-waiting ...` for a batch another process is computing).
    #[arg(long, global = true, env = "HARNESS_LOG_UNITS",
          value_parser = clap::builder::BoolishValueParser::new())]
    log_units: bool,
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

/// The rest of what every run prints: corrupt entries recomputed, the verdicts (if any) and
/// where the results are.
fn print_tail(corrupt_recomputed: usize, verdicts: &[Verdict], results_dir: &Path) {
    if corrupt_recomputed > 0 {
        println!("  {corrupt_recomputed} corrupt cache entries were recomputed");
    }
    for v in verdicts {
        println!("  {} {}: {}", v.result(), v.claim, v.statement);
        println!("       {}", v.detail);
    }
    println!("  results: {}/", results_dir.display());
}

/// Runs a manifest of either kind and prints what it did.
fn run_and_print(manifest: &AnyManifest, path: &Path, store: &Store, quiet: bool) -> Result<()> {
    eprintln!("{} ({})", manifest.name(), path.display());
    match manifest {
        AnyManifest::Experiment(m) => {
            let r = run_manifest(m, path, store, quiet)?;
            let s = &r.stats;
            let units = [
                units_line("members", "trained", s.members_run, s.members_reused),
                units_line("pairs", "estimated", s.pairs_run, s.pairs_reused),
            ];
            print_head(&r.name, &r.hash, &units, r.seconds);
            print_tail(s.corrupt_recomputed, &r.verdicts, &r.results_dir);
        }
        AnyManifest::Accuracy(m) => {
            let r = run_accuracy(m, path, store, quiet)?;
            let s = &r.stats;
            let units = [units_line("units", "estimated", s.run, s.reused)];
            print_head(&r.name, &r.hash, &units, r.seconds);
            print_tail(s.corrupt_recomputed, &[], &r.results_dir);
        }
    }
    Ok(())
}

/// Prints one line per unit (`tag  hash  cached|pending  label`) unless `summary`; returns how
/// many of them are cached.
fn list_units<'a>(
    store: &Store,
    tag: &str,
    ext: &str,
    units: impl Iterator<Item = (&'a str, String)>,
    summary: bool,
) -> usize {
    let mut cached = 0;
    for (hash, label) in units {
        let hit = store.contains(hash, ext);
        cached += hit as usize;
        if !summary {
            let state = if hit { "cached " } else { "pending" };
            println!("{tag:<7} {hash}  {state}  {label}");
        }
    }
    cached
}

/// `harness plan`: a manifest's units, cached or pending, and its hash.
fn print_plan(manifest: &AnyManifest, store: &Store, summary: bool) -> Result<()> {
    match manifest {
        AnyManifest::Experiment(m) => {
            let plan = plan::plan(m);
            let members = plan
                .members
                .iter()
                .map(|u| (u.hash.as_str(), plan::member_label(&plan, u)));
            let cached_members = list_units(store, "member", plan::MEMBER_EXT, members, summary);
            let pairs = plan
                .pairs
                .iter()
                .map(|u| (u.hash.as_str(), plan::pair_label(&plan, u)));
            let cached_pairs = list_units(store, "pair", plan::PAIR_EXT, pairs, summary);
            let counts = [
                format!(
                    "{} member units ({cached_members} cached)",
                    plan.members.len()
                ),
                format!("{} pair units ({cached_pairs} cached)", plan.pairs.len()),
            ];
            println!(
                "{}: {}; experiment sha256 {}",
                m.name,
                counts.join(", "),
                plan.manifest_hash
            );
        }
        AnyManifest::Accuracy(m) => {
            let plan = accuracy::plan(m)?;
            let units = plan.units.iter().map(|u| (u.hash.as_str(), u.spec.label()));
            let cached = list_units(store, "unit", accuracy::UNIT_EXT, units, summary);
            let counts = [
                format!("{} cells", plan.cells.len()),
                format!("{} units ({cached} cached)", plan.units.len()),
            ];
            println!(
                "{}: {}; experiment sha256 {}",
                m.name,
                counts.join(", "),
                plan.manifest_hash
            );
        }
    }
    Ok(())
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
    if cli.log_units {
        cache::unitlog::enable();
    }
    let store = Store::new(&cli.artifacts);
    // Every command loads its manifests through this one path, with the same overrides.
    let overrides = Overrides { device: cli.device };
    let load = |path: &Path| manifest::load(path, &overrides);
    match cli.command {
        Command::Run { manifests } => {
            // Parse every manifest first, so that a bad one stops the run before any work.
            let loaded: Vec<(PathBuf, AnyManifest)> = manifests
                .into_iter()
                .map(|p| load(&p).map(|m| (p, m)))
                .collect::<Result<_, _>>()?;
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
            for (path, manifest) in &loaded {
                run_and_print(manifest, path, &store, cli.quiet)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan { manifest, summary } => {
            print_plan(&load(&manifest)?, &store, summary)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Claims { manifests } => {
            let loaded: Vec<Manifest> = manifests
                .iter()
                .map(|p| match load(p)? {
                    AnyManifest::Experiment(m) => Ok(*m),
                    AnyManifest::Accuracy(m) => Err(ManifestError {
                        file: p.clone(),
                        line: None,
                        key: None,
                        message: format!(
                            "`{}` is an estimator-accuracy manifest: claims judge network \
                             experiments",
                            m.name
                        ),
                    }),
                })
                .collect::<Result<_, _>>()?;
            let (v, dir) = cross_experiment_c4(&loaded, &store)?;
            println!("{} {}: {}", v.result(), v.claim, v.statement);
            println!("       {}", v.detail);
            println!("  results: {}/", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Hash { manifest } => {
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
        Command::Gc { manifests, delete } => {
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
