//! The stage rule of docs/ARCHITECTURE.md, checked on the source: every path a file of
//! `harness/src` names (`crate::…`, `super::…`, `self::…`, in a `use` or inline) may name only
//! its own stage or a stage below it, with no exception list; and no chain of imports between
//! files runs in a circle, neither through two stages nor between two files of one stage (a
//! folder's `mod.rs` re-exporting a child's item and the child using the folder's items is such
//! a circle too). Inline test modules are left out: a test may read what it tests.

mod common;

use common::source::{files, src};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A file's code as one text (see [`common::source::code`]).
fn code(text: &str) -> String {
    common::source::code(text).join("\n")
}

/// The stages, lowest first, in the order their imports run. The basics (rng, matrix, linalg,
/// identity, device) sit below all. The enums a manifest names (`Dataset`, `Model`, `Train`,
/// `Estimator`, …) live beside the code they select, in the stages below `manifest`, so the
/// manifest imports them downwards.
const STAGES: &[&str] = &[
    "data",
    "models",
    "train",
    "estimators",
    "manifest",
    "cache",
    "plan",
    "representations",
    "alignment",
    "results",
    "kinds",
    "cli",
];
const BASICS: &[&str] = &["rng", "matrix", "linalg", "identity", "device"];

fn rank(top: &str) -> Option<usize> {
    if BASICS.contains(&top) {
        return Some(0);
    }
    STAGES.iter().position(|s| *s == top).map(|i| i + 1)
}

/// The stage of a file: its first path component (`plan/units.rs` → `plan`).
fn stage_of(file: &Path) -> String {
    let first = file
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The module path of a file: `plan/units.rs` → `plan::units`, `plan/mod.rs` → `plan`.
fn module_of(file: &Path) -> Vec<String> {
    let mut parts: Vec<String> = file
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// Every crate path a file names, expanded over `{…}` groups (`crate::a::{b, c::D}` gives
/// `a::b` and `a::c::D`), with `super::` and `self::` resolved against the file's module; and
/// the paths through a module the file imported by name (`use super::figure;` then
/// `figure::experiment::render` is `…::figure::experiment::render`).
fn crate_paths(file: &Path, code: &str) -> Vec<String> {
    let module = module_of(file);
    let mut out = Vec::new();
    for (anchor, base) in [
        ("crate::", Vec::new()),
        ("super::", module[..module.len().saturating_sub(1)].to_vec()),
        ("self::", module.clone()),
    ] {
        let prefix: String = base.iter().map(|p| format!("{p}::")).collect();
        out.extend(anchored(code, anchor, &prefix));
    }
    let out: Vec<String> = out.into_iter().map(|p| climb(&p)).collect();
    // Modules imported by name: their last segment, used as a path's first.
    let mut aliased = Vec::new();
    for path in &out {
        let is_module = file_of(path).is_some_and(|f| module_of(&f).join("::") == *path);
        let last = path.rsplit("::").next().unwrap_or_default();
        if is_module && !last.is_empty() {
            let prefix = format!("{path}::");
            aliased.extend(
                anchored(code, &format!("{last}::"), &prefix)
                    .into_iter()
                    .map(|p| climb(&p)),
            );
        }
    }
    out.into_iter().chain(aliased).collect()
}

/// The paths that start at each `anchor` in `code` not preceded by an identifier or `::`,
/// expanded with `prefix` in the anchor's place.
fn anchored(code: &str, anchor: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices(anchor) {
        let before = code[..i].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == ':') {
            continue;
        }
        expand(prefix, &code[i + anchor.len()..], &mut out);
    }
    out
}

/// Resolves `a::b::super::c` to `a::c`.
fn climb(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split("::") {
        if p == "super" {
            parts.pop();
        } else if p != "self" {
            parts.push(p);
        }
    }
    parts.join("::")
}

/// Expands one path starting at `text` (after `prefix`), into `out`.
fn expand(prefix: &str, text: &str, out: &mut Vec<String>) {
    let ident: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
        .collect();
    let path = format!("{prefix}{ident}");
    let after = &text[ident.len()..];
    if (path.is_empty() || path.ends_with("::")) && after.starts_with('{') {
        // A group: split its items at top-level commas.
        let mut depth = 0;
        let mut start = 1;
        for (i, c) in after.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        expand(&path, after[start..i].trim_start(), out);
                        return;
                    }
                }
                ',' if depth == 1 => {
                    expand(&path, after[start..i].trim_start(), out);
                    start = i + 1;
                }
                _ => {}
            }
        }
    } else {
        let path = path.trim_end_matches("::").to_string();
        let path = path.trim_end_matches("::self").to_string();
        if !path.is_empty() && path != "self" && path != "*" {
            out.push(path);
        }
    }
}

/// The file a crate path lives in: the longest prefix that is a module file.
fn file_of(path: &str) -> Option<PathBuf> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len()).rev().find_map(|n| {
        let dir = parts[..n].join("/");
        [format!("{dir}.rs"), format!("{dir}/mod.rs")]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| src().join(p).is_file())
    })
}

struct Import {
    from: PathBuf,
    path: String,
}

fn imports() -> Vec<Import> {
    let all = files();
    let mut out = Vec::new();
    for file in all {
        if file == Path::new("main.rs") || file == Path::new("lib.rs") {
            continue;
        }
        let text = std::fs::read_to_string(src().join(&file)).unwrap();
        for path in crate_paths(&file, &code(&text)) {
            out.push(Import {
                from: file.clone(),
                path,
            });
        }
    }
    out
}

