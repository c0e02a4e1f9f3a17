//! Fuzzing of everything a user's files reach before any work: the manifest parser and
//! validation (both schemas, then the plan and hash that `harness plan` prints), and the CSV
//! reader with the measures of `harness cce` / `harness align`.
//!
//! Inputs are generated and mutated on stable Rust with the project's RNG, from the committed
//! manifests (experiments/*.yaml and the error corpus) and CSVs (tests/errors/csv/). A case
//! crashes when it panics; its input is saved to the crash folder with the panic message.
//!
//! `fuzz_smoke` (part of `make test`) runs a small fixed number of cases. `make fuzz` runs
//! `fuzz_long` with `FUZZ_CASES` (default 1 000 000) and/or `FUZZ_SECONDS`, `FUZZ_SEED` and
//! `FUZZ_CRASHES` (default target/fuzz-crashes), and prints the cases run and crashes found.

mod common;

use common::repo_root;
use harness::estimators::{self, Estimator, Measure, Projection};
use harness::manifest::accuracy::{self, AccuracyManifest};
use harness::manifest::Manifest;
use harness::matrix::Matrix;
use harness::plan;
use harness::rng::Rng;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A plan is only expanded for manifests this small (larger ones are parsed and validated):
/// the expansion is linear, and a fuzz case should take microseconds.
const PLAN_UNIT_LIMIT: usize = 500;

/// Values that have broken parsers and range checks before.
const VALUES: &[&str] = &[
    "-1",
    "0",
    "1",
    "2",
    "3",
    "0.5",
    "-0.5",
    "1e30",
    "1e308",
    "-1e308",
    "1e-300",
    "1e-320",
    "5e-324",
    ".nan",
    ".inf",
    "-.inf",
    "NaN",
    "inf",
    "null",
    "~",
    "",
    "''",
    "\"\"",
    "[]",
    "{}",
    "[1e30]",
    "[0]",
    "[-1]",
    "[.nan]",
    "[1, 1]",
    "[0.3, 0.28]",
    "[1, x]",
    "x",
    "yes",
    "true",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "9223372036854775807",
    "4294967296",
    "1000000",
    "100000000",
    "1e6",
    "1e7",
    "0x10",
    "0o7",
    "1_000",
    "!!str 3",
    "!!int x",
    "&a 1",
    "*a",
    "*b",
    "<<: *a",
    "{a: 1}",
    "[[1]]",
    "- 1",
    "linear2",
    "relu2",
    "fcnn",
    "cnn5",
    "linear-teacher",
    "classification",
    "digits",
    "mnist",
    "cifar10",
    "min-norm",
    "gd",
    "adam",
    "sgd",
    "ksg",
    "kl",
    "gaussian",
    "pca:0",
    "pca:1",
    "pca:99999999999",
    "shared",
    "independent",
    "same-inputs",
    "fig1",
    "fig9",
    "cuda",
    "cpu",
    "quick",
    "full",
    "estimator-accuracy",
    "student-t:0",
    "student-t:3",
    "monotone",
    "'a: b'",
    "|",
    ">",
    "%",
    "@",
    "`",
    "\u{feff}",
    "\u{0}",
    "é",
    "\t1",
];

/// Keys of both manifest schemas, for inserted lines.
const KEYS: &[&str] = &[
    "name",
    "description",
    "seed",
    "scale",
    "task",
    "kind",
    "d",
    "inputs",
    "n_test",
    "dataset",
    "pairing",
    "model",
    "width",
    "init",
    "init_std",
    "train",
    "solver",
    "lr",
    "init_scale",
    "max_steps",
    "tol",
    "window",
    "batch_size",
    "epochs",
    "decay_every",
    "beta1",
    "beta2",
    "eps",
    "sweep",
    "snr",
    "label_noise",
    "n_over_p",
    "replicas",
    "members",
    "alignment",
    "estimator",
    "report",
    "k",
    "project",
    "figure",
    "device",
    "compare",
    "estimators",
    "grid",
    "n",
    "dims",
    "rho",
    "families",
    "seeds",
    "family",
];

