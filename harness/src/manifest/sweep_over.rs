//! `sweep.over`: other keys of the manifest varied like the noise level and n/P, e.g.
//!
//! ```yaml
//! sweep:
//!   snr: [1, 10]
//!   n_over_p: [0.5, 1, 2]
//!   replicas: 3
//!   members: 4
//!   over:
//!     model.width: [4, 16]
//!     alignment.k: [3, 10]
//! ```
//!
//! Every combination of the listed values (keys in alphabetical order, the first varying
//! slowest; values in the order given) is one *variant*: the file's manifest with those
//! values set, exactly as `--set` would set them ([`super::overrides`]), so each is read,
//! checked and planned like a manifest of its own, and an error in one names the `sweep.over`
//! key, its value and the line of that key. A key is any dotted key of the schema, or a whole
//! section (`model: [{kind: linear2}, {kind: relu2, width: 4}]`), except the ones that
//! identify or shape the experiment as a whole: `name`, `description`, `figure`, `device`,
//! `check` and `sweep` (the grid itself). The file's own value of a swept key is replaced in
//! every variant.
//!
//! Identity: the block is part of the canonical form (so of the hash) when present, and the
//! manifest's other fields are those of the first variant; a manifest without `over` keeps
//! its hash.

use super::overrides::{self, Overrides};
use super::yaml::{self, segments, Segment};
use super::{Manifest, ManifestError};
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The keys a sweep varies and their values, as written (`model.width: [4, 16]`).
pub type SweepOver = BTreeMap<String, Vec<Value>>;

/// One combination of a sweep's `over` values, and the manifest it makes.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// (key, value as the CSV columns show it), in key order.
    pub values: Vec<(String, String)>,
    /// The file's manifest with these values set (no `over`), validated.
    pub manifest: Manifest,
}

/// Keys that cannot be swept: what names the experiment, draws its figure, where it runs,
/// how it is judged, and the grid itself.
const FIXED: &[&str] = &["name", "description", "figure", "device", "check", "sweep"];

/// At most this many combinations.
pub const MAX_VARIANTS: usize = 1000;

/// A value as the CSV columns and labels show it: plain text for a scalar, JSON otherwise.
pub fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        other => serde_json::to_string(other).unwrap_or_else(|_| format!("{other:?}")),
    }
}

/// Checks the `over` block itself: (key, message) for the first key that cannot be swept, an
/// empty list or repeated values.
fn check(over: &SweepOver) -> Result<(), (String, String)> {
    for (key, values) in over {
        let path = segments(key);
        let first = match path.first() {
            Some(Segment::Key(k)) => k.as_str(),
            _ => "",
        };
        if FIXED.contains(&first) || overrides::Assignment::parse(&format!("{key}=0")).is_err() {
            return Err((
                key.clone(),
                format!(
                    "`{key}` cannot be swept: give a dotted key of the model, task, training or \
                     alignment (`model.width`, `task.d`, `train.lr`, `alignment.k`, `seed`, …); \
                     `{}` are fixed for the whole experiment",
                    FIXED.join("`, `")
                ),
            ));
        }
        if values.is_empty() {
            return Err((key.clone(), "give at least one value".into()));
        }
        for (i, v) in values.iter().enumerate() {
            if values[..i].contains(v) {
                return Err((key.clone(), format!("the value {} repeats", shown(v))));
            }
        }
    }
    let combinations = over
        .values()
        .try_fold(1usize, |n, v| n.checked_mul(v.len()))
        .unwrap_or(usize::MAX);
    if combinations > MAX_VARIANTS {
        return Err((
            over.keys().next().cloned().unwrap_or_default(),
            format!("{combinations} combinations; at most {MAX_VARIANTS} are allowed"),
        ));
    }
    Ok(())
}

/// Every combination, first key slowest.
fn combinations(over: &SweepOver) -> Vec<Vec<(&String, &Value)>> {
    over.iter().fold(vec![Vec::new()], |acc, (key, values)| {
        acc.iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    let mut c = prefix.clone();
                    c.push((key, v));
                    c
                })
            })
            .collect()
    })
}

