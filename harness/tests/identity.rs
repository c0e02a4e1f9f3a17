//! The experiment hash: invariant to presentation, sensitive to every value that can change a
//! result, and pinned for the committed fig1 manifest.

mod common;

use common::{parse, repo_root, SMALL};
use harness::manifest::Manifest;
use harness::plan::manifest_hash;

fn hash(text: &str) -> String {
    manifest_hash(&parse(text))
}

#[test]
fn presentation_does_not_change_the_hash() {
    let base = hash(SMALL);
    // Key order, comments, flow style, quoting, number spelling.
    let reordered = "\
# a comment
sweep: {members: 3, replicas: 2, n_over_p: [0.3, 0.8, 1.3, 2.5], snr: [1.0, 4.0]}
model: {kind: linear2}   # trailing comment
task:
  n_test: 500
  d: 20
  kind: 'linear-teacher'
seed: 7
name: \"small\"
";
    assert_eq!(hash(reordered), base);
    // Spelling out defaults.
    let explicit = format!(
        "{SMALL}scale: quick\ndescription: free text is not identity\ntrain:\n  solver: min-norm\n\
         alignment:\n  estimator: ksg\n  report: [ksg, kl, gaussian]\n  k: 3\n"
    );
    let explicit = explicit.replace("  n_test: 500\n", "  n_test: 500\n  inputs: shared\n");
    assert_eq!(hash(&explicit), base);
}

#[test]
fn every_result_changing_value_changes_the_hash() {
    let base = hash(SMALL);
    let edits = [
        ("seed: 7", "seed: 8"),
        ("d: 20", "d: 21"),
        ("n_test: 500", "n_test: 501"),
        ("snr: [1, 4]", "snr: [1, 5]"),
        (
            "n_over_p: [0.3, 0.8, 1.3, 2.5]",
            "n_over_p: [0.3, 0.8, 1.3, 2.6]",
        ),
        ("replicas: 2", "replicas: 3"),
        ("members: 3", "members: 4"),
        ("  n_test: 500\n", "  n_test: 500\n  inputs: independent\n"),
    ];
    for (from, to) in edits {
        let edited = SMALL.replace(from, to);
        assert_ne!(edited, SMALL);
        assert_ne!(hash(&edited), base, "{to}");
    }
    let appended = [
        "scale: full\n",
        "alignment:\n  k: 4\n",
        "alignment:\n  estimator: gaussian\n",
        "alignment:\n  report: [ksg]\n",
        "train:\n  solver: gd\n",
        "train:\n  solver: gd\n  lr: 0.01\n",
    ];
    let gd = hash(&format!("{SMALL}train:\n  solver: gd\n"));
    for extra in appended {
        let h = hash(&format!("{SMALL}{extra}"));
        assert_ne!(h, base, "{extra}");
        if extra.contains("lr") {
            assert_ne!(h, gd);
        }
    }
}

/// The canonical form of the committed fig1 manifest is pinned: if this fails, the canonical
/// form (or a default) changed, which silently invalidates every user's cache and published
/// hash. Change it only on purpose, together with `identity::ALGORITHM_VERSION` if results move.
#[test]
fn golden_hash_of_fig1() {
    let m = Manifest::load(&repo_root().join("experiments/fig1_linear.yaml")).unwrap();
    assert_eq!(
        manifest_hash(&m),
        "84f8f665ca5950926ffb78dbdc3bbaae40e10f21f7d4a05131780aab909b97b4"
    );
}

#[test]
fn hash_command_prints_the_hex_and_nothing_else() {
    let out = common::harness_bin()
        .args(["hash"])
        .arg(repo_root().join("experiments/fig1_linear.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "84f8f665ca5950926ffb78dbdc3bbaae40e10f21f7d4a05131780aab909b97b4\n"
    );
}
