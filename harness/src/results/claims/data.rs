//! What every rule set reads, in one place: each curve (one network at one noise level) with,
//! per grid point and quantity, the mean and standard error of `summary.csv` and each
//! replica's mean of `replicas.csv`. Built from a run's summary rows ([`from_rows`]) or read
//! back from a results folder's CSV files alone ([`read_folder`]), so that a reader of the files
//! reaches the verdicts of `claims.csv` (docs/SPEC.md §7, v3). [`reweighted`] gives the same
//! curves under one bootstrap draw of replica weights, for the robustness of the verdicts.
//!
//! The rule sets see this through their own curve types: [`v1_groups`], [`v2_groups`]; v3
//! reads it directly.

use super::v2;
use crate::data::datasets::CLASSES;
use crate::manifest::{Manifest, Task};
use crate::plan::{Level, Plan};
use crate::results::check::replicas::FILE as REPLICAS_FILE;
use crate::results::tables::{Estimate, SummaryRow};
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// One quantity at one point: the summary's mean and standard error, each replica's mean
/// (by replica, ascending) and the replicas' weights (equal, 1/R, except in a bootstrap draw).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub estimate: Estimate,
    pub replicas: Vec<(usize, f64)>,
    pub weights: Vec<f64>,
}

impl Series {
    /// A quantity from its summary estimate and replica means, equally weighted.
    pub fn new(estimate: Estimate, mut replicas: Vec<(usize, f64)>) -> Series {
        replicas.sort_by_key(|r| r.0);
        let w = 1.0 / replicas.len() as f64;
        Series {
            estimate,
            weights: vec![w; replicas.len()],
            replicas,
        }
    }

    /// A quantity known only by its replica means (mean and SE computed from them).
    pub fn of_replicas(values: &[f64]) -> Series {
        let replicas: Vec<(usize, f64)> = values.iter().copied().enumerate().collect();
        let w = vec![1.0 / values.len() as f64; values.len()];
        let estimate = weighted_estimate(&replicas, &w);
        Series {
            estimate,
            replicas,
            weights: w,
        }
    }

    /// Not measured: NaN mean and SE, no replicas.
    pub fn missing() -> Series {
        Series {
            estimate: Estimate {
                mean: f64::NAN,
                se: f64::NAN,
            },
            replicas: Vec::new(),
            weights: Vec::new(),
        }
    }

    /// The replica means, in replica order.
    pub fn values(&self) -> Vec<f64> {
        self.replicas.iter().map(|r| r.1).collect()
    }
}

/// Mean and standard error of weighted replica means, weights summing to 1: the weighted
/// mean m and √(Σ wᵢ(xᵢ − m)² / (R − 1)), the standard error that a sample of R replicas
/// drawn from the weighted values would have. For equal weights, the usual mean and s/√R
/// (NaN below two replicas).
pub fn weighted_estimate(replicas: &[(usize, f64)], weights: &[f64]) -> Estimate {
    let m: f64 = replicas.iter().zip(weights).map(|(r, w)| w * r.1).sum();
    let s = weighted_var_of_mean(replicas.iter().map(|r| r.1), weights, m);
    Estimate {
        mean: if replicas.is_empty() { f64::NAN } else { m },
        se: s.sqrt(),
    }
}

/// The squared standard error of a weighted mean `m` of R `values` (see
/// [`weighted_estimate`]): Σ wᵢ(xᵢ − m)² / (R − 1).
pub fn weighted_var_of_mean(values: impl Iterator<Item = f64>, weights: &[f64], m: f64) -> f64 {
    if weights.len() < 2 {
        return f64::NAN;
    }
    let ss: f64 = values
        .zip(weights)
        .map(|(x, w)| w * (x - m) * (x - m))
        .sum();
    ss / (weights.len() - 1) as f64
}

/// One grid point of a curve.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub n: usize,
    pub n_over_p: f64,
    /// CCE of `alignment.estimator`.
    pub cce: Series,
    pub gen_error: Series,
    /// Classifiers: clean-label test loss.
    pub test_loss: Option<Series>,
    /// Classifiers: error on the members' own noisy training labels.
    pub train_error: Option<Series>,
}

