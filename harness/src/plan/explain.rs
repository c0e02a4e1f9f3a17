//! Why a unit is not cached, in the manifest's terms. A missing unit's description (its
//! canonical JSON, see [`super::units`]) is compared with the cached units' recorded ones
//! ([`crate::cache::Store::inputs`]); the nearest (fewest differing keys) names the cause, each
//! differing key by the manifest path that sets it: `alignment.k: 3 → 5`, or, for a value of
//! a swept list that no cached unit has, `sweep.snr gained 20`.
//!
//! The plan owns this because it owns the translation from manifest to units: which manifest
//! key becomes which field of a unit.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A unit's description flattened: (dotted key, value as compact JSON), sorted by key.
/// Objects are walked into; arrays and scalars are values.
pub type Flat = Vec<(String, String)>;

pub fn flatten(value: &Value) -> Flat {
    fn walk(prefix: &str, v: &Value, out: &mut Flat) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            _ => out.push((prefix.to_string(), v.to_string())),
        }
    }
    let mut out = Vec::new();
    walk("", value, &mut out);
    out.sort();
    out
}

/// Which kind of unit is explained: how its keys map to the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A member; `compared` for a member of `compare.model`.
    Member {
        compared: bool,
    },
    Pair,
    /// An estimator-accuracy unit.
    Accuracy,
}

impl Kind {
    /// The manifest path that sets a unit's `key`, and, for a key that takes the values of a
    /// list in the manifest (a sweep axis), how one value is named (`replica 3`).
    fn path(self, key: &str) -> (String, Option<&'static str>) {
        let (head, tail) = key.split_once('.').unwrap_or((key, ""));
        let nested = |path: &str| {
            if tail.is_empty() {
                path.to_string()
            } else {
                format!("{path}.{tail}")
            }
        };
        let version = || ("the harness's algorithm version".to_string(), None);
        match self {
            Kind::Member { compared } => match head {
                "version" => version(),
                "model" | "train" if compared => (nested(&format!("compare.{head}")), None),
                "snr" => ("sweep.snr".into(), Some("")),
                "label_noise" => ("sweep.label_noise".into(), Some("")),
                "n" => ("sweep.n_over_p".into(), Some("n = ")),
                "replica" => ("sweep.replicas".into(), Some("replica ")),
                "member" => ("sweep.members".into(), Some("member ")),
                "batch_members" => ("sweep.members (members trained together)".into(), None),
                _ => (nested(head), None),
            },
            Kind::Pair => match head {
                "version" => version(),
                "a" | "b" => ("its members".into(), None),
                "estimators" => ("alignment.report".into(), None),
                "k" => ("alignment.k".into(), None),
                "project" => ("alignment.project".into(), None),
                "tie_draw" => ("alignment.tie_draws".into(), Some("draw ")),
                _ => (nested(head), None),
            },
            Kind::Accuracy => match head {
                "algorithm_version" => version(),
                "family" => ("grid.families".into(), Some("")),
                "n" => ("grid.n".into(), Some("")),
                "dims" => ("grid.dims".into(), Some("")),
                "rho" => ("grid.rho".into(), Some("")),
                "replicate" => ("grid.seeds".into(), Some("data set ")),
                "estimator" => ("estimators".into(), Some("")),
                _ => (nested(head), None),
            },
        }
    }
}

/// The cached units of one kind that a missing unit is compared with.
pub struct Candidates {
    units: Vec<Flat>,
    /// Every value each key takes among them.
    values: BTreeMap<String, BTreeSet<String>>,
}

/// One differing key: (key, the cached unit's value, the missing unit's value).
type Difference<'a> = (&'a str, Option<&'a str>, Option<&'a str>);

