//! Manifest YAML into a typed schema, with every error located (the manifest stage's parser,
//! shared by both schemas through `manifest::parse_yaml`).
//!
//! [`deserialize`] turns serde's complaint into a [`Located`] error: the dotted key path
//! (`task.inputs`, `sweep.n_over_p[1]`), the 1-based line of that key in the file, and a
//! message that says what is allowed. Three things serde alone gets wrong are handled here:
//!
//! - the key path is tracked by `serde_path_to_error`, not read back out of the message;
//! - inside an internally tagged section (`task`, `model`, `train`: tagged by `kind` or
//!   `solver`) serde sees only the whole section, so the offending key is found by trying the
//!   section with its tag and one key at a time;
//! - lines come from the parser's own position of the key ([`key_line`]), so flow mappings
//!   (`task: {kind: ..., d: 3}`), quoting and comments cannot mislead it.

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_yaml::{Mapping, Value};
use std::fmt;

/// Keys that select the variant of a tagged section in the manifest schemas.
const TAGS: &[&str] = &["kind", "solver"];

/// One step of a key path: a mapping key or a list index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// Formats a path the way errors show it: `task.inputs`, `grid[0].rho`.
pub fn dotted(path: &[Segment]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Parses a dotted path (`grid[0].rho`) into its segments.
pub fn segments(dotted: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in dotted.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            if i > 0 {
                out.push(Segment::Key(rest[..i].to_string()));
            }
            rest = &rest[i..];
            while let Some(tail) = rest.strip_prefix('[') {
                let Some((index, after)) = tail.split_once(']') else {
                    break;
                };
                match index.parse() {
                    Ok(i) => out.push(Segment::Index(i)),
                    Err(_) => out.push(Segment::Key(index.to_string())),
                }
                rest = after;
            }
        } else {
            out.push(Segment::Key(rest.to_string()));
        }
    }
    out
}

/// A YAML manifest that does not fit its schema: where, and what is allowed.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// Dotted path of the offending key; `None` when the file as a whole is wrong.
    pub key: Option<String>,
    /// 1-based line of the key (of its section when the key is missing).
    pub line: Option<usize>,
    pub message: String,
}

/// Deserializes manifest text into `T` (which rejects unknown keys), locating any error.
///
/// A manifest that parses builds no [`Value`] document: [`check_document`] makes the checks
/// of [`document`] without one, and the document is built only to locate a failure.
pub fn deserialize<T: DeserializeOwned>(text: &str) -> Result<T, Located> {
    check_document(text)?;
    typed::<T>(text).map_err(|(path, message)| match document(text) {
        Ok(document) => locate_failure::<T>(text, &document, path, message),
        Err(e) => e,
    })
}

/// Deserializes an edited manifest document (the file's, with command-line values set in it)
/// into `T`, locating any error by its key in the file's `text`.
pub fn deserialize_edited<T: DeserializeOwned>(text: &str, edited: &Value) -> Result<T, Located> {
    let edited_text = serde_yaml::to_string(edited).map_err(|e| Located {
        key: None,
        line: None,
        message: format!("cannot write the edited manifest: {e}"),
    })?;
    typed::<T>(&edited_text)
        .map_err(|(path, message)| locate_failure::<T>(text, edited, path, message))
}

/// Manifest text as a YAML document: a mapping of keys, or a located error.
pub fn document(text: &str) -> Result<Value, Located> {
    let document = match serde_yaml::from_str::<Value>(text) {
        Err(e) => return Err(unreadable(text, &e)),
        Ok(v) => v,
    };
    not_a_mapping(text, Shape::of(&document)).map_or(Ok(document), Err)
}

/// The checks of [`document`] (readable YAML, a mapping at the top, no key twice in any
/// mapping), with the same errors, without building the document.
///
/// Why: serde_yaml's `Mapping` is an `IndexMap` hashed with std's `RandomState`, whose keys
/// the operating system draws for each process, so building one costs a number of
/// instructions that changes from run to run (the gate's `manifest_parse_hash_plan` bench
/// varied by a few hundred). This walk keeps each mapping's keys in a list and compares them
/// in order: the same work in every process.
pub fn check_document(text: &str) -> Result<(), Located> {
    match serde_yaml::from_str::<Shape>(text) {
        Err(e) => Err(unreadable(text, &e)),
        Ok(shape) => not_a_mapping(text, shape).map_or(Ok(()), Err),
    }
}

