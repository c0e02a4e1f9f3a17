//! `harness check`: is a finished run the same result as a reference, within the
//! seed-to-seed variation? (docs/CHECK.md)
//!
//! Point by point and quantity by quantity (`gen_error`, `cce_<measure>` of `replicas.csv`):
//! a two one-sided test (TOST, α = 0.05) of equivalence within the manifest's margin, with
//! Welch's standard error over the replicas of both sides; a minimum-effect test of a
//! difference beyond the margin, Holm-corrected over every point of the run; values without
//! seed variance compared with a tolerance. The figure's verdict combines them with the
//! claim verdicts of both sides. When both sides are the same experiment and every reference
//! file is byte-equal to the run's, the verdict is "bit-identical" and no statistics are made.

pub mod replicas;
pub mod stats;

use crate::manifest::margins::CheckMargins;
use crate::manifest::Manifest;
use anyhow::{Context, Result};
use replicas::{PointKey, Provenance, Replicas};
use stats::{Sample, Welch};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Level of every test (the TOST reads the 90 % interval).
pub const ALPHA: f64 = 0.05;
/// Share of the points that decide no claim that must pass for the figure to pass.
pub const OTHERS_SHARE: f64 = 0.90;
/// Beyond this many replicas per side, "would settle it" reads "more than".
const REPLICA_CAP: usize = 100_000;
/// The files `check` writes beside the run's results: every point, and the verdict.
pub const FILE: &str = "check.csv";
pub const VERDICT_FILE: &str = "check.json";

/// A verdict, of one point or of a figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    Inconclusive,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Inconclusive => "INCONCLUSIVE",
        }
    }

    /// The process exit code of a figure with this verdict: 0, 1, 3.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Pass => 0,
            Outcome::Fail => 1,
            Outcome::Inconclusive => 3,
        }
    }
}

/// How a point was judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Welch TOST and minimum-effect test.
    Tost,
    /// No seed variance on either side: |difference| within the deterministic tolerance.
    Tolerance,
    /// Both sides byte-equal: no statistics.
    BitIdentical,
    /// The point exists on one side only, or a side has fewer than two replicas.
    Untestable,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Tost => "tost",
            Method::Tolerance => "tolerance",
            Method::BitIdentical => "bit-identical",
            Method::Untestable => "untestable",
        }
    }
}

/// One quantity at one point.
#[derive(Clone, Debug)]
pub struct PointCheck {
    pub point: PointKey,
    pub n_over_p: f64,
    pub quantity: String,
    pub run: Option<Sample>,
    pub reference: Option<Sample>,
    /// The margin δ (or the tolerance) at this point.
    pub margin: f64,
    pub method: Method,
    /// run − reference, its 90 % interval, and the tests' p-values (NaN where not made).
    pub diff: f64,
    pub interval: (f64, f64),
    pub tost_p: f64,
    pub minimum_effect_p: f64,
    /// t₀.₉₅ · se: the smallest margin the TOST could pass here.
    pub smallest_margin: f64,
    /// Whether a claim rule reads this point (a curve's peak or an end of its grid, for the
    /// main estimator's CCE and the generalization error).
    pub decides_claim: bool,
    pub outcome: Outcome,
    /// Replicas per side for an 80 % chance of PASS if the true difference is 0.
    pub replicas_needed: Option<usize>,
    pub note: String,
}

/// One claim's verdict on both sides.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimComparison {
    pub claim: String,
    pub run: String,
    pub reference: String,
}

/// Everything `check` found.
#[derive(Clone, Debug)]
pub struct CheckReport {
    pub experiment: String,
    /// `snr` or `label_noise`.
    pub level_column: String,
    pub run_dir: PathBuf,
    pub reference_dir: PathBuf,
    pub run: Provenance,
    pub reference: Provenance,
    pub bit_identical: bool,
    pub points: Vec<PointCheck>,
    pub claims: Vec<ClaimComparison>,
    pub outcome: Outcome,
    /// Why the figure has its verdict, in one or two sentences with the numbers.
    pub reason: String,
}

