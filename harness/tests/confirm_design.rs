//! The confirmatory run of claim rules v3 is pre-registered (docs/CONFIRM.md): every manifest
//! of `experiments/confirm/` has the seed derived from the text of docs/SPEC.md's v3 section
//! (S = SHA-256 of the section; seed = the first 15 hex digits of SHA-256("<S>/<name>")), so
//! an edit of the registered rules after the design was committed fails here, and the seeds
//! could not have been chosen after seeing results. The design's estimator is left to issue
//! 26: each manifest names a placeholder that no run accepts without `--set`.

use harness::identity::sha256_hex;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The v3 section of docs/SPEC.md: its heading line up to the next heading (`#` to `###`),
/// trailing blank lines dropped, each line ending in a newline (as scripts/confirm-seeds.sh).
fn section(spec: &str) -> String {
    let lines: Vec<&str> = spec.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("### v3: effect sizes"))
        .expect("docs/SPEC.md has the v3 section");
    let heading = |l: &str| {
        let hashes = l.chars().take_while(|c| *c == '#').count();
        (1..=3).contains(&hashes) && l[hashes..].starts_with(' ')
    };
    let end = lines[start + 1..]
        .iter()
        .position(|l| heading(l))
        .map_or(lines.len(), |i| start + 1 + i);
    let mut body: Vec<&str> = lines[start..end].to_vec();
    while body.last().is_some_and(|l| l.is_empty()) {
        body.pop();
    }
    body.iter().map(|l| format!("{l}\n")).collect()
}

fn seed_of(section_hash: &str, name: &str) -> u64 {
    let h = sha256_hex(format!("{section_hash}/{name}").as_bytes());
    u64::from_str_radix(&h[..15], 16).unwrap()
}

fn manifests() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("experiments/confirm"))
        .expect("experiments/confirm/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    v.sort();
    v
}

fn key<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .map(str::trim)
}

#[test]
fn every_confirmatory_seed_is_derived_from_the_registered_v3_text() {
    let spec = std::fs::read_to_string(root().join("docs/SPEC.md")).unwrap();
    let s = sha256_hex(section(&spec).as_bytes());
    let found = manifests();
    assert_eq!(found.len(), 5, "{found:?}");
    for m in found {
        let text = std::fs::read_to_string(&m).unwrap();
        let name = key(&text, "name").unwrap();
        let seed: u64 = key(&text, "seed").unwrap().parse().unwrap();
        assert_eq!(
            seed,
            seed_of(&s, name),
            "{}: the seed is not the one the v3 text gives (section sha256 {s})",
            m.display()
        );
    }
}

#[test]
fn the_section_ends_at_the_next_heading_and_a_changed_word_changes_every_seed() {
    let spec = "intro\n### v3: effect sizes x\nrule a\n\n## 8. next\nmore\n";
    assert_eq!(section(spec), "### v3: effect sizes x\nrule a\n");
    let edited = spec.replace("rule a", "rule b");
    let (a, b) = (
        sha256_hex(section(spec).as_bytes()),
        sha256_hex(section(&edited).as_bytes()),
    );
    assert_ne!(
        seed_of(&a, "confirm_fig2_relu"),
        seed_of(&b, "confirm_fig2_relu")
    );
    // A line starting with #### is not a heading that ends the section.
    let deeper = "### v3: effect sizes x\n#### sub\nrule\n";
    assert_eq!(section(deeper), deeper);
}

#[test]
fn the_estimator_is_a_placeholder_until_issue_26_decides() {
    for m in manifests() {
        let text = std::fs::read_to_string(&m).unwrap();
        assert!(
            text.contains("estimator: decided-by-issue-26"),
            "{}: the main estimator is issue 26's decision",
            m.display()
        );
        let err = harness::manifest::Manifest::parse(&text, &m).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("alignment.estimator"), "{msg}");
    }
}