const PUNCTUATION: &[&str] = &[
    ":", "-", "[", "]", "{", "}", ",", "#", "'", "\"", " ", "\n", "&", "*", "!", "|", ">", "?",
    "\t", "  ", "\r\n", "---\n", "...\n",
];

struct Corpus {
    /// Valid manifests: experiments/*.yaml and the tests' small one.
    valid: Vec<String>,
    /// Every manifest, valid and bad.
    manifests: Vec<String>,
    csvs: Vec<Vec<u8>>,
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    v
}

fn corpus() -> Corpus {
    let root = repo_root();
    let errors = root.join("harness/tests/errors");
    let read = |paths: Vec<PathBuf>| -> Vec<String> {
        paths
            .into_iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect()
    };
    let mut valid = read(files(&root.join("experiments"), "yaml"));
    valid.push(common::SMALL.to_string());
    let mut manifests = valid.clone();
    manifests.extend(read(files(&errors.join("manifests"), "yaml")));
    let csvs = files(&errors.join("csv"), "csv")
        .into_iter()
        .chain([errors.join("cce_partner.csv")])
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert!(manifests.len() > 50, "the fuzz corpus lost its manifests");
    Corpus {
        valid,
        manifests,
        csvs,
    }
}

fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.below(items.len() as u64) as usize]
}

/// A char boundary of `s` chosen at random.
fn boundary(rng: &mut Rng, s: &str) -> usize {
    let mut i = rng.below(s.len() as u64 + 1) as usize;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One random edit of YAML text.
fn mutate_yaml(rng: &mut Rng, text: &str, corpus: &Corpus) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    if lines.is_empty() {
        lines.push(String::new());
    }
    let i = rng.below(lines.len() as u64) as usize;
    match rng.below(11) {
        // Replace a value: after `key:` or a list dash.
        0..=2 => {
            let line = &lines[i];
            let head = match line.find(": ") {
                Some(c) => line[..c + 2].to_string(),
                None if line.trim_start().starts_with("- ") => {
                    let indent = line.len() - line.trim_start().len();
                    format!("{}- ", " ".repeat(indent))
                }
                None => line.trim_end_matches(':').to_string() + ": ",
            };
            lines[i] = head + *pick(rng, VALUES);
        }
        3 => {
            lines.remove(i);
        }
        4 => {
            let l = lines[i].clone();
            lines.insert(i, l);
        }
        5 => {
            let j = rng.below(lines.len() as u64) as usize;
            lines.swap(i, j);
        }
        6 => {
            let l = &lines[i];
            lines[i] = match rng.below(3) {
                0 => format!("  {l}"),
                1 => l.strip_prefix("  ").unwrap_or(l).to_string(),
                _ => format!("\t{}", l.trim_start()),
            };
        }
        7 => {
            let indent = " ".repeat(2 * rng.below(3) as usize);
            let line = format!("{indent}{}: {}", pick(rng, KEYS), pick(rng, VALUES));
            lines.insert(i, line);
        }
        8 => {
            let other = pick(rng, &corpus.manifests);
            if let Some(l) = other.lines().nth(rng.below(40) as usize) {
                lines.insert(i, l.to_string());
            }
        }
        9 => {
            let joined = lines.join("\n");
            let at = boundary(rng, &joined);
            return joined[..at].to_string();
        }
        _ => {
            let mut joined = lines.join("\n");
            let at = boundary(rng, &joined);
            if rng.below(2) == 0 {
                joined.insert_str(at, pick::<&str>(rng, PUNCTUATION));
            } else {
                let end = joined[at..]
                    .char_indices()
                    .nth(1 + rng.below(3) as usize)
                    .map_or(joined.len(), |(j, _)| at + j);
                joined.replace_range(at..end, "");
            }
            return joined;
        }
    }
    lines.join("\n") + "\n"
}

