//! `harness sensitivity`: how a classification run's v3 findings move when the CCE is read
//! another way (docs/SENSITIVITY.md). Not claims: numbers reported beside the verdicts.
//!
//! For a results folder it prints, per level: the effective threshold n* (v2's), where the
//! CCE peaks over the robustness draws, C2's contrasts and C3's (and C3-loss's) rise and fall,
//! as the run reads them. With `members.csv` and `pairs.csv` (an `artifacts/results` folder)
//! it also gives the dead ReLU units per member beside the CCE, and the same C2 on two
//! variants of the CCE: over the ordered pairs whose two members have every hidden unit alive,
//! and per live unit (CCE(a|b) / the live units of a, since the CCE of a d-dimensional
//! representation grows with d).

use super::data::{self, Groups, Series};
use super::{judge_groups, v2, v3};
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// (level cell, n, replica, member) → dead units.
type Dead = BTreeMap<(String, usize, usize, usize), f64>;

fn read_csv(path: &Path) -> Result<(Vec<String>, Vec<csv::StringRecord>)> {
    let mut r =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let header = r.headers()?.iter().map(String::from).collect();
    let rows = r
        .records()
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{}: not CSV", path.display()))?;
    Ok((header, rows))
}

fn column(header: &[String], path: &Path, name: &str) -> Result<usize> {
    header
        .iter()
        .position(|h| h == name)
        .with_context(|| format!("{}:1: no column `{name}`", path.display()))
}

fn dead_units(dir: &Path) -> Result<Dead> {
    let path = dir.join("members.csv");
    let (h, rows) = read_csv(&path)?;
    let (n, r, m, d) = (
        column(&h, &path, "n")?,
        column(&h, &path, "replica")?,
        column(&h, &path, "member")?,
        column(&h, &path, "dead_units")?,
    );
    let mut out = Dead::new();
    for (i, rec) in rows.iter().enumerate() {
        let bad = || format!("{}:{}: not a number", path.display(), i + 2);
        out.insert(
            (
                rec[0].to_string(),
                rec[n].parse().with_context(bad)?,
                rec[r].parse().with_context(bad)?,
                rec[m].parse().with_context(bad)?,
            ),
            rec[d].parse().with_context(bad)?,
        );
    }
    Ok(out)
}

/// The hidden width of the run's network (`run.json`'s manifest).
fn width(dir: &Path) -> Result<f64> {
    let path = dir.join("run.json");
    let v: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?,
    )?;
    v["manifest"]["model"]["width"]
        .as_f64()
        .with_context(|| format!("{}: no manifest.model.width", path.display()))
}

/// Per (level cell, n): replica → the CCE values of its ordered pairs of the main estimator,
/// each with its member's (a's) dead units and its partner's.
type Pairs = BTreeMap<(String, usize), BTreeMap<usize, Vec<(f64, f64, f64)>>>;

fn pairs(dir: &Path, estimator: &str, dead: &Dead) -> Result<Pairs> {
    let path = dir.join("pairs.csv");
    let (h, rows) = read_csv(&path)?;
    let (n, r, a, b, e, c) = (
        column(&h, &path, "n")?,
        column(&h, &path, "replica")?,
        column(&h, &path, "member_a")?,
        column(&h, &path, "member_b")?,
        column(&h, &path, "estimator")?,
        column(&h, &path, "cce")?,
    );
    let mut out = Pairs::new();
    for (i, rec) in rows.iter().enumerate() {
        if &rec[e] != estimator {
            continue;
        }
        let bad = || format!("{}:{}: not a number", path.display(), i + 2);
        let (level, nn, rr): (String, usize, usize) = (
            rec[0].to_string(),
            rec[n].parse().with_context(bad)?,
            rec[r].parse().with_context(bad)?,
        );
        let (ma, mb): (usize, usize) = (
            rec[a].parse().with_context(bad)?,
            rec[b].parse().with_context(bad)?,
        );
        let dead_of = |m: usize| dead.get(&(level.clone(), nn, rr, m)).copied();
        let (Some(da), Some(db)) = (dead_of(ma), dead_of(mb)) else {
            bail!("{}:{}: members not in members.csv", path.display(), i + 2);
        };
        out.entry((level, nn))
            .or_default()
            .entry(rr)
            .or_default()
            .push((rec[c].parse().with_context(bad)?, da, db));
    }
    Ok(out)
}

