//! The estimator-accuracy experiment end to end: plan, units, tables, the results folder, and
//! its manifest's errors and kind dispatch.

use super::accuracy::{run_accuracy, run_unit};
use crate::cache::executor::Executor;
use crate::cache::Store;
use crate::estimators::{Estimator, Family, PairAlignment};
use crate::identity::hash_of;
use crate::manifest::accuracy::AccuracyManifest;
use crate::manifest::{load, AnyManifest, ManifestError, Overrides};
use crate::plan::accuracy::{manifest_hash, plan};
use crate::results::accuracy::{summarize, AccuracyRow, Quantity};
use std::path::Path;

/// Whether `path` loads as an estimator-accuracy manifest.
fn is_accuracy_manifest(path: &Path) -> Result<bool, ManifestError> {
    Ok(matches!(
        load(path, &Overrides::default())?,
        AnyManifest::Accuracy(_)
    ))
}

fn parse(text: &str) -> Result<AccuracyManifest, ManifestError> {
    AccuracyManifest::parse(text, Path::new("acc.yaml"))
}

const TINY: &str = "\
kind: estimator-accuracy
name: tiny
seed: 5
grid:
  - n: [200, 400]
    dims: [1, 2]
    rho: [0.6]
    families: [gaussian, monotone, student-t:4]
    seeds: 2
";

#[test]
fn tiny_grid_runs_writes_results_and_reruns_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let exec = Executor {
        quiet: true,
        ..Executor::new(&store)
    };
    let m = parse(TINY).unwrap();
    let first = run_accuracy(&m, Path::new("tiny.yaml"), &exec).unwrap();
    // 3 families x 2 dims x 2 N = 12 cells, 2 data sets, the default estimators.
    let estimators = Estimator::default_report().len();
    assert_eq!(first.stats.run, 12 * 2 * estimators);
    assert_eq!(first.rows.len(), 12 * estimators * Quantity::ALL.len());
    let out = dir.path().join("results/tiny");
    let csv1 = std::fs::read(out.join("accuracy.csv")).unwrap();
    let text = String::from_utf8(csv1.clone()).unwrap();
    assert!(text.starts_with("family,n,dims_a,dims_b,rho,estimator,k,quantity,truth,"));
    assert_eq!(text.lines().count(), 1 + first.rows.len());
    for f in [
        "estimates.csv",
        "versus.csv",
        "accuracy.svg",
        "accuracy.png",
        "run.json",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    // One row per unit; a cell's estimates average to its mean in the tidy table.
    let estimates = std::fs::read_to_string(out.join("estimates.csv")).unwrap();
    assert_eq!(estimates.lines().count(), 1 + first.stats.run);
    let kl_mi: Vec<f64> = estimates
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[..3] == ["gaussian", "200", "1"] && f[6] == "kl")
        .map(|f| f[9].parse().unwrap())
        .collect();
    let kl_mi_row = first
        .rows
        .iter()
        .find(|r| r.estimator == Estimator::Kl && r.quantity == Quantity::MutualInformation)
        .unwrap();
    assert_eq!(kl_mi.len(), 2);
    assert_eq!(kl_mi.iter().sum::<f64>() / 2.0, kl_mi_row.mean);
    // The wide table: one row per cell and quantity, each estimator's bias, sd and RMSE side by
    // side, the same numbers as the tidy table's.
    let wide = std::fs::read_to_string(out.join("accuracy_wide.csv")).unwrap();
    let header: Vec<&str> = wide.lines().next().unwrap().split(',').collect();
    assert_eq!(header.len(), 9 + 3 * estimators);
    assert_eq!(&header[9..12], ["ksg_bias", "ksg_sd", "ksg_rmse"]);
    assert_eq!(header.last(), Some(&"gaussian_rmse"));
    assert_eq!(wide.lines().count(), 1 + 12 * Quantity::ALL.len());
    let tidy_row = first
        .rows
        .iter()
        .find(|r| r.estimator == Estimator::Kl && r.quantity == Quantity::MutualInformation)
        .unwrap();
    let wide_row: Vec<&str> = wide.lines().nth(2).unwrap().split(',').collect();
    assert_eq!(wide_row[6], "mutual_information");
    let col = header.iter().position(|h| *h == "kl_rmse").unwrap();
    assert_eq!(wide_row[col], format!("{:?}", tidy_row.rmse));
    // Each wide row's truth is its own quantity's (the mutual information's is −CCE).
    let cells_then_quantities = first
        .rows
        .chunk_by(|a, b| a.cell == b.cell)
        .flat_map(|cell| Quantity::ALL.map(move |q| (cell, q)));
    for (line, (cell, q)) in wide.lines().skip(1).zip(cells_then_quantities) {
        let fields: Vec<&str> = line.split(',').collect();
        let tidy = cell.iter().find(|r| r.quantity == q).unwrap();
        assert_eq!(fields[6], q.name());
        assert_eq!(fields[7], format!("{:?}", tidy.truth), "{line}");
    }
    // The figure: each panel's legend strip (beside its plot, off the data) names each
    // estimator once; N itself on the axis.
    let svg = std::fs::read_to_string(out.join("accuracy.svg")).unwrap();
    let texts: Vec<&str> = svg.lines().map(str::trim).collect();
    let panels: usize = crate::results::figure::accuracy::panels(&m, &first.rows)
        .iter()
        .map(Vec::len)
        .sum();
    assert_eq!(panels, 3 * 2, "a row per family, a panel per dimension");
    assert_eq!(
        texts.iter().filter(|t| **t == "kl").count(),
        panels,
        "one legend entry per panel"
    );
    assert!(
        texts.contains(&"200") && !texts.contains(&"2.3"),
        "N, not log10 N"
    );
    assert!(crate::cache::verify(dir.path()).unwrap().1.is_empty());
    let again = run_accuracy(&m, Path::new("tiny.yaml"), &exec).unwrap();
    assert_eq!(again.stats.run, 0);
    assert_eq!(again.stats.reused, first.stats.run);
    assert_eq!(std::fs::read(out.join("accuracy.csv")).unwrap(), csv1);
    assert_eq!(again.rows, first.rows);
}

