//! The tables of a network experiment: the tidy `members.csv` and `pairs.csv`, and the
//! per-point `summary.csv` with the rows the claims and the figure read ([`SummaryRow`]).
//!
//! Means are over every ordered pair (or member) of a point; standard errors are computed over
//! the replica means, since the pairs of one replica share their inputs and are correlated.

use super::Outcome;
use crate::data::teacher::Inputs;
use crate::estimators::Estimator;
use crate::manifest::{Manifest, Task};
use crate::models::{theory, Model};
use crate::plan::{Plan, Point};
use anyhow::Result;
use std::collections::BTreeMap;

/// Mean and standard error (over replica means) of one quantity at one point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub se: f64,
}

impl Estimate {
    /// From per-replica lists of values: the mean of all values and the standard error of the
    /// replica means (NaN with a single replica).
    pub fn over_replicas(groups: &[Vec<f64>]) -> Estimate {
        let all: Vec<f64> = groups.iter().flatten().copied().collect();
        let mean = all.iter().sum::<f64>() / all.len() as f64;
        let means: Vec<f64> = Estimate::replica_means(groups)
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        let r = means.len() as f64;
        let se = if means.len() < 2 {
            f64::NAN
        } else {
            let m = means.iter().sum::<f64>() / r;
            (means.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (r - 1.0) / r).sqrt()
        };
        Estimate { mean, se }
    }

    /// (replica, mean of its values) for every replica with values.
    pub fn replica_means(groups: &[Vec<f64>]) -> Vec<(usize, f64)> {
        groups
            .iter()
            .enumerate()
            .filter(|(_, g)| !g.is_empty())
            .map(|(r, g)| (r, g.iter().sum::<f64>() / g.len() as f64))
            .collect()
    }
}

/// The column name of a measure in `summary.csv`: `ksg`, `kl`, `gaussian` or `exact`.
pub const EXACT: &str = "exact";

/// One row of `summary.csv`: one point of the sweep for one network.
#[derive(Clone, Debug)]
pub struct SummaryRow {
    /// The point, with `n_over_p` in this network's own P.
    pub point: Point,
    /// The network's `kind` (its model's name).
    pub model: &'static str,
    /// Index into [`Plan::networks`].
    pub network: usize,
    pub p: usize,
    pub replicas: usize,
    pub members: usize,
    pub pairs: usize,
    pub gen_error: Estimate,
    pub train_loss: Estimate,
    /// CCE(this network's member | its partner) over ordered pairs, by measure name.
    pub cce: BTreeMap<String, Estimate>,
    /// Copula mutual information of the main estimator.
    pub mi: Estimate,
    pub theory_gen_error: Option<f64>,
    pub theory_cce: Option<f64>,
    pub theory_rho: Option<f64>,
    /// The members' further measurements (classification: test loss, training error), by name.
    pub extra: BTreeMap<String, Estimate>,
    /// Per-replica means of `gen_error`, of each `cce_<measure>` and of each further
    /// measurement (`extra`): what `replicas.csv` holds; `harness check` compares the first
    /// two, the claims read them all.
    pub replica_values: BTreeMap<String, Vec<(usize, f64)>>,
}

