//! `harness export MANIFEST --member SEL | --pair SEL`: finds the one unit of the experiment's
//! plan that a selector names, reads it from the cache and hands it to
//! [`crate::results::export`], which writes the files.
//!
//! A selector is either a unit hash (or a prefix of at least 6 hex digits, as `harness plan`
//! and `members.csv` show them) or comma-separated `key=value` terms with the column names of
//! `members.csv` (`snr` or `label_noise`, `n`, `replica`, `member`, `model`) or of `pairs.csv`
//! (`member_a`, `member_b`, `model_a`, `model_b` in place of `member` and `model`; a pair
//! matches with its members in either order). It must match exactly one unit.

use super::{Context, ManifestArgs};
use crate::alignment::PairResult;
use crate::cache::Store;
use crate::identity::canonical_json;
use crate::manifest::Manifest;
use crate::matrix::InputError;
use crate::plan::{member_label, pair_label, plan, Plan, PlannedMember, MEMBER_EXT, PAIR_EXT};
use crate::representations::MemberResult;
use crate::results::export::{self, Format, MemberInfo, PairInfo};
use anyhow::{anyhow, Result};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Write one cached member's representation and parameters (--member), or one pair's
/// members, estimator inputs and values with its tie-breaking seed (--pair), as CSV or NPY
/// files with a JSON record (README "Exporting units").
///
/// A selector is a unit hash (or a prefix of at least 6 hex digits) or key=value terms
/// separated by commas, with the columns of members.csv (snr or label_noise, n, replica,
/// member, model) or pairs.csv (member_a, member_b, model_a, model_b); it must match one
/// unit. Example: --pair snr=2,n=32,replica=0,member_a=0,member_b=1
#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("unit").required(true).args(["member", "pair"])))]
pub struct Args {
    /// The experiment's manifest (already run: the unit must be in the cache).
    pub manifest: PathBuf,
    /// The member to export.
    #[arg(long, value_name = "SELECTOR")]
    pub member: Option<String>,
    /// The pair to export (its members in either order).
    #[arg(long, value_name = "SELECTOR")]
    pub pair: Option<String>,
    /// File format of the tensors (the pair's estimator inputs are always CSV, what
    /// `harness cce` reads).
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// Folder to write (default <artifacts>/export/<name>/<member|pair>-<hash prefix>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub values: ManifestArgs,
}

