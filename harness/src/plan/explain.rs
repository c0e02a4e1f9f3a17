//! Why a unit is not cached, in the manifest's terms. A missing unit's description (its
//! canonical JSON, see [`super::units`]) is compared with reference units' descriptions (those
//! of the manifest's last recorded run, or the cached units' recorded ones,
//! [`crate::cache::Store::inputs`]); the nearest (fewest differing keys) names the cause, each
//! differing key by the manifest path that sets it: `alignment.k: 3 → 5`, or, for a value of
//! a swept list that no reference unit has, `sweep.snr gained 20`. A size n that moved only
//! because P did is not named (the key that moved P is). Causes that differ only in swept
//! values are grouped into one line ([`group`]).
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

/// One part of a cause, for grouping: a head that units of one cause share (`sweep.snr
/// gained`, `model.width: 4 → 5`) and, for a swept key, the value that differs from unit to
/// unit (`20`), merged over a group: `sweep.snr gained 20, 30`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub head: String,
    pub value: Option<String>,
}

impl Part {
    pub fn text(head: impl Into<String>) -> Part {
        Part {
            head: head.into(),
            value: None,
        }
    }

    pub fn render(&self) -> String {
        match &self.value {
            Some(v) => format!("{} {v}", self.head),
            None => self.head.clone(),
        }
    }
}

/// The units of one kind a missing unit is compared with (the cached ones, or those of the
/// last recorded run of the manifest).
pub struct Candidates {
    units: Vec<(Flat, Option<usize>)>,
    /// Every value each key takes among them.
    values: BTreeMap<String, BTreeSet<String>>,
}

/// One differing key: (key, the cached unit's value, the missing unit's value).
type Difference<'a> = (&'a str, Option<&'a str>, Option<&'a str>);

/// P of a member unit's network, from its description (`model` and `task`); `None` for
/// another kind of unit.
pub fn parameters_of(unit: &Value) -> Option<usize> {
    let model: crate::models::Model = serde_json::from_value(unit.get("model")?.clone()).ok()?;
    let task: crate::manifest::Task = serde_json::from_value(unit.get("task")?.clone()).ok()?;
    Some(model.parameter_count(&task.input()))
}

/// Whether sizes `n` at P and `m` at Q are one ratio of `sweep.n_over_p` (n = round(r · P)):
/// |n/P − m/Q| within the two roundings.
fn same_ratio((n, p): (usize, usize), (m, q): (usize, usize)) -> bool {
    let (n, p, m, q) = (n as f64, p as f64, m as f64, q as f64);
    (n * q - m * p).abs() <= 0.5 * (p + q) + 1e-9
}

