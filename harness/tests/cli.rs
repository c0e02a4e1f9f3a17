//! `harness cce`: the estimators on CSV matrices, with clear errors for bad files.

mod common;

use common::harness_bin;
use harness::rng::Rng;
use std::fs;

fn write_csv(path: &std::path::Path, rows: &[Vec<f64>]) {
    let text: String = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| format!("{v:?}"))
                .collect::<Vec<_>>()
                .join(",")
                + "\n"
        })
        .collect();
    fs::write(path, text).unwrap();
}

#[test]
fn cce_of_correlated_gaussians_is_close_to_the_closed_form() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(3);
    let rho: f64 = 0.8;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..3000 {
        let x = rng.normal();
        let y = rho * x + (1.0 - rho * rho).sqrt() * rng.normal();
        a.push(vec![x]);
        b.push(vec![y.exp()]); // a monotone transform: same copula
    }
    write_csv(&dir.path().join("a.csv"), &a);
    write_csv(&dir.path().join("b.csv"), &b);
    let truth = 0.5 * (1.0 - rho * rho).ln();
    for (estimator, tolerance) in [("ksg", 0.06), ("gaussian", 0.03)] {
        let out = harness_bin()
            .current_dir(dir.path())
            .args(["cce", "a.csv", "b.csv", "--estimator", estimator])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let value: f64 = String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(
            (value - truth).abs() < tolerance,
            "{estimator}: {value} vs {truth}"
        );
    }
}

#[test]
fn bad_csv_files_are_named_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.csv"), "1,2\n3,x\n5,6\n7,8\n9,10\n").unwrap();
    fs::write(dir.path().join("b.csv"), "1\n2\n3\n4\n5\n").unwrap();
    let cce = || {
        harness_bin()
            .current_dir(dir.path())
            .args(["cce", "a.csv", "b.csv"])
            .output()
            .unwrap()
    };
    let out = cce();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("a.csv: line 2, column 2: `x` is not a number"),
        "{err}"
    );

    fs::write(dir.path().join("a.csv"), "1\n2\n3\n4\n").unwrap();
    let out = cce();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rows"));
}
