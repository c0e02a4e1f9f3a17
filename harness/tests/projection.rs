//! `project: pca:m` in a manifest: parsed, validated with a located error, part of every pair
//! unit's identity, and absent from the canonical form (hence from the hashes) when omitted.

use harness::estimators::Projection;
use harness::identity::canonical_json;
use harness::manifest::Manifest;
use harness::plan::{manifest_hash, plan};
use std::path::Path;

const FIG1: &str = include_str!("../../experiments/fig1_linear.yaml");

fn with_alignment_line(line: &str) -> String {
    FIG1.replace("  k: 3\n", &format!("  k: 3\n{line}\n"))
}

#[test]
fn omitted_or_none_keeps_every_hash() {
    let path = Path::new("fig1_linear.yaml");
    let base = Manifest::parse(FIG1, path).unwrap();
    let none = Manifest::parse(&with_alignment_line("  project: none"), path).unwrap();
    assert_eq!(base.alignment.project, Projection::None);
    assert_eq!(manifest_hash(&base), manifest_hash(&none));
    assert!(!canonical_json(&base).contains("project"));
    let (pa, pn) = (plan(&base), plan(&none));
    assert_eq!(pa.pairs[0].hash, pn.pairs[0].hash);
    assert!(!canonical_json(&pa.pairs[0].spec).contains("project"));
}

#[test]
fn pca_changes_the_experiment_and_pair_hashes_but_not_members() {
    let path = Path::new("fig1_linear.yaml");
    let base = Manifest::parse(FIG1, path).unwrap();
    let pca = Manifest::parse(&with_alignment_line("  project: pca:2"), path).unwrap();
    assert_eq!(pca.alignment.project, Projection::Pca(2));
    assert_ne!(manifest_hash(&base), manifest_hash(&pca));
    let (pb, pp) = (plan(&base), plan(&pca));
    assert_eq!(pb.members[0].hash, pp.members[0].hash);
    assert_ne!(pb.pairs[0].hash, pp.pairs[0].hash);
    assert!(canonical_json(&pp.pairs[0].spec).contains("\"project\":\"pca:2\""));
}

#[test]
fn a_bad_projection_is_located() {
    let text = with_alignment_line("  project: pca:zero");
    let err = Manifest::parse(&text, Path::new("x.yaml")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("x.yaml"), "{msg}");
    assert!(msg.contains("pca:m"), "{msg}");
    // The error names the line of the key itself (`  project: pca:zero`), not the line of the
    // section that holds it (`alignment:`, where serde_yaml alone would point).
    let section = text.lines().position(|l| l == "alignment:").unwrap() + 1;
    let value = text.lines().position(|l| l.contains("pca:zero")).unwrap() + 1;
    assert!(
        value > section + 1,
        "the value is inside the section, below its first key"
    );
    assert_eq!(err.line, Some(value), "{msg}");
    assert!(
        msg.starts_with(&format!("x.yaml:{value}: key `alignment.project`")),
        "{msg}"
    );
    assert!(
        msg.contains("alignment") && msg.contains("pca:zero"),
        "{msg}"
    );
}