/// The curves with each point's CCE replaced by `f` of its pairs' (cce, dead a, dead b),
/// replica by replica (a replica without a value leaves the point with fewer replicas).
fn variant(
    groups: &Groups,
    level_cells: &BTreeMap<String, String>,
    pairs: &Pairs,
    f: &dyn Fn(&[(f64, f64, f64)]) -> Option<f64>,
) -> Groups {
    let mut g = groups.clone();
    for (_, curves) in &mut g {
        for c in curves {
            let Some(cell) = level_cells.get(&c.label) else {
                continue;
            };
            for p in &mut c.points {
                let reps: Vec<(usize, f64)> = pairs
                    .get(&(cell.clone(), p.n))
                    .map(|by| {
                        by.iter()
                            .filter_map(|(r, v)| f(v).map(|x| (*r, x)))
                            .collect()
                    })
                    .unwrap_or_default();
                p.cce = if reps.is_empty() {
                    Series::missing()
                } else {
                    let w = vec![1.0 / reps.len() as f64; reps.len()];
                    Series {
                        estimate: data::weighted_estimate(&reps, &w),
                        replicas: reps,
                        weights: w,
                    }
                };
            }
        }
    }
    g
}

fn mean(v: impl Iterator<Item = f64>) -> Option<f64> {
    let (s, c) = v.fold((0.0, 0usize), |(s, c), x| (s + x, c + 1));
    (c > 0).then(|| s / c as f64)
}

