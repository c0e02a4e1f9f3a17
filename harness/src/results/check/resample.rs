//! Tier 2's view of one side: each point's per-replica means of every quantity the claim rules
//! read, from `units.csv` (members' errors and losses, pairs' CCE) or, without it, from
//! `replicas.csv`; and the summary rows the claim rules take, rebuilt from them (with the
//! replica means, which the claims' robustness reweights).

use super::replicas::{PointKey, Replicas};
use super::units::Units;
use crate::manifest::Manifest;
use crate::plan::Plan;
use crate::results::tables::{cell, Estimate, SummaryRow};
use std::collections::BTreeMap;

/// Per (point, quantity): replica → the replica's mean.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplicaTable {
    pub values: BTreeMap<(PointKey, String), BTreeMap<usize, f64>>,
}

/// The member quantities the claims read (v2's threshold and C3-loss), beside `gen_error`.
const MEMBER_QUANTITIES: [&str; 3] = ["gen_error", "train_error", "test_loss"];

impl ReplicaTable {
    /// From every unit: the mean over the members (or the ordered pairs whose first member
    /// belongs to the point's network) of each replica, as `summary.csv` averages them.
    pub fn from_units(units: &Units) -> ReplicaTable {
        let mut sums: BTreeMap<(PointKey, String), BTreeMap<usize, (f64, usize)>> = BTreeMap::new();
        for (key, values) in &units.values {
            for (q, v) in values {
                let wanted = if key.partner.is_some() {
                    q.starts_with("cce_")
                } else {
                    MEMBER_QUANTITIES.contains(&q.as_str())
                };
                if wanted {
                    let s = sums
                        .entry((key.point(), q.clone()))
                        .or_default()
                        .entry(key.replica)
                        .or_insert((0.0, 0));
                    s.0 += v;
                    s.1 += 1;
                }
            }
        }
        ReplicaTable {
            values: sums
                .into_iter()
                .map(|(k, per)| {
                    let means = per
                        .into_iter()
                        .map(|(r, (s, c))| (r, s / c as f64))
                        .collect();
                    (k, means)
                })
                .collect(),
        }
    }

    /// From `replicas.csv` (generalization error and CCE).
    pub fn from_replicas(replicas: &Replicas) -> ReplicaTable {
        let mut values: BTreeMap<(PointKey, String), BTreeMap<usize, f64>> = BTreeMap::new();
        for row in &replicas.rows {
            values
                .entry((row.point.clone(), row.quantity.clone()))
                .or_default()
                .insert(row.replica, row.value);
        }
        ReplicaTable { values }
    }

    /// The replica indices that hold a value anywhere, in order.
    pub fn replicas(&self) -> Vec<usize> {
        let mut r: Vec<usize> = self
            .values
            .values()
            .flat_map(|m| m.keys().copied())
            .collect();
        r.sort_unstable();
        r.dedup();
        r
    }

    /// The estimate of one quantity at one point: the mean of the replica means and its
    /// standard error (NaN with one replica, or none).
    pub fn estimate(&self, point: &PointKey, quantity: &str) -> Option<Estimate> {
        let per = self.values.get(&(point.clone(), quantity.to_string()))?;
        let values: Vec<f64> = per.values().copied().collect();
        let s = super::stats::Sample::of(&values);
        Some(Estimate {
            mean: s.mean,
            se: s.sd / (s.n as f64).sqrt(),
        })
    }

    /// The summary rows the claim rules read, one per (point, network) of `plan`, with NaN
    /// where this side has no value.
    pub fn rows(&self, manifest: &Manifest, plan: &Plan) -> Vec<SummaryRow> {
        let missing = Estimate {
            mean: f64::NAN,
            se: f64::NAN,
        };
        let main = manifest.alignment.estimator.name();
        let mut rows = Vec::new();
        for point in &plan.points {
            for (network, net) in plan.networks.iter().enumerate() {
                let key = PointKey {
                    level: cell(Some(point.level.value())),
                    n: point.n,
                    model: net.model.name().to_string(),
                };
                let get = |q: &str| self.estimate(&key, q);
                let mut cce = BTreeMap::new();
                cce.insert(
                    main.to_string(),
                    get(&format!("cce_{main}")).unwrap_or(missing),
                );
                let extra: BTreeMap<String, Estimate> = ["test_loss", "train_error"]
                    .into_iter()
                    .filter_map(|q| get(q).map(|e| (q.to_string(), e)))
                    .collect();
                let replica_values: BTreeMap<String, Vec<(usize, f64)>> = self
                    .values
                    .iter()
                    .filter(|((p, _), _)| *p == key)
                    .map(|((_, q), per)| (q.clone(), per.iter().map(|(r, v)| (*r, *v)).collect()))
                    .collect();
                rows.push(SummaryRow {
                    point: crate::plan::Point {
                        n_over_p: point.n as f64 / net.p as f64,
                        ..*point
                    },
                    model: net.model.name(),
                    network,
                    p: net.p,
                    replicas: manifest.sweep.replicas,
                    members: 0,
                    pairs: 0,
                    gen_error: get("gen_error").unwrap_or(missing),
                    train_loss: missing,
                    cce,
                    mi: missing,
                    theory_gen_error: None,
                    theory_cce: None,
                    theory_rho: None,
                    extra,
                    replica_values,
                });
            }
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::check::units::UnitKey;

    fn point() -> PointKey {
        PointKey {
            level: "1.0".into(),
            n: 10,
            model: "linear2".into(),
        }
    }

    #[test]
    fn units_become_replica_means_of_members_and_of_ordered_pairs() {
        let mut values = BTreeMap::new();
        for (r, m, partner, q, v) in [
            (0, 0, None, "gen_error", 1.0),
            (0, 1, None, "gen_error", 3.0),
            (1, 0, None, "gen_error", 5.0),
            (0, 0, Some(1), "cce_ksg", -0.5),
            (0, 1, Some(0), "cce_ksg", -0.25),
            (0, 0, None, "steps", 7.0),
        ] {
            values
                .entry(UnitKey {
                    level: "1.0".into(),
                    n: 10,
                    model: "linear2".into(),
                    replica: r,
                    member: m,
                    partner: partner.map(|p| ("linear2".to_string(), p)),
                })
                .or_insert_with(BTreeMap::new)
                .insert(q.to_string(), v);
        }
        let t = ReplicaTable::from_units(&Units {
            level_column: "snr".into(),
            values,
        });
        let gen = &t.values[&(point(), "gen_error".to_string())];
        assert_eq!(gen, &BTreeMap::from([(0, 2.0), (1, 5.0)]));
        assert_eq!(
            t.values[&(point(), "cce_ksg".to_string())],
            BTreeMap::from([(0, -0.375)])
        );
        assert!(!t.values.contains_key(&(point(), "steps".to_string())));
        let e = t.estimate(&point(), "gen_error").unwrap();
        assert_eq!(e.mean, 3.5);
        assert!((e.se - 1.5).abs() < 1e-15);
    }
}
