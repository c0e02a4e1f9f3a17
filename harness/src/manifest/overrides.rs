//! Values given on the command line that replace the manifest's own: `--set key=value`
//! (any dotted key of the schema), `--seed N` (the same as `--set seed=N`) and `--device`.
//!
//! A `--set` is applied to the manifest's YAML document before the typed parsing, so the
//! value is read, checked and hashed exactly as if it were written in the file: the same
//! schema rejects an unknown key or a wrong type, the same validation an impossible value, and
//! the canonical form (hence the hash) is the file's with that value in it. An error about an
//! overridden key (or a section an override reached into) names the key and the value and says
//! that it came from `--set` instead of pointing at a line of the file ([`Overrides::attribute`]).

use super::yaml::{dotted, segments, Segment};
use super::ManifestError;
use crate::device::DeviceKind;
use serde_yaml::{Mapping, Value};

/// Values given on the command line that replace the manifest's own.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overrides {
    /// `--device`: where candle trains.
    pub device: Option<DeviceKind>,
    /// `--set key=value`, then `--seed` (as `seed=N`), in the order given.
    pub set: Vec<Assignment>,
}

/// One `--set key=value`: a dotted key of the manifest and a YAML value.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    /// The dotted key as given, e.g. `train.lr` or `sweep.snr`.
    pub key: String,
    /// The value, read as YAML (`0.005`, `[1, 2]`, `{kind: relu2, width: 8}`, `adam`).
    pub value: Value,
    /// The value's text as typed, for messages and the run record.
    pub text: String,
}

impl Assignment {
    /// Reads `key=value`. The error says what is wrong with the argument.
    pub fn parse(arg: &str) -> Result<Assignment, String> {
        let Some((key, text)) = arg.split_once('=') else {
            return Err(format!(
                "`{arg}`: expected key=value with a dotted key, e.g. train.lr=0.005"
            ));
        };
        let key = key.trim();
        let path = segments(key);
        let well_formed = !path.is_empty()
            && dotted(&path) == key
            && path.iter().all(|s| match s {
                Segment::Key(k) => k
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
                Segment::Index(_) => true,
            });
        if !well_formed {
            return Err(format!(
                "`{key}` is not a dotted key such as train.lr or sweep.snr[0]"
            ));
        }
        let value: Value = serde_yaml::from_str(text).map_err(|e| {
            let e = e.to_string();
            match e
                .strip_prefix("invalid type: integer `")
                .and_then(|m| m.split_once("` as u128"))
            {
                Some((number, _)) => format!(
                    "`{arg}`: key `{key}`: the whole number {number} is too large (the largest \
                     is 18446744073709551615)"
                ),
                None => format!("`{arg}`: the value is not YAML: {e}"),
            }
        })?;
        Ok(Assignment {
            key: key.to_string(),
            value,
            text: text.to_string(),
        })
    }

    /// `--seed N` as the assignment `seed=N`.
    pub fn seed(seed: u64) -> Assignment {
        Assignment {
            key: "seed".into(),
            value: Value::Number(seed.into()),
            text: seed.to_string(),
        }
    }

    /// `key=value` as the user gave it (and as the run record keeps it).
    pub fn shown(&self) -> String {
        format!("{}={}", self.key, self.text)
    }

    /// Whether an error at the dotted `key` concerns this assignment: the key itself, a key
    /// inside the value it set, or the section that holds it.
    fn concerns(&self, key: &str) -> bool {
        let inside = |outer: &str, inner: &str| {
            inner == outer
                || inner.starts_with(&format!("{outer}."))
                || inner.starts_with(&format!("{outer}["))
        };
        inside(&self.key, key) || inside(key, &self.key)
    }
}

impl Overrides {
    /// Applies every `--set` to a parsed manifest document, in order. A key whose sections are
    /// missing creates them; a key that runs through a value that is not a section is an error
    /// naming it.
    pub fn apply(&self, document: &mut Value) -> Result<(), (String, String)> {
        for a in &self.set {
            set(document, &segments(&a.key), a.value.clone()).map_err(|message| {
                (
                    a.key.clone(),
                    format!("{message} (from --set {})", a.shown()),
                )
            })?;
        }
        Ok(())
    }

