//! `ties.csv`: the spread of each point's CCE over tie-breaking draws. The draws are their own
//! units and leave every other results file byte for byte as it is; on ReLU representations
//! (many exact zeros) the draws differ.

mod common;

use std::fs;
use std::path::Path;

const RELU: &str = "\
name: ties_relu
seed: 5
task:
  kind: linear-teacher
  d: 5
  n_test: 200
model:
  kind: relu2
  width: 3
train:
  solver: adam
  lr: 0.01
  max_steps: 300
sweep:
  snr: [1, 10]
  n_over_p: [0.5, 2.0]
  replicas: 2
  members: 3
";

#[test]
fn ties_csv_reports_the_spread_of_tie_breaking_and_changes_nothing_else() {
    let with = tempfile::tempdir().unwrap();
    let without = tempfile::tempdir().unwrap();
    let report = common::run(RELU, with.path());
    // 4 points × 3 pairs of the first replica × 3 draws.
    assert_eq!((report.stats.ties_run, report.stats.pairs_run), (36, 24));
    let off = common::run(
        &format!("{RELU}alignment:\n  tie_draws: 0\n"),
        without.path(),
    );
    assert_eq!(off.stats.ties_run, 0);
    let read = |dir: &Path, f: &str| fs::read_to_string(dir.join(f)).unwrap();
    for f in ["summary.csv", "pairs.csv", "members.csv", "claims.csv"] {
        assert!(
            read(&report.results_dir, f) == read(&off.results_dir, f),
            "{f} depends on the tie-breaking draws"
        );
    }
    // replicas.csv names the manifest's hash, which `tie_draws: 0` changes; the rest is equal.
    let without_hash = |text: String| -> Vec<String> {
        text.lines()
            .map(|l| {
                let mut c: Vec<&str> = l.split(',').collect();
                c.remove(8);
                c.join(",")
            })
            .collect()
    };
    assert_eq!(
        read(&report.results_dir, "replicas.csv")
            .lines()
            .next()
            .unwrap()
            .split(',')
            .nth(8),
        Some("manifest_sha256")
    );
    assert!(
        without_hash(read(&report.results_dir, "replicas.csv"))
            == without_hash(read(&off.results_dir, "replicas.csv")),
        "replicas.csv depends on the tie-breaking draws"
    );
    assert!(!off.results_dir.join("ties.csv").exists());

    let csv = read(&report.results_dir, "ties.csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "snr,n,network,estimator,pairs,draws,cce_mean,cce_sd,cce_min,cce_max"
    );
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    // 4 points × 3 estimators (ksg, kl, gaussian).
    assert_eq!(rows.len(), 12, "{csv}");
    let num = |r: &Vec<String>, i: usize| r[i].parse::<f64>().unwrap();
    let mut moved = 0;
    for r in &rows {
        assert_eq!(
            (r[2].as_str(), r[4].as_str(), r[5].as_str()),
            ("relu2", "6", "4"),
            "{r:?}"
        );
        let (mean, sd, min, max) = (num(r, 6), num(r, 7), num(r, 8), num(r, 9));
        assert!(min <= mean && mean <= max && sd >= 0.0, "{r:?}");
        moved += (sd > 0.0) as usize;
    }
    // ReLU units are exactly 0 on many inputs: the draws break those ties differently.
    assert!(moved >= 6, "tie-breaking moved {moved} of 12 rows:\n{csv}");

    // The first draw's values are the summary's: the first replica's mean CCE at each point
    // is one of the draws, so it lies within [min, max].
    let pairs = read(&report.results_dir, "pairs.csv");
    for r in &rows {
        let own: Vec<f64> = pairs
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|c| c[0] == r[0] && c[1] == r[1] && c[4] == "0" && c[9] == r[3])
            .map(|c| c[11].parse::<f64>().unwrap())
            .collect();
        assert_eq!(own.len(), 6);
        let own = own.iter().sum::<f64>() / 6.0;
        assert!(
            num(r, 8) <= own && own <= num(r, 9),
            "{r:?} vs the estimate {own}"
        );
    }
}
