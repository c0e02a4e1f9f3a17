//! `harness diff A B`: two runs (run ids from the history, manifest files whose results are
//! in the artifacts folder, or results folders) compared: the manifests key by key (their
//! canonical forms, flattened to dotted keys), then the summaries point by point, the
//! generalization error and the main estimator's CCE of B minus A with the standard error of
//! the difference and the difference in those standard errors (z). Two estimator-accuracy runs
//! are compared cell by cell instead (SPEC §4.F, [`results::accuracy_recheck`]): whether each
//! estimator's means agree, and which of SPEC §4.C's verdicts hold in both runs.

use super::history::{self, RunEntry};
use crate::cache::Store;
use crate::kinds;
use crate::manifest::accuracy::Cell;
use crate::manifest::{self, Overrides};
use crate::plan::explain::flatten;
use crate::results;
use crate::results::accuracy::{AccuracyRow, CellVerdict};
use crate::results::accuracy_recheck;
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Compare two runs: the manifests key by key, then every point of the summaries (B − A
/// with the standard error of the difference). A and B are run ids from `harness runs` (or a
/// unique start of one), manifest files already run, or results folders (`reference/fig2_relu`).
///
/// Two estimator-accuracy runs (`accuracy.csv` on both sides) are compared cell by cell: each
/// estimator's mean, B − A, in standard errors of the difference (about 5 % of the cells beyond
/// 2 when both runs measure the same thing), then SPEC §4.C's verdicts (a candidate worse than
/// the established estimators by more than its SE) in A, in B and in both: a verdict of one
/// run alone flipped under resampling and is not a finding (SPEC §4.F).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A run id, a manifest file or a results folder.
    pub a: String,
    /// A run id, a manifest file or a results folder.
    pub b: String,
    /// Estimator-accuracy runs: also list each cell where a candidate is worse in either run,
    /// with both runs' excess and standard error.
    #[arg(long)]
    pub cells: bool,
}

/// `harness diff`.
pub fn main(ctx: &super::Context, args: Args) -> Result<ExitCode> {
    let (a, b) = (side(&ctx.store, &args.a)?, side(&ctx.store, &args.b)?);
    print!("{}", diff(&a, &b, args.cells)?);
    Ok(ExitCode::SUCCESS)
}

/// One side of a diff: what it is called, its canonical manifest, and its results folder.
pub struct Side {
    pub label: String,
    pub manifest: Value,
    pub results_dir: PathBuf,
}

/// A run id (or unique prefix) from the history, or a manifest file (loaded through the one
/// loader; its results are where `harness run` puts them).
pub fn side(store: &Store, what: &str) -> Result<Side> {
    let path = Path::new(what);
    if path.is_dir() {
        // A results folder: its manifest is in its run record when it has one (a copy under
        // `reference/` has none).
        let record = path.join("run.json");
        let manifest = std::fs::read(&record)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .and_then(|v| v.get("manifest").cloned())
            .unwrap_or(Value::Null);
        return Ok(Side {
            label: format!("folder {what}"),
            manifest,
            results_dir: path.to_path_buf(),
        });
    }
    if path.is_file() {
        let loaded = manifest::load(path, &Overrides::default())?;
        let experiment = kinds::of(&loaded);
        let (name, hash) = (experiment.name(), experiment.hash());
        return Ok(Side {
            label: format!("{what} ({name}, sha256 {})", &hash[..12]),
            manifest: experiment.canonical(),
            results_dir: results::results_of(store, name, &hash),
        });
    }
    let e: RunEntry = history::find(store, what)?;
    // A record's folder may have been moved aside since ([`results::claim_home`]).
    let recorded = PathBuf::from(&e.results_dir);
    let results_dir = if results::recorded_hash(&recorded).as_deref() == Some(&e.manifest_sha256) {
        recorded
    } else {
        results::find_results(store, &e.experiment, &e.manifest_sha256).unwrap_or(recorded)
    };
    Ok(Side {
        label: format!(
            "run {} ({}, sha256 {}{})",
            e.id,
            e.experiment,
            &e.manifest_sha256[..12],
            if e.overrides.is_empty() {
                String::new()
            } else {
                format!(", --set {}", e.overrides.join(" --set "))
            }
        ),
        manifest: e.manifest,
        results_dir,
    })
}