/// One network at one noise level, points in increasing n.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// e.g. `SNR 5`, `label noise 0.2`; prefixed by the network in a comparison.
    pub label: String,
    /// Larger is cleaner.
    pub signal: f64,
    pub network: String,
    pub p: usize,
    /// Classifiers: the number of classes K (for the threshold n·K = P).
    pub classes: Option<usize>,
    pub points: Vec<Point>,
}

/// Curves grouped by network, in plan order.
pub type Groups = Vec<(String, Vec<Curve>)>;

/// The curves of a run's summary rows: the main estimator's CCE, `gen_error`, and for
/// classifiers `test_loss` and `train_error`, each with its replica means.
pub fn from_rows(manifest: &Manifest, plan: &Plan, rows: &[SummaryRow]) -> Groups {
    let main = manifest.alignment.estimator.name();
    let classes = matches!(manifest.task, Task::Classification { .. }).then_some(CLASSES);
    let networks = &plan.networks;
    let mut groups: Groups = Vec::new();
    for (net, network) in networks.iter().enumerate() {
        let name = network.model.name().to_string();
        let prefix = if networks.len() > 1 {
            format!("{name} ")
        } else {
            String::new()
        };
        let mut curves: Vec<Curve> = Vec::new();
        for r in rows.iter().filter(|r| r.network == net) {
            let series = |e: Option<Estimate>, q: &str| {
                e.map(|e| Series::new(e, r.replica_values.get(q).cloned().unwrap_or_default()))
            };
            let point = Point {
                n: r.point.n,
                n_over_p: r.point.n_over_p,
                cce: series(r.cce.get(main).copied(), &format!("cce_{main}"))
                    .unwrap_or_else(Series::missing),
                gen_error: Series::new(
                    r.gen_error,
                    r.replica_values
                        .get("gen_error")
                        .cloned()
                        .unwrap_or_default(),
                ),
                test_loss: series(r.extra.get("test_loss").copied(), "test_loss"),
                train_error: series(r.extra.get("train_error").copied(), "train_error"),
            };
            push(
                &mut curves,
                format!("{prefix}{}", r.point.level.label()),
                r.point.level.signal(),
                &name,
                r.p,
                classes,
                point,
            );
        }
        for c in &mut curves {
            c.points.sort_by_key(|p| p.n);
        }
        groups.push((name, curves));
    }
    groups
}

fn push(
    curves: &mut Vec<Curve>,
    label: String,
    signal: f64,
    network: &str,
    p: usize,
    classes: Option<usize>,
    point: Point,
) {
    match curves.iter_mut().find(|c| c.label == label) {
        Some(c) => c.points.push(point),
        None => curves.push(Curve {
            label,
            signal,
            network: network.to_string(),
            p,
            classes,
            points: vec![point],
        }),
    }
}