impl Candidates {
    /// From the units' descriptions (canonical JSON).
    pub fn new(units: Vec<Value>) -> Self {
        let units: Vec<(Flat, Option<usize>)> = units
            .iter()
            .map(|u| (flatten(u), parameters_of(u)))
            .collect();
        let mut values: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (u, _) in &units {
            for (k, v) in u {
                values.entry(k.clone()).or_default().insert(v.clone());
            }
        }
        Candidates { units, values }
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The cause of `unit` not being among the candidates, against the nearest one: its
    /// differing keys (those in `ignore` left out) by manifest path, or `None` when there is
    /// no candidate. A swept value none of the candidates has is `gained`; any other
    /// difference is `old → new`. A size `n` that differs only because P did (the same ratio
    /// of `sweep.n_over_p` on another network; or, with `n_follows_p`, always: the caller knows
    /// the ratios did not change) is not named: the key that changed P is.
    pub fn explain(
        &self,
        kind: Kind,
        unit: &Value,
        ignore: &[&str],
        n_follows_p: bool,
    ) -> Option<Vec<Part>> {
        let flat = flatten(unit);
        let p = parameters_of(unit);
        let size = |f: &Flat| {
            f.iter()
                .find(|(k, _)| k == "n")
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        let derived = |c: &(Flat, Option<usize>), d: &Difference| {
            d.0 == "n"
                && (n_follows_p
                    || matches!((size(&c.0), c.1, size(&flat), p),
                        (Some(n), Some(pc), Some(m), Some(pu)) if pc != pu && same_ratio((n, pc), (m, pu))))
        };
        let named =
            |c: &'_ (Flat, Option<usize>)| -> Vec<(String, Option<String>, Option<String>)> {
                differences(&c.0, &flat, ignore)
                    .into_iter()
                    .filter(|d| !derived(c, d))
                    .map(|(k, a, b)| (k.to_string(), a.map(String::from), b.map(String::from)))
                    .collect()
            };
        let nearest = self.units.iter().min_by_key(|c| named(c).len())?;
        let diffs = named(nearest);
        let known = |key: &str, new: Option<&str>| {
            new.is_some_and(|v| self.values.get(key).is_some_and(|vs| vs.contains(v)))
        };
        Some(
            diffs
                .iter()
                .map(|(key, old, new)| {
                    let (path, axis) = kind.path(key);
                    match axis {
                        Some(label) if new.is_some() && !known(key, new.as_deref()) => Part {
                            head: format!("{path} gained"),
                            value: Some(format!("{label}{}", plain(new.as_deref()))),
                        },
                        Some(label) => Part {
                            head: format!("{path}:"),
                            value: Some(format!(
                                "{label}{} → {label}{}",
                                plain(old.as_deref()),
                                plain(new.as_deref())
                            )),
                        },
                        None => Part::text(format!(
                            "{path}: {} → {}",
                            plain(old.as_deref()),
                            plain(new.as_deref())
                        )),
                    }
                })
                .collect(),
        )
    }
}

/// Causes grouped: those with the same heads are one group, their values merged in order of
/// first appearance (`sweep.snr gained 20, 30`), largest group first (ties in order of first
/// appearance); each group as (its text, how many units).
pub fn group<'a>(causes: impl IntoIterator<Item = (&'a str, &'a [Part])>) -> Vec<(String, usize)> {
    // (prefix, heads) → (values per head, count)
    let mut groups: Vec<((String, Vec<String>), Vec<Vec<String>>, usize)> = Vec::new();
    for (prefix, parts) in causes {
        let key = (
            prefix.to_string(),
            parts.iter().map(|p| p.head.clone()).collect::<Vec<_>>(),
        );
        let at = match groups.iter().position(|g| g.0 == key) {
            Some(i) => i,
            None => {
                groups.push((key, vec![Vec::new(); parts.len()], 0));
                groups.len() - 1
            }
        };
        let g = &mut groups[at];
        g.2 += 1;
        for (slot, part) in g.1.iter_mut().zip(parts) {
            if let Some(v) = &part.value {
                if !slot.contains(v) {
                    slot.push(v.clone());
                }
            }
        }
    }
    let mut out: Vec<(String, usize)> = groups
        .into_iter()
        .map(|((prefix, heads), values, n)| {
            let parts: Vec<String> = heads
                .iter()
                .zip(&values)
                .map(|(h, vs)| match vs.len() {
                    0 => h.clone(),
                    1..=8 => format!("{h} {}", vs.join(", ")),
                    k => format!("{h} {}, … ({k} values)", vs[..6].join(", ")),
                })
                .collect();
            (format!("{prefix}{}", parts.join(", ")), n)
        })
        .collect();
    out.sort_by_key(|&(_, count)| std::cmp::Reverse(count));
    out
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

/// A compact JSON value as a person writes it (`harness diff`'s values; `–` stays `–`).
pub fn plain_json(v: &str) -> String {
    plain(Some(v))
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

    fn member(snr: f64, n: usize, member: usize, width: usize) -> Value {
        json!({"unit": "member", "version": 2, "seed": 7, "snr": snr, "n": n,
            "replica": 0, "member": member,
            "task": {"kind": "linear-teacher", "d": 30, "inputs": "shared", "n_test": 100},
            "model": {"kind": "relu2", "width": width, "init": "shared"}})
    }

    fn said(c: &Candidates, kind: Kind, unit: &Value, n_follows_p: bool) -> String {
        c.explain(kind, unit, &[], n_follows_p)
            .unwrap()
            .iter()
            .map(Part::render)
            .collect::<Vec<_>>()
            .join(", ")
    }

    #[test]
    fn the_nearest_unit_names_the_cause_in_manifest_terms() {
        let cached = Candidates::new(vec![
            member(1.0, 10, 0, 4),
            member(1.0, 10, 1, 4),
            member(10.0, 10, 0, 4),
        ]);
        let m = Kind::Member { compared: false };
        // A value no candidate has: "gained".
        assert_eq!(
            said(&cached, m, &member(20.0, 10, 0, 4), false),
            "sweep.snr gained 20"
        );
        assert_eq!(
            said(&cached, m, &member(1.0, 10, 2, 4), false),
            "sweep.members gained member 2"
        );
        // A setting changed: old → new, by its manifest path (the compared network's under
        // `compare.`). n = 10 at P = 129 and at P = 161 is not one ratio: named.
        assert_eq!(
            said(&cached, m, &member(10.0, 10, 0, 5), false),
            "model.width: 4 → 5"
        );
        assert_eq!(
            said(
                &cached,
                Kind::Member { compared: true },
                &member(10.0, 10, 0, 5),
                false
            ),
            "compare.model.width: 4 → 5"
        );
        // A combination of known values: old → new on the axis, not "removed".
        assert_eq!(
            said(&cached, m, &member(10.0, 10, 1, 4), false),
            "sweep.snr: 1 → 10"
        );
        assert!(Candidates::new(vec![])
            .explain(m, &member(1.0, 10, 0, 4), &[], false)
            .is_none());
    }

    /// The width changed, so P and every n with it: the cause is the width, never
    /// `sweep.n_over_p` (P = 4·32 + 1 = 129 at width 4, 161 at width 5).
    #[test]
    fn a_size_that_only_follows_p_is_not_named() {
        let cached = Candidates::new(vec![member(1.0, 129, 0, 4), member(1.0, 13, 0, 4)]);
        let m = Kind::Member { compared: false };
        assert_eq!(parameters_of(&member(1.0, 1, 0, 4)), Some(129));
        // n/P = 1 at width 5 is n = 161; 0.1 is 16.
        assert_eq!(
            said(&cached, m, &member(1.0, 161, 0, 5), false),
            "model.width: 4 → 5"
        );
        assert_eq!(
            said(&cached, m, &member(1.0, 16, 0, 5), false),
            "model.width: 4 → 5"
        );
        // Another ratio at the new width: named.
        assert_eq!(
            said(&cached, m, &member(1.0, 300, 0, 5), false),
            "model.width: 4 → 5, sweep.n_over_p gained n = 300"
        );
        // The caller knows the ratios are unchanged (a compared network's n follows the
        // first network's P): never named.
        assert_eq!(
            said(&cached, m, &member(1.0, 300, 0, 5), true),
            "model.width: 4 → 5"
        );
    }

    #[test]
    fn pair_keys_map_to_alignment_and_ignored_keys_are_not_compared() {
        let pair = |a: &str, k: usize| json!({"unit": "pair", "a": a, "b": "x", "k": k});
        let cached = Candidates::new(vec![pair("m1", 3)]);
        let parts = cached
            .explain(Kind::Pair, &pair("m2", 5), &["a", "b"], false)
            .unwrap();
        assert_eq!(parts, vec![Part::text("alignment.k: 3 → 5")]);
    }

    #[test]
    fn causes_that_differ_only_in_a_swept_value_are_one_group() {
        let gained = |v: &str| {
            vec![
                Part::text("model.width: 4 → 5"),
                Part {
                    head: "sweep.snr gained".into(),
                    value: Some(v.into()),
                },
            ]
        };
        let (a, b, c) = (gained("20"), gained("30"), gained("20"));
        let other = vec![Part::text("alignment.k: 3 → 5")];
        let groups = group([
            ("", a.as_slice()),
            ("", other.as_slice()),
            ("", b.as_slice()),
            ("", c.as_slice()),
            ("its members are trained: ", a.as_slice()),
        ]);
        assert_eq!(
            groups,
            vec![
                ("model.width: 4 → 5, sweep.snr gained 20, 30".to_string(), 3),
                ("alignment.k: 3 → 5".to_string(), 1),
                (
                    "its members are trained: model.width: 4 → 5, sweep.snr gained 20".to_string(),
                    1
                ),
            ]
        );
    }
}