/// `harness export`: the files written, then the folder.
pub fn main(ctx: &Context, args: Args) -> Result<ExitCode> {
    let m = ctx.network(&args.manifest, |e| {
        format!(
            "`{}` is an {} experiment: its units are estimates on generated data, with no \
             members to export",
            e.name(),
            e.kind()
        )
    })?;
    let what = match (&args.member, &args.pair) {
        (Some(sel), _) => What::Member(sel),
        (None, Some(sel)) => What::Pair(sel),
        (None, None) => unreachable!("clap requires --member or --pair"),
    };
    let (dir, files) = export(&m, &ctx.store, what, args.format, args.out.as_deref())?;
    for f in &files {
        println!("{}", f.display());
    }
    println!("exported to {}/", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// What to export.
#[derive(Clone, Copy, Debug)]
pub enum What<'a> {
    Member(&'a str),
    Pair(&'a str),
}

/// Exports the unit `what` names to `out` (default `<artifacts>/export/<name>/<kind>-<hash
/// prefix>/`); returns the folder and the files written.
pub fn export(
    manifest: &Manifest,
    store: &Store,
    what: What,
    format: Format,
    out: Option<&Path>,
) -> Result<(PathBuf, Vec<PathBuf>)> {
    let plan = plan(manifest);
    let default_dir = |kind: &str, hash: &str| {
        store
            .root()
            .join("export")
            .join(&manifest.name)
            .join(format!("{kind}-{}", &hash[..12]))
    };
    match what {
        What::Member(selector) => {
            let i = select_member(&plan, selector)?;
            let m = &plan.members[i];
            let dir = out.map_or_else(|| default_dir("member", &m.hash), Path::to_path_buf);
            let (info, result) = cached_member(manifest, &plan, store, m)?;
            let files = export::write_member(&dir, &info, &result, format)?;
            Ok((dir, files))
        }
        What::Pair(selector) => {
            let i = select_pair(&plan, selector)?;
            let p = &plan.pairs[i];
            let dir = out.map_or_else(|| default_dir("pair", &p.hash), Path::to_path_buf);
            let a = cached_member(manifest, &plan, store, &plan.members[p.a])?;
            let b = cached_member(manifest, &plan, store, &plan.members[p.b])?;
            let result: PairResult = store
                .load_quietly(&p.hash, PAIR_EXT, |bytes| {
                    Ok(serde_json::from_slice(bytes)?)
                })
                .ok_or_else(|| not_cached(manifest, "pair", &p.hash, &pair_label(&plan, p)))?;
            let info = PairInfo {
                experiment: &manifest.name,
                manifest_sha256: &plan.manifest_hash,
                unit: &p.hash,
                tie_seed: p.spec.tie_break_seed(),
                k: p.spec.k,
                project: p.spec.project,
                spec: serde_json::from_str(&canonical_json(&p.spec))?,
            };
            let files =
                export::write_pair(&dir, &info, [(&a.0, &a.1), (&b.0, &b.1)], &result, format)?;
            Ok((dir, files))
        }
    }
}

fn not_cached(manifest: &Manifest, kind: &str, hash: &str, label: &str) -> anyhow::Error {
    anyhow!(
        "the {kind} unit {} ({label}) of `{}` is not in the cache: run the experiment first \
         (`harness run`)",
        &hash[..12],
        manifest.name
    )
}

/// A member's cache entry and what identifies it.
fn cached_member<'a>(
    manifest: &'a Manifest,
    plan: &'a Plan,
    store: &Store,
    m: &'a PlannedMember,
) -> Result<(MemberInfo<'a>, MemberResult)> {
    let label = member_label(plan, m);
    let result = store
        .load_quietly(&m.hash, MEMBER_EXT, MemberResult::decode)
        .ok_or_else(|| not_cached(manifest, "member", &m.hash, &label))?;
    let info = MemberInfo {
        experiment: &manifest.name,
        manifest_sha256: &plan.manifest_hash,
        unit: &m.hash,
        label,
        spec: serde_json::from_str(&canonical_json(&m.spec))?,
        cache_entry: store
            .cache_dir()
            .join(&m.hash[..2])
            .join(format!("{}.{MEMBER_EXT}", m.hash)),
    };
    Ok((info, result))
}

/// A selector's complaint, as bad input (exit code 2).
fn bad(flag: &str, selector: &str, why: String) -> anyhow::Error {
    anyhow::Error::new(InputError(format!("{flag} `{selector}`: {why}")))
}

/// The parsed terms of a selector, or a hash prefix.
enum Parsed {
    Hash(String),
    Terms(Vec<(String, String)>),
}

fn parse(flag: &str, selector: &str, keys: &[&str]) -> Result<Parsed> {
    let s = selector.trim();
    if !s.contains('=') {
        if s.len() >= 6 && s.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(Parsed::Hash(s.to_ascii_lowercase()));
        }
        return Err(bad(
            flag,
            selector,
            format!(
                "expected a unit hash (at least 6 hex digits) or key=value terms separated by \
                 commas, with keys {}",
                keys.join(", ")
            ),
        ));
    }
    let mut terms = Vec::new();
    for term in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let Some((k, v)) = term.split_once('=') else {
            return Err(bad(flag, selector, format!("`{term}` is not key=value")));
        };
        let (k, v) = (k.trim(), v.trim());
        if !keys.contains(&k) {
            return Err(bad(
                flag,
                selector,
                format!("unknown key `{k}`; the keys are {}", keys.join(", ")),
            ));
        }
        terms.push((k.to_string(), v.to_string()));
    }
    Ok(Parsed::Terms(terms))
}

