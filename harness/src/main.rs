//! `harness`: the command-line interface. Every error ends up in `main`, which prints it with
//! its context chain and picks the exit code: 2 for bad input (a manifest or a CSV), 1 for
//! any other failure.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use harness::cache::{self, Store};
use harness::estimators::{self, Estimator};
use harness::experiment;
use harness::manifest::{Manifest, ManifestError};
use harness::matrix::{InputError, Matrix};
use harness::run::run_manifest;
use std::path::PathBuf;
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
#[command(name = "harness", version, max_term_width = 100)]
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
    /// Re-hash every cached artifact and result file; name each one missing or altered.
    /// Exit code 1 if any.
    Verify,
    /// Conditional copula entropy CCE(A|B), in nats, of two representations given as CSV
    /// matrices (one row per sample, no header, same number of rows). Prints one number.
    Cce {
        a: PathBuf,
        b: PathBuf,
        /// ksg (default): one joint neighbour search, radius reused in B; kl: difference of
        /// two Kozachenko–Leonenko entropies (the `copent` estimator); gaussian: closed form on
        /// normal scores.
        #[arg(long, default_value = "ksg")]
        estimator: Estimator,
        /// Neighbours of the kNN estimators.
        #[arg(long, default_value_t = 3)]
        k: usize,
        /// Seed of the random tie-breaking of equal values.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
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

fn set_threads(threads: Option<usize>) -> Result<()> {
    if let Some(n) = threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("cannot start the thread pool")?;
    } else {
        // Size the global pool now, before the variable below is set.
        rayon::ThreadPoolBuilder::new()
            .build_global()
            .context("cannot start the thread pool")?;
    }
    // The harness runs units side by side on the pool above. candle's CPU matmul reads
    // RAYON_NUM_THREADS on every call and splits each product over that many threads, which on
    // our small matrices costs far more than it saves (one relu2 step at the fig2 size: 33 µs
    // single-threaded against 300 µs split over 2). So every product runs on one thread; the
    // results do not depend on it.
    std::env::set_var("RAYON_NUM_THREADS", "1");
    Ok(())
}

fn real_main(cli: Cli) -> Result<ExitCode> {
    set_threads(cli.threads)?;
    let store = Store::new(&cli.artifacts);
    match cli.command {
        Command::Run { manifests } => {
            // Parse every manifest first, so that a bad one stops the run before any work.
            let loaded: Vec<(PathBuf, Manifest)> = manifests
                .into_iter()
                .map(|p| Manifest::load(&p).map(|m| (p, m)))
                .collect::<Result<_, _>>()?;
            for (path, manifest) in &loaded {
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
                if s.corrupt_recomputed > 0 {
                    println!(
                        "  {} corrupt cache entries were recomputed",
                        s.corrupt_recomputed
                    );
                }
                for v in &report.verdicts {
                    println!("  {} {}: {}", v.result(), v.claim, v.statement);
                    println!("       {}", v.detail);
                }
                println!("  results: {}/", report.results_dir.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan { manifest, summary } => {
            let m = Manifest::load(&manifest)?;
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
        Command::Hash { manifest } => {
            let m = Manifest::load(&manifest)?;
            println!("{}", experiment::manifest_hash(&m));
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
        Command::Cce {
            a,
            b,
            estimator,
            k,
            seed,
        } => {
            let ma = Matrix::read_csv(&a)?;
            let mb = Matrix::read_csv(&b)?;
            let value = estimators::cce(&ma, &mb, estimator, k, seed)
                .map_err(|e| anyhow::Error::new(InputError(format!("{e}"))))?;
            println!("{value}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