/// The names of the members' further measurements, in column order.
fn extra_names(outcome: &Outcome) -> Vec<String> {
    let mut names: Vec<String> = outcome
        .members
        .iter()
        .flat_map(|m| m.extra.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// One row per (point, network), points in plan order. Each ordered pair (a, b) of members
/// counts CCE(a|b) in a's row: within one network both directions land in the same row; in
/// a comparison, the first network's row holds CCE(first | second) and the second's the
/// reverse.
pub fn summarize(manifest: &Manifest, plan: &Plan, outcome: &Outcome) -> Vec<SummaryRow> {
    let replicas = manifest.sweep.replicas;
    let d = plan.d().unwrap_or(0);
    let extras = extra_names(outcome);
    let shared_inputs = matches!(
        &manifest.task,
        Task::LinearTeacher {
            inputs: Inputs::Shared,
            ..
        }
    );
    let main = manifest.alignment.estimator;
    let networks = &plan.networks;
    let mut rows = Vec::new();
    for (pi, point) in plan.points.iter().enumerate() {
        for (net, network) in networks.iter().enumerate() {
            let (model, p) = (&network.model, network.p);
            // The SPEC §5 theory is for linear2 within one network; not for a comparison.
            let theory_applies =
                shared_inputs && matches!(model, Model::Linear2(_)) && networks.len() == 1;
            let mut gen = vec![Vec::new(); replicas];
            let mut loss = vec![Vec::new(); replicas];
            let mut extra: BTreeMap<&str, Vec<Vec<f64>>> = extras
                .iter()
                .map(|e| (e.as_str(), vec![Vec::new(); replicas]))
                .collect();
            let mut members = 0;
            for (m, res) in plan.members.iter().zip(&outcome.members) {
                if m.point == pi && m.network == net {
                    gen[m.replica].push(res.gen_error);
                    loss[m.replica].push(res.train_loss);
                    for (name, v) in &res.extra {
                        if let Some(g) = extra.get_mut(name.as_str()) {
                            g[m.replica].push(*v);
                        }
                    }
                    members += 1;
                }
            }
            let mut cce: BTreeMap<String, Vec<Vec<f64>>> = BTreeMap::new();
            let mut mi = vec![Vec::new(); replicas];
            let mut pairs = 0;
            for (pp, res) in plan.pairs.iter().zip(&outcome.pairs) {
                let (ma, mb) = (&plan.members[pp.a], &plan.members[pp.b]);
                if ma.point != pi {
                    continue;
                }
                // The directions whose conditioned member belongs to this network.
                let directions = [ma.network == net, mb.network == net];
                for (first, wanted) in [(true, directions[0]), (false, directions[1])] {
                    if !wanted {
                        continue;
                    }
                    pairs += 1;
                    for (est, v) in &res.estimates {
                        let g = cce
                            .entry(est.name().to_string())
                            .or_insert_with(|| vec![Vec::new(); replicas]);
                        g[ma.replica].push(if first {
                            v.cce_a_given_b
                        } else {
                            v.cce_b_given_a
                        });
                        if *est == main {
                            mi[ma.replica].push(v.mutual_information);
                        }
                    }
                    if let Some(x) = res.exact_cce {
                        cce.entry(EXACT.to_string())
                            .or_insert_with(|| vec![Vec::new(); replicas])[ma.replica]
                            .push(x);
                    }
                }
            }
            let mut replica_values = BTreeMap::new();
            replica_values.insert("gen_error".to_string(), Estimate::replica_means(&gen));
            for (measure, g) in &cce {
                replica_values.insert(format!("cce_{measure}"), Estimate::replica_means(g));
            }
            // The members' further measurements too: the claims read train_error and
            // test_loss per replica (docs/SPEC.md §7, v3).
            for (name, g) in &extra {
                replica_values.insert(name.to_string(), Estimate::replica_means(g));
            }
            rows.push(SummaryRow {
                point: Point {
                    n_over_p: point.n as f64 / p as f64,
                    ..*point
                },
                model: model.name(),
                network: net,
                p,
                replicas,
                members,
                pairs,
                gen_error: Estimate::over_replicas(&gen),
                train_loss: Estimate::over_replicas(&loss),
                cce: cce
                    .into_iter()
                    .map(|(k, g)| (k, Estimate::over_replicas(&g)))
                    .collect(),
                mi: Estimate::over_replicas(&mi),
                theory_gen_error: theory_applies
                    .then(|| theory::gen_error(d, point.n, point.level.value()))
                    .flatten(),
                theory_cce: theory_applies
                    .then(|| theory::cce(d, point.n, point.level.value()))
                    .flatten(),
                theory_rho: theory_applies
                    .then(|| theory::rho(d, point.n, point.level.value()))
                    .flatten(),
                extra: extra
                    .into_iter()
                    .map(|(k, g)| (k.to_string(), Estimate::over_replicas(&g)))
                    .collect(),
                replica_values,
            });
        }
    }
    rows
}

/// A number for a CSV cell: shortest round-trip form (scientific when tiny or huge); empty
/// when missing or not finite.
pub fn cell(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:?}"),
        _ => String::new(),
    }
}