/// A manifest put together from random sections: mostly well-formed, often valid, so that
/// validation (not only the parser) is reached.
fn generated_manifest(rng: &mut Rng) -> String {
    let num = |rng: &mut Rng| -> String {
        match rng.below(20) {
            0..=1 => pick(rng, VALUES).to_string(),
            2..=11 => format!("{}", 2 + rng.below(30)),
            12..=17 => format!("{:.3}", 0.1 + rng.uniform() * 3.0),
            _ => format!("{}", 10f64.powi(rng.below(40) as i32 - 10)),
        }
    };
    let list = |rng: &mut Rng| -> String {
        let n = rng.below(4) as usize;
        let items: Vec<String> = (0..n).map(|_| num(rng)).collect();
        format!("[{}]", items.join(", "))
    };
    let classification = rng.below(3) == 0;
    let mut m = format!("name: gen{}\nseed: {}\n", rng.below(100), num(rng));
    if classification {
        m += &format!(
            "task:\n  kind: classification\n  dataset: {}\n  n_test: {}\n",
            pick(rng, &["digits", "mnist", "cifar10"]),
            num(rng)
        );
        m += &format!(
            "model:\n  kind: {}\n  width: {}\n",
            pick(rng, &["fcnn", "cnn5", "relu2"]),
            num(rng)
        );
        m += &format!(
            "train:\n  solver: sgd\n  batch_size: {}\n  epochs: {}\n",
            num(rng),
            num(rng)
        );
        m += &format!("sweep:\n  label_noise: {}\n", list(rng));
    } else {
        m += &format!(
            "task:\n  kind: linear-teacher\n  d: {}\n  n_test: {}\n  inputs: {}\n",
            num(rng),
            num(rng),
            pick(rng, &["shared", "independent", "-1"])
        );
        if rng.below(2) == 0 {
            m += "model:\n  kind: linear2\n";
        } else {
            m += &format!("model:\n  kind: relu2\n  width: {}\n", num(rng));
            m += &format!(
                "train:\n  solver: {}\n  lr: {}\n  max_steps: {}\n",
                pick(rng, &["adam", "gd", "min-norm"]),
                num(rng),
                num(rng)
            );
        }
        if rng.below(4) == 0 {
            m += &format!(
                "compare:\n  model:\n    kind: {}\n    width: {}\n  train:\n    solver: {}\n",
                pick(rng, &["relu2", "fcnn", "linear2", "cnn5"]),
                num(rng),
                pick(rng, &["adam", "gd", "sgd"])
            );
        }
        m += &format!("sweep:\n  snr: {}\n", list(rng));
    }
    m += &format!(
        "  n_over_p: {}\n  replicas: {}\n  members: {}\n",
        list(rng),
        num(rng),
        num(rng)
    );
    if rng.below(2) == 0 {
        m += &format!(
            "alignment:\n  estimator: {}\n  k: {}\n  project: {}\n",
            pick(rng, &["ksg", "kl", "gaussian"]),
            num(rng),
            pick(rng, &["none", "pca:2", "pca:0"])
        );
    }
    m
}

/// Parses and validates a manifest as the CLI does, then plans and hashes it when small.
/// Returns whether it was accepted.
fn drive_manifest(text: &str) -> bool {
    let path = Path::new("fuzz.yaml");
    if accuracy::declared_kind(text).as_deref() == Some("estimator-accuracy") {
        if let Ok(m) = AccuracyManifest::parse(text, path) {
            let units: usize = m
                .cells()
                .iter()
                .map(|(_, _, s)| s * m.estimators.len())
                .sum();
            if units <= PLAN_UNIT_LIMIT {
                let _ = plan::accuracy::plan(&m);
            }
            let _ = plan::accuracy::manifest_hash(&m);
            return true;
        }
        return false;
    }
    match Manifest::parse(text, path) {
        Ok(m) => {
            let s = &m.sweep;
            let units =
                plan::levels(s).len() * s.n_over_p.len() * s.replicas * s.members * s.members;
            if units <= PLAN_UNIT_LIMIT {
                let units = plan::plan(&m);
                assert!(!units.members.is_empty() && !units.pairs.is_empty());
            }
            let _ = plan::manifest_hash(&m);
            true
        }
        Err(e) => {
            // Every error names the file and says something; a key it names is located.
            let shown = e.to_string();
            assert!(shown.starts_with("fuzz.yaml"), "{shown}");
            assert!(!e.message.trim().is_empty(), "empty message: {shown}");
            assert!(!shown.contains('\u{1}'), "internal marker leaked: {shown}");
            false
        }
    }
}