/// The line of `sweep.over.<key>` (the key is one mapping key, dots and all).
fn over_line(text: &str, key: &str) -> Option<usize> {
    let path = [
        Segment::Key("sweep".into()),
        Segment::Key("over".into()),
        Segment::Key(key.into()),
    ];
    yaml::key_line_or_parent(text, &path)
}

/// The variants of a manifest whose `sweep.over` is not empty: the file's document with the
/// command line's overrides, then each combination's values, read and validated by `finish`
/// (the one path every manifest takes). An error about a swept key names the combination and
/// points at the key's line in `sweep.over`.
pub fn variants(
    text: &str,
    path: &Path,
    overrides: &Overrides,
    over: &SweepOver,
    finish: impl Fn(Manifest) -> Result<Manifest, ManifestError>,
) -> Result<Vec<Variant>, ManifestError> {
    let fail = |key: &str, message: String| ManifestError {
        file: path.to_path_buf(),
        line: over_line(text, key),
        key: Some(format!("sweep.over.{key}")),
        message,
    };
    check(over).map_err(|(key, message)| fail(&key, message))?;
    let located = |e: yaml::Located| ManifestError {
        file: path.to_path_buf(),
        line: e.line,
        key: e.key,
        message: e.message,
    };
    let mut base = yaml::document(text).map_err(located)?;
    overrides
        .apply(&mut base)
        .map_err(|(key, message)| ManifestError {
            file: path.to_path_buf(),
            line: None,
            key: Some(key),
            message,
        })?;
    if let Some(sweep) = base.get_mut("sweep").and_then(Value::as_mapping_mut) {
        sweep.remove("over");
    }
    let mut out = Vec::new();
    for combination in combinations(over) {
        let values: Vec<(String, String)> = combination
            .iter()
            .map(|(k, v)| ((*k).clone(), shown(v)))
            .collect();
        let named = values
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        // An error about a swept key (or inside it) is the sweep's: its line and combination.
        let attribute = |e: ManifestError| -> ManifestError {
            let swept = e.key.as_deref().and_then(|k| {
                combination.iter().find(|(s, _)| {
                    k == s.as_str()
                        || k.starts_with(&format!("{s}."))
                        || s.starts_with(&format!("{k}."))
                })
            });
            match swept {
                Some((s, _)) => ManifestError {
                    line: over_line(text, s),
                    message: format!("{} (in the sweep.over combination {named})", e.message),
                    ..e
                },
                None => ManifestError {
                    message: format!("{} (in the sweep.over combination {named})", e.message),
                    ..e
                },
            }
        };
        let mut document = base.clone();
        for (key, value) in &combination {
            overrides::set(&mut document, &segments(key), (*value).clone())
                .map_err(|message| fail(key, format!("{message} (in the combination {named})")))?;
        }
        let manifest: Manifest = yaml::deserialize_edited(text, &document)
            .map_err(located)
            .map_err(&attribute)?;
        let manifest = finish(manifest).map_err(&attribute)?;
        out.push(Variant { values, manifest });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_vary_the_first_key_slowest() {
        let over: SweepOver = serde_yaml::from_str("a: [1, 2]\nb: [x, y, z]\n").unwrap();
        let shown: Vec<String> = combinations(&over)
            .iter()
            .map(|c| {
                c.iter()
                    .map(|(k, v)| format!("{k}={}", super::shown(v)))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        assert_eq!(
            shown,
            ["a=1,b=x", "a=1,b=y", "a=1,b=z", "a=2,b=x", "a=2,b=y", "a=2,b=z"]
        );
    }

    #[test]
    fn fixed_keys_empty_lists_and_repeats_are_refused() {
        let over = |t: &str| -> SweepOver { serde_yaml::from_str(t).unwrap() };
        assert!(check(&over("model.width: [4, 8]\n")).is_ok());
        assert_eq!(check(&over("name: [a, b]\n")).unwrap_err().0, "name");
        assert_eq!(check(&over("sweep.snr: [1]\n")).unwrap_err().0, "sweep.snr");
        assert!(check(&over("model.width: []\n"))
            .unwrap_err()
            .1
            .contains("at least one"));
        assert!(check(&over("model.width: [4, 4]\n"))
            .unwrap_err()
            .1
            .contains("repeats"));
    }
}