#[test]
fn monotone_family_gives_exactly_the_gaussian_estimates() {
    let m = parse(TINY).unwrap();
    let plan = plan(&m).unwrap();
    let mut compared = 0;
    for u in plan
        .units
        .iter()
        .filter(|u| u.spec.family == Family::Monotone)
    {
        let mut twin = u.spec.clone();
        twin.family = Family::Gaussian;
        assert_ne!(hash_of(&twin), u.hash);
        assert_eq!(run_unit(&u.spec).unwrap(), run_unit(&twin).unwrap());
        compared += 1;
    }
    assert_eq!(compared, 2 * 2 * 2 * Estimator::default_report().len());
    // Not trivially so: the Student-t family, on the same normal draw, differs.
    let t = plan
        .units
        .iter()
        .find(|u| u.spec.family == Family::StudentT { nu: 4 })
        .unwrap();
    let mut twin = t.spec.clone();
    twin.family = Family::Gaussian;
    assert_ne!(run_unit(&t.spec).unwrap(), run_unit(&twin).unwrap());
}

fn rows_of(text: &str) -> Vec<AccuracyRow> {
    let m = parse(text).unwrap();
    let p = plan(&m).unwrap();
    let results: Vec<PairAlignment> = p.units.iter().map(|u| run_unit(&u.spec).unwrap()).collect();
    summarize(&m, &p, &results)
}

fn find(rows: &[AccuracyRow], e: Estimator, q: Quantity) -> &AccuracyRow {
    rows.iter()
        .find(|r| r.estimator == e && r.quantity == q)
        .unwrap()
}