/// The value at the mapping keys `path` of manifest text (`document.get(k0).get(k1)...`),
/// read without building the rest of the document (see [`check_document`]); `None` when the
/// text cannot be read or has no such key.
pub fn pick(text: &str, path: &[&str]) -> Option<Value> {
    let de = serde_yaml::Deserializer::from_str(text);
    Pick { path }.deserialize(de).ok().flatten()
}

/// Walks mapping keys along `path` and reads the value at its end.
struct Pick<'a> {
    path: &'a [&'a str],
}

impl<'de> DeserializeSeed<'de> for Pick<'_> {
    type Value = Option<Value>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        match self.path.is_empty() {
            true => <Value as de::Deserialize>::deserialize(d).map(Some),
            false => d.deserialize_any(self),
        }
    }
}

impl<'de> Visitor<'de> for Pick<'_> {
    type Value = Option<Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Value>, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<Value>()? {
            if found.is_none() && key.as_str() == Some(self.path[0]) {
                found = map.next_value_seed(Pick {
                    path: &self.path[1..],
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Value>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Option<Value>, A::Error> {
        let (IgnoredAny, variant) = data.variant::<IgnoredAny>()?;
        de::VariantAccess::newtype_variant::<IgnoredAny>(variant).map(|_| None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Option<Value>, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Option<Value>, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Option<Value>, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Option<Value>, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Option<Value>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<Value>, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Option<Value>, E> {
        Ok(None)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        d.deserialize_any(self)
    }
}

/// The error of a document that is not a mapping of keys, if it is not.
fn not_a_mapping(text: &str, shape: Shape) -> Option<Located> {
    match shape {
        Shape::Mapping => None,
        Shape::Null => Some(Located {
            key: None,
            line: None,
            message: "the file has no keys: a manifest is a YAML mapping (`name: ...`, \
                      `seed: ...`, ...)"
                .into(),
        }),
        other => Some(Located {
            key: None,
            line: first_content_line(text),
            message: format!(
                "the file is {}, not a mapping of keys (`name: ...`, `seed: ...`, ...)",
                other.describe()
            ),
        }),
    }
}

/// Text that is not a YAML document serde_yaml can read, located by the parser's position.
fn unreadable(text: &str, e: &serde_yaml::Error) -> Located {
    let message = plain_message(e);
    let line = e.location().map(|l| l.line());
    // Duplicates are reported at their mapping: point at the key's second appearance.
    if let Some(key) = message
        .strip_prefix("duplicate entry with key \"")
        .and_then(|k| k.strip_suffix('"'))
    {
        let second = text
            .lines()
            .enumerate()
            .skip(line.unwrap_or(1).saturating_sub(1))
            .filter(|(_, l)| {
                let l = l.trim_start().trim_start_matches("- ");
                l.starts_with(&format!("{key}:")) || l.contains(&format!(" {key}:"))
            })
            .nth(1)
            .map(|(i, _)| i + 1);
        return Located {
            key: None,
            line: second.or(line),
            message: format!("the key `{key}` appears twice in one mapping"),
        };
    }
    if let Some(number) = message
        .strip_prefix("invalid type: integer `")
        .and_then(|m| m.split_once("` as u128"))
        .map(|(n, _)| n)
    {
        return Located {
            key: line.and_then(|l| key_of_value(text, l, number)),
            line,
            message: format!(
                "the whole number {number} is too large (the largest is 18446744073709551615)"
            ),
        };
    }
    Located {
        key: None,
        line,
        message: format!("not valid YAML: {message}"),
    }
}

/// The dotted key whose value `value` is on 1-based `line` of `text`, for an error the YAML
/// parser reports by line alone (a number too large for any field): the key before the value
/// on its line (inside a flow mapping, its key there; in a flow list, its index), under the
/// block keys that enclose the line, found by indentation; a block list item (`- value`)
/// takes its index among its siblings. `None` when the line holds no such value.
pub fn key_of_value(text: &str, line: usize, value: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let here = *lines.get(line.checked_sub(1)?)?;
    let at = here.find(value)?;
    let indent = |l: &str| l.len() - l.trim_start().len();
    let before = &here[..at];
    // The key written before the value on its own line (`width: 9…`, `{…, d: 9…}`).
    let key_before = |prefix: &str| -> Option<(String, usize)> {
        let colon = prefix.rfind(':')?;
        let name: String = prefix[..colon]
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        (!name.is_empty()).then_some((name, colon))
    };
    let mut path: Vec<Segment> = Vec::new();
    let body = here.trim_start();
    let own_indent = indent(here);
    // A block list item: its index among the `- ` lines of the same indentation above it,
    // up to the enclosing key.
    let item = body.starts_with("- ").then(|| {
        lines[..line - 1]
            .iter()
            .rev()
            .take_while(|l| l.trim().is_empty() || indent(l) >= own_indent)
            .filter(|l| indent(l) == own_indent && l.trim_start().starts_with("- "))
            .count()
    });
    // The block keys enclosing the line: each nearer line of smaller indentation that is a
    // `key:` line (a list item's key counts at its own indentation).
    let mut limit = if item.is_some() {
        own_indent + 1
    } else {
        own_indent
    };
    let mut parents = Vec::new();
    for l in lines[..line - 1].iter().rev() {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') || indent(l) >= limit {
            continue;
        }
        if let Some((name, _)) = t.split_once(':').filter(|(k, _)| !k.contains(' ')) {
            parents.push(name.trim_start_matches("- ").to_string());
        }
        limit = indent(l);
        if limit == 0 {
            break;
        }
    }
    path.extend(parents.into_iter().rev().map(Segment::Key));
    if let Some(index) = item {
        path.push(Segment::Index(index));
    }
    if let Some((name, colon)) = key_before(before) {
        // The line's own leading key, when the value sits inside its flow mapping.
        let lead = body.trim_start_matches("- ");
        if let Some((first, _)) = lead.split_once(':') {
            if first != name && lead.len() - lead.trim_start().len() == 0 && !first.contains(' ') {
                path.push(Segment::Key(first.to_string()));
            }
        }
        path.push(Segment::Key(name));
        // In a flow list after the key: the value's index in it.
        let after = &before[colon + 1..];
        if let Some(open) = after.rfind('[') {
            path.push(Segment::Index(after[open..].matches(',').count()));
        }
    }
    (!path.is_empty()).then(|| dotted(&path))
}

/// A failed typed deserialization: the path serde was at and its message, without location.
type Failure = (Vec<Segment>, String);

fn typed<T: DeserializeOwned>(text: &str) -> Result<T, Failure> {
    let de = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path: Vec<Segment> = e
            .path()
            .iter()
            .filter_map(|s| match s {
                serde_path_to_error::Segment::Seq { index } => Some(Segment::Index(*index)),
                serde_path_to_error::Segment::Map { key } => Some(Segment::Key(key.clone())),
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        let message = plain_message(e.inner());
        (path, message)
    })
}

/// Turns a typed failure into a located error with a message that says what is allowed.
fn locate_failure<T: DeserializeOwned>(
    text: &str,
    document: &Value,
    mut path: Vec<Segment>,
    message: String,
) -> Located {
    // Inside a tagged section serde reports the section: find the key that fails alone.
    if let Some(culprit) = culprit_in_tagged_section::<T>(document, &path, &message) {
        path.push(Segment::Key(culprit));
    }
    if let Some(field) = quoted_after(&message, "missing field `") {
        path.push(Segment::Key(field.clone()));
        let line = if path.len() > 1 {
            key_line_or_parent(text, &path)
        } else {
            None
        };
        return Located {
            key: Some(dotted(&path)),
            line,
            message: "this key is required but missing".into(),
        };
    }
    if let Some(field) = quoted_after(&message, "unknown field `") {
        if path.last() != Some(&Segment::Key(field.clone())) {
            path.push(Segment::Key(field));
        }
    }
    let mut message = explain(&message);
    if message.starts_with("invalid type") || message.starts_with("invalid value") {
        if let Some(allowed) = allowed_variants::<T>(document, &path) {
            message = match message.rsplit_once(", expected ") {
                Some((head, _)) => format!("{head}, expected {allowed}"),
                None => format!("{message}; allowed: {allowed}"),
            };
        }
    }
    Located {
        key: (!path.is_empty()).then(|| dotted(&path)),
        line: key_line_or_parent(text, &path),
        message,
    }
}

/// When `path` names a tagged section (a mapping with `kind` or `solver`) and the error is
/// about one of its keys rather than the section as a whole, that key.
fn culprit_in_tagged_section<T: DeserializeOwned>(
    document: &Value,
    path: &[Segment],
    message: &str,
) -> Option<String> {
    let Some(Value::Mapping(section)) = value_at(document, path) else {
        return None;
    };
    let tags: Mapping = section
        .iter()
        .filter(|(k, _)| k.as_str().is_some_and(|k| TAGS.contains(&k)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if tags.is_empty() || message.starts_with("missing field") {
        return None;
    }
    let reproduces = |candidate: Mapping| -> bool {
        let trial = replaced(document, path, Value::Mapping(candidate));
        let Ok(trial_text) = serde_yaml::to_string(&trial) else {
            return false;
        };
        matches!(typed::<T>(&trial_text), Err((p, m)) if p == path && m == message)
    };
    // An error the empty section reproduces is about the section itself.
    if reproduces(Mapping::new()) {
        return None;
    }
    if reproduces(tags.clone()) {
        return tags
            .keys()
            .next()
            .and_then(|k| k.as_str())
            .map(String::from);
    }
    section.iter().find_map(|(k, v)| {
        let name = k.as_str()?;
        if TAGS.contains(&name) {
            return None;
        }
        let mut candidate = tags.clone();
        candidate.insert(k.clone(), v.clone());
        reproduces(candidate).then(|| name.to_string())
    })
}

/// The allowed names when the value at `path` should have been one of a list of names: what
/// serde lists when that value is replaced by a name it does not know.
fn allowed_variants<T: DeserializeOwned>(document: &Value, path: &[Segment]) -> Option<String> {
    const PROBE: &str = "no-such-name-9f3c";
    value_at(document, path)?;
    let trial = replaced(document, path, Value::String(PROBE.into()));
    let trial_text = serde_yaml::to_string(&trial).ok()?;
    let (_, message) = typed::<T>(&trial_text).err()?;
    let rest = message.strip_prefix(&format!("unknown variant `{PROBE}`, expected "))?;
    Some(rest.to_string())
}

/// The value at `path` in a parsed document.
fn value_at<'a>(document: &'a Value, path: &[Segment]) -> Option<&'a Value> {
    path.iter().try_fold(document, |v, s| match s {
        Segment::Key(k) => v.as_mapping()?.get(k.as_str()),
        Segment::Index(i) => v.as_sequence()?.get(*i),
    })
}

/// A copy of `document` with the value at `path` replaced by `value`.
fn replaced(document: &Value, path: &[Segment], value: Value) -> Value {
    let mut out = document.clone();
    let mut at = &mut out;
    for s in path {
        let next = match s {
            Segment::Key(k) => at.as_mapping_mut().and_then(|m| m.get_mut(k.as_str())),
            Segment::Index(i) => at.as_sequence_mut().and_then(|q| q.get_mut(*i)),
        };
        match next {
            Some(v) => at = v,
            None => return out,
        }
    }
    *at = value;
    out
}

/// The text between `prefix` and the next backtick, if the message contains `prefix`.
fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let (_, rest) = message.split_once(prefix)?;
    rest.split_once('`').map(|(name, _)| name.to_string())
}

/// serde_yaml's message without its own path prefix and position suffix.
fn plain_message(e: &serde_yaml::Error) -> String {
    let mut s = e.to_string();
    if let Some(loc) = e.location() {
        let suffix = format!(" at line {} column {}", loc.line(), loc.column());
        if let Some(head) = s.strip_suffix(&suffix) {
            s = head.to_string();
        }
    }
    // A path prefix: `sweep.replicas: invalid type...` (no spaces, before the first `: `).
    if let Some((head, rest)) = s.split_once(": ") {
        let is_path = !head.is_empty()
            && head
                .chars()
                .all(|c| c.is_alphanumeric() || "_-.[]".contains(c));
        if is_path {
            s = rest.to_string();
        }
    }
    s
}

/// serde's words for types, in the manifest's terms.
fn explain(message: &str) -> String {
    const WORDS: &[(&str, &str)] = &[
        ("unit value", "null (an empty value)"),
        ("expected usize", "expected a whole number, 0 or more"),
        (
            "expected u64",
            "expected a whole number from 0 to 18446744073709551615",
        ),
        ("expected u32", "expected a whole number, 0 or more"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected a list such as [1, 2]"),
        ("expected a string", "expected text"),
        ("expected a boolean", "expected true or false"),
        ("there are no fields", "this section takes no other keys"),
    ];
    let mut out = message.to_string();
    for (from, to) in WORDS {
        out = out.replace(from, to);
    }
    if let Some((head, what)) = out.rsplit_once(", expected ") {
        if what.starts_with("struct ") || what.starts_with("internally tagged enum ") {
            return format!("{head}, expected a mapping of keys");
        }
    }
    out
}

/// What kind of YAML value a document is: [`document`]'s value seen without its contents, or
/// what [`check_document`] reads (walking every nested value as serde_yaml's `Value` does,
/// failing where it fails: a key twice in a mapping, an integer beyond 64 bits).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shape {
    Null,
    Bool,
    Number,
    String,
    Sequence,
    Mapping,
    Tagged,
}

impl Shape {
    fn of(v: &Value) -> Shape {
        match v {
            Value::Null => Shape::Null,
            Value::Bool(_) => Shape::Bool,
            Value::Number(_) => Shape::Number,
            Value::String(_) => Shape::String,
            Value::Sequence(_) => Shape::Sequence,
            Value::Mapping(_) => Shape::Mapping,
            Value::Tagged(_) => Shape::Tagged,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Shape::Null => "empty",
            Shape::Bool => "a single boolean",
            Shape::Number => "a single number",
            Shape::String => "a single piece of text",
            Shape::Sequence => "a list",
            Shape::Mapping => "a mapping",
            Shape::Tagged => "a tagged value",
        }
    }
}

impl<'de> de::Deserialize<'de> for Shape {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Shape, D::Error> {
        d.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
        Ok(Shape::Bool)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::Number)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::Number)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::Number)
    }
    fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
        Ok(Shape::String)
    }
    fn visit_unit<E>(self) -> Result<Shape, E> {
        Ok(Shape::Null)
    }
    fn visit_none<E>(self) -> Result<Shape, E> {
        Ok(Shape::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Shape, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        while seq.next_element::<Shape>()?.is_some() {}
        Ok(Shape::Sequence)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        // serde_yaml's `Mapping` reads a key, fails if it was already there, then reads the
        // value: the same order here, so the error and its position are the same.
        let mut keys: Vec<Value> = Vec::new();
        while let Some(key) = map.next_key::<Value>()? {
            if keys.contains(&key) {
                return Err(de::Error::custom(duplicate_key(&key)));
            }
            map.next_value::<Shape>()?;
            keys.push(key);
        }
        Ok(Shape::Mapping)
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Shape, A::Error> {
        let (_tag, variant) = data.variant::<String>()?;
        de::VariantAccess::newtype_variant::<Shape>(variant)?;
        Ok(Shape::Tagged)
    }
}

/// serde_yaml's message for a key found twice in one mapping (`DuplicateKeyError`).
fn duplicate_key(key: &Value) -> String {
    match key {
        Value::Null => "duplicate entry with null key".into(),
        Value::Bool(b) => format!("duplicate entry with key `{b}`"),
        Value::Number(n) => format!("duplicate entry with key {n}"),
        Value::String(s) => format!("duplicate entry with key {s:?}"),
        Value::Sequence(_) | Value::Mapping(_) | Value::Tagged(_) => {
            "duplicate entry in YAML map".into()
        }
    }
}

fn first_content_line(text: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && t != "---"
        })
        .map(|i| i + 1)
}

