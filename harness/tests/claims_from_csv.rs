//! A reader of the CSV files alone reaches the verdicts of `reference/`: for every network
//! experiment, `summary.csv` and `replicas.csv` (`claims::data::read_folder`) give every v1, v2
//! and v3 verdict of its `claims.csv` (result, statement, numbers, robustness, replicas
//! needed), and the three regression experiments' files give `claims/claims.csv` (C4 across
//! them). Everything a rule reads is in the files (docs/SPEC.md §7, v3): the classifiers'
//! training error and test loss per replica included.

use harness::results::claims::{across, data, judge_groups, Verdicts};
use std::path::{Path, PathBuf};

fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../reference")
}

const EXPERIMENTS: [&str; 5] = [
    "fig1_linear",
    "fig2_relu",
    "fig3_linear_vs_relu",
    "fig4_digits_fcnn",
    "fig4_digits_fcnn_same_inputs",
];

/// (rules, claim, result, statement, detail, robustness, replicas_needed) of each row.
type Row = [String; 7];

fn recorded(path: &Path) -> Vec<Row> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{}: no column {name}", path.display()))
    };
    let cols = [
        col("rules"),
        col("claim"),
        col("result"),
        col("statement"),
        col("detail"),
        col("robustness"),
        col("replicas_needed"),
    ];
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            cols.map(|c| rec[c].to_string())
        })
        .collect()
}

fn derived(v: &Verdicts) -> Vec<Row> {
    v.rows()
        .map(|(rules, v)| {
            let r = v
                .robustness
                .as_ref()
                .expect("every verdict has its robustness");
            [
                rules.to_string(),
                v.claim.to_string(),
                v.result().to_string(),
                v.statement.to_string(),
                v.detail.clone(),
                format!("{:.4}", r.same),
                r.replicas_needed.clone(),
            ]
        })
        .collect()
}

fn same(name: &str, want: &[Row], got: &[Row]) {
    assert_eq!(want.len(), got.len(), "{name}: number of rows");
    for (w, g) in want.iter().zip(got) {
        assert_eq!(w, g, "{name}: {} {}", w[0], w[1]);
    }
    // Not vacuous: every rule set is there, v3 with its robustness.
    for rules in ["v1", "v2", "v3"] {
        assert!(
            want.iter().any(|r| r[0] == rules),
            "{name}: no {rules} rows"
        );
    }
}

#[test]
fn every_verdict_of_reference_follows_from_its_csv_files_alone() {
    for name in EXPERIMENTS {
        let dir = reference().join(name);
        let (groups, _) = data::read_folder(&dir).unwrap();
        let got = derived(&judge_groups(&groups));
        same(name, &recorded(&dir.join("claims.csv")), &got);
    }
}

#[test]
fn the_cross_experiment_c4_follows_from_the_regression_csv_files() {
    let experiments: Vec<(String, String, data::Groups)> = EXPERIMENTS[..3]
        .iter()
        .map(|name| {
            let (groups, hash) = data::read_folder(&reference().join(name)).unwrap();
            (name.to_string(), hash, groups)
        })
        .collect();
    let got = derived(&across(&experiments));
    same(
        "claims",
        &recorded(&reference().join("claims/claims.csv")),
        &got,
    );
}

#[test]
fn the_classifiers_replicas_carry_what_v2_and_v3_read() {
    for name in &EXPERIMENTS[3..] {
        let (groups, _) = data::read_folder(&reference().join(name)).unwrap();
        for c in groups.iter().flat_map(|(_, c)| c) {
            for p in &c.points {
                for (q, s) in [("train_error", &p.train_error), ("test_loss", &p.test_loss)] {
                    let s = s.as_ref().unwrap_or_else(|| panic!("{name}: no {q}"));
                    assert_eq!(s.replicas.len(), 5, "{name} {} n={} {q}", c.label, p.n);
                }
            }
        }
    }
}

#[test]
fn the_power_table_agrees_with_the_replicas_needed_in_claims_csv() {
    use harness::results::claims::power_table;
    for name in EXPERIMENTS {
        let dir = reference().join(name);
        let rows = power_table::rows(&dir, &Default::default()).unwrap();
        let recorded = recorded(&dir.join("claims.csv"));
        let v3: Vec<&Row> = recorded.iter().filter(|r| r[0] == "v3").collect();
        assert_eq!(rows.len(), v3.len(), "{name}");
        for (row, rec) in rows.iter().zip(v3) {
            assert_eq!(row.claim, rec[1], "{name}");
            assert_eq!(row.result, rec[2], "{name} {}", row.claim);
            assert_eq!(row.needed.cell(), rec[6], "{name} {}", row.claim);
            // No run.json in reference/ and no history given: no cost.
            assert_eq!(row.cpu_minutes, None);
        }
    }
}