#[test]
fn gaussian_estimator_is_accurate_on_gaussian_data() {
    let rows = rows_of(
        "kind: estimator-accuracy\nname: g\nseed: 11\nestimators: [gaussian]\n\
         grid: [{n: [3000], dims: [4], rho: [0.6], seeds: 3}]\n",
    );
    let r = find(&rows, Estimator::Gaussian, Quantity::CceAGivenB);
    assert!((r.truth - 2.0 * (0.64f64).ln()).abs() < 1e-12);
    assert!(r.rmse < 0.03, "gaussian RMSE {} on Gaussian data", r.rmse);
}

#[test]
fn bias_spread_and_rmse_are_computed_from_the_estimates() {
    // The row's statistics, recomputed here from the three units' estimates and the closed-form
    // truths at 4 + 4 dims, ρ = 0.6: CCE(A|B) = 4 · ½ log(1 − 0.36), MI = minus that.
    let text = "kind: estimator-accuracy\nname: g\nseed: 11\nestimators: [gaussian, ksg]\n\
         grid: [{n: [600], dims: [4], rho: [0.6], seeds: 3}]\n";
    let m = parse(text).unwrap();
    let p = plan(&m).unwrap();
    let results: Vec<PairAlignment> = p.units.iter().map(|u| run_unit(&u.spec).unwrap()).collect();
    let rows = summarize(&m, &p, &results);
    let cce = 2.0 * (0.64f64).ln();
    type Pick = fn(&PairAlignment) -> f64;
    for e in [Estimator::Gaussian, Estimator::Ksg] {
        for (q, truth, pick) in [
            (
                Quantity::CceAGivenB,
                cce,
                (|r: &PairAlignment| r.cce_a_given_b) as Pick,
            ),
            (Quantity::MutualInformation, -cce, |r: &PairAlignment| {
                r.mutual_information
            }),
        ] {
            let v: Vec<f64> = p
                .units
                .iter()
                .zip(&results)
                .filter(|(u, _)| u.spec.estimator == e)
                .map(|(_, r)| pick(r))
                .collect();
            assert_eq!(v.len(), 3);
            let mean = (v[0] + v[1] + v[2]) / 3.0;
            let sd = (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / 2.0).sqrt();
            let rmse = (v.iter().map(|x| (x - truth) * (x - truth)).sum::<f64>() / 3.0).sqrt();
            let r = find(&rows, e, q);
            let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
            assert!(close(r.truth, truth), "{e} {q:?}: truth {}", r.truth);
            assert!(
                close(r.mean, mean) && close(r.bias, mean - truth),
                "{e} {q:?}: {r:?}"
            );
            assert!(
                close(r.sd, sd) && close(r.rmse, rmse),
                "{e} {q:?}: {r:?} vs sd {sd} rmse {rmse}"
            );
            assert_eq!(r.seeds, 3);
        }
    }
}

#[test]
fn ksg_agrees_with_the_student_t_closed_form_where_gaussian_cannot() {
    // At 1 + 1 dims ksg is nearly unbiased (SPEC §4), so it checks the t copula's closed form
    // independently; the gaussian estimator only sees the correlation and misses the rest.
    let rows = rows_of(
        "kind: estimator-accuracy\nname: t\nseed: 3\nestimators: [ksg, gaussian]\n\
         grid: [{n: [4000], dims: [1], rho: [0.0], families: [student-t:2], seeds: 2}]\n",
    );
    let ksg = find(&rows, Estimator::Ksg, Quantity::MutualInformation);
    let gauss = find(&rows, Estimator::Gaussian, Quantity::MutualInformation);
    assert!(ksg.truth > 0.05, "t copula MI at rho = 0: {}", ksg.truth);
    assert!(
        ksg.rmse < 0.03,
        "ksg RMSE {} vs truth {}",
        ksg.rmse,
        ksg.truth
    );
    assert!(gauss.bias < -0.05, "gaussian bias {}", gauss.bias);
}