/// Compares the run's results folder with a reference folder.
pub fn check(manifest: &Manifest, run_dir: &Path, reference_dir: &Path) -> Result<CheckReport> {
    let run = Replicas::read(run_dir).context("reading the run")?;
    let reference = Replicas::read(reference_dir).context("reading the reference")?;
    let hash = crate::plan::manifest_hash(manifest);
    if run.provenance.manifest_sha256 != hash {
        anyhow::bail!(
            "{} holds results of manifest sha256 {}…, but the manifest now hashes to {}…: run \
             it first (`harness run`)",
            run_dir.display(),
            &run.provenance.manifest_sha256[..12.min(run.provenance.manifest_sha256.len())],
            &hash[..12]
        );
    }
    let bit_identical = run.provenance.manifest_sha256 == reference.provenance.manifest_sha256
        && run.provenance.algorithm_version == reference.provenance.algorithm_version
        && files_equal(run_dir, reference_dir)?;
    let main = format!("cce_{}", manifest.alignment.estimator.name());
    let mut points = if bit_identical {
        identical_points(&run)
    } else {
        compare_points(&run, &reference, &manifest.check)
    };
    mark_deciding_points(&mut points, &main);
    let claims = compare_claims(run_dir, reference_dir)?;
    let (outcome, reason) = figure_verdict(&points, &claims, bit_identical);
    Ok(CheckReport {
        experiment: manifest.name.clone(),
        level_column: run.level_column.clone(),
        run_dir: run_dir.to_path_buf(),
        reference_dir: reference_dir.to_path_buf(),
        run: run.provenance,
        reference: reference.provenance,
        bit_identical,
        points,
        claims,
        outcome,
        reason,
    })
}

/// Files that record how a run went (timings, thread count, checks), not its result: left
/// out of the byte comparison.
const RECORD_FILES: [&str; 4] = ["run.json", "SHA256SUMS", FILE, VERDICT_FILE];