/// Pearson's r of (x, y).
fn pearson(xy: &[(f64, f64)]) -> f64 {
    let n = xy.len() as f64;
    let (mx, my) = (
        xy.iter().map(|p| p.0).sum::<f64>() / n,
        xy.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xy {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    sxy / (sxx * syy).sqrt()
}

/// Residuals of `y` after a least-squares line in `x`.
fn residuals(x: &[f64], y: &[f64]) -> Vec<f64> {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    x.iter()
        .zip(y)
        .map(|(a, b)| b - my - slope * (a - mx))
        .collect()
}

/// The v3 view of one reading of the CCE: per curve, n*, where the peak lies, C2's contrasts.
fn c2_lines(groups: &Groups, what: &str, out: &mut String) {
    let verdicts = judge_groups(groups);
    let c2 = verdicts.v3.iter().find(|v| v.claim == "C2");
    let _ = writeln!(out, "\n#### C2 v3 on {what}\n");
    if let Some(c2) = c2 {
        let robust = c2.robustness.as_ref().map_or(f64::NAN, |r| r.same);
        let _ = writeln!(
            out,
            "{} (robustness {robust:.3}): {}\n",
            c2.result(),
            c2.detail
        );
    }
}

/// The sensitivity report of one results folder, as Markdown.
pub fn report(dir: &Path) -> Result<String> {
    let (groups, _) = data::read_folder(dir)?;
    let mut out = format!("### {}\n\n", dir.display());
    // The thresholds and the v3 effects as the run reads them.
    let effects = v3::effects(&groups);
    let _ = writeln!(
        out,
        "| curve | n* (v2) | C2 v3 | C3 v3 rise; fall (log) | C3-loss v3 rise; fall (log) |\n|---|---|---|---|---|"
    );
    let v2g = data::v2_groups(&groups);
    let v2c: Vec<&v2::Curve> = v2g.iter().flat_map(|(_, c)| c.iter()).collect();
    for (i, c) in groups.iter().flat_map(|(_, c)| c.iter()).enumerate() {
        let threshold = match v2::threshold(v2c[i]) {
            v2::Threshold::At { n, .. } => format!("{n}"),
            v2::Threshold::NotApplicable(_) => "none".into(),
        };
        let c2 = match &effects.c2[i].effect {
            Ok(e) => e
                .regions
                .iter()
                .map(|r| {
                    format!(
                        "{:+.3} (p {:.1e}); {:+.3} (p {:.1e}){}",
                        r.above_low.estimate,
                        r.above_low.p(),
                        r.above_high.estimate,
                        r.above_high.p(),
                        if e.pass() { " PASS" } else { " FAIL" }
                    )
                })
                .collect::<Vec<_>>()
                .join(" / "),
            Err(why) => format!("N/A ({why})"),
        };
        let c3 = |e: &Result<v3::C3Effect, String>| match e {
            Ok(e) => format!(
                "n={}→{}→{}: {:+.3} (p {:.1e}); {:+.3} (p {:.1e}){}",
                e.from,
                e.at,
                e.to,
                e.rise.estimate,
                e.rise.p(),
                e.fall.estimate,
                e.fall.p(),
                if e.pass() { " PASS" } else { " FAIL" }
            ),
            Err(why) => format!("N/A ({why})"),
        };
        let loss = effects
            .c3_loss
            .as_ref()
            .map_or("–".to_string(), |l| c3(&l[i].effect));
        let _ = writeln!(
            out,
            "| {} | {threshold} | {c2} | {} | {loss} |",
            c.label,
            c3(&effects.c3[i].effect)
        );
    }
    c2_lines(&groups, "the run's CCE (all pairs)", &mut out);
    if !(dir.join("members.csv").is_file() && dir.join("pairs.csv").is_file()) {
        return Ok(out);
    }
    // Dead units: the CCE read over all-alive pairs and per live unit.
    let summary = dir.join("summary.csv");
    let (h, rows) = read_csv(&summary)?;
    let est = column(&h, &summary, "estimator")?;
    let estimator = rows.first().map(|r| r[est].to_string()).unwrap_or_default();
    let dead = dead_units(dir)?;
    let pairs = pairs(dir, &estimator, &dead)?;
    let k = width(dir)?;
    // The label of each curve → its level cell in the CSVs.
    let mut cells: BTreeMap<String, String> = BTreeMap::new();
    for r in &rows {
        let v: f64 = r[0].parse().unwrap_or(f64::NAN);
        let label = match h[0].as_str() {
            "label_noise" => crate::plan::Level::LabelNoise(v).label(),
            _ => crate::plan::Level::Snr(v).label(),
        };
        cells.insert(label, r[0].to_string());
    }
    let _ = writeln!(
        out,
        "\n#### Dead units (of {k}) per member and the CCE ({estimator})\n\n\
         | curve | n | dead per member | pairs all alive | CCE all pairs | CCE all-alive pairs | CCE per live unit |\n|---|---|---|---|---|---|---|"
    );
    let mut by_level: BTreeMap<String, Vec<(f64, f64, f64)>> = BTreeMap::new();
    for c in groups.iter().flat_map(|(_, c)| c.iter()) {
        let Some(cell) = cells.get(&c.label) else {
            continue;
        };
        for p in &c.points {
            let Some(by) = pairs.get(&(cell.clone(), p.n)) else {
                continue;
            };
            let all: Vec<&(f64, f64, f64)> = by.values().flatten().collect();
            let alive: Vec<&&(f64, f64, f64)> =
                all.iter().filter(|x| x.1 == 0.0 && x.2 == 0.0).collect();
            let dead_mean = mean(
                dead.iter()
                    .filter(|((l, n, _, _), _)| l == cell && *n == p.n)
                    .map(|(_, d)| *d),
            )
            .unwrap_or(f64::NAN);
            let fmt = |x: Option<f64>| x.map_or("–".into(), |x| format!("{x:.3}"));
            let _ = writeln!(
                out,
                "| {} | {} | {dead_mean:.2} | {} of {} | {} | {} | {} |",
                c.label,
                p.n,
                alive.len(),
                all.len(),
                fmt(mean(all.iter().map(|x| x.0))),
                fmt(mean(alive.iter().map(|x| x.0))),
                fmt(mean(all.iter().map(|x| x.0 / (k - x.1))))
            );
            // Replica means, for the correlation.
            for v in by.values() {
                let dm = mean(v.iter().map(|x| (x.1 + x.2) / 2.0)).unwrap_or(f64::NAN);
                let cm = mean(v.iter().map(|x| x.0)).unwrap_or(f64::NAN);
                by_level
                    .entry(c.label.clone())
                    .or_default()
                    .push(((p.n as f64).ln(), dm, cm));
            }
        }
    }
    let _ = writeln!(
        out,
        "\nPearson's r between a replica's mean dead units (over its pairs' members) and its mean \
         CCE, each after a least-squares line in log n within the level:\n"
    );
    for (label, v) in &by_level {
        let x: Vec<f64> = v.iter().map(|p| p.0).collect();
        let d = residuals(&x, &v.iter().map(|p| p.1).collect::<Vec<_>>());
        let c = residuals(&x, &v.iter().map(|p| p.2).collect::<Vec<_>>());
        let xy: Vec<(f64, f64)> = d.into_iter().zip(c).collect();
        let _ = writeln!(
            out,
            "- {label}: r = {:+.2} ({} replicas)",
            pearson(&xy),
            xy.len()
        );
    }
    let alive = variant(&groups, &cells, &pairs, &|v| {
        mean(v.iter().filter(|x| x.1 == 0.0 && x.2 == 0.0).map(|x| x.0))
    });
    c2_lines(&alive, "the CCE over all-alive pairs only", &mut out);
    let per_unit = variant(&groups, &cells, &pairs, &|v| {
        mean(v.iter().map(|x| x.0 / (k - x.1)))
    });
    c2_lines(&per_unit, "the CCE per live unit", &mut out);
    Ok(out)
}