/// The curves of a results folder, from its `summary.csv` and `replicas.csv` alone (a folder
/// without `sweep.over`), and the manifest hash `replicas.csv` records. The same curves, bit
/// for bit, as [`from_rows`] on the run that wrote the folder: every number in the files is
/// written in its shortest round-trip form.
pub fn read_folder(dir: &Path) -> Result<(Groups, String)> {
    let summary_path = dir.join("summary.csv");
    let mut reader = csv::Reader::from_path(&summary_path)
        .with_context(|| format!("cannot read {}", summary_path.display()))?;
    let header: Vec<String> = reader.headers()?.iter().map(String::from).collect();
    let col = |name: &str| -> Result<usize> {
        header.iter().position(|h| h == name).with_context(|| {
            format!(
                "{}:1: no column `{name}` (columns: {})",
                summary_path.display(),
                header.join(",")
            )
        })
    };
    let level_column = header.first().cloned().unwrap_or_default();
    let make_level: fn(f64) -> Level = match level_column.as_str() {
        "snr" => Level::Snr,
        "label_noise" => Level::LabelNoise,
        other => bail!(
            "{}:1: the first column is `{other}`, not `snr` or `label_noise` (a `sweep.over` \
             folder is not read back here)",
            summary_path.display()
        ),
    };
    let classes = (level_column == "label_noise").then_some(CLASSES);
    let replicas = read_replicas(dir)?;
    let (n_col, p_col, r_col, model_col, est_col) = (
        col("n")?,
        col("p")?,
        col("n_over_p")?,
        col("model")?,
        col("estimator")?,
    );
    let mut records = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.with_context(|| format!("{}:{}: not CSV", summary_path.display(), i + 2))?;
        records.push(rec);
    }
    let mut models: Vec<String> = Vec::new();
    for rec in &records {
        if !models.contains(&rec[model_col].to_string()) {
            models.push(rec[model_col].to_string());
        }
    }
    let mut groups: Groups = models.iter().map(|m| (m.clone(), Vec::new())).collect();
    for (i, rec) in records.iter().enumerate() {
        let line = i + 2;
        let num = |c: usize| -> Result<f64> {
            let s = &rec[c];
            if s.is_empty() {
                return Ok(f64::NAN);
            }
            s.parse::<f64>().with_context(|| {
                format!(
                    "{}:{line}: column `{}`: `{s}` is not a number",
                    summary_path.display(),
                    header[c]
                )
            })
        };
        let count = |c: usize| -> Result<usize> {
            rec[c].parse::<usize>().with_context(|| {
                format!(
                    "{}:{line}: column `{}`: `{}` is not a count",
                    summary_path.display(),
                    header[c],
                    &rec[c]
                )
            })
        };
        let level_text = rec[0].to_string();
        let level = make_level(num(0)?);
        let (n, p, model) = (count(n_col)?, count(p_col)?, rec[model_col].to_string());
        let key = (level_text, n, model.clone());
        let of = |q: &str| replicas.get(&(key.clone(), q.to_string())).cloned();
        let estimate = |q: &str| -> Result<Option<Estimate>> {
            match (
                header.iter().position(|h| *h == format!("{q}_mean")),
                header.iter().position(|h| *h == format!("{q}_se")),
            ) {
                (Some(m), Some(s)) => Ok(Some(Estimate {
                    mean: num(m)?,
                    se: num(s)?,
                })),
                _ => Ok(None),
            }
        };
        let series = |q: &str| -> Result<Option<Series>> {
            Ok(estimate(q)?.map(|e| Series::new(e, of(q).unwrap_or_default())))
        };
        let main = format!("cce_{}", &rec[est_col]);
        let cce = match estimate(&main)? {
            Some(e) if !e.mean.is_nan() => Series::new(e, of(&main).unwrap_or_default()),
            _ => Series::missing(),
        };
        let point = Point {
            n,
            n_over_p: num(r_col)?,
            cce,
            gen_error: series("gen_error")?
                .with_context(|| format!("{}: no gen_error columns", summary_path.display()))?,
            test_loss: series("test_loss")?,
            train_error: series("train_error")?,
        };
        let net = models.iter().position(|m| *m == model).unwrap_or(0);
        let prefix = if models.len() > 1 {
            format!("{model} ")
        } else {
            String::new()
        };
        push(
            &mut groups[net].1,
            format!("{prefix}{}", level.label()),
            level.signal(),
            &model,
            p,
            classes,
            point,
        );
    }
    for (_, curves) in &mut groups {
        for c in curves {
            c.points.sort_by_key(|p| p.n);
        }
    }
    let hash = read_manifest_hash(dir)?;
    Ok((groups, hash))
}

type ReplicaMap = BTreeMap<((String, usize, String), String), Vec<(usize, f64)>>;

fn read_replicas(dir: &Path) -> Result<ReplicaMap> {
    let r = crate::results::check::replicas::Replicas::read(dir, &[])?;
    let mut map: ReplicaMap = BTreeMap::new();
    for row in r.rows {
        map.entry((
            (row.point.level, row.point.n, row.point.model),
            row.quantity,
        ))
        .or_default()
        .push((row.replica, row.value));
    }
    Ok(map)
}