/// Whether every result file of the reference folder has a byte-equal twin in the run's
/// folder.
fn files_equal(run_dir: &Path, reference_dir: &Path) -> Result<bool> {
    let entries = std::fs::read_dir(reference_dir)
        .with_context(|| format!("cannot list {}", reference_dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if !path.is_file() {
            continue;
        }
        let Some(name) = path.file_name() else {
            continue;
        };
        if RECORD_FILES.iter().any(|r| name == *r) {
            continue;
        }
        let twin = run_dir.join(name);
        if !twin.is_file() || std::fs::read(&twin)? != std::fs::read(&path)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Per (point, quantity): the replica values and the point's n/P.
type Grouped = BTreeMap<(PointKey, String), (f64, Vec<f64>)>;

/// Whether `check` compares a quantity of `replicas.csv`: `gen_error` and the CCEs. The
/// classifiers' further quantities (`train_error`, `test_loss`, `dead_units`, …) are there
/// for the claims (docs/SPEC.md §7, v3) and have no margin of their own.
pub fn compared(quantity: &str) -> bool {
    quantity == "gen_error" || quantity.starts_with("cce_")
}

fn group(r: &Replicas) -> Grouped {
    let mut g: Grouped = BTreeMap::new();
    for row in r.rows.iter().filter(|row| compared(&row.quantity)) {
        g.entry((row.point.clone(), row.quantity.clone()))
            .or_insert_with(|| (row.n_over_p, Vec::new()))
            .1
            .push(row.value);
    }
    g
}

fn blank(point: PointKey, n_over_p: f64, quantity: String) -> PointCheck {
    PointCheck {
        point,
        n_over_p,
        quantity,
        run: None,
        reference: None,
        margin: f64::NAN,
        method: Method::Untestable,
        diff: f64::NAN,
        interval: (f64::NAN, f64::NAN),
        tost_p: f64::NAN,
        minimum_effect_p: f64::NAN,
        smallest_margin: f64::NAN,
        decides_claim: false,
        outcome: Outcome::Inconclusive,
        replicas_needed: None,
        note: String::new(),
    }
}

fn identical_points(run: &Replicas) -> Vec<PointCheck> {
    group(run)
        .into_iter()
        .map(|((point, quantity), (n_over_p, values))| {
            let s = Sample::of(&values);
            PointCheck {
                run: Some(s),
                reference: Some(s),
                method: Method::BitIdentical,
                diff: 0.0,
                outcome: Outcome::Pass,
                ..blank(point, n_over_p, quantity)
            }
        })
        .collect()
}

/// Every (point, quantity) of either side, judged; FAILs only where Holm's correction over
/// all testable points keeps the minimum-effect test's rejection.
fn compare_points(run: &Replicas, reference: &Replicas, margins: &CheckMargins) -> Vec<PointCheck> {
    let (run, reference) = (group(run), group(reference));
    let mut keys: Vec<&(PointKey, String)> = run.keys().chain(reference.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut points: Vec<PointCheck> = keys
        .into_iter()
        .map(|key| {
            let (point, quantity) = key.clone();
            let (a, b) = (run.get(key), reference.get(key));
            let n_over_p = a.or(b).map_or(f64::NAN, |x| x.0);
            let mut c = blank(point, n_over_p, quantity);
            c.run = a.map(|x| Sample::of(&x.1));
            c.reference = b.map(|x| Sample::of(&x.1));
            judge(&mut c, margins);
            c
        })
        .collect();
    let rejected = stats::holm(
        &points
            .iter()
            .map(|c| c.minimum_effect_p)
            .collect::<Vec<_>>(),
        ALPHA,
    );
    for (c, reject) in points.iter_mut().zip(rejected) {
        if reject {
            c.outcome = Outcome::Fail;
            c.note = format!(
                "differs by {} beyond the margin {} (minimum-effect p = {:.2e}, Holm over all points)",
                short(c.diff),
                short(c.margin),
                c.minimum_effect_p
            );
        }
    }
    points
}

/// Judges one point on its own (before Holm): PASS, INCONCLUSIVE, or a tolerance FAIL.
fn judge(c: &mut PointCheck, margins: &CheckMargins) {
    let (Some(a), Some(b)) = (c.run, c.reference) else {
        c.note = format!(
            "only in the {}",
            if c.run.is_some() { "run" } else { "reference" }
        );
        return;
    };
    c.diff = a.mean - b.mean;
    if a.n >= 2 && b.n >= 2 && a.sd == 0.0 && b.sd == 0.0 {
        c.method = Method::Tolerance;
        c.margin = margins.deterministic.at(b.mean);
        c.outcome = if c.diff.abs() <= c.margin {
            Outcome::Pass
        } else {
            Outcome::Fail
        };
        c.note =
            "no seed variance on either side: compared with the deterministic tolerance".into();
        return;
    }
    c.margin = margins.for_quantity(&c.quantity).at(b.mean);
    let w = Welch::of(a, b);
    if !w.testable() {
        c.note = format!(
            "too few replicas to test (run {}, reference {}): need at least 2 per side",
            a.n, b.n
        );
        return;
    }
    c.method = Method::Tost;
    c.interval = w.interval(ALPHA);
    c.tost_p = w.tost_p(c.margin);
    c.minimum_effect_p = w.minimum_effect_p(c.margin);
    c.smallest_margin = w.smallest_passable_margin(ALPHA);
    let pooled_sd = ((a.sd * a.sd + b.sd * b.sd) / 2.0).sqrt();
    c.replicas_needed =
        stats::replicas_for_80_percent_pass(pooled_sd, c.margin, ALPHA, REPLICA_CAP);
    if c.tost_p <= ALPHA {
        c.outcome = Outcome::Pass;
    } else if c.margin < c.smallest_margin {
        c.note = format!(
            "margin {} is below the smallest passable {} at {} + {} replicas: cannot pass",
            short(c.margin),
            short(c.smallest_margin),
            a.n,
            b.n
        );
    } else {
        c.note = "90 % interval reaches beyond the margin".into();
    }
}

/// Marks, per (network, level) curve, the points the claim rules read: for the main CCE and
/// the generalization error, the reference's peak and both ends of the grid.
fn mark_deciding_points(points: &mut [PointCheck], main: &str) {
    let mut curves: BTreeMap<(String, String, String), Vec<usize>> = BTreeMap::new();
    for (i, c) in points.iter().enumerate() {
        if c.quantity == main || c.quantity == "gen_error" {
            curves
                .entry((
                    c.point.model.clone(),
                    c.point.level.clone(),
                    c.quantity.clone(),
                ))
                .or_default()
                .push(i);
        }
    }
    for idx in curves.values() {
        let mean = |i: &usize| {
            let c = &points[*i];
            c.reference.or(c.run).map_or(f64::NEG_INFINITY, |s| s.mean)
        };
        let first = idx.iter().min_by_key(|&&i| points[i].point.n);
        let last = idx.iter().max_by_key(|&&i| points[i].point.n);
        let peak = idx.iter().max_by(|a, b| mean(a).total_cmp(&mean(b)));
        for i in [first, last, peak]
            .into_iter()
            .flatten()
            .copied()
            .collect::<Vec<_>>()
        {
            points[i].decides_claim = true;
        }
    }
}

/// The claim verdicts of both sides' `claims.csv` (empty when either has none), each named
/// by its rule set and claim, e.g. `v2 C3`; a file without a `rules` column holds v1's.
fn compare_claims(run_dir: &Path, reference_dir: &Path) -> Result<Vec<ClaimComparison>> {
    let read = |dir: &Path| -> Result<Option<Vec<(String, String)>>> {
        let path = dir.join("claims.csv");
        if !path.exists() {
            return Ok(None);
        }
        let mut r = csv::Reader::from_path(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let header = r
            .headers()
            .with_context(|| format!("{}: not CSV", path.display()))?
            .clone();
        let column = |name: &str| header.iter().position(|h| h == name);
        let (Some(claim), Some(result)) = (column("claim"), column("result")) else {
            anyhow::bail!("{}: no `claim` and `result` columns", path.display());
        };
        let rules = column("rules");
        let mut out = Vec::new();
        for rec in r.records() {
            let rec = rec.with_context(|| format!("{}: not CSV", path.display()))?;
            let set = rules.and_then(|i| rec.get(i)).unwrap_or("v1");
            let cell = |i: usize| rec.get(i).unwrap_or("").to_string();
            out.push((format!("{set} {}", cell(claim)), cell(result)));
        }
        Ok(Some(out))
    };
    let (Some(run), Some(reference)) = (read(run_dir)?, read(reference_dir)?) else {
        return Ok(Vec::new());
    };
    let mut claims: Vec<String> = run.iter().chain(&reference).map(|c| c.0.clone()).collect();
    claims.sort();
    claims.dedup();
    let find = |list: &[(String, String)], claim: &str| {
        list.iter()
            .find(|c| c.0 == claim)
            .map_or("absent".to_string(), |c| c.1.clone())
    };
    Ok(claims
        .into_iter()
        .map(|claim| ClaimComparison {
            run: find(&run, &claim),
            reference: find(&reference, &claim),
            claim,
        })
        .collect())
}

/// FAIL if any point fails; PASS if none fails, every deciding point passes, at least 90 %
/// of the others pass and every claim has the same verdict on both sides; else INCONCLUSIVE.
fn figure_verdict(
    points: &[PointCheck],
    claims: &[ClaimComparison],
    bit_identical: bool,
) -> (Outcome, String) {
    if bit_identical {
        return (
            Outcome::Pass,
            "bit-identical: same manifest and algorithm, every reference file byte-equal".into(),
        );
    }
    let failed: Vec<&PointCheck> = points
        .iter()
        .filter(|c| c.outcome == Outcome::Fail)
        .collect();
    if !failed.is_empty() {
        let names: Vec<String> = failed
            .iter()
            .take(5)
            .map(|c| format!("{} at {}", c.quantity, point_name(c)))
            .collect();
        let more = if failed.len() > 5 {
            format!(" and {} more", failed.len() - 5)
        } else {
            String::new()
        };
        return (
            Outcome::Fail,
            format!(
                "{} of {} points differ beyond their margins: {}{more}",
                failed.len(),
                points.len(),
                names.join("; ")
            ),
        );
    }
    let deciding: Vec<&PointCheck> = points.iter().filter(|c| c.decides_claim).collect();
    let others: Vec<&PointCheck> = points.iter().filter(|c| !c.decides_claim).collect();
    let deciding_pass = deciding
        .iter()
        .filter(|c| c.outcome == Outcome::Pass)
        .count();
    let others_pass = others.iter().filter(|c| c.outcome == Outcome::Pass).count();
    let share = if others.is_empty() {
        1.0
    } else {
        others_pass as f64 / others.len() as f64
    };
    let flipped: Vec<String> = claims
        .iter()
        .filter(|c| c.run != c.reference)
        .map(|c| format!("{} {} (reference {})", c.claim, c.run, c.reference))
        .collect();
    let mut reason = format!(
        "{deciding_pass}/{} claim-deciding points and {others_pass}/{} others ({:.0} %, need {:.0} %) equivalent within their margins",
        deciding.len(),
        others.len(),
        100.0 * share,
        100.0 * OTHERS_SHARE
    );
    if !flipped.is_empty() {
        let _ = write!(reason, "; claim verdicts differ: {}", flipped.join(", "));
    }
    if deciding_pass == deciding.len() && share >= OTHERS_SHARE && flipped.is_empty() {
        return (Outcome::Pass, reason);
    }
    // Replicas per side that would likely settle the unpassed claim-deciding points: the
    // median point's and the hardest one's.
    let mut needs: Vec<Option<usize>> = deciding
        .iter()
        .filter(|c| c.outcome != Outcome::Pass)
        .map(|c| c.replicas_needed)
        .collect();
    needs.sort_by_key(|n| n.unwrap_or(usize::MAX));
    let shown = |n: Option<usize>| n.map_or(format!("more than {REPLICA_CAP}"), |n| n.to_string());
    if let (Some(median), Some(hardest)) = (needs.get(needs.len() / 2), needs.last()) {
        let _ = write!(
            reason,
            "; replicas per side for an 80 % chance of PASS at the unpassed claim-deciding points (if the true difference is 0): median {}, at most {}",
            shown(*median),
            shown(*hardest)
        );
    }
    (Outcome::Inconclusive, reason)
}

/// `snr=2 n=50 linear2`.
pub fn point_name(c: &PointCheck) -> String {
    format!(
        "level {} n={} (n/P {}) {}",
        c.point.level,
        c.point.n,
        short(c.n_over_p),
        c.point.model
    )
}

/// A number in 4 significant digits.
fn short(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let rounded: f64 = format!("{v:.3e}").parse().unwrap_or(v);
    format!("{rounded}")
}

/// `check.csv`: one row per (point, quantity).
pub fn check_csv(report: &CheckReport) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        report.level_column.as_str(),
        "n",
        "n_over_p",
        "model",
        "quantity",
        "decides_claim",
        "method",
        "verdict",
        "run_replicas",
        "run_mean",
        "run_sd",
        "reference_replicas",
        "reference_mean",
        "reference_sd",
        "diff",
        "ci90_low",
        "ci90_high",
        "margin",
        "smallest_passable_margin",
        "tost_p",
        "minimum_effect_p",
        "replicas_for_80pct_pass",
        "note",
    ])?;
    let num = |v: f64| crate::results::tables::cell(Some(v));
    for c in &report.points {
        let side = |s: Option<Sample>| match s {
            Some(s) => [s.n.to_string(), num(s.mean), num(s.sd)],
            None => [String::new(), String::new(), String::new()],
        };
        let mut row = vec![
            c.point.level.clone(),
            c.point.n.to_string(),
            num(c.n_over_p),
            c.point.model.clone(),
            c.quantity.clone(),
            c.decides_claim.to_string(),
            c.method.name().to_string(),
            c.outcome.name().to_string(),
        ];
        row.extend(side(c.run));
        row.extend(side(c.reference));
        row.extend([
            num(c.diff),
            num(c.interval.0),
            num(c.interval.1),
            num(c.margin),
            num(c.smallest_margin),
            num(c.tost_p),
            num(c.minimum_effect_p),
            c.replicas_needed.map_or(String::new(), |n| n.to_string()),
            c.note.clone(),
        ]);
        w.write_record(&row)?;
    }
    Ok(w.into_inner()?)
}

/// `check.json`: the figure's verdict, why, and both sides' provenance (what the report page
/// shows).
pub fn verdict_json(report: &CheckReport) -> serde_json::Value {
    let prov = |p: &Provenance| {
        serde_json::json!({
            "manifest_sha256": p.manifest_sha256,
            "algorithm_version": p.algorithm_version,
            "device": p.device,
            "harness_version": p.harness_version,
        })
    };
    let count = |o: Outcome| report.points.iter().filter(|c| c.outcome == o).count();
    serde_json::json!({
        "experiment": report.experiment,
        "verdict": report.outcome.name(),
        "reason": report.reason,
        "bit_identical": report.bit_identical,
        "against": report.reference_dir.display().to_string(),
        "run": prov(&report.run),
        "reference": prov(&report.reference),
        "points": {"pass": count(Outcome::Pass), "fail": count(Outcome::Fail), "inconclusive": count(Outcome::Inconclusive)},
        "claims": report.claims.iter().map(|c| serde_json::json!({"claim": c.claim, "run": c.run, "reference": c.reference})).collect::<Vec<_>>(),
    })
}

/// Writes `check.csv` and `check.json` into the run's results folder; returns the CSV's path.
pub fn write(report: &CheckReport) -> Result<PathBuf> {
    let csv_path = report.run_dir.join(FILE);
    crate::cache::write_atomic(&csv_path, &check_csv(report)?)?;
    crate::cache::write_atomic(
        &report.run_dir.join(VERDICT_FILE),
        serde_json::to_string_pretty(&verdict_json(report))?.as_bytes(),
    )?;
    Ok(csv_path)
}

/// The table `harness check` prints: provenance, per-quantity counts, the claim-deciding and
/// failing points, the claims, and the verdict.
pub fn table(report: &CheckReport) -> String {
    let mut out = String::new();
    let prov = |p: &Provenance| {
        format!(
            "manifest sha256 {}…, algorithm {}, device {}, harness {}",
            &p.manifest_sha256[..12.min(p.manifest_sha256.len())],
            p.algorithm_version,
            p.device,
            p.harness_version
        )
    };
    let _ = writeln!(
        out,
        "{}: {} against {}",
        report.experiment,
        report.run_dir.display(),
        report.reference_dir.display()
    );
    let _ = writeln!(out, "  run:       {}", prov(&report.run));
    let _ = writeln!(out, "  reference: {}", prov(&report.reference));
    if report.bit_identical {
        let _ = writeln!(out, "  bit-identical: every reference file is byte-equal to the run's; no statistics needed");
    } else {
        let mut quantities: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
        for c in &report.points {
            let q = quantities.entry(c.quantity.as_str()).or_default();
            q[match c.outcome {
                Outcome::Pass => 0,
                Outcome::Fail => 1,
                Outcome::Inconclusive => 2,
            }] += 1;
        }
        let _ = writeln!(
            out,
            "  {:<14} {:>5} {:>5} {:>13}",
            "quantity", "PASS", "FAIL", "INCONCLUSIVE"
        );
        for (q, [p, f, i]) in &quantities {
            let _ = writeln!(out, "  {q:<14} {p:>5} {f:>5} {i:>13}");
        }
        let shown: Vec<&PointCheck> = report
            .points
            .iter()
            .filter(|c| c.decides_claim || c.outcome == Outcome::Fail)
            .collect();
        if !shown.is_empty() {
            let _ = writeln!(
                out,
                "  claim-deciding and failing points (run − reference, 90 % interval, margin δ):"
            );
            for c in shown {
                let _ = writeln!(
                    out,
                    "    {:<12} {:<13} {:<42} diff {:>10} [{}, {}] δ {:<9} {}",
                    c.outcome.name(),
                    c.quantity,
                    point_name(c),
                    short(c.diff),
                    short(c.interval.0),
                    short(c.interval.1),
                    short(c.margin),
                    c.note
                );
            }
        }
    }
    for c in &report.claims {
        let same = if c.run == c.reference {
            "same"
        } else {
            "DIFFERS"
        };
        let _ = writeln!(
            out,
            "  claim {}: run {} / reference {} ({same})",
            c.claim, c.run, c.reference
        );
    }
    let _ = writeln!(
        out,
        "{} {}: {}",
        report.outcome.name(),
        report.experiment,
        report.reason
    );
    out
}

#[cfg(test)]
mod tests;