impl Candidates {
    pub fn new(units: Vec<Flat>) -> Self {
        let mut values: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for u in &units {
            for (k, v) in u {
                values.entry(k.clone()).or_default().insert(v.clone());
            }
        }
        Candidates { units, values }
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The cause of `unit` not being cached, against the nearest candidate: its differing
    /// keys (those in `ignore` left out), or `None` when there is no candidate. A unit that
    /// differs only in swept values the cached units already have (so in nothing the
    /// manifest added) is said to be missing: its entry was removed or never written.
    pub fn explain(&self, kind: Kind, unit: &Flat, ignore: &[&str]) -> Option<String> {
        let nearest = self
            .units
            .iter()
            .min_by_key(|c| differences(c, unit, ignore).len())?;
        let diffs = differences(nearest, unit, ignore);
        let known = |key: &str, new: Option<&str>| {
            new.is_some_and(|v| self.values.get(key).is_some_and(|vs| vs.contains(v)))
        };
        if diffs
            .iter()
            .all(|&(key, _, new)| kind.path(key).1.is_some() && known(key, new))
        {
            // Only swept values differ, and each is one the cached units have: nothing in
            // the manifest is new, the entry itself is gone.
            return Some(
                "missing from the cache, though none of its values is new (removed, or never \
                 finished)"
                    .into(),
            );
        }
        let words: Vec<String> = diffs
            .iter()
            .map(|&(key, old, new)| {
                let (path, axis) = kind.path(key);
                match (axis, new) {
                    (Some(label), Some(_)) if !known(key, new) => {
                        format!("{path} gained {label}{}", plain(new))
                    }
                    _ => format!("{path}: {} → {}", plain(old), plain(new)),
                }
            })
            .collect();
        Some(words.join(", "))
    }
}

/// The keys on which `cached` and `unit` differ, in key order.
fn differences<'a>(cached: &'a Flat, unit: &'a Flat, ignore: &[&str]) -> Vec<Difference<'a>> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < cached.len() || j < unit.len() {
        let order = match (cached.get(i), unit.get(j)) {
            (Some(a), Some(b)) => a.0.cmp(&b.0),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        let d = match order {
            std::cmp::Ordering::Less => {
                i += 1;
                (
                    cached[i - 1].0.as_str(),
                    Some(cached[i - 1].1.as_str()),
                    None,
                )
            }
            std::cmp::Ordering::Greater => {
                j += 1;
                (unit[j - 1].0.as_str(), None, Some(unit[j - 1].1.as_str()))
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
                let (a, b) = (&cached[i - 1], &unit[j - 1]);
                if a.1 == b.1 {
                    continue;
                }
                (a.0.as_str(), Some(a.1.as_str()), Some(b.1.as_str()))
            }
        };
        let top = d.0.split('.').next().unwrap_or_default();
        if !ignore.contains(&top) {
            out.push(d);
        }
    }
    out
}

/// A JSON value as a person writes it: strings without quotes, `20` for `20.0`, `(none)` for
/// an absent key.
fn plain(v: Option<&str>) -> String {
    match v {
        None => "(none)".into(),
        Some(s) => match serde_json::from_str::<Value>(s) {
            Ok(Value::String(t)) => t,
            Ok(Value::Number(x)) if x.is_f64() => format!("{}", x.as_f64().unwrap_or(f64::NAN)),
            _ => s.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn member(snr: f64, n: usize, member: usize, k_width: usize) -> Flat {
        flatten(
            &json!({"unit": "member", "version": 2, "seed": 7, "snr": snr, "n": n,
            "replica": 0, "member": member, "model": {"kind": "relu2", "width": k_width}}),
        )
    }

    #[test]
    fn the_nearest_cached_unit_names_the_cause_in_manifest_terms() {
        let cached = Candidates::new(vec![
            member(1.0, 10, 0, 4),
            member(1.0, 10, 1, 4),
            member(10.0, 10, 0, 4),
        ]);
        let member_kind = Kind::Member { compared: false };
        // A value no cached unit has: "gained".
        assert_eq!(
            cached
                .explain(member_kind, &member(20.0, 10, 0, 4), &[])
                .unwrap(),
            "sweep.snr gained 20"
        );
        assert_eq!(
            cached
                .explain(member_kind, &member(1.0, 10, 2, 4), &[])
                .unwrap(),
            "sweep.members gained member 2"
        );
        // A setting changed: old → new, by its manifest path (the compared network's under
        // `compare.`).
        assert_eq!(
            cached
                .explain(member_kind, &member(10.0, 10, 0, 8), &[])
                .unwrap(),
            "model.width: 4 → 8"
        );
        assert_eq!(
            cached
                .explain(
                    Kind::Member { compared: true },
                    &member(10.0, 10, 0, 8),
                    &[]
                )
                .unwrap(),
            "compare.model.width: 4 → 8"
        );
        // Two keys differ from every cached unit; of equally near ones, the first.
        assert_eq!(
            cached
                .explain(member_kind, &member(10.0, 10, 1, 8), &[])
                .unwrap(),
            "model.width: 4 → 8, sweep.snr: 1 → 10"
        );
        // Nothing new, only a combination of cached values: the entry is gone.
        assert!(cached
            .explain(member_kind, &member(10.0, 10, 1, 4), &[])
            .unwrap()
            .starts_with("missing from the cache, though none of its values is new"));
        assert!(Candidates::new(vec![])
            .explain(member_kind, &member(1.0, 10, 0, 4), &[])
            .is_none());
    }

    #[test]
    fn pair_keys_map_to_alignment_and_ignored_keys_are_not_compared() {
        let pair = |a: &str, k: usize| flatten(&json!({"unit": "pair", "a": a, "b": "x", "k": k}));
        let cached = Candidates::new(vec![pair("m1", 3)]);
        assert_eq!(
            cached
                .explain(Kind::Pair, &pair("m2", 5), &["a", "b"])
                .unwrap(),
            "alignment.k: 3 → 5"
        );
        assert!(cached
            .explain(Kind::Pair, &pair("m2", 3), &["a", "b"])
            .unwrap()
            .starts_with("missing from the cache"));
    }
}