/// The keys whose values differ: (key, A's value, B's value), `–` where a side lacks it.
pub fn manifest_changes(a: &Value, b: &Value) -> Vec<(String, String, String)> {
    let leaves = |v: &Value| -> BTreeMap<String, String> { flatten(v).into_iter().collect() };
    let (fa, fb) = (leaves(a), leaves(b));
    let keys: std::collections::BTreeSet<&String> = fa.keys().chain(fb.keys()).collect();
    keys.into_iter()
        .filter(|k| fa.get(*k) != fb.get(*k))
        .map(|k| {
            let shown = |m: &BTreeMap<String, String>| m.get(k).cloned().unwrap_or("–".into());
            (k.clone(), shown(&fa), shown(&fb))
        })
        .collect()
}

/// A summary.csv as its header and rows of cells by column.
struct Summary {
    header: Vec<String>,
    rows: Vec<BTreeMap<String, String>>,
}

fn read_summary(dir: &Path) -> Result<Summary> {
    let path = dir.join("summary.csv");
    if !path.is_file() {
        bail!(
            "{} does not exist: the manifest has not been run into {} (or is an \
             estimator-accuracy experiment, which has no summary)",
            path.display(),
            dir.display()
        );
    }
    let mut reader =
        csv::Reader::from_path(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let header: Vec<String> = reader.headers()?.iter().map(String::from).collect();
    let mut rows = Vec::new();
    for r in reader.records() {
        let r = r.with_context(|| format!("cannot read {}", path.display()))?;
        rows.push(
            header
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect(),
        );
    }
    Ok(Summary { header, rows })
}

/// A point's key: the columns before `n` (the swept keys and the noise level), the network,
/// and its place among the points with those values (the sweep's n/P order).
fn point_keys(s: &Summary) -> Vec<String> {
    let before_n: Vec<&String> = s.header.iter().take_while(|h| *h != "n").collect();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    s.rows
        .iter()
        .map(|r| {
            let mut parts: Vec<String> =
                before_n.iter().map(|h| format!("{h}={}", r[*h])).collect();
            parts.push(r.get("model").cloned().unwrap_or_default());
            let group = parts.join(" ");
            let i = seen.entry(group.clone()).or_default();
            *i += 1;
            format!("{group} #{}", *i)
        })
        .collect()
}

fn number(r: &BTreeMap<String, String>, column: &str) -> Option<f64> {
    r.get(column)?.parse().ok()
}

/// `mean ± se` with 4 significant digits.
fn shown(mean: Option<f64>, se: Option<f64>) -> String {
    match (mean, se) {
        (Some(m), Some(s)) => format!("{m:.4} ± {s:.4}"),
        (Some(m), None) => format!("{m:.4}"),
        _ => "–".into(),
    }
}

/// The whole comparison, as printed (`cells`: list the cells of the accuracy verdicts).
pub fn diff(a: &Side, b: &Side, cells: bool) -> Result<String> {
    let mut out = String::new();
    writeln!(out, "A: {}", a.label)?;
    writeln!(out, "B: {}", b.label)?;
    let changes = manifest_changes(&a.manifest, &b.manifest);
    if a.manifest.is_null() || b.manifest.is_null() {
        writeln!(
            out,
            "manifest: not compared (a folder without run.json has no record of it)"
        )?;
    } else if changes.is_empty() {
        writeln!(out, "manifest: identical")?;
    } else {
        writeln!(out, "manifest: {} key(s) differ (A → B)", changes.len())?;
        let width = changes.iter().map(|c| c.0.len()).max().unwrap_or(0);
        for (k, va, vb) in &changes {
            writeln!(out, "  {k:<width$}  {va} → {vb}")?;
        }
    }
    let accuracy = |s: &Side| s.results_dir.join("accuracy.csv");
    match (accuracy(a).is_file(), accuracy(b).is_file()) {
        (true, true) => {
            let rows_a = results::accuracy::read_accuracy_csv(&accuracy(a))?;
            let rows_b = results::accuracy::read_accuracy_csv(&accuracy(b))?;
            out.push_str(&accuracy_diff(&rows_a, &rows_b, cells)?);
            return Ok(out);
        }
        (false, false) => {}
        (in_a, _) => {
            let (run, other) = if in_a { (a, b) } else { (b, a) };
            bail!(
                "{} is an estimator-accuracy run ({} exists) and {} is not: only runs of \
                 the same kind can be compared",
                run.label,
                accuracy(run).display(),
                other.label
            );
        }
    }
    let (sa, sb) = (read_summary(&a.results_dir)?, read_summary(&b.results_dir)?);
    let estimator = sa
        .rows
        .first()
        .and_then(|r| r.get("estimator"))
        .cloned()
        .unwrap_or_else(|| "ksg".into());
    let quantities = ["gen_error".to_string(), format!("cce_{estimator}")];
    let (ka, kb) = (point_keys(&sa), point_keys(&sb));
    let b_rows: BTreeMap<&String, &BTreeMap<String, String>> = kb.iter().zip(&sb.rows).collect();
    let mut table = vec![vec![
        "point".to_string(),
        "n/P A|B".to_string(),
        format!("{} A", quantities[0]),
        "B".into(),
        "B−A".into(),
        "z".into(),
        format!("{} A", quantities[1]),
        "B".into(),
        "B−A".into(),
        "z".into(),
    ]];
    let mut only_a = Vec::new();
    for (key, ra) in ka.iter().zip(&sa.rows) {
        let Some(rb) = b_rows.get(key) else {
            only_a.push(key.clone());
            continue;
        };
        let npa = number(ra, "n_over_p").map_or("–".into(), |v| format!("{v:.3}"));
        let npb = number(rb, "n_over_p").map_or("–".into(), |v| format!("{v:.3}"));
        let mut row = vec![
            key.clone(),
            if npa == npb {
                npa
            } else {
                format!("{npa}|{npb}")
            },
        ];
        for q in &quantities {
            let (m, s) = (format!("{q}_mean"), format!("{q}_se"));
            let (ma, sea) = (number(ra, &m), number(ra, &s));
            let (mb, seb) = (number(rb, &m), number(rb, &s));
            row.push(shown(ma, sea));
            row.push(shown(mb, seb));
            match (ma, mb) {
                (Some(x), Some(y)) => {
                    let d = y - x;
                    let se =
                        (sea.unwrap_or(f64::NAN).powi(2) + seb.unwrap_or(f64::NAN).powi(2)).sqrt();
                    row.push(format!("{d:+.4} ± {se:.4}"));
                    row.push(if se > 0.0 && se.is_finite() {
                        format!("{:+.1}", d / se)
                    } else {
                        "–".into()
                    });
                }
                _ => row.extend(["–".to_string(), "–".to_string()]),
            }
        }
        table.push(row);
    }
    let only_b: Vec<&String> = kb.iter().filter(|k| !ka.contains(k)).collect();
    writeln!(
        out,
        "summary: {} point(s) in both (B − A ± the standard error of the difference; z = \
         difference / standard error)",
        table.len() - 1
    )?;
    out.push_str(&super::aligned(&table, "  "));
    if !only_a.is_empty() {
        writeln!(out, "only in A: {}", only_a.join(", "))?;
    }
    if !only_b.is_empty() {
        let v: Vec<&str> = only_b.iter().map(|s| s.as_str()).collect();
        writeln!(out, "only in B: {}", v.join(", "))?;
    }
    Ok(out)
}

/// A table's header row.
fn header_row(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// A cell as people read it: `clayton 1+1 N=2000 ρ=0.6`.
fn cell_name(c: &Cell) -> String {
    format!("{} {}+{} N={} ρ={}", c.family, c.dims, c.dims, c.n, c.rho)
}

/// Two estimator-accuracy runs, cell by cell (SPEC §4.F).
fn accuracy_diff(a: &[AccuracyRow], b: &[AccuracyRow], list_cells: bool) -> Result<String> {
    let mut out = String::new();
    let (both, only_a, only_b) = accuracy_recheck::shared_cells(a, b);
    writeln!(
        out,
        "cells: {both} in both runs ({only_a} in A only, {only_b} in B only)"
    )?;
    writeln!(
        out,
        "estimates: each estimator's mean, B − A, over the cells both have; cells where it \
         differs by more than 2 standard errors of the difference (about 5 % when both runs \
         measure the same thing)"
    )?;
    let mut table = vec![header_row(&[
        "estimator",
        "quantity",
        "cells",
        "beyond 2 SE",
        "largest |z|",
    ])];
    for g in accuracy_recheck::agreement(a, b) {
        table.push(vec![
            g.estimator.to_string(),
            g.quantity.name().to_string(),
            g.cells.to_string(),
            if g.cells == 0 {
                "–".into()
            } else {
                format!(
                    "{} ({:.1} %)",
                    g.beyond_2se,
                    100.0 * g.beyond_2se as f64 / g.cells as f64
                )
            },
            g.largest
                .map_or("–".into(), |(z, c)| format!("{z:.1} ({})", cell_name(&c))),
        ]);
    }
    out.push_str(&super::aligned(&table, "  "));
    let replications = accuracy_recheck::replication(a, b);
    if replications.is_empty() {
        writeln!(
            out,
            "verdicts: none (the runs share no candidate, or no established estimator: ksg, kl, \
             gaussian)"
        )?;
        return Ok(out);
    }
    writeln!(
        out,
        "verdicts (SPEC §4.C: worse than the established estimators by more than its SE), in A, \
         in B and in both; only those in both are findings (SPEC §4.F)"
    )?;
    let mut table = vec![header_row(&[
        "candidate",
        "quantity",
        "against",
        "cells",
        "|bias| A",
        "B",
        "both",
        "RMSE A",
        "B",
        "both",
    ])];
    for r in &replications {
        let (bias, rmse) = (
            r.held(CellVerdict::worse_bias),
            r.held(CellVerdict::worse_rmse),
        );
        table.push(vec![
            r.candidate.to_string(),
            r.quantity.name().to_string(),
            r.against.clone(),
            r.cells.len().to_string(),
            bias.a.to_string(),
            bias.b.to_string(),
            bias.both.to_string(),
            rmse.a.to_string(),
            rmse.b.to_string(),
            rmse.both.to_string(),
        ]);
    }
    out.push_str(&super::aligned(&table, "  "));
    if !list_cells {
        writeln!(out, "(--cells lists the cells)")?;
        return Ok(out);
    }
    let measures: [(&str, fn(&CellVerdict) -> bool, fn(&CellVerdict) -> f64); 2] = [
        ("|bias|", CellVerdict::worse_bias, |v| v.excess_bias),
        ("RMSE", CellVerdict::worse_rmse, |v| v.excess_rmse),
    ];
    writeln!(
        out,
        "cells worse in either run (excess over the comparison ± the candidate's SE, nats)"
    )?;
    let mut table = vec![header_row(&[
        "candidate",
        "quantity",
        "against",
        "measure",
        "cell",
        "A",
        "B",
        "verdict",
    ])];
    for r in &replications {
        for (measure, worse, excess) in measures {
            for (va, vb) in r.cells.iter().filter(|(va, vb)| worse(va) || worse(vb)) {
                let verdict = match (worse(va), worse(vb)) {
                    (true, true) => "held",
                    (true, false) => "A only",
                    _ => "B only",
                };
                table.push(vec![
                    r.candidate.to_string(),
                    r.quantity.name().to_string(),
                    r.against.clone(),
                    measure.to_string(),
                    cell_name(&va.cell),
                    format!("{:+.3} ± {:.3}", excess(va), va.se),
                    format!("{:+.3} ± {:.3}", excess(vb), vb.se),
                    verdict.to_string(),
                ]);
            }
        }
    }
    out.push_str(&super::aligned(&table, "  "));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::manifest_changes;

    #[test]
    fn manifests_differ_by_dotted_key() {
        let a = serde_json::json!({"seed": 1, "train": {"lr": 0.01, "solver": "adam"}, "x": [1]});
        let b = serde_json::json!({"seed": 1, "train": {"lr": 0.005, "solver": "adam"}, "y": 2});
        let c = manifest_changes(&a, &b);
        assert_eq!(
            c,
            vec![
                ("train.lr".into(), "0.01".into(), "0.005".into()),
                ("x".into(), "[1]".into(), "–".into()),
                ("y".into(), "–".into(), "2".into()),
            ]
        );
    }
}