#[test]
fn manifest_errors_name_file_line_and_key() {
    let e = parse(&TINY.replace("    seeds: 2", "    seeds: 2\n    sedes: 3")).unwrap_err();
    assert_eq!(e.line, Some(10), "{e}");
    assert!(e.to_string().contains("sedes"), "{e}");
    let two_blocks = format!("{TINY}  - {{n: [300], dims: [1], rho: [1.5], seeds: 1}}\n");
    let e = parse(&two_blocks).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("grid[1].rho"));
    assert_eq!(e.line, Some(10), "{e}");
    let dup = format!("{TINY}  - {{n: [400], dims: [2], rho: [0.6], seeds: 1}}\n");
    let e = parse(&dup).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("grid[1]"));
    assert!(e.message.contains("appears twice"), "{e}");
    let e = parse(&TINY.replace("student-t:4", "student-t:0")).unwrap_err();
    assert!(e.to_string().contains("student-t"), "{e}");
    let e = parse(&TINY.replace("n: [200, 400]", "n: [3, 400]")).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("grid[0].n"));
    assert_eq!(e.line, Some(5));
    let e = parse(&format!(
        "{TINY}figure: {{families: [gaussian], rho: 0.3}}\n"
    ))
    .unwrap_err();
    assert_eq!(e.key.as_deref(), Some("figure"));
    let e = parse(&format!(
        "{TINY}figure: {{families: [clayton], rho: 0.6}}\n"
    ))
    .unwrap_err();
    assert!(
        e.message.contains("no cell of the grid has family clayton"),
        "{e}"
    );
    let e = parse(&format!("{TINY}figure: {{families: [], rho: 0.6}}\n")).unwrap_err();
    assert!(e.message.contains("at least one family"), "{e}");
}

#[test]
fn kind_dispatch_rejects_unknown_kinds_and_leaves_experiments_alone() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.yaml");
    std::fs::write(&p, TINY).unwrap();
    assert!(is_accuracy_manifest(&p).unwrap());
    std::fs::write(&p, TINY.replace("estimator-accuracy", "estimator-speed")).unwrap();
    let e = is_accuracy_manifest(&p).unwrap_err();
    assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("kind")));
    let fig1 = Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/fig1_linear.yaml");
    assert!(!is_accuracy_manifest(&fig1).unwrap());
}

#[test]
fn spelling_out_defaults_keeps_the_hash() {
    let m = parse(TINY).unwrap();
    let explicit = parse(&format!(
        "{TINY}estimators: [ksg, kl, gaussian]\nk: 3\n\
         figure: {{families: [gaussian, monotone, student-t:4], rho: 0.6}}\n\
         description: words\n"
    ))
    .unwrap();
    assert_eq!(manifest_hash(&m), manifest_hash(&explicit));
    let other = parse(&TINY.replace("seed: 5", "seed: 6")).unwrap();
    assert_ne!(manifest_hash(&m), manifest_hash(&other));
}

#[test]
fn the_level_reading_estimators_meet_the_issue_26_target_cell() {
    // 8 + 8 dims, N = 2000, rho = 0.6 (the target of issue 26: |bias| <= 0.1 nats, RMSE <=
    // 0.15), three data sets per copula; ksg and gaussian miss it (+2.8 and +0.8 nats).
    let rows = rows_of(
        "kind: estimator-accuracy\nname: t\nseed: 8\nestimators: [tcopula, ksg-tref, tcopula-pairs]\n\
         grid: [{n: [2000], dims: [8], rho: [0.6], families: [gaussian, student-t:4], seeds: 3}]\n",
    );
    for r in rows.iter().filter(|r| r.quantity == Quantity::CceAGivenB) {
        assert!(
            r.bias.abs() <= 0.1 && r.rmse <= 0.15,
            "{} on {}: bias {:+.3}, RMSE {:.3}",
            r.estimator,
            r.cell.family,
            r.bias,
            r.rmse
        );
    }
    assert_eq!(rows.len(), 3 * 2 * Quantity::ALL.len());
}