/// The line of the longest prefix of `path` present in the file (the key, else its section).
pub fn key_line_or_parent(text: &str, path: &[Segment]) -> Option<usize> {
    (1..=path.len())
        .rev()
        .find_map(|n| key_line(text, &path[..n]))
}

/// The 1-based line of the key at `path` (or of the list item, for an index), as the YAML
/// parser sees it; `None` if the file has no such key.
pub fn key_line(text: &str, path: &[Segment]) -> Option<usize> {
    if path.is_empty() {
        return None;
    }
    let de = serde_yaml::Deserializer::from_str(text);
    match (Seek { path }).deserialize(de) {
        Ok(()) => None,
        Err(e) if e.to_string().contains(FOUND) => e.location().map(|l| l.line()),
        Err(_) => None,
    }
}

/// The message of the deliberate error that stops [`Seek`] at its target.
const FOUND: &str = "\u{1}key found\u{1}";

/// Walks a document along a path and fails on purpose at its end, so that the parser attaches
/// the position of the key (or list item) to the error.
struct Seek<'a> {
    path: &'a [Segment],
}

impl<'de> DeserializeSeed<'de> for Seek<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.path.is_empty() {
            return d.deserialize_any(Found);
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seek<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some(Segment::Key(target)) = self.path.first() else {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(());
        };
        let last = self.path.len() == 1;
        while let Some(hit) = map.next_key_seed(KeyIs { target, last })? {
            if hit {
                return map.next_value_seed(Seek {
                    path: &self.path[1..],
                });
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some(Segment::Index(target)) = self.path.first() else {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        };
        for _ in 0..*target {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(());
            }
        }
        seq.next_element_seed(Seek {
            path: &self.path[1..],
        })?;
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        // A `!tagged` value: not part of any manifest schema, so never a target.
        let (IgnoredAny, variant) = data.variant::<IgnoredAny>()?;
        de::VariantAccess::newtype_variant::<IgnoredAny>(variant).map(|_| ())
    }
}