fn csv_bytes(header: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.write_record(r)?;
    }
    Ok(w.into_inner()?)
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// One row per member. `p` and `n_over_p` are those of the member's own network.
pub fn members_csv(plan: &Plan, outcome: &Outcome) -> Result<Vec<u8>> {
    let extras = extra_names(outcome);
    let mut header = strings(&[
        plan.level_column(),
        "n",
        "p",
        "n_over_p",
        "model",
        "replica",
        "member",
        "unit",
        "gen_error",
        "train_loss",
        "steps",
        "stop",
    ]);
    header.extend(extras.iter().cloned());
    let rows: Vec<Vec<String>> = plan
        .members
        .iter()
        .zip(&outcome.members)
        .map(|(m, r)| {
            let pt = &plan.points[m.point];
            let p = plan.networks[m.network].p;
            let mut row = vec![
                cell(Some(pt.level.value())),
                pt.n.to_string(),
                p.to_string(),
                cell(Some(pt.n as f64 / p as f64)),
                m.spec.model.name().to_string(),
                m.replica.to_string(),
                m.member.to_string(),
                m.hash.clone(),
                cell(Some(r.gen_error)),
                cell(Some(r.train_loss)),
                r.steps.to_string(),
                r.stop.name().to_string(),
            ];
            row.extend(extras.iter().map(|e| cell(r.extra.get(e).copied())));
            row
        })
        .collect();
    csv_bytes(&header, &rows)
}

/// One row per ordered pair (a, b) and measure: CCE(a|b), the copula MI and the symmetric
/// CCE; `p` and `n_over_p` are those of a's network. `tie_seed` is the pair's tie-breaking
/// seed ([`crate::plan::units::PairSpec::tie_break_seed`]): with it, `harness cce` on the
/// members exported by `harness export --pair` gives the row's value exactly.
pub fn pairs_csv(manifest: &Manifest, plan: &Plan, outcome: &Outcome) -> Result<Vec<u8>> {
    let k = manifest.alignment.k;
    let header = strings(&[
        plan.level_column(),
        "n",
        "p",
        "n_over_p",
        "replica",
        "model_a",
        "member_a",
        "model_b",
        "member_b",
        "estimator",
        "k",
        "cce",
        "mi",
        "symmetric_cce",
        "tie_seed",
    ]);
    let mut rows = Vec::new();
    for (pp, res) in plan.pairs.iter().zip(&outcome.pairs) {
        let (ma, mb) = (&plan.members[pp.a], &plan.members[pp.b]);
        let pt = &plan.points[ma.point];
        let tie_seed = pp.spec.tie_break_seed().to_string();
        for (ab, (a, b)) in [(true, (ma, mb)), (false, (mb, ma))] {
            let p = plan.networks[a.network].p;
            let base = vec![
                cell(Some(pt.level.value())),
                pt.n.to_string(),
                p.to_string(),
                cell(Some(pt.n as f64 / p as f64)),
                ma.replica.to_string(),
                a.spec.model.name().to_string(),
                a.member.to_string(),
                b.spec.model.name().to_string(),
                b.member.to_string(),
            ];
            for (est, v) in &res.estimates {
                let mut row = base.clone();
                row.extend([
                    est.name().to_string(),
                    k.to_string(),
                    cell(Some(if ab { v.cce_a_given_b } else { v.cce_b_given_a })),
                    cell(Some(v.mutual_information)),
                    cell(Some(v.symmetric_cce)),
                    tie_seed.clone(),
                ]);
                rows.push(row);
            }
            if let Some(x) = res.exact_cce {
                let mut row = base.clone();
                row.extend([
                    EXACT.to_string(),
                    String::new(),
                    cell(Some(x)),
                    cell(Some(-x)),
                    cell(Some(x)),
                    String::new(),
                ]);
                rows.push(row);
            }
        }
    }
    csv_bytes(&header, &rows)
}

/// The measures that appear in `summary.csv`, in column order: the estimators (those of
/// `Estimator::default_report()` always, others when reported), and `exact` where the pairs have
/// one (two `linear2` members).
pub fn measure_columns(manifest: &Manifest) -> Vec<String> {
    let mut v: Vec<String> = Estimator::ALL
        .iter()
        .filter(|e| {
            Estimator::default_report().contains(e) || manifest.alignment.report.contains(e)
        })
        .map(|e| e.name().to_string())
        .collect();
    if matches!(manifest.model, Model::Linear2(_)) && manifest.compare.is_none() {
        v.push(EXACT.to_string());
    }
    v
}