/// Whether `value` (a selector's) names the number `x`.
fn same_number(value: &str, x: f64) -> bool {
    value.parse::<f64>().is_ok_and(|v| v == x)
}

/// The key=value terms of a member, as in `members.csv`.
fn member_terms(plan: &Plan, m: &PlannedMember) -> Vec<(&'static str, String)> {
    let pt = &plan.points[m.point];
    vec![
        (pt.level.column(), format!("{}", pt.level.value())),
        ("n", pt.n.to_string()),
        ("replica", m.replica.to_string()),
        ("member", m.member.to_string()),
        ("model", m.spec.model.name().to_string()),
    ]
}

/// Whether a term holds for a list of (key, value): numbers compare as numbers.
fn holds(terms: &[(&str, String)], key: &str, value: &str) -> bool {
    terms.iter().any(|(k, v)| {
        *k == key && (v == value || v.parse::<f64>().is_ok_and(|x| same_number(value, x)))
    })
}

/// The one index among `candidates` (labels) that `selected` keeps, or an error saying how
/// many matched.
fn exactly_one(
    flag: &str,
    selector: &str,
    what: &str,
    matches: Vec<usize>,
    label: impl Fn(usize) -> String,
    hint: &str,
) -> Result<usize> {
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => Err(bad(flag, selector, format!("no {what} matches; {hint}"))),
        many => {
            let shown: Vec<String> = many.iter().take(3).map(|&i| label(i)).collect();
            Err(bad(
                flag,
                selector,
                format!(
                    "{} {what}s match (e.g. {}{}): add terms until one is left, or give a \
                     unit hash",
                    many.len(),
                    shown.join("; "),
                    if many.len() > 3 { "; …" } else { "" }
                ),
            ))
        }
    }
}