/// The imports that run up a stage, as `file: crate::path (stage → higher stage)`.
fn violations(imports: &[Import]) -> Vec<String> {
    let mut bad = Vec::new();
    for i in imports {
        let from = stage_of(&i.from);
        let to = i.path.split("::").next().unwrap().to_string();
        let (Some(rf), Some(rt)) = (rank(&from), rank(&to)) else {
            bad.push(format!(
                "{}: crate::{} (a module outside the stage list)",
                i.from.display(),
                i.path
            ));
            continue;
        };
        if rt > rf {
            bad.push(format!(
                "{}: crate::{} ({from} → {to}, a higher stage)",
                i.from.display(),
                i.path
            ));
        }
    }
    bad
}

/// Cycles of file imports: each pair of files that reach each other, as `a ⇄ b`.
fn loops(imports: &[Import]) -> Vec<String> {
    let mut graph: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for i in imports {
        if let Some(to) = file_of(&i.path) {
            if to != i.from {
                graph.entry(i.from.clone()).or_default().insert(to);
            }
        }
    }
    let nodes: Vec<PathBuf> = graph.keys().cloned().collect();
    let reach = |start: &PathBuf| -> BTreeSet<PathBuf> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start.clone()];
        while let Some(n) = stack.pop() {
            for m in graph.get(&n).into_iter().flatten() {
                if seen.insert(m.clone()) {
                    stack.push(m.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&PathBuf, BTreeSet<PathBuf>> =
        nodes.iter().map(|n| (n, reach(n))).collect();
    let mut bad = Vec::new();
    for (a, ra) in &reachable {
        for b in ra {
            let back = reachable.get(b).is_some_and(|rb| rb.contains(*a));
            if back && *a < b {
                bad.push(format!("{} ⇄ {}", a.display(), b.display()));
            }
        }
    }
    bad
}

#[test]
fn no_import_runs_up_a_stage() {
    let imports = imports();
    assert!(imports.len() > 100, "the scan found the imports");
    let bad = violations(&imports);
    assert!(
        bad.is_empty(),
        "imports against the stage order:\n{}",
        bad.join("\n")
    );
}

#[test]
fn no_import_loop_between_files() {
    let bad = loops(&imports());
    assert!(bad.is_empty(), "import loops:\n{}", bad.join("\n"));
}

#[test]
fn every_source_folder_is_a_stage() {
    let all = files();
    for f in all {
        let stage = stage_of(&f);
        assert!(
            ["main", "lib"].contains(&stage.as_str()) || rank(&stage).is_some(),
            "{}: `{stage}` is neither a stage nor a basic module (tests/layering.rs)",
            f.display()
        );
    }
}

/// The stages of lib.rs are the stages listed here, in this order.
#[test]
fn lib_declares_the_listed_stages() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let declared: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';'))
        .filter(|m| !BASICS.contains(m))
        .collect();
    assert_eq!(
        declared, STAGES,
        "lib.rs declares the stages in their order"
    );
}

#[test]
fn the_checker_sees_what_it_must_refuse() {
    // Paths are read through groups and nesting, and an upward one is named.
    let file = Path::new("data/teacher.rs");
    let paths = crate_paths(
        file,
        "use crate::{rng::Rng, results::{tables::cell, claims}};\n",
    );
    assert_eq!(
        paths,
        ["rng::Rng", "results::tables::cell", "results::claims"]
    );
    let up = Import {
        from: PathBuf::from("data/teacher.rs"),
        path: "results::tables::cell".into(),
    };
    assert_eq!(violations(&[up]).len(), 1);
    // The manifest may import what it names from below; the data stage may not import the
    // manifest.
    let down = Import {
        from: PathBuf::from("manifest/mod.rs"),
        path: "models::Model".into(),
    };
    assert!(violations(&[down]).is_empty());
    let up = Import {
        from: PathBuf::from("data/mod.rs"),
        path: "manifest::Task".into(),
    };
    assert_eq!(violations(&[up]).len(), 1);
    // Relative paths resolve against the file's module.
    assert_eq!(
        crate_paths(
            Path::new("plan/units.rs"),
            "use super::{explain::Kind, Plan};"
        ),
        ["plan::explain::Kind", "plan::Plan"]
    );
    assert_eq!(
        crate_paths(Path::new("plan/mod.rs"), "use self::units::MemberSpec;"),
        ["plan::units::MemberSpec"]
    );
    assert_eq!(
        crate_paths(
            Path::new("results/check/stats.rs"),
            "super::super::tables::cell"
        ),
        ["results::tables::cell"]
    );
    // A module imported by name, then used: the path through it.
    assert_eq!(
        crate_paths(
            Path::new("results/experiment.rs"),
            "use super::figure;\nfn f() { figure::experiment::render(); }"
        ),
        ["results::figure", "results::figure::experiment::render"]
    );
    // An inline test module is not read.
    assert!(crate_paths(
        Path::new("plan/mod.rs"),
        &code("fn a() {}\n#[cfg(test)]\nmod tests {\n use crate::cli::run;\n}\n")
    )
    .is_empty());
    // A declared test module (`mod tests;`) ends nothing.
    assert_eq!(
        crate_paths(
            Path::new("plan/mod.rs"),
            &code("#[cfg(test)]\nmod tests;\nuse crate::cli::run;\n")
        ),
        ["cli::run"]
    );
    // A loop through two stages is found, and so is one between two files of one stage.
    let import = |from: &str, path: &str| Import {
        from: PathBuf::from(from),
        path: path.into(),
    };
    let lp = [
        import("plan/units.rs", "estimators::measure::measure"),
        import("estimators/measure.rs", "plan::units::PairSpec"),
    ];
    assert_eq!(loops(&lp).len(), 1);
    let lp = [
        import("manifest/load.rs", "manifest::overrides::Overrides"),
        import("manifest/overrides.rs", "manifest::load::load"),
    ];
    assert_eq!(loops(&lp), ["manifest/load.rs ⇄ manifest/overrides.rs"]);
}