/// One row per (point, network); the theory columns appear only where a theory applies.
pub fn summary_csv(manifest: &Manifest, plan: &Plan, rows: &[SummaryRow]) -> Result<Vec<u8>> {
    let measures = measure_columns(manifest);
    let with_theory = rows
        .iter()
        .any(|r| r.theory_gen_error.is_some() || r.theory_cce.is_some() || r.theory_rho.is_some());
    let level = plan.level_column();
    let extras: Vec<&String> = rows
        .first()
        .map_or(Vec::new(), |r| r.extra.keys().collect());
    let mut header = strings(&[
        level,
        "n",
        "p",
        "n_over_p",
        "model",
        "replicas",
        "members",
        "pairs",
        "estimator",
        "k",
        "gen_error_mean",
        "gen_error_se",
        "train_loss_mean",
    ]);
    for m in &measures {
        header.push(format!("cce_{m}_mean"));
        header.push(format!("cce_{m}_se"));
    }
    header.extend(strings(&["mi_mean", "mi_se"]));
    if with_theory {
        header.extend(strings(&["theory_gen_error", "theory_cce", "theory_rho"]));
    }
    for e in &extras {
        header.push(format!("{e}_mean"));
        header.push(format!("{e}_se"));
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut row = vec![
                cell(Some(r.point.level.value())),
                r.point.n.to_string(),
                r.p.to_string(),
                cell(Some(r.point.n_over_p)),
                r.model.to_string(),
                r.replicas.to_string(),
                r.members.to_string(),
                r.pairs.to_string(),
                manifest.alignment.estimator.name().to_string(),
                manifest.alignment.k.to_string(),
                cell(Some(r.gen_error.mean)),
                cell(Some(r.gen_error.se)),
                cell(Some(r.train_loss.mean)),
            ];
            for m in &measures {
                let e = r.cce.get(m);
                row.push(cell(e.map(|e| e.mean)));
                row.push(cell(e.map(|e| e.se)));
            }
            row.extend([cell(Some(r.mi.mean)), cell(Some(r.mi.se))]);
            if with_theory {
                row.extend([
                    cell(r.theory_gen_error),
                    cell(r.theory_cce),
                    cell(r.theory_rho),
                ]);
            }
            for e in &extras {
                let v = r.extra.get(*e);
                row.push(cell(v.map(|v| v.mean)));
                row.push(cell(v.map(|v| v.se)));
            }
            row
        })
        .collect();
    csv_bytes(&header, &table)
}

/// The tables of several `sweep.over` combinations as one: the swept keys' columns first
/// (named by the dotted key), then the union of the parts' own columns in order of first
/// appearance (a column one combination lacks, e.g. the theory of `linear2`, is left empty
/// in its rows). A single part without swept keys is returned as it is.
pub fn with_variant_columns(parts: &[(&[(String, String)], Vec<u8>)]) -> Result<Vec<u8>> {
    if let [(values, bytes)] = parts {
        if values.is_empty() {
            return Ok(bytes.clone());
        }
    }
    let keys: Vec<String> = parts.first().map_or(Vec::new(), |(v, _)| {
        v.iter().map(|(k, _)| k.clone()).collect()
    });
    let mut columns: Vec<String> = Vec::new();
    let mut tables = Vec::new();
    for (values, bytes) in parts {
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let header: Vec<String> = reader.headers()?.iter().map(String::from).collect();
        for h in &header {
            if !columns.contains(h) {
                columns.push(h.clone());
            }
        }
        let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
        tables.push((values, header, rows));
    }
    let mut header = keys.clone();
    header.extend(columns.iter().cloned());
    let mut out = Vec::new();
    for (values, own, rows) in &tables {
        for r in rows {
            let mut row: Vec<String> = values.iter().map(|(_, v)| v.clone()).collect();
            row.extend(columns.iter().map(|c| {
                own.iter()
                    .position(|h| h == c)
                    .and_then(|i| r.get(i))
                    .unwrap_or("")
                    .to_string()
            }));
            out.push(row);
        }
    }
    csv_bytes(&header, &out)
}