/// A CSV of random shape with values from a dictionary of awkward numbers.
fn generated_csv(rng: &mut Rng) -> Vec<u8> {
    const CELLS: &[&str] = &[
        "0",
        "1",
        "-1",
        "1e308",
        "-1e308",
        "1e-320",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "1e999",
        "",
        " ",
        "x",
        "\"1\"",
        "\"",
        "1.5",
        "  2 ",
        "+3",
        "-0",
        "0x1",
        "1,5",
        "1;2",
        "é",
        "\u{feff}1",
    ];
    let rows = rng.below(40) as usize;
    let cols = 1 + rng.below(4) as usize;
    // Most files are well-formed (so that the estimators are reached); some are riddled.
    let odd = [0, 0, 1, 20][rng.below(4) as usize];
    let ending = *pick(rng, &["\n", "\n", "\r\n", "\n\n", ",\n"]);
    let mut out = String::new();
    for _ in 0..rows {
        let cells: Vec<String> = (0..cols)
            .map(|_| match rng.below(100) {
                c if c < odd => pick(rng, CELLS).to_string(),
                c if c < 10 + odd => format!("{}", rng.below(3)),
                1 => format!("{}", rng.below(3)),
                _ => format!("{}", rng.normal()),
            })
            .collect();
        out += &cells.join(",");
        out += ending;
    }
    out.into_bytes()
}

fn mutate_bytes(rng: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    let mut v = bytes.to_vec();
    let at = rng.below(v.len() as u64 + 1) as usize;
    match rng.below(4) {
        0 => v.insert(at, *pick(rng, b",\n\r\" .-+e0123456789xX\xff\x00;")),
        1 if at < v.len() => {
            v.remove(at);
        }
        2 => v.truncate(at),
        _ => {
            let copy = v[at..].to_vec();
            v.extend_from_slice(&copy[..copy.len().min(64)]);
        }
    }
    v
}

/// Reads two CSVs as `harness cce` does and, when both are matrices, runs a measure.
/// Returns whether both were read.
fn drive_csv(rng: &mut Rng, a: &[u8], b: &[u8]) -> bool {
    let read = |bytes: &[u8]| Matrix::parse_csv(bytes, Path::new("fuzz.csv"));
    let (Ok(ma), Ok(mb)) = (read(a), read(b)) else {
        return false;
    };
    let k = rng.below(ma.rows as u64 + 2) as usize;
    let estimator = *pick(rng, &Estimator::ALL);
    let seed = rng.next_u64();
    let project = match rng.below(3) {
        0 => Projection::Pca(1 + rng.below(3) as usize),
        _ => Projection::None,
    };
    let (Ok(pa), Ok(pb)) = (project.apply(&ma), project.apply(&mb)) else {
        return true;
    };
    let _ = estimators::cce(&pa, &pb, estimator, k, seed);
    let _ = estimators::measure(&pa, &pb, *pick(rng, &Measure::ALL), estimator, k, seed);
    true
}

/// What a fuzz run did.
struct Report {
    cases: u64,
    manifests: u64,
    /// Manifests accepted (parsed and valid), which went on to the plan and hash.
    valid_manifests: u64,
    csvs: u64,
    /// CSV pairs read as matrices, which went on to the estimators.
    read_csvs: u64,
    crashes: u64,
    seconds: f64,
}

