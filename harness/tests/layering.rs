//! The stage rule of docs/ARCHITECTURE.md, checked on the source: every `crate::` path in
//! `harness/src` (in a `use` or inline) may name only its own stage or a stage below it, except
//! the registry items the manifest names (listed in [`REGISTRY`]), which the manifest and the
//! plan may import from the stage whose code they select; and no chain of imports between
//! files runs in a circle through two stages (no import loop).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The stages, lowest first. The basics (rng, matrix, linalg, identity, device) sit below all.
const STAGES: &[&str] = &[
    "manifest",
    "plan",
    "cache",
    "data",
    "models",
    "train",
    "representations",
    "estimators",
    "results",
    "cli",
];
const BASICS: &[&str] = &["rng", "matrix", "linalg", "identity", "device"];

/// The enums (and their values) a manifest names, each living beside the code it selects; the
/// manifest and the plan stages may import exactly these from a higher stage.
const REGISTRY: &[&str] = &[
    "data::Dataset",
    "data::Input",
    "data::teacher::Inputs",
    "data::classification::Pairing",
    "models::Model",
    "models::Init",
    "train::Train",
    "estimators::Estimator",
    "estimators::Projection",
    "estimators::Family",
    "estimators::Truth",
];
/// The stages allowed to import registry items.
const REGISTRY_USERS: &[&str] = &["manifest", "plan"];

fn rank(top: &str) -> Option<usize> {
    if BASICS.contains(&top) {
        return Some(0);
    }
    STAGES.iter().position(|s| *s == top).map(|i| i + 1)
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, relative to `src/`.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.strip_prefix(src()).unwrap().to_path_buf());
        }
    }
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

/// The code of a file without comments (line comments and doc comments).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path a file names after `crate::`, expanded over `{…}` groups: `crate::a::{b, c::D}`
/// gives `a::b` and `a::c::D`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        expand("", rest, &mut out);
    }
    out
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
        if !path.is_empty() && path != "self" {
            out.push(path.trim_end_matches("::self").to_string());
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

/// Whether `path` (like `models::Model::name`) is a registry item or inside one.
fn is_registry(path: &str) -> bool {
    REGISTRY
        .iter()
        .any(|r| path == *r || path.starts_with(&format!("{r}::")))
}

struct Import {
    from: PathBuf,
    path: String,
}

fn imports() -> Vec<Import> {
    let mut all = Vec::new();
    files(&src(), &mut all);
    all.sort();
    let mut out = Vec::new();
    for file in all {
        if file == Path::new("main.rs") || file == Path::new("lib.rs") {
            continue;
        }
        let text = std::fs::read_to_string(src().join(&file)).unwrap();
        for path in crate_paths(&code(&text)) {
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
        let registry = REGISTRY_USERS.contains(&from.as_str()) && is_registry(&i.path);
        if rt > rf && !registry {
            bad.push(format!(
                "{}: crate::{} ({from} → {to}, a higher stage)",
                i.from.display(),
                i.path
            ));
        }
    }
    bad
}

/// Cycles of file imports that pass through more than one stage.
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
            if back && stage_of(a) != stage_of(b) && *a < b {
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
fn no_import_loop_between_stages() {
    let bad = loops(&imports());
    assert!(bad.is_empty(), "import loops:\n{}", bad.join("\n"));
}

#[test]
fn every_source_folder_is_a_stage() {
    let mut all = Vec::new();
    files(&src(), &mut all);
    for f in all {
        let stage = stage_of(&f);
        assert!(
            ["main", "lib"].contains(&stage.as_str()) || rank(&stage).is_some(),
            "{}: `{stage}` is neither a stage nor a basic module (tests/layering.rs)",
            f.display()
        );
    }
}

#[test]
fn the_checker_sees_what_it_must_refuse() {
    // Paths are read through groups and nesting, and an upward one is named.
    let paths = crate_paths("use crate::{rng::Rng, results::{tables::cell, claims}};\n");
    assert_eq!(
        paths,
        ["rng::Rng", "results::tables::cell", "results::claims"]
    );
    let up = Import {
        from: PathBuf::from("data/teacher.rs"),
        path: "results::tables::cell".into(),
    };
    assert_eq!(violations(&[up]).len(), 1);
    // A registry item is allowed to the manifest, not to another low stage.
    let registry = |from: &str| Import {
        from: PathBuf::from(from),
        path: "models::Model".into(),
    };
    assert!(violations(&[registry("manifest/mod.rs")]).is_empty());
    assert_eq!(violations(&[registry("cache/mod.rs")]).len(), 1);
    // A loop through two stages is found.
    let lp = [
        Import {
            from: PathBuf::from("plan/units.rs"),
            path: "estimators::pair::run_pair".into(),
        },
        Import {
            from: PathBuf::from("estimators/pair.rs"),
            path: "plan::units::PairSpec".into(),
        },
    ];
    assert_eq!(loops(&lp).len(), 1);
}