/// Deserializes a mapping key: whether it is the target, failing on purpose (at the key's
/// position) when it is the target and the last segment.
struct KeyIs<'a> {
    target: &'a str,
    last: bool,
}

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        // The deliberate error is raised inside the parser's call, which then attaches the
        // key's own position to it.
        d.deserialize_any(self)
    }
}

impl KeyIs<'_> {
    fn matched<E: de::Error>(&self, key: &str) -> Result<bool, E> {
        match (key == self.target, self.last) {
            (true, true) => Err(E::custom(FOUND)),
            (hit, _) => Ok(hit),
        }
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        self.matched(v)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        self.matched(&v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        self.matched(&v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        self.matched(&v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<bool, E> {
        self.matched(&v.to_string())
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(false)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }
}

/// Fails on whatever value it is given (the target list item), inside the parser's call.
struct Found;

impl<'de> Visitor<'de> for Found {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the target")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(FOUND))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_on_a_line_is_named_by_its_key_path() {
        let text =
            "name: x\nseed: 99\ntask: {kind: linear-teacher, d: 99}\nmodel:\n  kind: relu2\n  \
                    width: 99\nsweep:\n  snr: [1, 2, 99]\n  n_over_p:\n    - 0.5\n    - 99\n  \
                    replicas: 99\n";
        let key = |line| key_of_value(text, line, "99");
        assert_eq!(key(2).as_deref(), Some("seed"));
        assert_eq!(key(3).as_deref(), Some("task.d"));
        assert_eq!(key(6).as_deref(), Some("model.width"));
        assert_eq!(key(8).as_deref(), Some("sweep.snr[2]"));
        assert_eq!(key(11).as_deref(), Some("sweep.n_over_p[1]"));
        assert_eq!(key(12).as_deref(), Some("sweep.replicas"));
        assert_eq!(key(1), None, "no such value on the line");
        assert_eq!(key(40), None);
    }

    #[test]
    fn a_whole_number_too_large_names_its_key() {
        let text = "name: x\nsweep:\n  replicas: 99999999999999999999999\n";
        let e = document(text).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("sweep.replicas"));
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("too large"), "{}", e.message);
    }

    #[test]
    fn key_lines_follow_the_parser_not_the_indentation() {
        let text = "a: 1\n# b: in a comment\nb:\n  c: [1,\n    2]\n  d: {e: 3,\n      f: 4}\n";
        let at = |p: &str| key_line(text, &segments(p));
        assert_eq!(at("a"), Some(1));
        assert_eq!(at("b"), Some(3));
        assert_eq!(at("b.c"), Some(4));
        assert_eq!(at("b.c[1]"), Some(5));
        assert_eq!(at("b.d.f"), Some(7));
        assert_eq!(at("b.x"), None);
        assert_eq!(key_line_or_parent(text, &segments("b.x")), Some(3));
    }

    /// `check_document` is `document` without the document: the same verdict and the same
    /// error (message and line) on every kind of text.
    #[test]
    fn checking_a_document_fails_exactly_where_reading_it_fails() {
        let texts = [
            "name: a\nseed: 1\n",
            "a: {b: 1, c: [1, 2, {d: 3}]}\ne: !tagged {f: 1}\n",
            "",
            "# only a comment\n",
            "- 1\n- 2\n",
            "just text\n",
            "12\n",
            "true\n",
            "!tag 3\n",
            "a: 1\nb: 2\na: 3\n",
            "a:\n  b: 1\n  c: 2\n  b: 3\n",
            "l:\n  - {x: 1, x: 2}\n",
            "1: a\n1: b\n",
            "true: a\ntrue: b\n",
            "~: a\nnull: b\n",
            "[1]: a\n[1]: b\n",
            "a: 18446744073709551616\n",
            "a: -9223372036854775809\n",
            "a: [1, 2\n",
            "a: b: c\n",
            "a: *missing\n",
            "x: &anchor {k: 1}\ny: *anchor\n",
            "\t- tab\n",
        ];
        for text in texts {
            let read = document(text).map(|_| ());
            assert_eq!(check_document(text), read, "{text:?}");
        }
        // The duplicate cases above are errors (the comparison is not between two passes).
        let e = check_document("a:\n  b: 1\n  c: 2\n  b: 3\n").unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (Some(4), "the key `b` appears twice in one mapping")
        );
        assert!(check_document("l:\n  - {x: 1, x: 2}\n").is_err());
    }

    #[test]
    fn a_value_is_picked_as_the_document_holds_it() {
        let texts = [
            "sweep:\n  over: {a: [1, 2]}\n  snr: [1]\n",
            "name: x\nsweep: {snr: [1], over: {b: [x, y]}}\n",
            "sweep:\n  snr: [1]\n",
            "sweep: [1, 2]\n",
            "sweep: 3\n",
            "sweep:\n  over:\n",
            "name: x\n",
            "- sweep\n",
            "",
        ];
        for text in texts {
            let doc = document(text).ok();
            let want = doc
                .as_ref()
                .and_then(|d| d.get("sweep"))
                .and_then(|s| s.get("over"))
                .cloned();
            assert_eq!(pick(text, &["sweep", "over"]), want, "{text:?}");
        }
        assert_eq!(
            pick("a: {b: [1]}\n", &["a", "b"]),
            Some(serde_yaml::from_str("[1]").unwrap())
        );
    }

    #[test]
    fn dotted_paths_round_trip() {
        for p in ["a", "a.b", "grid[0].rho", "x[1][2]"] {
            assert_eq!(dotted(&segments(p)), p);
        }
    }
}
