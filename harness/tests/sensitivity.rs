//! `harness sensitivity` on a small results folder written by hand: the dead-unit table reads
//! the CCE over the pairs whose two members have every unit alive, and per live unit
//! (CCE(a|b) / a's live units), each worked out below; and the bootstrap reweights a quantity
//! measured on some replicas only with those replicas' weights.

use harness::results::claims::data::{reweighted, Curve, Point, Series};
use harness::results::claims::sensitivity::report;
use std::collections::BTreeMap;
use std::fs;

/// One level (label noise 0.2), n = 10, 20, 40, P = 20, 2 replicas of 3 members, width 4.
/// Member 2 of replica 0 at n = 10 has 2 dead units; every other member none.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ns = [10, 20, 40];
    let hash = "ab".repeat(32);
    let mut summary = String::from(
        "label_noise,n,p,n_over_p,model,replicas,members,pairs,estimator,k,gen_error_mean,gen_error_se,\
         cce_gaussian_mean,cce_gaussian_se,train_error_mean,train_error_se,test_loss_mean,test_loss_se\n",
    );
    let mut replicas = String::from(
        "label_noise,n,p,n_over_p,model,replica,quantity,value,manifest_sha256,algorithm_version,device,harness_version\n",
    );
    let mut members = String::from("label_noise,n,replica,member,dead_units\n");
    let mut pairs = String::from("label_noise,n,replica,member_a,member_b,estimator,cce\n");
    for (i, n) in ns.iter().enumerate() {
        let r = *n as f64 / 20.0;
        summary += &format!(
            "0.2,{n},20,{r:?},fcnn,2,6,12,gaussian,3,0.3,0.01,-2.0,0.1,{},0.0,1.0,0.1\n",
            if i == 0 { "0.0" } else { "0.2" }
        );
        for rep in 0..2 {
            for (q, v) in [
                ("cce_gaussian", -2.0 - rep as f64),
                ("gen_error", 0.3 + 0.01 * rep as f64),
                ("test_loss", 1.0 + 0.1 * rep as f64),
                ("train_error", if i == 0 { 0.0 } else { 0.2 }),
            ] {
                replicas += &format!("0.2,{n},20,{r:?},fcnn,{rep},{q},{v:?},{hash},2,cpu,0.1.0\n");
            }
            for m in 0..3 {
                let dead = if *n == 10 && rep == 0 && m == 2 { 2 } else { 0 };
                members += &format!("0.2,{n},{rep},{m},{dead}\n");
            }
            for a in 0..3 {
                for b in 0..3 {
                    if a != b {
                        // CCE(a|b) = −(a + 1): −1, −2, −3 by member a.
                        pairs +=
                            &format!("0.2,{n},{rep},{a},{b},gaussian,{:?}\n", -(a as f64 + 1.0));
                        pairs += &format!("0.2,{n},{rep},{a},{b},ksg,9.0\n");
                    }
                }
            }
        }
    }
    fs::write(dir.path().join("summary.csv"), summary).unwrap();
    fs::write(dir.path().join("replicas.csv"), replicas).unwrap();
    fs::write(dir.path().join("members.csv"), members).unwrap();
    fs::write(dir.path().join("pairs.csv"), pairs).unwrap();
    fs::write(
        dir.path().join("run.json"),
        r#"{"manifest": {"model": {"width": 4}}}"#,
    )
    .unwrap();
    dir
}

#[test]
fn the_dead_unit_table_reads_all_alive_pairs_and_live_units() {
    let dir = folder();
    let text = report(dir.path()).unwrap();
    // n = 10: 12 ordered gaussian pairs (the ksg rows are not read), mean CCE −2. Member 2 of
    // replica 0 has 2 dead units: of replica 0's pairs only (0,1) and (1,0) are all alive,
    // with replica 1's six: (−1 − 2 + 2·(−1 − 2 − 3))/8 = −15/8. Per live unit, CCE(a|b)/a's
    // live units (4, or 2 for that member), in each replica a = 0, 0, 1, 1, 2, 2:
    let r0 = [-0.25, -0.25, -0.5, -0.5, -1.5, -1.5];
    let r1 = [-0.25, -0.25, -0.5, -0.5, -0.75, -0.75];
    let per_unit = (r0.iter().sum::<f64>() + r1.iter().sum::<f64>()) / 12.0;
    let row = format!(
        "| label noise 0.2 | 10 | {:.2} | 8 of 12 | -2.000 | {:.3} | {:.3} |",
        2.0 / 6.0,
        -15.0 / 8.0,
        per_unit
    );
    assert!(text.contains(&row), "{row}\n{text}");
    // Elsewhere everything is alive: the three readings agree up to the unit count.
    assert!(
        text.contains("| label noise 0.2 | 20 | 0.00 | 12 of 12 | -2.000 | -2.000 | -0.500 |"),
        "{text}"
    );
    // n* = 10 (the only interpolating point) and the C2/C3 lines as the folder reads them.
    assert!(text.contains("| label noise 0.2 | 10 |"), "{text}");
    assert!(text.contains("#### C2 v3 on the CCE over all-alive pairs only"));
    assert!(text.contains("#### C2 v3 on the CCE per live unit"));
}

#[test]
fn a_quantity_on_some_replicas_takes_their_weights_renormalized() {
    let s = |reps: Vec<(usize, f64)>| {
        Series::new(
            harness::results::tables::Estimate { mean: 0.0, se: 0.0 },
            reps,
        )
    };
    let curve = Curve {
        label: "SNR 1".into(),
        signal: 1.0,
        network: "relu2".into(),
        p: 10,
        classes: None,
        points: vec![Point {
            n: 10,
            n_over_p: 1.0,
            cce: s(vec![(0, 1.0), (2, 3.0)]),
            gen_error: s(vec![(0, 1.0), (1, 2.0), (2, 3.0)]),
            test_loss: None,
            train_error: None,
        }],
    };
    let weights = BTreeMap::from([(10, vec![0.5, 0.3, 0.2])]);
    let g = reweighted(&vec![("relu2".into(), vec![curve])], &weights);
    let p = &g[0].1[0].points[0];
    assert_eq!(p.gen_error.weights, vec![0.5, 0.3, 0.2]);
    assert!((p.gen_error.estimate.mean - (0.5 + 0.6 + 0.6)).abs() < 1e-12);
    let w = &p.cce.weights;
    assert!(
        (w[0] - 0.5 / 0.7).abs() < 1e-12 && (w[1] - 0.2 / 0.7).abs() < 1e-12,
        "{w:?}"
    );
    assert!((p.cce.estimate.mean - (0.5 + 0.6) / 0.7).abs() < 1e-12);
}