/// Runs cases until `cases` are done or `time` has passed, saving crashing inputs to `crashes`.
fn fuzz(cases: u64, time: Option<Duration>, seed: u64, crashes: &Path) -> Report {
    let corpus = corpus();
    let mut rng = Rng::new(seed);
    let start = Instant::now();
    let mut report = Report {
        cases: 0,
        manifests: 0,
        valid_manifests: 0,
        csvs: 0,
        read_csvs: 0,
        crashes: 0,
        seconds: 0.0,
    };
    // Panics are counted and saved, not printed for each case.
    let last_panic = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let hook_sink = last_panic.clone();
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        *hook_sink.lock().unwrap() = format!("{info}");
    }));
    while report.cases < cases && time.is_none_or(|t| start.elapsed() < t) {
        report.cases += 1;
        let case_seed = rng.next_u64();
        let mut case_rng = Rng::new(case_seed);
        let r = &mut case_rng;
        let (input, ext, outcome): (Vec<u8>, &str, _) = if r.below(4) != 0 {
            report.manifests += 1;
            let mut text = match r.below(10) {
                0..=2 => generated_manifest(r),
                3..=6 => pick(r, &corpus.valid).clone(),
                _ => pick(r, &corpus.manifests).clone(),
            };
            for _ in 0..r.below(4) {
                text = mutate_yaml(r, &text, &corpus);
            }
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| drive_manifest(&text)));
            (text.into_bytes(), "yaml", outcome)
        } else {
            report.csvs += 1;
            let mut a = if r.below(4) != 0 {
                generated_csv(r)
            } else {
                pick(r, &corpus.csvs).clone()
            };
            for _ in 0..[0, 0, 1, 3][r.below(4) as usize] {
                a = mutate_bytes(r, &a);
            }
            let b = if r.below(2) == 0 {
                a.clone()
            } else {
                generated_csv(r)
            };
            let mut input = a.clone();
            input.extend_from_slice(b"\n--- second file ---\n");
            input.extend_from_slice(&b);
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| drive_csv(r, &a, &b)));
            (input, "csv", outcome)
        };
        match outcome {
            Ok(true) if ext == "yaml" => report.valid_manifests += 1,
            Ok(true) => report.read_csvs += 1,
            _ => {}
        }
        if outcome.is_err() {
            report.crashes += 1;
            std::fs::create_dir_all(crashes).unwrap();
            let base = crashes.join(format!("case-{case_seed:016x}"));
            std::fs::write(base.with_extension(ext), &input).unwrap();
            std::fs::write(
                base.with_extension("panic"),
                last_panic.lock().unwrap().as_bytes(),
            )
            .unwrap();
        }
    }
    panic::set_hook(previous_hook);
    report.seconds = start.elapsed().as_secs_f64();
    report
}

fn print(r: &Report, crashes: &Path) {
    println!(
        "fuzz: {} cases ({} manifests, {} valid; {} CSV pairs, {} read) in {:.1} s, {:.0} cases/s: {} crashes{}",
        r.cases,
        r.manifests,
        r.valid_manifests,
        r.csvs,
        r.read_csvs,
        r.seconds,
        r.cases as f64 / r.seconds.max(1e-9),
        r.crashes,
        if r.crashes > 0 {
            format!(" (inputs in {})", crashes.display())
        } else {
            String::new()
        }
    );
}

fn crash_dir() -> PathBuf {
    std::env::var_os("FUZZ_CRASHES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/fuzz-crashes"))
}

/// A bounded run, part of `make test`.
#[test]
fn fuzz_smoke() {
    let dir = crash_dir();
    let r = fuzz(20_000, None, 1, &dir);
    print(&r, &dir);
    assert_eq!(r.crashes, 0, "crashing inputs saved in {}", dir.display());
}

/// The long run of `make fuzz`: `FUZZ_CASES` (default 1 000 000), `FUZZ_SECONDS` (no limit by
/// default; the run stops at whichever comes first), `FUZZ_SEED` (default 2).
#[test]
#[ignore = "long; run by `make fuzz`"]
fn fuzz_long() {
    let env = |name: &str| -> Option<u64> {
        std::env::var(name).ok().map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v}: not a whole number"))
        })
    };
    let cases = env("FUZZ_CASES").unwrap_or(1_000_000);
    let time = env("FUZZ_SECONDS").map(Duration::from_secs);
    let dir = crash_dir();
    let r = fuzz(cases, time, env("FUZZ_SEED").unwrap_or(2), &dir);
    print(&r, &dir);
    assert_eq!(r.crashes, 0, "crashing inputs saved in {}", dir.display());
}