fn read_manifest_hash(dir: &Path) -> Result<String> {
    let r = crate::results::check::replicas::Replicas::read(dir, &[])
        .with_context(|| format!("reading {}", dir.join(REPLICAS_FILE).display()))?;
    Ok(r.provenance.manifest_sha256)
}

/// The same curves with each n's replicas reweighted by `weights[n]` (one weight per replica
/// r = 0..R of that n, shared by every level and network at that n: their replica r shares
/// its seeds), each point's mean and standard error recomputed from the weighted replica
/// means. A quantity measured on some replicas only takes their weights, renormalized.
pub fn reweighted(groups: &Groups, weights: &BTreeMap<usize, Vec<f64>>) -> Groups {
    let apply = |s: &Series, n: usize| -> Series {
        let Some(w) = weights.get(&n) else {
            return s.clone();
        };
        let w: Vec<f64> = if w.len() == s.replicas.len() {
            w.clone()
        } else {
            let picked: Vec<f64> = s
                .replicas
                .iter()
                .map(|(r, _)| w.get(*r).copied().unwrap_or(0.0))
                .collect();
            let total: f64 = picked.iter().sum();
            if total > 0.0 {
                picked.iter().map(|x| x / total).collect()
            } else {
                return s.clone();
            }
        };
        Series {
            estimate: weighted_estimate(&s.replicas, &w),
            replicas: s.replicas.clone(),
            weights: w,
        }
    };
    groups
        .iter()
        .map(|(name, curves)| {
            let curves = curves
                .iter()
                .map(|c| Curve {
                    points: c
                        .points
                        .iter()
                        .map(|p| Point {
                            n: p.n,
                            n_over_p: p.n_over_p,
                            cce: apply(&p.cce, p.n),
                            gen_error: apply(&p.gen_error, p.n),
                            test_loss: p.test_loss.as_ref().map(|s| apply(s, p.n)),
                            train_error: p.train_error.as_ref().map(|s| apply(s, p.n)),
                        })
                        .collect(),
                    ..c.clone()
                })
                .collect();
            (name.clone(), curves)
        })
        .collect()
}

/// The number of replicas at each grid n (the most any quantity there has).
pub fn replicas_per_n(groups: &Groups) -> BTreeMap<usize, usize> {
    let mut out: BTreeMap<usize, usize> = BTreeMap::new();
    for (_, curves) in groups {
        for c in curves {
            for p in &c.points {
                let r = [
                    Some(&p.cce),
                    Some(&p.gen_error),
                    p.test_loss.as_ref(),
                    p.train_error.as_ref(),
                ]
                .into_iter()
                .flatten()
                .map(|s| s.replicas.len())
                .max()
                .unwrap_or(0);
                let e = out.entry(p.n).or_default();
                *e = (*e).max(r);
            }
        }
    }
    out
}

/// v2's view of the curves (means and standard errors).
pub fn v2_groups(groups: &Groups) -> Vec<(String, Vec<v2::Curve>)> {
    groups
        .iter()
        .map(|(name, curves)| {
            let curves = curves
                .iter()
                .map(|c| v2::Curve {
                    label: c.label.clone(),
                    signal: c.signal,
                    network: c.network.clone(),
                    p: c.p,
                    points: c
                        .points
                        .iter()
                        .map(|p| v2::Point {
                            n: p.n,
                            n_over_p: p.n_over_p,
                            cce: p.cce.estimate,
                            gen_error: p.gen_error.estimate,
                            test_loss: p.test_loss.as_ref().map(|s| s.estimate),
                            train_error: p.train_error.as_ref().map(|s| s.estimate),
                        })
                        .collect(),
                })
                .collect();
            (name.clone(), curves)
        })
        .collect()
}

/// v1's view of the curves.
pub fn v1_groups(groups: &Groups) -> Vec<(String, Vec<super::Curve>)> {
    v2::as_v1(&v2_groups(groups))
}