    /// The `--set` arguments as given (the run record's `overrides`).
    pub fn shown(&self) -> Vec<String> {
        self.set.iter().map(Assignment::shown).collect()
    }

    /// An error about a key some `--set` gave: no file line (the value is not in the file), and
    /// the override named. Other errors pass unchanged.
    pub fn attribute(&self, mut error: ManifestError) -> ManifestError {
        let Some(key) = &error.key else {
            return error;
        };
        let from: Vec<String> = self
            .set
            .iter()
            .filter(|a| a.concerns(key))
            .map(Assignment::shown)
            .collect();
        if !from.is_empty() && !error.message.contains("(from --set ") {
            error.line = None;
            error.message = format!("{} (from --set {})", error.message, from.join(", --set "));
        }
        error
    }
}

/// Sets the value at `path` in `document`, creating missing sections.
pub(crate) fn set(document: &mut Value, path: &[Segment], value: Value) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        return Err("an empty key".into());
    };
    let mut at = document;
    for (i, s) in parents.iter().enumerate() {
        let here = dotted(&path[..=i]);
        at = match s {
            Segment::Key(k) => {
                if at.is_null() {
                    *at = Value::Mapping(Mapping::new());
                }
                let map = at
                    .as_mapping_mut()
                    .ok_or_else(|| format!("`{}` is not a section", dotted(&path[..i])))?;
                map.entry(Value::String(k.clone()))
                    .or_insert(Value::Mapping(Mapping::new()))
            }
            Segment::Index(n) => at
                .as_sequence_mut()
                .and_then(|q| q.get_mut(*n))
                .ok_or_else(|| format!("`{here}`: the list has no item {n}"))?,
        };
    }
    match last {
        Segment::Key(k) => {
            if at.is_null() {
                *at = Value::Mapping(Mapping::new());
            }
            let parent = dotted(parents);
            let map = at
                .as_mapping_mut()
                .ok_or_else(|| format!("`{parent}` is not a section"))?;
            map.insert(Value::String(k.clone()), value);
        }
        Segment::Index(n) => {
            let item = at
                .as_sequence_mut()
                .and_then(|q| q.get_mut(*n))
                .ok_or_else(|| format!("`{}`: the list has no item {n}", dotted(path)))?;
            *item = value;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_read_yaml_values_and_refuse_malformed_keys() {
        let a = Assignment::parse("sweep.snr=[1, 2.5]").unwrap();
        assert_eq!(a.key, "sweep.snr");
        assert_eq!(a.value, serde_yaml::from_str::<Value>("[1, 2.5]").unwrap());
        assert_eq!(a.shown(), "sweep.snr=[1, 2.5]");
        assert!(Assignment::parse("train.lr").is_err());
        assert!(Assignment::parse("train..lr=1").is_err());
        assert!(Assignment::parse("train lr=1").is_err());
        let big = Assignment::parse("sweep.replicas=99999999999999999999999").unwrap_err();
        assert!(
            big.contains(
                "key `sweep.replicas`: the whole number 99999999999999999999999 is too large"
            ),
            "{big}"
        );
    }

    #[test]
    fn setting_creates_sections_and_refuses_to_run_through_values() {
        let mut doc: Value = serde_yaml::from_str("a: 1\nb: {c: 2}\nl: [1, 2]\n").unwrap();
        let o = |k: &str, v: &str| Overrides {
            set: vec![Assignment::parse(&format!("{k}={v}")).unwrap()],
            ..Overrides::default()
        };
        o("b.c", "3").apply(&mut doc).unwrap();
        o("x.y", "4").apply(&mut doc).unwrap();
        o("l[1]", "5").apply(&mut doc).unwrap();
        let want: Value = serde_yaml::from_str("a: 1\nb: {c: 3}\nl: [1, 5]\nx: {y: 4}\n").unwrap();
        assert_eq!(doc, want);
        let (key, message) = o("a.z", "1").apply(&mut doc).unwrap_err();
        assert_eq!(key, "a.z");
        assert!(message.contains("`a` is not a section"), "{message}");
        assert!(message.contains("--set a.z=1"), "{message}");
    }
}