/// The values each key takes in the plan, for an error that matched nothing.
fn known_values(rows: Vec<Vec<(&'static str, String)>>) -> String {
    let mut keys: Vec<(&str, Vec<String>)> = Vec::new();
    for row in rows {
        for (k, v) in row {
            match keys.iter_mut().find(|(key, _)| *key == k) {
                Some((_, vs)) => {
                    if !vs.contains(&v) {
                        vs.push(v)
                    }
                }
                None => keys.push((k, vec![v])),
            }
        }
    }
    let parts: Vec<String> = keys
        .into_iter()
        .map(|(k, vs)| format!("{k} in {}", vs.join(" ")))
        .collect();
    format!("the plan has {}", parts.join("; "))
}

/// The index in `plan.members` of the member `selector` names.
pub fn select_member(plan: &Plan, selector: &str) -> Result<usize> {
    const FLAG: &str = "--member";
    let level = plan.level_column();
    let keys = [level, "n", "replica", "member", "model"];
    let matches: Vec<usize> = match parse(FLAG, selector, &keys)? {
        Parsed::Hash(prefix) => (0..plan.members.len())
            .filter(|&i| plan.members[i].hash.starts_with(&prefix))
            .collect(),
        Parsed::Terms(terms) => (0..plan.members.len())
            .filter(|&i| {
                let mine = member_terms(plan, &plan.members[i]);
                terms.iter().all(|(k, v)| holds(&mine, k, v))
            })
            .collect(),
    };
    exactly_one(
        FLAG,
        selector,
        "member",
        matches,
        |i| member_label(plan, &plan.members[i]),
        &known_values(plan.members.iter().map(|m| member_terms(plan, m)).collect()),
    )
}

/// The key=value terms of a pair with its members in the order given, as in `pairs.csv`.
fn pair_terms(plan: &Plan, a: &PlannedMember, b: &PlannedMember) -> Vec<(&'static str, String)> {
    let pt = &plan.points[a.point];
    vec![
        (pt.level.column(), format!("{}", pt.level.value())),
        ("n", pt.n.to_string()),
        ("replica", a.replica.to_string()),
        ("member_a", a.member.to_string()),
        ("member_b", b.member.to_string()),
        ("model_a", a.spec.model.name().to_string()),
        ("model_b", b.spec.model.name().to_string()),
    ]
}

/// The index in `plan.pairs` of the pair `selector` names (its members in either order).
pub fn select_pair(plan: &Plan, selector: &str) -> Result<usize> {
    const FLAG: &str = "--pair";
    let level = plan.level_column();
    let keys = [
        level, "n", "replica", "member_a", "member_b", "model_a", "model_b",
    ];
    let matches: Vec<usize> = match parse(FLAG, selector, &keys)? {
        Parsed::Hash(prefix) => (0..plan.pairs.len())
            .filter(|&i| plan.pairs[i].hash.starts_with(&prefix))
            .collect(),
        Parsed::Terms(terms) => (0..plan.pairs.len())
            .filter(|&i| {
                let p = &plan.pairs[i];
                let (a, b) = (&plan.members[p.a], &plan.members[p.b]);
                [pair_terms(plan, a, b), pair_terms(plan, b, a)]
                    .iter()
                    .any(|mine| terms.iter().all(|(k, v)| holds(mine, k, v)))
            })
            .collect(),
    };
    exactly_one(
        FLAG,
        selector,
        "pair",
        matches,
        |i| pair_label(plan, &plan.pairs[i]),
        &known_values(
            plan.pairs
                .iter()
                .map(|p| pair_terms(plan, &plan.members[p.a], &plan.members[p.b]))
                .collect(),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = "name: t\nseed: 1\ntask: {kind: linear-teacher, d: 4, n_test: 50}\n\
        model: {kind: linear2}\nsweep: {snr: [1, 2.5], n_over_p: [0.5, 2], replicas: 2, members: 3}\n";

    fn tiny() -> Plan {
        plan(&Manifest::parse(TINY, Path::new("t.yaml")).unwrap())
    }

    #[test]
    fn a_member_selector_names_exactly_one_member() {
        let p = tiny();
        let i = select_member(&p, "snr=2.5, n=10, replica=1, member=2").unwrap();
        let m = &p.members[i];
        assert_eq!((p.points[m.point].n, m.replica, m.member), (10, 1, 2));
        assert_eq!(p.points[m.point].level.value(), 2.5);
        // Numbers compare as numbers; a hash prefix names its unit.
        assert_eq!(
            select_member(&p, "snr=2.50,n=10,replica=1,member=2").unwrap(),
            i
        );
        assert_eq!(select_member(&p, &m.hash[..8]).unwrap(), i);
        let err = |s: &str| format!("{:#}", select_member(&p, s).unwrap_err());
        assert!(
            err("snr=2.5,n=10").contains("6 members match"),
            "{}",
            err("snr=2.5,n=10")
        );
        assert!(err("snr=3").contains("no member matches; the plan has snr in 1 2.5"));
        assert!(err("width=3").contains("unknown key `width`"));
        assert!(err("abc").contains("expected a unit hash"));
    }

    #[test]
    fn a_pair_selector_matches_its_members_in_either_order() {
        let p = tiny();
        let i = select_pair(&p, "snr=1,n=10,replica=0,member_a=2,member_b=0").unwrap();
        assert_eq!(
            select_pair(&p, "snr=1,n=10,replica=0,member_a=0,member_b=2").unwrap(),
            i
        );
        let pair = &p.pairs[i];
        assert_eq!((p.members[pair.a].member, p.members[pair.b].member), (0, 2));
        let e = format!("{:#}", select_pair(&p, "snr=1,n=10,replica=0").unwrap_err());
        assert!(e.contains("3 pairs match"), "{e}");
    }
}
