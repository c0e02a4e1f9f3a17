//! Every `*_mean` and `*_se` column of `summary.csv`, recomputed here from `members.csv` and
//! `pairs.csv` by the rule the README states: means over all members (or ordered pairs) of a
//! point, standard errors over replicas (the sample standard deviation of the replica means
//! over √replicas). Run on a `compare:` experiment, where each network's row must hold the CCE
//! of its own representation given the other's (CCE(relu2 | linear2) on the relu2 row).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

type Table = (Vec<String>, Vec<Vec<String>>);

fn read(path: &Path) -> Table {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (h, rows)
}

fn col(t: &Table, name: &str) -> usize {
    t.0.iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", t.0))
}

/// (mean of all values, SE of the replica means) from (replica, value) pairs.
fn mean_and_se(values: &[(usize, f64)]) -> (f64, f64) {
    let mean = values.iter().map(|v| v.1).sum::<f64>() / values.len() as f64;
    let mut by: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    for &(r, v) in values {
        by.entry(r).or_default().push(v);
    }
    let means: Vec<f64> = by
        .values()
        .map(|v| v.iter().sum::<f64>() / v.len() as f64)
        .collect();
    let r = means.len() as f64;
    let m = means.iter().sum::<f64>() / r;
    let var = means.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (r - 1.0);
    (mean, (var / r).sqrt())
}

fn check_summary(dir: &Path, main: &str) -> usize {
    let summary = read(&dir.join("summary.csv"));
    let members = read(&dir.join("members.csv"));
    let pairs = read(&dir.join("pairs.csv"));
    let level = summary.0[0].clone();
    let key = |t: &Table, row: &[String], model_col: &str| {
        (
            row[col(t, &level)].clone(),
            row[col(t, "n")].clone(),
            row[col(t, model_col)].clone(),
        )
    };
    let mut checked = 0;
    for row in &summary.1 {
        let point = key(&summary, row, "model");
        for (i, name) in summary.0.iter().enumerate() {
            let Some(base) = name.strip_suffix("_mean") else {
                continue;
            };
            let values: Vec<(usize, f64)> = if let Some(est) = base.strip_prefix("cce_") {
                pairs
                    .1
                    .iter()
                    .filter(|p| {
                        key(&pairs, p, "model_a") == point && p[col(&pairs, "estimator")] == est
                    })
                    .map(|p| {
                        (
                            p[col(&pairs, "replica")].parse().unwrap(),
                            p[col(&pairs, "cce")].parse().unwrap(),
                        )
                    })
                    .collect()
            } else if base == "mi" {
                pairs
                    .1
                    .iter()
                    .filter(|p| {
                        key(&pairs, p, "model_a") == point && p[col(&pairs, "estimator")] == main
                    })
                    .map(|p| {
                        (
                            p[col(&pairs, "replica")].parse().unwrap(),
                            p[col(&pairs, "mi")].parse().unwrap(),
                        )
                    })
                    .collect()
            } else {
                members
                    .1
                    .iter()
                    .filter(|m| key(&members, m, "model") == point)
                    .map(|m| {
                        (
                            m[col(&members, "replica")].parse().unwrap(),
                            m[col(&members, base)].parse().unwrap(),
                        )
                    })
                    .collect()
            };
            if values.is_empty() {
                // An estimator the manifest does not report: an empty cell, not a number.
                assert_eq!(row[i], "", "{point:?} {name}");
                continue;
            }
            let (mean, se) = mean_and_se(&values);
            let got_mean: f64 = row[i].parse().unwrap();
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + b.abs());
            assert!(
                close(got_mean, mean),
                "{point:?} {name}: {got_mean} vs {mean}"
            );
            checked += 1;
            // Every mean but the training loss's has its standard error beside it.
            let Some(se_col) = summary.0.iter().position(|c| *c == format!("{base}_se")) else {
                assert_eq!(base, "train_loss");
                continue;
            };
            let got_se: f64 = row[se_col].parse().unwrap();
            assert!(close(got_se, se), "{point:?} {base}_se: {got_se} vs {se}");
            checked += 1;
        }
    }
    checked
}

#[test]
fn summary_means_and_standard_errors_follow_from_members_and_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let report = common::run(common::SMALL, dir.path());
    // 8 rows × (gen_error, cce_ksg, cce_kl, cce_gaussian, cce_exact, mi: mean and SE;
    // train_loss: mean).
    assert_eq!(check_summary(&report.results_dir, "ksg"), 8 * 13);

    let compare = "name: cmp
seed: 3
task: {kind: linear-teacher, d: 6, n_test: 300}
model: {kind: relu2, width: 2}
train: {solver: adam, lr: 0.02, max_steps: 300, tol: 1.0e-4, window: 20}
compare: {model: {kind: linear2}, train: {solver: min-norm}}
sweep: {snr: [5], n_over_p: [0.5, 2.0], replicas: 3, members: 2}
alignment: {estimator: gaussian, report: [gaussian]}
";
    let report = common::run(compare, &dir.path().join("cmp"));
    let checked = check_summary(&report.results_dir, "gaussian");
    // 4 rows (2 points × 2 networks) × (gen_error, cce_gaussian, mi: mean and SE; train_loss).
    assert_eq!(checked, 4 * 7);
}
