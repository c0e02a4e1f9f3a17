//! `ties.csv`: how much a point's CCE moves with the copula's random tie-breaking alone.
//! ReLU representations have many exact zeros, so the ranks of the copula transform depend on
//! how ties are broken. Each pair of the first replica is estimated again with
//! `alignment.tie_draws` other tie-breaking seeds ([`crate::plan::TieDraw`]); per point,
//! network and estimator, the first replica's mean CCE (both directions, as in `summary.csv`)
//! is computed once per draw (draw 0 is the pair's own estimate) and the row gives the mean,
//! the standard deviation (n − 1), the minimum and the maximum over the draws.

use super::tables::cell;
use super::Outcome;
use crate::alignment::PairResult;
use crate::plan::Plan;
use anyhow::Result;
use std::collections::BTreeMap;

pub const FILE: &str = "ties.csv";

/// The rows of `ties.csv`, or `None` when the plan has no extra draws.
pub fn ties_csv(plan: &Plan, outcome: &Outcome) -> Result<Option<Vec<u8>>> {
    let draws = plan.pairs.iter().map(|p| p.draws.len()).max().unwrap_or(0);
    if draws == 0 {
        return Ok(None);
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        plan.level_column(),
        "n",
        "network",
        "estimator",
        "pairs",
        "draws",
        "cce_mean",
        "cce_sd",
        "cce_min",
        "cce_max",
    ])?;
    for (pi, pt) in plan.points.iter().enumerate() {
        for (net, network) in plan.networks.iter().enumerate() {
            // estimator → per draw, the values of the first replica's pairs.
            let mut values: BTreeMap<String, Vec<Vec<f64>>> = BTreeMap::new();
            let mut pairs = 0;
            for (i, pp) in plan.pairs.iter().enumerate() {
                let (ma, mb) = (&plan.members[pp.a], &plan.members[pp.b]);
                if ma.point != pi || pp.draws.is_empty() {
                    continue;
                }
                let results: Vec<&PairResult> = std::iter::once(&outcome.pairs[i])
                    .chain(&outcome.ties[i])
                    .collect();
                // The directions whose conditioned member belongs to this network.
                for (first, wanted) in [(true, ma.network == net), (false, mb.network == net)] {
                    if !wanted {
                        continue;
                    }
                    pairs += 1;
                    for (d, res) in results.iter().enumerate() {
                        for (est, v) in &res.estimates {
                            let per_draw = values
                                .entry(est.name().to_string())
                                .or_insert_with(|| vec![Vec::new(); results.len()]);
                            per_draw[d].push(if first {
                                v.cce_a_given_b
                            } else {
                                v.cce_b_given_a
                            });
                        }
                    }
                }
            }
            for (est, per_draw) in values {
                let means: Vec<f64> = per_draw
                    .iter()
                    .map(|v| v.iter().sum::<f64>() / v.len() as f64)
                    .collect();
                let n = means.len() as f64;
                let mean = means.iter().sum::<f64>() / n;
                let sd = (means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
                let min = means.iter().copied().fold(f64::INFINITY, f64::min);
                let max = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                out.write_record([
                    cell(Some(pt.level.value())),
                    pt.n.to_string(),
                    network.model.name().to_string(),
                    est,
                    pairs.to_string(),
                    means.len().to_string(),
                    cell(Some(mean)),
                    cell(Some(sd)),
                    cell(Some(min)),
                    cell(Some(max)),
                ])?;
            }
        }
    }
    Ok(Some(out.into_inner()?))
}
